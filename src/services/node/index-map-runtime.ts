/**
 * The node's side of the identifier index map (docs/completeness.md) for one consortium: the
 * trusted top after each of the last few blocks, and the sealing step. A seal reads the leaves of
 * the buckets its records touch, checks them against the trusted top (a tampered leaf never
 * reaches a signed header), applies the entries in log order and hands back the new root with the
 * rows to write in the block's transaction. Memory: four tops of 4 MiB, whatever the map's size.
 */
import { toHex } from '../../core/crypto/index.js';
import {
  MapTop,
  applyAdditions,
  bucketOfKey,
  indexKeyHex,
  verifyLoadedBuckets,
  type IndexAddition,
  type MapVersion,
  type TrustedIndex,
} from '../../core/ledger/index-map/index.js';
import { LedgerError } from '../../core/ledger/errors.js';
import type { Database } from '../../store/database.js';
import { readBucketLeaves, type IndexMapWrite } from '../../store/index-map-store.js';

/** Versions kept for readers whose reads straddle a seal (a seal every 250 ms, a recall takes up to a second). */
const VERSIONS_KEPT = 6;
const KEYS_KEPT = 200_000;

export interface PreparedIndex {
  version: MapVersion;
  write: IndexMapWrite;
}

export class IndexMapRuntime implements TrustedIndex {
  readonly #versions: MapVersion[] = [];
  #sealing?: MapVersion;
  readonly #keys = new Map<string, string>();

  constructor(
    private readonly db: Database,
    readonly consortiumId: string,
    initial: MapVersion,
  ) {
    this.#versions.push(initial);
  }

  /** A runtime over an empty map (no record indexed yet) after the given block. */
  static empty(db: Database, consortiumId: string, height: number, logSize: number): IndexMapRuntime {
    const top = MapTop.empty();
    return new IndexMapRuntime(db, consortiumId, { height, logSize, root: top.rootHex(), signed: false, top });
  }

  current(): MapVersion {
    return this.#versions[this.#versions.length - 1]!;
  }

  versionsFrom(height: number): readonly MapVersion[] {
    const out = this.#versions.filter((v) => v.height >= height);
    return this.#sealing ? [...out, this.#sealing] : out;
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

  /**
   * The map after the additions (log order) for the block at `height` with log size `logSize`.
   * INDEX_ROOT_MISMATCH when a stored bucket does not give the trusted root (the caller rebuilds).
   */
  async prepare(additions: readonly IndexAddition[], height: number, logSize: number): Promise<PreparedIndex> {
    const base = this.current();
    const buckets = [...new Set(additions.map((a) => bucketOfKey(a.key ?? this.keyOf(a.identifier))))];
    const loaded = await readBucketLeaves(this.db, this.consortiumId, buckets);
    const bad = verifyLoadedBuckets(base.top, loaded);
    if (bad.length > 0) {
      throw new LedgerError('INDEX_ROOT_MISMATCH', `the stored index map disagrees with the map after block ${base.height} in ${bad.length} bucket(s)`, {
        buckets: bad.slice(0, 10),
      });
    }
    const change = applyAdditions(loaded, additions, this.keyOf);
    // A published top is never changed: readers may hold it.
    const top = change.roots.size === 0 ? base.top : base.top.clone();
    top.setBuckets(change.roots);
    const root = top.rootHex();
    const roots = new Map([...change.roots].map(([b, r]) => [b, toHex(r)]));
    return { version: { height, logSize, root, signed: true, top }, write: { leaves: change.leaves, roots, state: { height, logSize, root } } };
  }

  /** Called just before the block's transaction: readers may see its rows from now on. */
  begin(prepared: PreparedIndex): void {
    this.#sealing = prepared.version;
  }

  /** The block is stored: its map is now the current version. */
  publish(prepared: PreparedIndex): void {
    this.#sealing = undefined;
    this.#versions.push(prepared.version);
    while (this.#versions.length > VERSIONS_KEPT) this.#versions.shift();
  }

  /** The block was not stored. */
  abort(): void {
    this.#sealing = undefined;
  }
}
