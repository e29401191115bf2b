/**
 * Re-verifies a stored consortium from genesis: the pure chain verifier over the rows as stored,
 * plus the store-level checks only the store can make (index columns agree with the signed body,
 * no record claims a block that does not exist, projections match the replayed state).
 */
import { canonicalize } from '../../core/crypto/index.js';
import { verifyChain, type ChainFailure, type ChainReport } from '../../core/ledger/chain-verifier.js';
import type { ChainStore } from '../../store/chain-store.js';
import { projectionOf } from './projection.js';

export interface StoredChainReport extends ChainReport {
  storeFailures: ChainFailure[];
}

export async function verifyStoredChain(
  store: ChainStore,
  consortiumId: string,
  onProgress?: (p: { height: number; records: number; totalBlocks: number }) => void,
): Promise<StoredChainReport> {
  const totalBlocks = await store.blockCount(consortiumId);
  const report = await verifyChain(store.streamBlocks(consortiumId), {
    expectedConsortium: consortiumId,
    onProgress: onProgress ? (p) => onProgress({ ...p, totalBlocks }) : undefined,
  });
  const storeFailures: ChainFailure[] = [];

  for (const row of await store.indexColumnMismatches(consortiumId)) {
    storeFailures.push({
      height: row.blockHeight ?? -1,
      recordIndex: row.indexInBlock ?? undefined,
      logIndex: row.logIndex,
      recordHash: row.hash,
      code: 'MALFORMED_RECORD',
      message: `record row's ${row.column} column (${row.stored}) disagrees with its signed body (${row.signed})`,
      expected: row.signed,
      computed: row.stored,
    });
  }
  const orphans = await store.orphanRecordCount(consortiumId, report.height);
  if (orphans > 0) {
    storeFailures.push({
      height: report.height + 1,
      code: 'RECORD_COUNT_MISMATCH',
      message: `${orphans} record row(s) claim a block beyond the head at height ${report.height}`,
      expected: 0,
      computed: orphans,
    });
  }
  if (report.finalState) {
    const expected = projectionOf(report.finalState);
    const stored = await store.readProjection(consortiumId);
    for (const table of ['orgs', 'keys', 'devices'] as const) {
      const a = canonicalize(sortRows(expected[table] as unknown as Record<string, unknown>[]));
      const b = canonicalize(sortRows(stored[table] as unknown as Record<string, unknown>[]));
      if (a !== b) {
        storeFailures.push({
          height: report.height,
          code: 'INVALID_CHANGE',
          message: `the ${table} table does not match the membership the chain establishes`,
        });
      }
    }
  }
  return { ...report, ok: report.ok && storeFailures.length === 0, storeFailures };
}

function sortRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>).sort((x, y) => (canonicalize(x) < canonicalize(y) ? -1 : 1));
}
