/**
 * The identifier index map of one consortium's chain on this node (docs/completeness.md). The
 * deriver computes each block's index root itself (DerivingIndexMap), from the map before the
 * block and its records; this module loads the stored buckets the next log entry may touch before
 * the deriver reads it, writes a final block's map rows in the block's transaction, and publishes
 * the map after each stored block to readers (IndexMapRuntime, the TrustedIndex).
 */
import type { BlockHeader } from '../../core/ledger/block.js';
import {
  DerivingIndexMap,
  recordAdditions,
  type IndexEntry,
} from '../../core/ledger/index-map/index.js';
import type { DerivedBlock } from '../../core/ledger/derivation/index.js';
import { LedgerError } from '../../core/ledger/errors.js';
import type { SignedRecord } from '../../core/ledger/record.js';
import type { Database } from '../../store/database.js';
import { writeIndexMap } from '../../store/index-map-store.js';
import { holdStoredBuckets } from './index-buckets.js';
import { openIndexMap, rebuildIndexMap } from './index-map-load.js';
import { IndexMapRuntime, type PreparedIndex } from './index-map-runtime.js';

type Tx = Parameters<Parameters<Database['$transaction']>[0]>[0];

export class ChainIndex {
  #runtime: IndexMapRuntime;
  readonly deriving: DerivingIndexMap;
  #settledAt = -1;

  private constructor(
    private readonly db: Database,
    readonly consortiumId: string,
    runtime: IndexMapRuntime,
  ) {
    this.#runtime = runtime;
    this.deriving = new DerivingIndexMap(runtime.current().top);
  }

  /** The map at the stored head block: as stored when it holds, else rebuilt from the chain. */
  static async open(
    db: Database,
    consortiumId: string,
    head: BlockHeader,
  ): Promise<ChainIndex> {
    return new ChainIndex(
      db,
      consortiumId,
      await openIndexMap(db, consortiumId, {
        height: head.height,
        logSize: head.logSize,
        header: head,
      }),
    );
  }

  /** The empty map of a chain whose genesis was just stored. */
  static created(
    db: Database,
    consortiumId: string,
    genesis: BlockHeader,
  ): ChainIndex {
    return new ChainIndex(
      db,
      consortiumId,
      IndexMapRuntime.empty(consortiumId, genesis.height, genesis.logSize),
    );
  }

  get trusted(): IndexMapRuntime {
    return this.#runtime;
  }

  /**
   * Loads the stored buckets the records may touch. A stored bucket that disagrees with the map
   * (a tampered leaf) makes the node rebuild the stored map from the chain first.
   */
  async prepare(
    records: readonly SignedRecord[],
    storedHead: { height: number; logSize: number },
  ): Promise<void> {
    let bad = await holdStoredBuckets(this.db, this.consortiumId, this.deriving, this.deriving.missingBuckets(records));
    if (bad.length > 0) {
      this.#runtime = await rebuildIndexMap(this.db, this.consortiumId, { height: storedHead.height, logSize: storedHead.logSize, root: this.#runtime.current().root });
      bad = await holdStoredBuckets(this.db, this.consortiumId, this.deriving, bad);
      if (bad.length > 0) {
        throw new LedgerError(
          'INDEX_ROOT_MISMATCH',
          `the stored index map disagrees with the derived map in ${bad.length} bucket(s)`,
          { buckets: bad.slice(0, 10) },
        );
      }
    }
  }

  /**
   * After a block is stored, when every block cut is: lets go of the held buckets (the store holds
   * them now) but those of the open block's records. The next block then reads its buckets from
   * the store again and checks them, so a tampered leaf is found and the map rebuilt.
   */
  async settle(storedHeight: number, derivedHeight: number, open: readonly SignedRecord[]): Promise<void> {
    if (storedHeight === this.#settledAt || storedHeight !== derivedHeight) return;
    this.#settledAt = storedHeight;
    this.deriving.release();
    await this.prepare(open, this.#runtime.current());
  }

  /** The map rows of a final block, written in its transaction; readers may see them from now on. */
  writeOf(block: DerivedBlock): ((tx: Tx) => Promise<void>) | undefined {
    const prepared = preparedOf(block);
    if (!prepared) return undefined;
    this.#runtime.begin(prepared);
    return (tx) => writeIndexMap(tx, this.consortiumId, prepared.write);
  }

  /** A final block is stored (or, `stored` false, was not): its map is the version readers get. */
  published(block: DerivedBlock, stored = true): void {
    const prepared = preparedOf(block);
    if (!prepared) return;
    if (stored) this.#runtime.publish(prepared);
    else this.#runtime.abort();
  }
}

function preparedOf(block: DerivedBlock): PreparedIndex | undefined {
  const index = block.index;
  if (!index) return undefined;
  const { height, logSize } = block.header;
  const state = { height, logSize, root: index.root };
  return {
    version: { ...state, signed: true, top: index.top },
    write: { leaves: index.leaves, roots: index.roots, state },
  };
}

/** Index entries of records admitted but not in a stored block, by identifier, in log order. */
export function pendingEntries(
  records: readonly { record: SignedRecord; hash: string; logIndex: number }[],
  canonical?: (text: string) => string,
): Map<string, IndexEntry[]> {
  const out = new Map<string, IndexEntry[]>();
  for (const r of records) {
    for (const a of recordAdditions(r.record, r.hash, r.logIndex, canonical)) {
      const list = out.get(a.identifier);
      if (list) list.push(a.entry);
      else out.set(a.identifier, [a.entry]);
    }
  }
  return out;
}
