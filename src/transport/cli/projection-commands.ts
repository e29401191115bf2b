/** `provenant rebuild-projections`, `provenant export` and `provenant import`: the chain's derived tables and a consortium's way out. */
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { AdminError } from '../../services/admin.js';
import { ProjectionError } from '../../services/projections/errors.js';
import { rebuildConsortium } from '../../services/projections/operations.js';
import { CliRefusedError, CliUsageError } from './errors.js';
import { progressPrinter } from './progress.js';
import { printVerifyReport } from './verify-report.js';

/** Usage problems exit 2; a chain or export that does not verify exits 1. */
export function cliErrorOf(err: unknown): unknown {
  if (err instanceof AdminError) return new CliUsageError(err.message, err.details);
  if (err instanceof ProjectionError && err.code === 'TARGET_NOT_EMPTY') return new CliUsageError(err.message, err.details);
  if (err instanceof ProjectionError) return new CliRefusedError(err.code, err.message, err.details);
  return err;
}

export function registerProjectionCommands(program: Command): void {
  program
    .command('rebuild-projections')
    .description("derive every table computed from the chain again and write it in one transaction, then verify (run with the node stopped)")
    .requiredOption('--consortium <id>', 'consortium id')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { consortium: string; data?: string }) => {
      const progress = progressPrinter();
      const started = Date.now();
      const report = await rebuildConsortium(loadConfig({ dataDir: opts.data }), opts.consortium, (p) =>
        progress(p.phase ? `rebuilding: ${p.phase}` : `rebuilding: block ${p.height + 1}/${p.totalBlocks}, ${p.records} records`),
      ).catch((err: unknown) => {
        throw cliErrorOf(err);
      });
      const written = Object.entries(report.written).map(([table, n]) => `${table} ${n}`).join(', ');
      console.log(`rebuilt the projections of ${opts.consortium} from ${report.records} records in one transaction: ${written || 'nothing to write'}`);
      const r = report.repaired;
      if (r.blockColumns || r.recordColumns || r.checkpointsDeleted.length) {
        console.log(`repaired from signed data: ${r.blockColumns} Block row(s), ${r.recordColumns} LedgerRecord row(s); deleted ${r.checkpointsDeleted.length} checkpoint(s) that misstate the chain (log sizes ${r.checkpointsDeleted.join(', ') || '-'})`);
      }
      printVerifyReport(report.verification, opts.consortium, (Date.now() - started) / 1000, false);
      process.exitCode = report.verification.ok ? 0 : 1;
    });
}
