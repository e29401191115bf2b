/**
 * The index map as the block deriver keeps it (docs/completeness.md, docs/design/network.md): the
 * top after the last block cut, and the buckets the next blocks touch, loaded by the caller before
 * the log entry that needs them. A block's root is a function of the map before it and its records
 * alone, so every node deriving the block computes the same root.
 */
import { toHex } from '../../crypto/index.js';
import type { SignedRecord } from '../record.js';
import { canonicalMemo } from '../projections/event-rows.js';
import type { MapLeaf } from './bucket.js';
import { recordAdditions } from './entries.js';
import { bucketOfKey, indexKeyHex } from './hashing.js';
import type { MapTop } from './top.js';
import { applyAdditions, verifyLoadedBuckets, type IdentifiedLeaf, type IndexAddition } from './update.js';

const PLACEHOLDER_HASH = '0'.repeat(64);
const KEYS_KEPT = 200_000;

/** What a cut block did to the map: its root (the header's indexRoot), the new top and the rows to store. */
export interface BlockIndex {
  readonly root: string;
  /** The map's top after the block; never changed once made. */
  readonly top: MapTop;
  readonly leaves: readonly IdentifiedLeaf[];
  /** New bucket roots, hex. */
  readonly roots: ReadonlyMap<number, string>;
}

export class DerivingIndexMap {
  #top: MapTop;
  readonly #held = new Map<number, readonly MapLeaf[]>();
  readonly #keys = new Map<string, string>();
  /** canonicalIdentifier, remembered: admission and the block's cut meet the same identifiers. */
  readonly canonical = canonicalMemo(KEYS_KEPT);

  constructor(top: MapTop) {
    this.#top = top;
  }

  get top(): MapTop {
    return this.#top;
  }

  keyOf = (identifier: string): string => {
    let key = this.#keys.get(identifier);
    if (key === undefined) {
      key = indexKeyHex(identifier);
      if (this.#keys.size >= KEYS_KEPT) this.#keys.clear();
      this.#keys.set(identifier, key);
    }
    return key;
  };

  /** Buckets the records would touch that are not held yet. */
  missingBuckets(records: readonly Pick<SignedRecord, 'kind' | 'payload'>[]): number[] {
    return this.missingBucketsOf(records.flatMap((r) => recordAdditions(r, PLACEHOLDER_HASH, 0, this.canonical)));
  }

  /** Buckets the additions touch that are not held yet. */
  missingBucketsOf(additions: readonly Pick<IndexAddition, 'identifier' | 'key'>[]): number[] {
    const out = new Set<number>();
    for (const a of additions) {
      const b = bucketOfKey(a.key ?? this.keyOf(a.identifier));
      if (!this.#held.has(b)) out.add(b);
    }
    return [...out];
  }

  /** Holds stored buckets the next blocks need; the buckets whose leaves do not give the top's root are refused (returned). */
  hold(loaded: ReadonlyMap<number, readonly MapLeaf[]>): number[] {
    const fresh = new Map([...loaded].filter(([b]) => !this.#held.has(b)));
    const bad = verifyLoadedBuckets(this.#top, fresh);
    for (const [b, leaves] of fresh) if (!bad.includes(b)) this.#held.set(b, leaves);
    return bad;
  }

  /** Lets go of the held buckets (every block cut is stored: the store has them). */
  release(): void {
    this.#held.clear();
  }

  /** Applies a block's records (block order, from log index `firstLogIndex`) and gives its root. */
  applyBlock(records: readonly SignedRecord[], hashes: readonly string[], firstLogIndex: number): BlockIndex {
    return this.apply(records.flatMap((r, i) => recordAdditions(r, hashes[i]!, firstLogIndex + i, this.canonical)));
  }

  /** Applies additions (log order; every bucket they touch held) and gives the map's new root. */
  apply(additions: readonly IndexAddition[]): BlockIndex {
    const change = applyAdditions(this.#held, additions, this.keyOf);
    const changed = new Map<number, MapLeaf[]>();
    for (const leaf of change.leaves) {
      const b = bucketOfKey(leaf.key);
      let list = changed.get(b);
      if (!list) changed.set(b, (list = []));
      list.push({ key: leaf.key, count: leaf.count, head: leaf.head });
    }
    for (const [b, leaves] of changed) {
      const merged = new Map((this.#held.get(b) ?? []).map((l) => [l.key, l]));
      for (const leaf of leaves) merged.set(leaf.key, leaf);
      this.#held.set(b, [...merged.values()]);
    }
    // A published top is never changed: readers of the stored map may hold it (a clone shares its tiles).
    const top = change.roots.size === 0 ? this.#top : this.#top.clone();
    top.setBuckets(change.roots);
    this.#top = top;
    return { root: top.rootHex(), top, leaves: change.leaves, roots: new Map([...change.roots].map(([b, r]) => [b, toHex(r)])) };
  }
}
