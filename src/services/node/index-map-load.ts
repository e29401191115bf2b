/**
 * Opening a consortium's index map at start-up: the stored map is used when its bucket roots give
 * the root the head block's header commits to (or, for a chain whose head is still a version-1
 * block, the root stored with it); otherwise it is rebuilt from the records themselves, a page at
 * a time (memory stays bounded), and a rebuilt root that disagrees with the signed header refuses
 * the consortium (INDEX_ROOT_MISMATCH).
 */
import { fromHex, type JsonValue } from '../../core/crypto/index.js';
import { indexRootOf, type BlockHeader } from '../../core/ledger/block.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { DerivingIndexMap, MapTop, recordAdditions, type IndexAddition } from '../../core/ledger/index-map/index.js';
import { RecordKind, type SignedRecord } from '../../core/ledger/record.js';
import { MEMBERSHIP_KINDS } from '../../core/ledger/records/index.js';
import { ChainReadStore } from '../../store/chain-read-store.js';
import type { Database } from '../../store/database.js';
import { clearIndexMap, indexedRecordPages, readBucketRoots, readIndexState, writeIndexMapPart, writeIndexState } from '../../store/index-map-store.js';
import { holdStoredBuckets } from './index-buckets.js';
import { IndexMapRuntime } from './index-map-runtime.js';

export interface IndexHead {
  height: number;
  logSize: number;
  /** The head block's header (its indexRoot, if version 2, is the root to reach). */
  header?: BlockHeader;
  /** The root to reach, known otherwise (the node's own map after the head). */
  root?: string;
}

function expectedRoot(head: IndexHead): string | undefined {
  return head.root ?? (head.header ? indexRootOf(head.header) : undefined);
}

/** The stored map, if it is whole and at the head; undefined otherwise. */
async function storedMap(db: Database, consortiumId: string, head: IndexHead): Promise<IndexMapRuntime | undefined> {
  const state = await readIndexState(db, consortiumId);
  if (!state || state.height !== head.height || state.logSize !== head.logSize) return undefined;
  const signed = expectedRoot(head);
  if (signed !== undefined && signed !== state.root) return undefined;
  const roots = await readBucketRoots(db, consortiumId);
  const top = MapTop.fromBuckets([...roots].map(([b, r]) => [b, fromHex(r, 32)]));
  if (top.rootHex() !== state.root) return undefined;
  return new IndexMapRuntime(consortiumId, { height: head.height, logSize: head.logSize, root: state.root, signed: signed !== undefined, top });
}

/** Rebuilds the map from the sealed epcis.event records below the head's log size. */
export async function rebuildIndexMap(db: Database, consortiumId: string, head: IndexHead, progress?: (records: number) => void): Promise<IndexMapRuntime> {
  await clearIndexMap(db, consortiumId);
  const building = new DerivingIndexMap(MapTop.empty());
  let records = 0;
  for await (const page of indexedRecordPages(db, consortiumId, head.logSize, [RecordKind.EPCIS_EVENT, ...MEMBERSHIP_KINDS])) {
    const additions: IndexAddition[] = [];
    for (const row of page) {
      let record: SignedRecord;
      try {
        record = JSON.parse(row.body) as SignedRecord;
      } catch {
        continue; // an unreadable body gives no entries; the signed root below then disagrees
      }
      additions.push(...recordAdditions({ kind: record.kind, payload: record.payload as JsonValue }, row.hash, row.logIndex));
    }
    // Earlier pages' buckets come back from the store (memory stays bounded), checked against the top built so far.
    const bad = await holdStoredBuckets(db, consortiumId, building, building.missingBucketsOf(additions));
    if (bad.length > 0) {
      throw new LedgerError('INDEX_ROOT_MISMATCH', `consortium "${consortiumId}": the index map being rebuilt changed in the store in ${bad.length} bucket(s)`, { buckets: bad.slice(0, 10) });
    }
    const change = building.apply(additions);
    await writeIndexMapPart(db, consortiumId, change.leaves, change.roots);
    building.release();
    records += page.length;
    progress?.(records);
  }
  const top = building.top;
  const root = top.rootHex();
  const signed = expectedRoot(head);
  if (signed !== undefined && signed !== root) {
    throw new LedgerError('INDEX_ROOT_MISMATCH', `consortium "${consortiumId}": the index map rebuilt from the records does not give block ${head.height}'s indexRoot`, {
      height: head.height,
      expected: signed,
      computed: root,
    });
  }
  await writeIndexState(db, consortiumId, { height: head.height, logSize: head.logSize, root });
  return new IndexMapRuntime(consortiumId, { height: head.height, logSize: head.logSize, root, signed: signed !== undefined, top });
}

/** The consortium's map at its head block: as stored when it holds, else rebuilt from the chain. */
export async function openIndexMap(db: Database, consortiumId: string, head: IndexHead): Promise<IndexMapRuntime> {
  return (await storedMap(db, consortiumId, head)) ?? (await rebuildIndexMap(db, consortiumId, head));
}

/**
 * The stored map, read only, at the block it is stored at (no node running: `provenant
 * export-bundle`): undefined unless that block is version 2 and the stored bucket roots give its
 * indexRoot. Nothing is rebuilt or written.
 */
export async function readStoredIndexMap(db: Database, consortiumId: string): Promise<IndexMapRuntime | undefined> {
  const state = await readIndexState(db, consortiumId);
  if (!state) return undefined;
  const block = await new ChainReadStore(db).block(consortiumId, state.height);
  if (!block) return undefined;
  const header = JSON.parse(block.header) as BlockHeader;
  if (indexRootOf(header) === undefined) return undefined;
  return storedMap(db, consortiumId, { height: state.height, logSize: block.logSize, header });
}
