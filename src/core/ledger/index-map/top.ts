/**
 * The top BUCKET_BITS levels of the map: a complete binary tree over the bucket roots, addressed as
 * a heap (index 1 the root; node i's children 2i and 2i + 1; bucket b at BUCKET_COUNT + b). 2^17
 * hashes of 32 bytes: 4 MiB whatever the map's size.
 *
 * The hashes are stored in tiles: subtrees four levels high (the last band five, down to the
 * buckets), so a bucket's path from the root crosses four tiles. A clone shares every tile and
 * copies one only when it writes to it: each block's top is a new version readers may keep, and a
 * block that touches n buckets copies at most 4n tiles of 1 KiB instead of the whole 4 MiB.
 */
import { toHex } from '../../crypto/index.js';
import { BUCKET_BITS, BUCKET_COUNT, nodeHash } from './hashing.js';

/** Depth of the top of each band of tiles; the last band reaches down to the buckets (depth BUCKET_BITS). */
const BAND_TOPS: readonly number[] = [0, 4, 8, 12];
const LAST_BAND_TOP = BAND_TOPS[BAND_TOPS.length - 1]!;
/** Index of the first tile of each band: a band whose top is at depth d holds 2^d tiles. */
const BAND_FIRST_TILE = BAND_TOPS.map((d) => BAND_TOPS.filter((t) => t < d).reduce((n, t) => n + (1 << t), 0));
const TILE_COUNT = BAND_FIRST_TILE[BAND_FIRST_TILE.length - 1]! + (1 << LAST_BAND_TOP);
/** Hashes per tile (heap-ordered inside it from 1; the deepest band is five levels: 31 hashes). */
const TILE_SLOTS = 1 << (BUCKET_BITS - LAST_BAND_TOP + 1);
const TILE_BYTES = TILE_SLOTS * 32;
const ZERO_TILE = new Uint8Array(TILE_BYTES);

/** The tile and the byte offset inside it of heap node i (1 <= i < 2 * BUCKET_COUNT). */
function locate(i: number): [tile: number, offset: number] {
  const depth = 31 - Math.clz32(i);
  const top = depth >= LAST_BAND_TOP ? LAST_BAND_TOP : depth & ~3;
  const below = depth - top;
  const tile = BAND_FIRST_TILE[top >> 2]! + ((i >> below) - (1 << top));
  return [tile, ((1 << below) | (i & ((1 << below) - 1))) * 32];
}

export class MapTop {
  readonly #tiles: Uint8Array[];
  /** Tiles this top may write in place (copied by it, shared with no other top). */
  #owned: Uint8Array;

  private constructor(tiles: Uint8Array[], owned: Uint8Array) {
    this.#tiles = tiles;
    this.#owned = owned;
  }

  /** An empty map: every node EMPTY. */
  static empty(): MapTop {
    // Every tile starts as the one zero tile, never written: owned by no top, so copied on first write.
    return new MapTop(new Array<Uint8Array>(TILE_COUNT).fill(ZERO_TILE), new Uint8Array(TILE_COUNT));
  }

  /** The top over the given bucket roots (absent buckets are EMPTY). */
  static fromBuckets(roots: Iterable<[number, Uint8Array]>): MapTop {
    const top = MapTop.empty();
    for (const [b, root] of roots) top.#set(BUCKET_COUNT + checkedBucket(b), root);
    for (let i = BUCKET_COUNT - 1; i >= 1; i--) top.#recompute(i);
    return top;
  }

  /** An independent copy: cheap (tiles are shared until either side writes to one). */
  clone(): MapTop {
    this.#owned = new Uint8Array(TILE_COUNT);
    return new MapTop(this.#tiles.slice(), new Uint8Array(TILE_COUNT));
  }

  #get(i: number): Uint8Array {
    const [tile, offset] = locate(i);
    return this.#tiles[tile]!.subarray(offset, offset + 32);
  }

  #set(i: number, hash: Uint8Array): void {
    if (hash.length !== 32) throw new RangeError('a map hash is 32 bytes');
    const [tile, offset] = locate(i);
    if (this.#owned[tile] === 0) {
      this.#tiles[tile] = this.#tiles[tile]!.slice();
      this.#owned[tile] = 1;
    }
    this.#tiles[tile]!.set(hash, offset);
  }

  #recompute(i: number): void {
    this.#set(i, nodeHash(this.#get(2 * i), this.#get(2 * i + 1)));
  }

  /** The bucket's root (a view: copy it to keep it past the next update). */
  bucketRoot(bucket: number): Uint8Array {
    return this.#get(BUCKET_COUNT + checkedBucket(bucket));
  }

  /** Sets bucket roots, then recomputes the nodes above them once each. */
  setBuckets(roots: Iterable<[number, Uint8Array]>): void {
    let level = new Set<number>();
    for (const [b, root] of roots) {
      const i = BUCKET_COUNT + checkedBucket(b);
      this.#set(i, root);
      level.add(i >> 1);
    }
    while (level.size > 0) {
      const next = new Set<number>();
      for (const i of level) {
        this.#recompute(i);
        if (i > 1) next.add(i >> 1);
      }
      level = next;
    }
  }

  root(): Uint8Array {
    return this.#get(1).slice();
  }

  rootHex(): string {
    return toHex(this.#get(1));
  }

  /** Siblings of the bucket's path from the root: siblings[d] is the sibling subtree at depth d + 1. */
  siblings(bucket: number): Uint8Array[] {
    const out: Uint8Array[] = new Array(BUCKET_BITS);
    let i = BUCKET_COUNT + checkedBucket(bucket);
    for (let d = BUCKET_BITS - 1; d >= 0; d--) {
      out[d] = this.#get(i ^ 1).slice();
      i >>= 1;
    }
    return out;
  }
}

function checkedBucket(b: number): number {
  if (!Number.isInteger(b) || b < 0 || b >= BUCKET_COUNT) throw new RangeError(`bucket ${b} is outside 0..${BUCKET_COUNT - 1}`);
  return b;
}
