/**
 * `provenant witness`: a regulator's witness. Each round it checks every node's latest checkpoint
 * against the last one it cosigned and cosigns only a consistent extension; a split view or an
 * inconsistent log leaves an evidence file in the state directory and stops it (exit 1).
 */
import type { Command } from 'commander';
import { encodePublicKey } from '../../core/crypto/index.js';
import { WitnessStateDir } from '../../platform/witness-state.js';
import { Witness, type NodeOutcome, type RoundReport } from '../../services/witness/witness.js';
import { CliUsageError } from './errors.js';
import { readCliKeyFile } from './key-file.js';
import { HttpWitnessPeer } from './witness-http-peer.js';

const DEFAULT_INTERVAL_MS = 10_000;

interface WitnessCliOptions {
  consortium: string;
  key: string;
  state: string;
  node: string[];
  token?: string[];
  genesis?: string;
  interval?: string;
  once?: boolean;
  json?: boolean;
}

/** Each node's token: one token for every node, or one per node in the order given. */
function tokensByNode(nodes: readonly string[], tokens: readonly string[]): Map<string, string> {
  if (tokens.length > 1 && tokens.length !== nodes.length) throw new CliUsageError(`give one --token for every node, or one per --node (${nodes.length}); got ${tokens.length}`);
  return new Map(nodes.map((n, i) => [n, tokens.length === 1 ? tokens[0]! : tokens[i]!]).filter((e): e is [string, string] => e[1] !== undefined));
}

function checkedOptions(opts: WitnessCliOptions): { nodes: string[]; interval: number; tokens: string[] } {
  const nodes = opts.node ?? [];
  if (nodes.length === 0) throw new CliUsageError('give at least one --node URL');
  for (const n of nodes) {
    let url: URL;
    try {
      url = new URL(n);
    } catch {
      throw new CliUsageError(`--node ${JSON.stringify(n)} is not a URL (http://host:port)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliUsageError(`--node ${n}: http or https only`);
  }
  if (new Set(nodes).size !== nodes.length) throw new CliUsageError('a --node is given twice');
  if (opts.genesis !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.genesis)) throw new CliUsageError('--genesis takes a block hash: 64 hex digits');
  const interval = opts.interval === undefined ? DEFAULT_INTERVAL_MS : Number(opts.interval);
  if (!Number.isSafeInteger(interval) || interval < 100) throw new CliUsageError('--interval takes milliseconds, at least 100');
  const tokens = opts.token ?? (process.env.PROVENANT_TOKEN ? [process.env.PROVENANT_TOKEN] : []);
  return { nodes, interval, tokens };
}

function outcomeLine(o: NodeOutcome): string {
  const at = o.logSize !== undefined ? ` (log size ${o.logSize}, root ${o.logRoot!.slice(0, 16)}…)` : '';
  const published = o.published === undefined ? '' : o.published ? '; the node has the cosignature' : `; not published: ${o.publishError}`;
  const code = o.code ? `${o.code}: ` : '';
  return `${o.outcome} ${o.node}${at}: ${code}${o.message}${published}${o.evidenceFile ? `; evidence written to ${o.evidenceFile}` : ''}`;
}

function printRound(report: RoundReport, json: boolean): void {
  if (json) return void console.log(JSON.stringify(report));
  for (const o of report.nodes) (o.outcome === 'refused' || o.outcome === 'invalid' || o.outcome === 'unreachable' ? console.error : console.log)(outcomeLine(o));
  if (report.halted) console.error(`refused to cosign: ${report.halted.code}; evidence in ${report.halted.evidenceFile}`);
}

/** 1 when the witness refused or a node showed something that does not check; 2 when a node could not be reached; else 0. */
function exitCodeOfRound(report: RoundReport): 0 | 1 | 2 {
  if (report.halted || report.nodes.some((o) => o.outcome === 'invalid')) return 1;
  return report.nodes.some((o) => o.outcome === 'unreachable') ? 2 : 0;
}

/** Waits `ms`, or less when stop() is called. */
function stoppableSleep(): { sleep(ms: number): Promise<void>; stop(): void; stopped(): boolean } {
  let wake: (() => void) | undefined;
  let stopped = false;
  return {
    sleep: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => (clearTimeout(timer), resolve());
      }),
    stop: () => ((stopped = true), wake?.()),
    stopped: () => stopped,
  };
}

async function runWitness(opts: WitnessCliOptions): Promise<void> {
  const { nodes, interval, tokens } = checkedOptions(opts);
  const key = readCliKeyFile(opts.key).keyPair;
  const peer = new HttpWitnessPeer(opts.consortium, tokensByNode(nodes, tokens));
  const witness = Witness.open({ consortium: opts.consortium, key, stateDir: new WitnessStateDir(opts.state), peer, genesis: opts.genesis });
  const clock = stoppableSleep();
  const onSignal = () => clock.stop();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    if (!opts.json) console.error(`witness ${encodePublicKey(key.publicKey)} (key id ${key.keyId}) on consortium "${opts.consortium}", ${nodes.length} node(s); state in ${opts.state}`);
    for (;;) {
      const report = await witness.round(nodes);
      printRound(report, opts.json === true);
      const code = exitCodeOfRound(report);
      if (opts.once || report.halted) {
        process.exitCode = report.halted ? 1 : code;
        return;
      }
      await clock.sleep(interval);
      if (clock.stopped()) return;
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    witness.close();
  }
}

export function registerWitnessCommand(program: Command): void {
  program
    .command('witness')
    .description("cosign the nodes' checkpoints after checking each extends the last one cosigned; catch a split view with evidence (docs/witness.md)")
    .requiredOption('--consortium <id>', 'the consortium to watch')
    .requiredOption('--key <file>', 'the witness key file (provenant keygen --out FILE)')
    .requiredOption('--state <dir>', 'the witness state directory (pinned genesis, last cosigned, evidence)')
    .option('--node <url>', 'a node to watch (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--token <token>', 'API token: one for every node, or one per --node in order (default: $PROVENANT_TOKEN)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--genesis <hash>', 'pin this genesis block hash (default: the first node\'s, on first contact)')
    .option('--interval <ms>', `milliseconds between rounds (default ${DEFAULT_INTERVAL_MS})`)
    .option('--once', 'one round, then exit: 0 ok, 1 refused (SPLIT_VIEW, INCONSISTENT_LOG) or a checkpoint that does not check, 2 a node out of reach')
    .option('--json', 'print each round as one JSON line')
    .action(runWitness);
}
