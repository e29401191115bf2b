/** `provenant verify-bundle` (offline) and `provenant export-bundle` (from a node's database). */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { verifyBundle, type BundleReport } from '../../core/lineage/bundle.js';
import { CliUsageError, describeError } from './errors.js';

export interface VerifyBundleOutcome {
  exitCode: 0 | 1 | 2;
  lines: string[];
  report?: BundleReport;
}

/** Reads and verifies a bundle file; never throws. Exit 0 only when every check holds, 2 when unreadable. */
export function verifyBundleFile(file: string): VerifyBundleOutcome {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { exitCode: 2, lines: [`error: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? describeError(err)}`] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { exitCode: 2, lines: [`error: ${file} is not valid JSON: ${describeError(err)}`] };
  }
  const report = verifyBundle(parsed);
  const lines: string[] = [];
  for (const f of report.failures) {
    const values = f.expected !== undefined || f.computed !== undefined ? ` [expected ${JSON.stringify(f.expected)}, computed ${JSON.stringify(f.computed)}]` : '';
    lines.push(`FAIL ${f.path || '/'}: ${f.code}: ${f.message}${values}`);
  }
  if (report.ok) {
    const cp = report.checkpoint!;
    lines.push(`genesis ${report.genesisHash}; checkpoint block ${cp.blockHeight}, log size ${cp.logSize}, root ${cp.logRoot}`);
    lines.push(`OK: ${report.checks} checks hold (signatures, seals, quorums, Merkle proofs, signer standing)`);
  } else {
    lines.push(`FAILED: ${report.failures.length} problem(s) in ${report.checks} checks`);
  }
  return { exitCode: report.ok ? 0 : 1, lines, report };
}

export function registerBundleCommands(program: Command): void {
  program
    .command('verify-bundle')
    .description('verify a proof bundle offline; exits 0 only when everything holds')
    .argument('<file>', 'bundle JSON file')
    .option('--json', 'print the report as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const outcome = verifyBundleFile(file);
      if (opts.json && outcome.report) console.log(JSON.stringify(outcome.report, null, 2));
      else for (const line of outcome.lines) (outcome.exitCode === 2 ? console.error : console.log)(line);
      process.exitCode = outcome.exitCode;
    });

  program
    .command('export-bundle')
    .description('export a self-contained proof bundle for records (by hash) against the latest checkpoint')
    .requiredOption('--consortium <id>', 'consortium id')
    .requiredOption('--record <hash...>', 'record hashes (the trace)')
    .option('--out <file>', 'write the bundle here (default: stdout)')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { consortium: string; record: string[]; out?: string; data?: string }) => {
      const { AdminError, exportBundle } = await import('../../services/admin.js');
      const bundle = await exportBundle(loadConfig({ dataDir: opts.data }), opts.consortium, opts.record).catch((err: unknown) => {
        throw err instanceof AdminError ? new CliUsageError(err.message, err.details) : err;
      });
      const text = JSON.stringify(bundle);
      if (opts.out) {
        writeFileSync(opts.out, text);
        console.error(`wrote ${opts.out}: ${bundle.records.length} record(s), ${bundle.blocks.length} block(s), checkpoint log size ${bundle.checkpoint.logSize}`);
      } else {
        console.log(text);
      }
    });
}
