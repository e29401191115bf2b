/**
 * Verification work that stays true across queries (work shared by hops is done once).
 * Each entry is keyed by the exact stored text it was computed from, so any change to a row is a
 * miss and is verified afresh: the cache can skip repeated work but never turn a failure into a
 * pass. Pure: the caller loads rows and passes them in.
 *
 * - blocks: the header-hash and seal/quorum verdict of a block row (exact header and seals text);
 * - trees: the RFC 6962 tree of a block's record hashes, once it rebuilt the header's Merkle root;
 * - chain: block hashes proven linked (by previousHash) down from a head the node holds in memory;
 * - records: a record body's computed hash and signature verdict (exact body text).
 */
import { hash as oneShotHash } from 'node:crypto';
import { fromHex, toHex } from '../crypto/index.js';
import { MERKLE_LEAF_PREFIX, MERKLE_NODE_PREFIX } from '../crypto/index.js';

/** Least-recently-used map with a cost budget (entries cost 1 unless told). */
export class Lru<K, V> {
  readonly #map = new Map<K, { value: V; cost: number }>();
  #used = 0;
  constructor(private readonly budget: number) {}

  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (!entry) return undefined;
    this.#map.delete(key);
    this.#map.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V, cost = 1): void {
    const old = this.#map.get(key);
    if (old) {
      this.#used -= old.cost;
      this.#map.delete(key);
    }
    this.#map.set(key, { value, cost });
    this.#used += cost;
    for (const [k, e] of this.#map) {
      if (this.#used <= this.budget || this.#map.size <= 1) break;
      this.#map.delete(k);
      this.#used -= e.cost;
    }
  }

  delete(key: K): void {
    const entry = this.#map.get(key);
    if (!entry) return;
    this.#map.delete(key);
    this.#used -= entry.cost;
  }

  clear(): void {
    this.#map.clear();
    this.#used = 0;
  }

  get size(): number {
    return this.#map.size;
  }
}

const LEAF = Buffer.from([MERKLE_LEAF_PREFIX]);
const NODE = Buffer.from([MERKLE_NODE_PREFIX]);

function sha256(...parts: Uint8Array[]): Buffer {
  // One-shot hashing of a concatenation: the same bytes merkle-hash.ts hashes, without a Hash object each.
  return oneShotHash('sha256', Buffer.concat(parts), 'buffer') as unknown as Buffer;
}

/**
 * The RFC 6962 Merkle tree of one block, built bottom-up once (an odd last node moves up unchanged,
 * which gives the same tree as the RFC's split at the largest power of two); audit paths are then
 * read off its levels instead of rebuilding subtrees per record.
 */
export class BlockTree {
  /** levels[0] holds the leaf hashes, each level one contiguous buffer of 32-byte hashes. */
  readonly #levels: Buffer[];
  readonly size: number;

  private constructor(levels: Buffer[], size: number) {
    this.#levels = levels;
    this.size = size;
  }

  /** Leaves are leafHash(record hash), in the block's order. */
  static fromRecordHashes(recordHashes: readonly string[]): BlockTree {
    const n = recordHashes.length;
    let level = Buffer.alloc(n * 32);
    recordHashes.forEach((h, i) => sha256(LEAF, fromHex(h, 32)).copy(level, i * 32));
    const levels = [level];
    let count = n;
    while (count > 1) {
      const nextCount = Math.ceil(count / 2);
      const next = Buffer.alloc(nextCount * 32);
      for (let i = 0; i + 1 < count; i += 2) sha256(NODE, level.subarray(i * 32, i * 32 + 32), level.subarray(i * 32 + 32, i * 32 + 64)).copy(next, (i / 2) * 32);
      if (count % 2 === 1) level.copy(next, (nextCount - 1) * 32, (count - 1) * 32, count * 32);
      levels.push(next);
      level = next;
      count = nextCount;
    }
    return new BlockTree(levels, n);
  }

  /** MTH of the leaves (RFC 6962 §2.1); the empty tree's is SHA-256 of nothing. */
  root(): Uint8Array {
    if (this.size === 0) return new Uint8Array(sha256());
    const top = this.#levels[this.#levels.length - 1]!;
    return new Uint8Array(top.subarray(0, 32));
  }

  rootHex(): string {
    return toHex(this.root());
  }

  /** RFC 6962 §2.1.1 PATH(index, D[n]), leaf side first (the same as merkle-tree.ts inclusionProof). */
  proof(index: number): Uint8Array[] {
    const path: Uint8Array[] = [];
    let i = index;
    for (let l = 0; l < this.#levels.length - 1; l++) {
      const count = this.#levels[l]!.length / 32;
      const sibling = i ^ 1;
      if (sibling < count) path.push(new Uint8Array(this.#levels[l]!.subarray(sibling * 32, sibling * 32 + 32)));
      i >>= 1;
    }
    return path;
  }

  /** Bytes held (for the cache budget). */
  get bytes(): number {
    return this.#levels.reduce((n, l) => n + l.length, 0);
  }
}

export interface CachedBlockCheck<T> {
  hash: string;
  header: string;
  seals: string;
  epoch: string;
  check: T;
}

export interface CachedRecordCheck<T> {
  body: string;
  check: T;
}

export interface ChainLinkEntry {
  hash: string;
  previousHash: string;
}

/** Limits: 64 MB of block trees, record checks for 64 MB of record bodies, 100,000 block checks. */
export interface VerificationCacheLimits {
  treeBytes: number;
  recordBytes: number;
  blocks: number;
}

const DEFAULT_LIMITS: VerificationCacheLimits = { treeBytes: 64 * 1024 * 1024, recordBytes: 64 * 1024 * 1024, blocks: 100_000 };

export class VerificationCache {
  readonly #blocks: Lru<number, CachedBlockCheck<unknown>>;
  readonly #trees: Lru<string, BlockTree>;
  readonly #records: Lru<string, CachedRecordCheck<unknown>>;
  /** Verified chain: hash and previousHash per height for heights [#low, #high]. */
  #chain = new Map<number, ChainLinkEntry>();
  #low = 0;
  #high = -1;

  constructor(limits: Partial<VerificationCacheLimits> = {}) {
    const l = { ...DEFAULT_LIMITS, ...limits };
    this.#blocks = new Lru(l.blocks);
    this.#trees = new Lru(l.treeBytes);
    this.#records = new Lru(l.recordBytes);
  }

  /** A block's verdict, if computed before from exactly this row under the same authority epoch. */
  blockCheck<T>(height: number, row: { hash: string; header: string; seals: string }, epoch: string): T | undefined {
    const hit = this.#blocks.get(height);
    if (!hit || hit.hash !== row.hash || hit.header !== row.header || hit.seals !== row.seals || hit.epoch !== epoch) return undefined;
    return hit.check as T;
  }

  setBlockCheck<T>(height: number, row: { hash: string; header: string; seals: string }, epoch: string, check: T): void {
    this.#blocks.set(height, { hash: row.hash, header: row.header, seals: row.seals, epoch, check });
  }

  /** The tree of the block with this (verified) hash, if one was built and matched its root. */
  tree(height: number, blockHashHex: string): BlockTree | undefined {
    return this.#trees.get(`${height}:${blockHashHex}`);
  }

  setTree(height: number, blockHashHex: string, tree: BlockTree): void {
    this.#trees.set(`${height}:${blockHashHex}`, tree, tree.bytes);
  }

  record<T>(hash: string, body: string): T | undefined {
    const hit = this.#records.get(hash);
    return hit && hit.body === body ? (hit.check as T) : undefined;
  }

  setRecord<T>(hash: string, body: string, check: T): void {
    this.#records.set(hash, { body, check }, body.length);
  }

  /** Verified chain hash at a height, if known. */
  chainAt(height: number): ChainLinkEntry | undefined {
    return height >= this.#low && height <= this.#high ? this.#chain.get(height) : undefined;
  }

  get chainRange(): { low: number; high: number } {
    return { low: this.#low, high: this.#high };
  }

  /**
   * Heights whose rows a walk from `head` down to `fromHeight` needs that the verified chain does not
   * cover (empty when the cached chain reaches from the head down past fromHeight).
   */
  chainGaps(head: { height: number; hash: string }, fromHeight: number): { from: number; to: number }[] {
    if (this.#high < this.#low || head.height < this.#high || (head.height === this.#high && this.#chain.get(this.#high)?.hash !== head.hash)) {
      return fromHeight <= head.height ? [{ from: fromHeight, to: head.height }] : [];
    }
    const gaps: { from: number; to: number }[] = [];
    if (head.height > this.#high) gaps.push({ from: this.#high + 1, to: head.height });
    if (fromHeight < this.#low) gaps.push({ from: fromHeight, to: this.#low - 1 });
    return gaps;
  }

  /**
   * Records a run of links proven from the head down (heights descending, contiguous). A run from
   * a new head replaces the chain unless it joins the cached one at its top; a run below the
   * cached bottom extends it when it joins.
   */
  addLinks(head: { height: number; hash: string }, run: Map<number, ChainLinkEntry>): void {
    if (run.size === 0) return;
    const heights = [...run.keys()].sort((a, b) => a - b);
    const low = heights[0]!;
    const high = heights[heights.length - 1]!;
    if (high === head.height && run.get(high)!.hash === head.hash) {
      const joins = this.#high >= this.#low && low === this.#high + 1 && run.get(low)!.previousHash === this.#chain.get(this.#high)?.hash;
      const overlaps = this.#high >= this.#low && low >= this.#low && low <= this.#high && run.get(low)!.hash === this.#chain.get(low)?.hash;
      if (!joins && !overlaps) {
        this.#chain = new Map();
        this.#low = low;
      }
      for (const [h, e] of run) this.#chain.set(h, e);
      this.#high = high;
      return;
    }
    if (this.#high >= this.#low && high === this.#low - 1 && this.#chain.get(this.#low)?.previousHash === run.get(high)!.hash) {
      for (const [h, e] of run) this.#chain.set(h, e);
      this.#low = low;
    }
  }

  clear(): void {
    this.#blocks.clear();
    this.#trees.clear();
    this.#records.clear();
    this.#chain = new Map();
    this.#low = 0;
    this.#high = -1;
  }
}
