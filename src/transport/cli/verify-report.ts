/** How `provenant verify` prints its report: one line per failure, the chain's first, then the projections'. */
import type { ChainFailure } from '../../core/ledger/chain-verifier.js';
import type { ProjectionFailure } from '../../core/ledger/projections/compare.js';
import type { StoredChainReport } from '../../services/node/verify-stored-chain.js';

const SHOWN = 50;

function chainLine(f: ChainFailure): string {
  const where = [`block ${f.height}`, f.recordIndex !== undefined ? `record ${f.recordIndex}` : '', f.recordHash ? `(${f.recordHash.slice(0, 16)}…)` : ''].filter(Boolean).join(' ');
  const values = f.expected !== undefined || f.computed !== undefined ? ` [expected ${String(f.expected)}, computed ${String(f.computed)}]` : '';
  return `FAIL ${where}: ${f.code}: ${f.message}${values}`;
}

function projectionLine(f: ProjectionFailure, label: string): string {
  return `${label} ${f.table}: ${f.code}: ${f.message}`;
}

export function printVerifyReport(report: StoredChainReport, consortium: string, seconds: number, json: boolean): void {
  if (json) {
    const { finalState: _omit, ...printable } = report;
    console.log(JSON.stringify(printable, null, 2));
    return;
  }
  const p = report.projections;
  const lines = [
    ...[...report.failures, ...report.storeFailures].map(chainLine),
    ...(p?.failures ?? []).map((f) => projectionLine(f, 'FAIL')),
    ...(p?.ruleFailures ?? []).map((f) => projectionLine(f, 'RULE')),
  ];
  console.log(`consortium ${consortium}: ${report.blocks} blocks, ${report.records} records, head ${report.headHash || '(none)'}`);
  console.log(`log root ${report.logRoot}; checked in ${seconds.toFixed(2)} s`);
  if (p) {
    const tables = Object.entries(p.tables)
      .map(([table, n]) => `${table} ${n.stored}`)
      .join(', ');
    console.log(`projections re-derived and compared: ${tables || '(none)'}${p.pendingRecords ? `; ${p.pendingRecords} records not sealed yet` : ''}`);
    if (p.eventIdsUnchecked > 0) console.log(`note: ${p.eventIdsUnchecked} event ID(s) of v1 records depend on an unsigned @context and were taken as stored`);
  }
  for (const line of lines.slice(0, SHOWN)) console.log(line);
  if (lines.length > SHOWN) console.log(`… and ${lines.length - SHOWN} more failures`);
  if (p?.failuresTruncated) console.log('(the failure list was cut short)');
  console.log(report.ok ? 'OK: every signature, Merkle root, hash link, seal, quorum and derived table holds' : `FAILED: ${lines.length} problem(s)`);
}
