/**
 * The top BUCKET_BITS levels of the map: a complete binary tree over the bucket roots, held as one
 * heap of hashes (index 1 the root; node i's children 2i and 2i + 1; bucket b at BUCKET_COUNT + b).
 * 2^17 hashes of 32 bytes: 4 MiB whatever the map's size.
 */
import { toHex } from '../../crypto/index.js';
import { BUCKET_BITS, BUCKET_COUNT, nodeHash } from './hashing.js';

export class MapTop {
  readonly #heap: Uint8Array;

  private constructor(heap: Uint8Array) {
    this.#heap = heap;
  }

  /** An empty map: every node EMPTY. */
  static empty(): MapTop {
    return new MapTop(new Uint8Array(2 * BUCKET_COUNT * 32));
  }

  /** The top over the given bucket roots (absent buckets are EMPTY). */
  static fromBuckets(roots: Iterable<[number, Uint8Array]>): MapTop {
    const top = MapTop.empty();
    for (const [b, root] of roots) top.#set(BUCKET_COUNT + b, root);
    for (let i = BUCKET_COUNT - 1; i >= 1; i--) top.#recompute(i);
    return top;
  }

  clone(): MapTop {
    return new MapTop(this.#heap.slice());
  }

  #get(i: number): Uint8Array {
    return this.#heap.subarray(i * 32, i * 32 + 32);
  }

  #set(i: number, hash: Uint8Array): void {
    if (hash.length !== 32) throw new RangeError('a map hash is 32 bytes');
    this.#heap.set(hash, i * 32);
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
      for (const i of [...level].sort((a, b) => b - a)) {
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
