/**
 * Applying a block's index entries to the map. The sealer loads the buckets the block touches,
 * checks them against the trusted top (verifyLoadedBuckets), applies the entries in log order and
 * gets the leaves and bucket roots to store; MemoryIndexMap does the same over a map held whole
 * (the chain verifier, tests, the pure ledger benchmark).
 */
import { bytesEqual, fromHex, toHex } from '../../crypto/index.js';
import { bucketRoot, compareKeys, type MapLeaf } from './bucket.js';
import { EMPTY_HEX, bucketOfKey, chainStep, indexKeyHex, type IndexEntry } from './hashing.js';
import { MapTop } from './top.js';

/** An entry to add to an identifier's chain (`key`: given for the membership chain, else key(identifier)). */
export interface IndexAddition {
  identifier: string;
  key?: string;
  entry: IndexEntry;
}

/** A leaf with the identifier it is for (the store keeps both). */
export interface IdentifiedLeaf extends MapLeaf {
  identifier: string;
}

export interface MapChange {
  /** Leaves after the change, of every identifier the entries touched. */
  leaves: IdentifiedLeaf[];
  /** New roots of the buckets the entries touched. */
  roots: Map<number, Uint8Array>;
}

/** Buckets whose loaded leaves do not give the root the trusted top holds for them. */
export function verifyLoadedBuckets(top: MapTop, loaded: ReadonlyMap<number, readonly MapLeaf[]>): number[] {
  const bad: number[] = [];
  for (const [b, leaves] of loaded) {
    const sorted = [...leaves].sort(compareKeys);
    if (sorted.some((l) => bucketOfKey(l.key) !== b) || !bytesEqual(bucketRoot(sorted), top.bucketRoot(b))) bad.push(b);
  }
  return bad;
}

/**
 * Applies the additions (in log order) to the loaded buckets, which must hold every leaf of every
 * bucket an addition's key falls in. `keyOf` derives the key (callers may remember them).
 */
export function applyAdditions(loaded: ReadonlyMap<number, readonly MapLeaf[]>, additions: readonly IndexAddition[], keyOf: (identifier: string) => string = indexKeyHex): MapChange {
  const byKey = new Map<string, IdentifiedLeaf>();
  const buckets = new Map<number, Map<string, MapLeaf>>();
  const bucketMap = (b: number): Map<string, MapLeaf> => {
    let m = buckets.get(b);
    if (!m) {
      const leaves = loaded.get(b);
      if (!leaves) throw new RangeError(`bucket ${b} was not loaded`);
      buckets.set(b, (m = new Map(leaves.map((l) => [l.key, l]))));
    }
    return m;
  };
  const heads = new Map<string, Uint8Array>();
  for (const { identifier, key: given, entry } of additions) {
    const key = given ?? keyOf(identifier);
    let leaf = byKey.get(key);
    if (!leaf) {
      const stored = bucketMap(bucketOfKey(key)).get(key);
      leaf = { key, identifier, count: stored?.count ?? 0, head: stored?.head ?? EMPTY_HEX };
      byKey.set(key, leaf);
      heads.set(key, fromHex(leaf.head, 32));
    }
    const head = chainStep(heads.get(key)!, entry);
    heads.set(key, head);
    leaf.count += 1;
  }
  const roots = new Map<number, Uint8Array>();
  for (const leaf of byKey.values()) {
    leaf.head = toHex(heads.get(leaf.key)!);
    bucketMap(bucketOfKey(leaf.key)).set(leaf.key, leaf);
  }
  for (const b of new Set([...byKey.keys()].map(bucketOfKey))) roots.set(b, bucketRoot([...bucketMap(b).values()].sort(compareKeys)));
  return { leaves: [...byKey.values()], roots };
}

/** The whole map in memory, bucket by bucket: for verifiers that replay a chain, and tests. */
export class MemoryIndexMap {
  readonly #buckets = new Map<number, MapLeaf[]>();
  readonly #top = MapTop.empty();
  readonly #keys = new Map<string, string>();

  #keyOf = (identifier: string): string => {
    let key = this.#keys.get(identifier);
    if (key === undefined) {
      key = indexKeyHex(identifier);
      if (this.#keys.size >= 1_000_000) this.#keys.clear();
      this.#keys.set(identifier, key);
    }
    return key;
  };

  /** Applies one block's additions (log order) and updates the root. */
  apply(additions: readonly IndexAddition[]): MapChange {
    const touched = new Map<number, readonly MapLeaf[]>();
    for (const a of additions) {
      const b = bucketOfKey(a.key ?? this.#keyOf(a.identifier));
      if (!touched.has(b)) touched.set(b, this.#buckets.get(b) ?? []);
    }
    const change = applyAdditions(touched, additions, this.#keyOf);
    const changed = new Map<number, MapLeaf[]>();
    for (const leaf of change.leaves) {
      const b = bucketOfKey(leaf.key);
      let list = changed.get(b);
      if (!list) changed.set(b, (list = []));
      list.push({ key: leaf.key, count: leaf.count, head: leaf.head });
    }
    for (const [b, leaves] of changed) {
      const merged = new Map((this.#buckets.get(b) ?? []).map((l) => [l.key, l]));
      for (const leaf of leaves) merged.set(leaf.key, leaf);
      this.#buckets.set(b, [...merged.values()].sort(compareKeys));
    }
    this.#top.setBuckets(change.roots);
    return change;
  }

  rootHex(): string {
    return this.#top.rootHex();
  }

  get top(): MapTop {
    return this.#top;
  }

  /** The bucket's leaves, sorted by key. */
  bucket(b: number): readonly MapLeaf[] {
    return this.#buckets.get(b) ?? [];
  }

  leafOf(identifier: string, key = this.#keyOf(identifier)): MapLeaf | undefined {
    return this.bucket(bucketOfKey(key)).find((l) => l.key === key);
  }
}
