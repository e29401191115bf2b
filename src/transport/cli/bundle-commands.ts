/** `provenant verify-bundle` (offline) and `provenant export-bundle` (from a node's database). */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { CodedError } from '../../core/coded-error.js';
import { BundleError, verifyBundle, type BundleAnchor, type BundleReport, type ProofBundle } from '../../core/lineage/bundle.js';
import { CliRefusedError, CliUsageError, describeError } from './errors.js';

export interface VerifyBundleOutcome {
  exitCode: 0 | 1 | 2;
  lines: string[];
  report?: BundleReport;
}

/** Reads and verifies a bundle file against the trust anchor; never throws. Exit 0 only when every check holds (UNANCHORED without an anchor), 2 when unreadable. */
export function verifyBundleFile(file: string, anchor: BundleAnchor = {}): VerifyBundleOutcome {
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
  const report = verifyBundle(parsed, anchor);
  const lines: string[] = [];
  for (const f of report.failures) {
    const values = f.expected !== undefined || f.computed !== undefined ? ` [expected ${JSON.stringify(f.expected)}, computed ${JSON.stringify(f.computed)}]` : '';
    lines.push(`FAIL ${f.path || '/'}: ${f.code}: ${f.message}${values}`);
  }
  if (report.ok) {
    const cp = report.checkpoint!;
    lines.push(`genesis ${report.genesisHash}; checkpoint block ${cp.blockHeight}, log size ${cp.logSize}, root ${cp.logRoot}; anchored by ${report.anchoredBy}`);
    if (report.answer) {
      const a = report.answer;
      lines.push(`answers ${JSON.stringify(a.query)}: ${a.identifiers.length} identifier(s) proven complete${a.withheld > 0 ? `, ${a.withheld} record(s) withheld from you` : ''}`);
    }
    lines.push(`OK: ${report.checks} checks hold (signatures, seals, quorums, Merkle proofs, signer standing${report.answer ? ', completeness' : ''})`);
  } else {
    lines.push(`FAILED: ${report.failures.length} problem(s) in ${report.checks} checks`);
  }
  return { exitCode: report.ok ? 0 : 1, lines, report };
}

/** The trust anchor the options name (an empty one when they name none). */
function anchorOf(opts: { genesis?: string; authorities?: string; witness?: string[]; witnessesRequired?: string }): BundleAnchor {
  const anchor: BundleAnchor = {};
  if (opts.genesis !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(opts.genesis)) throw new CliUsageError('--genesis takes a block hash: 64 hex digits');
    anchor.genesis = opts.genesis.toLowerCase();
  }
  if (opts.authorities !== undefined) {
    let keys: unknown;
    try {
      keys = JSON.parse(readFileSync(opts.authorities, 'utf8'));
    } catch (err) {
      throw new CliUsageError(`--authorities: cannot read ${opts.authorities} as JSON: ${describeError(err)}`);
    }
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new CliUsageError('--authorities takes a JSON file holding a list of public keys ("ed25519:…")');
    anchor.authorities = keys as string[];
  }
  if (opts.witness !== undefined) {
    const required = opts.witnessesRequired === undefined ? 1 : Number(opts.witnessesRequired);
    if (!Number.isSafeInteger(required) || required < 1) throw new CliUsageError('--witnesses-required takes a positive integer');
    anchor.witnesses = { keys: opts.witness, required };
  }
  return anchor;
}

export function registerBundleCommands(program: Command): void {
  program
    .command('verify-bundle')
    .description('verify a proof bundle offline; exits 0 only when everything holds')
    .argument('<file>', 'bundle JSON file')
    .option('--genesis <hash>', 'trust anchor: the genesis block hash of the consortium you mean')
    .option('--authorities <file>', 'trust anchor: JSON list of the authority public keys you trust')
    .option('--witness <key>', 'trust anchor: a witness public key whose cosignature counts (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--witnesses-required <k>', 'how many named witnesses must have cosigned (default 1)')
    .option('--json', 'print the report as JSON')
    .action((file: string, opts: { json?: boolean; genesis?: string; authorities?: string; witness?: string[]; witnessesRequired?: string }) => {
      const outcome = verifyBundleFile(file, anchorOf(opts));
      if (opts.json && outcome.report) console.log(JSON.stringify(outcome.report, null, 2));
      else for (const line of outcome.lines) (outcome.exitCode === 2 ? console.error : console.log)(line);
      process.exitCode = outcome.exitCode;
    });

  program
    .command('export-bundle')
    .description('export a proof bundle from a node\'s database: of a lineage answer (v2: --trace, --recall or --cargo, proven complete), or of records by hash (v1: --record)')
    .requiredOption('--consortium <id>', 'consortium id')
    .option('--trace <id>', 'the answer to a trace from this identifier (with --direction)')
    .option('--direction <dir>', 'UPSTREAM or DOWNSTREAM (with --trace)', 'UPSTREAM')
    .option('--recall <id>', 'the answer to a recall from this identifier (downstream)')
    .option('--cargo <id>', 'the answer to a container\'s cargo lineage (upstream)')
    .option('--max-depth <n>', 'how deep the walk goes (default 32)')
    .option('--record <hash...>', 'record hashes (a v1 bundle: the records only, no completeness)')
    .option('--out <file>', 'write the bundle here (default: stdout)')
    .option('--data <dir>', 'data directory')
    .action(async (opts: ExportOptions) => {
      const bundle = await exportFor(opts);
      const text = JSON.stringify(bundle);
      if (opts.out) {
        writeFileSync(opts.out, text);
        const answered = bundle.answer ? `; answers ${JSON.stringify(bundle.answer.query)} over ${bundle.answer.identifiers.length} identifier(s)` : '';
        console.error(`wrote ${opts.out} (${bundle.format}): ${bundle.records.length} record(s), ${bundle.blocks.length} block(s), checkpoint log size ${bundle.checkpoint.logSize}${answered}`);
      } else {
        console.log(text);
      }
    });
}

interface ExportOptions {
  consortium: string;
  trace?: string;
  direction: string;
  recall?: string;
  cargo?: string;
  maxDepth?: string;
  record?: string[];
  out?: string;
  data?: string;
}

/** The query the options name (exactly one of --trace, --recall, --cargo), or undefined for --record. */
function queryOf(opts: ExportOptions): Record<string, unknown> | undefined {
  const named = (['trace', 'recall', 'cargo'] as const).filter((k) => opts[k] !== undefined);
  if (named.length + (opts.record ? 1 : 0) !== 1) throw new CliUsageError('export-bundle takes exactly one of --trace, --recall, --cargo (an answer, v2) or --record (records, v1)');
  if (named.length === 0) return undefined;
  const kind = named[0]!;
  const query: Record<string, unknown> = { kind, identifier: opts[kind] };
  const direction = opts.direction.toUpperCase();
  if (kind === 'trace') {
    if (direction !== 'UPSTREAM' && direction !== 'DOWNSTREAM') throw new CliUsageError('--direction is UPSTREAM or DOWNSTREAM');
    query.direction = direction;
  }
  if (opts.maxDepth !== undefined) {
    const depth = Number(opts.maxDepth);
    if (!/^\d+$/.test(opts.maxDepth) || depth > 64) throw new CliUsageError('--max-depth takes an integer 0..64');
    query.maxDepth = depth;
  }
  return query;
}

async function exportFor(opts: ExportOptions): Promise<ProofBundle> {
  const query = queryOf(opts);
  const { AdminError, exportAnswerBundle, exportBundle } = await import('../../services/admin.js');
  const config = loadConfig({ dataDir: opts.data });
  const made = query ? exportAnswerBundle(config, opts.consortium, query) : exportBundle(config, opts.consortium, opts.record!);
  return made.catch((err: unknown) => {
    if (err instanceof AdminError) throw new CliUsageError(err.message, err.details);
    if (err instanceof CodedError && err.code === 'INVALID_IDENTIFIER') throw new CliUsageError(err.message, err.details);
    if (err instanceof BundleError) throw new CliRefusedError(err.code, err.message, err.details);
    throw err;
  });
}
