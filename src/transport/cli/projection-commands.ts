/** `provenant rebuild-projections`, `provenant export` and `provenant import`: the chain's derived tables and a consortium's way out. */
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { AdminError } from '../../services/admin.js';
import { ProjectionError } from '../../services/projections/errors.js';
import { exportChain, importChain, rebuildConsortium } from '../../services/projections/operations.js';
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

  program
    .command('export')
    .description("write a consortium's whole chain (blocks, records, checkpoints and their witness cosignatures, documents, the readings windows commit to) into a new directory; format: docs/export-format.md")
    .requiredOption('--consortium <id>', 'consortium id')
    .requiredOption('--out <dir>', 'directory to write (new or empty)')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { consortium: string; out: string; data?: string }) => {
      const { manifest } = await exportChain(loadConfig({ dataDir: opts.data }), opts.consortium, opts.out).catch((err: unknown) => {
        throw cliErrorOf(err);
      });
      const f = manifest.files;
      console.log(`exported ${opts.consortium} to ${opts.out}: ${f['blocks.jsonl']?.lines ?? 0} blocks, ${f['records.jsonl']?.lines ?? 0} records, ${f['checkpoints.jsonl']?.lines ?? 0} checkpoints, ${f['cosignatures.jsonl']?.lines ?? 0} witness cosignatures, ${f['documents.jsonl']?.lines ?? 0} documents, ${f['readings.jsonl']?.lines ?? 0} readings`);
      console.log(`head ${manifest.head ? `block ${manifest.head.height} ${manifest.head.hash}, log size ${manifest.head.logSize}` : '(none)'}; genesis ${manifest.consortium.genesisHash}`);
    });

  program
    .command('import')
    .description('build a fresh store from an export and verify all of it; nothing is left behind unless everything holds (DATABASE_URL=postgresql://…: into that database, which must hold no chain)')
    .requiredOption('--in <dir>', 'export directory (from provenant export)')
    .option('--data <dir>', 'data directory of the new store (must hold no SQLite database yet)')
    .action(async (opts: { in: string; data?: string }) => {
      const progress = progressPrinter();
      const started = Date.now();
      const report = await importChain(loadConfig({ dataDir: opts.data }), opts.in, (p) =>
        progress(p.phase ? `importing: ${p.phase}` : `importing: block ${p.height + 1}/${p.totalBlocks}, ${p.records} records`),
      ).catch((err: unknown) => {
        throw cliErrorOf(err);
      });
      printVerifyReport(report.verification, report.consortium, (Date.now() - started) / 1000, false);
      if (report.verification.ok) console.log(`imported ${report.consortium} into ${report.databaseUrl}; serve it with: provenant start${opts.data ? ` --data ${opts.data}` : ''}`);
      else console.log('nothing was imported: the export does not verify');
      process.exitCode = report.verification.ok ? 0 : 1;
    });
}
