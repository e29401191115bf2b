/**
 * Re-verifies a stored consortium from genesis: the pure chain verifier over the rows as stored,
 * plus the store-level checks only the store can make (index columns agree with the signed body,
 * no record claims a block that does not exist), and every projected table re-derived from the
 * chain and compared row by row (services/projections, docs/projections.md).
 */
import { canonicalize } from '../../core/crypto/index.js';
import { verifyChain, type ChainFailure, type ChainReport } from '../../core/ledger/chain-verifier.js';
import { membershipProjectionOf as projectionOf } from '../../core/ledger/projections/membership-rows.js';
import type { ChainStore } from '../../store/chain-store.js';
import { ProjectionVerifier, type ProjectionReport } from '../projections/projection-verifier.js';
import type { OffChainScope } from '../projections/off-chain-scope.js';

export interface StoredChainReport extends ChainReport {
  storeFailures: ChainFailure[];
  /** The projected tables re-derived from the chain (absent when not asked for). */
  projections?: ProjectionReport;
}

export interface VerifyProgress {
  height: number;
  records: number;
  totalBlocks: number;
  /** Set once the blocks are done: the projection check under way. */
  phase?: string;
}

export interface VerifyStoredChainOptions {
  /** Re-derive and compare the projected tables (default true). */
  projections?: boolean;
  /** A checkpoint is stored with every block from the first on (default true; false: a node of a multi-node consortium). */
  checkpointEveryBlock?: boolean;
  /** Whose records' off-chain data this store holds (default: everyone's; a network node: its own organisations'). */
  offChainHere?: OffChainScope;
  /**
   * Whether a record the role table refuses as of its log position fails the verification
   * (default true). The findings are listed either way.
   */
  enforceRules?: boolean;
}

export async function verifyStoredChain(
  store: ChainStore,
  consortiumId: string,
  onProgress?: (p: VerifyProgress) => void,
  options: VerifyStoredChainOptions = {},
): Promise<StoredChainReport> {
  const totalBlocks = await store.blockCount(consortiumId);
  const projections = options.projections !== false ? new ProjectionVerifier(store, consortiumId, { onPhase: (phase) => onProgress?.({ height: -1, records: 0, totalBlocks, phase }), checkpointEveryBlock: options.checkpointEveryBlock, offChainHere: options.offChainHere }) : undefined;
  const blocks = store.streamBlocks(consortiumId);
  const report = await verifyChain(projections ? projections.wrap(blocks) : blocks, {
    expectedConsortium: consortiumId,
    onProgress: onProgress ? (p) => onProgress({ ...p, totalBlocks }) : undefined,
    onRecord: projections?.onRecord,
    onBlock: projections?.onBlock,
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
  const projected = projections ? await projections.finish(report.finalState, await store.pendingRecords(consortiumId)) : undefined;
  const projectionsHold = !projected || (projected.failures.length === 0 && !projected.failuresTruncated && (options.enforceRules === false || projected.ruleFailures.length === 0));
  return { ...report, ok: report.ok && storeFailures.length === 0 && projectionsHold, storeFailures, ...(projected ? { projections: projected } : {}) };
}

function sortRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>).sort((x, y) => (canonicalize(x) < canonicalize(y) ? -1 : 1));
}
