/**
 * The reliability suite's CLI section: generated and mutated argument vectors for every `provenant`
 * subcommand. All but `start` run in this process through runCli (program.ts), in a scratch
 * directory, one case after another; `start` (which would keep serving) runs as a bounded number of
 * real processes, stopped after a few seconds. Counted, all must be 0: crashes (errors nobody
 * caught, a stack trace on stderr, an exit code outside 0/1/2, a JavaScript programming error such
 * as a TypeError reaching the top), hangs (a case not done within CASE_TIMEOUT_MS) and refusals
 * without a reason (a non-zero exit with no `error:` line on stderr, or, for exit 1, no report; or
 * an error reaching the top without a code).
 * Scale and seed: figures.ts.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePrivateKey, encodePublicKey, generateKeyPair } from '../../src/core/crypto/index.js';
import { runCliCaptured, type CliRun } from '../helpers/cli-run.js';
import { EPCIS_EXAMPLES_DIR } from '../vectors/index.js';
import { CASES, prng, recordFigures, SEED } from './figures.js';

const repo = path.resolve(import.meta.dirname, '../..');
const CASE_TIMEOUT_MS = 30_000;
/** Real `start` processes: a few in CI, more in the long run (each costs a tsx start-up). */
const START_CASES = Math.max(2, Math.min(40, Math.floor(CASES / 250)));

const scratch = mkdtempSync(path.join(os.tmpdir(), 'provenant-cli-fuzz-'));
const at = (...p: string[]) => path.join(scratch, ...p);
const DEAD_URL = 'http://127.0.0.1:9';
const ID = 'urn:epc:id:sgtin:0614141.107346.1';

function writeKey(file: string, alg: 'ed25519' | 'p256'): string {
  const k = generateKeyPair(alg);
  writeFileSync(file, JSON.stringify({ label: 'fuzz', keyId: k.keyId, publicKey: encodePublicKey(k.publicKey), privateKey: encodePrivateKey(k.privateKey) }));
  return file;
}

/** Fixture files every template points at, and the values mutations draw from. */
const files = {
  key: at('org.key.json'),
  deviceKey: at('device.key.json'),
  doc: at('doc.jsonld'),
  spec: at('genesis.json'),
  bundle: at('bundle.json'),
  notJson: at('not.json'),
  dir: at('a-dir'),
  data: at('data'),
};

const NASTY = [
  '', ' ', '-', '--', '-1', '0', '1', '1.5', '1e999', 'NaN', 'Infinity', '65536', '99999999999999999999', 'true', 'null', '{}', '[]', '{"type":"org.remove"}',
  '@', '@/etc/passwd', '/etc/passwd', '../../../../etc/hostname', '/', '.', '~', '%00', '%s%s%n', 'javascript:alert(1)', 'http://127.0.0.1:9', 'nats://127.0.0.1:9',
  'http://', 'ed25519:AAAA', 'p256:', 'UPSTREAM', 'DOWNSTREAM', 'svg', 'png', 'uk-red-meat', 'reefer-7/probe-1', ID, '\u202e', '😀', 'é', 'A'.repeat(5000),
  '--help', '-h', '--version', '--json', '--wait', '--partial', '--no-members', '--unknown-option', '-x', 'ab'.repeat(32),
];

/** A valid-looking command line per subcommand; `out` and `dir` are fresh paths per case. */
function templates(i: number): Record<string, string[]> {
  const out = at('out', `case-${i}`);
  const common = ['--consortium', 'uk-red-meat', '--key', files.key, '--url', DEAD_URL];
  return {
    keygen: ['keygen', '--alg', 'p256', '--out', out, '--label', 'fuzz'],
    'create-consortium': ['create-consortium', '--spec', files.spec, '--key', files.key, '--data', `${out}-data`],
    verify: ['verify', '--consortium', 'uk-red-meat', '--data', files.data, '--json'],
    propose: ['propose', ...common, '--change', '{"type":"role.grant","orgId":"x","role":"FARM"}', '--reason', 'fuzz'],
    approve: ['approve', ...common, '--proposal', 'ab'.repeat(32), '--wait'],
    'register-device': ['register-device', ...common, '--device', 'reefer-7/probe-1', '--public-key', 'ed25519:AAAA'],
    'revoke-device': ['revoke-device', ...common, '--device', 'reefer-7/probe-1', '--reason', 'fuzz'],
    'event-hash': ['event-hash', files.doc],
    sign: ['sign', files.doc, '--key', files.key, '--consortium', 'uk-red-meat', '--out', out],
    submit: ['submit', files.doc, '--key', files.key, '--consortium', 'uk-red-meat', '--url', DEAD_URL, '--partial', '--wait'],
    'verify-bundle': ['verify-bundle', files.bundle, '--genesis', 'ab'.repeat(32), '--witness', 'ed25519:AAAA', '--witnesses-required', '1', '--json'],
    'export-bundle': ['export-bundle', '--consortium', 'uk-red-meat', '--trace', ID, '--direction', 'UPSTREAM', '--max-depth', '4', '--data', files.data, '--out', out],
    'token issue': ['token', 'issue', '--consortium', 'uk-red-meat', '--org', 'fsa', '--label', 'fuzz', '--data', files.data],
    'token revoke': ['token', 'revoke', 'pvn_fuzz', '--data', files.data],
    'token list': ['token', 'list', '--consortium', 'uk-red-meat', '--org', 'fsa', '--data', files.data],
    label: ['label', '--id', ID, '--format', 'svg', '--base', 'http://127.0.0.1:4000', '--out', out],
    'rebuild-projections': ['rebuild-projections', '--consortium', 'uk-red-meat', '--data', files.data],
    export: ['export', '--consortium', 'uk-red-meat', '--out', `${out}-export`, '--data', files.data],
    import: ['import', '--in', files.dir, '--data', `${out}-import`],
    'network init': ['network', 'init', '--dir', `${out}-network`, '--orgs', '1', '--no-members', '--consortium', 'fuzz-net'],
    'network provision': ['network', 'provision', '--consortium', 'fuzz-net', '--ordering', 'nats://127.0.0.1:9', '--nats-user', 'op', '--nats-password', 'pw', '--replicas', '1'],
    'device-credential': ['device-credential', '--key', files.deviceKey, '--consortium', 'uk-red-meat', '--device', 'reefer-7/probe-1', '--ttl', '60', '--json'],
    help: ['help', 'submit'],
  };
}

const OPTION_NAMES = [...new Set(Object.values(templates(0)).flat().filter((t) => t.startsWith('--')))];

/** One to three edits: replace, delete, duplicate, swap or insert tokens; `--opt value` to `--opt=value`. */
function mutateArgs(args: readonly string[], rand: () => number): string[] {
  const a = [...args];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const fixturePaths = Object.values(files);
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(rand() * a.length);
    const r = rand();
    if (r < 0.3 && i > 0) a[i] = rand() < 0.8 ? pick(NASTY) : pick(fixturePaths);
    else if (r < 0.45 && a.length > 1) a.splice(Math.max(1, i), 1);
    else if (r < 0.55) a.splice(i, 0, a[i] ?? pick(NASTY));
    else if (r < 0.65 && a.length > 2) {
      const j = 1 + Math.floor(rand() * (a.length - 1));
      [a[Math.max(1, i)], a[j]] = [a[j]!, a[Math.max(1, i)]!];
    } else if (r < 0.8) a.splice(1 + Math.floor(rand() * a.length), 0, pick(OPTION_NAMES), ...(rand() < 0.7 ? [pick(NASTY)] : []));
    else if (r < 0.9 && a[i]?.startsWith('--') && i + 1 < a.length) a.splice(i, 2, `${a[i]}=${a[i + 1]}`);
    else a.push(pick(NASTY));
  }
  return a;
}

/** Errors that mean a bug in the CLI, not a refusal of the input. */
function isProgrammingError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof ReferenceError || (err instanceof RangeError && /call stack|Invalid array length|Invalid string length/.test(err.message));
}

const STACK = /\n\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;

interface Figures {
  crashes: number;
  hangs: number;
  noReason: number;
}

function judge(run: CliRun | 'hung', f: Figures, uncaught: unknown[], samples: string[], args: string[]): 'ok' | 'refused' {
  const note = (what: string) => {
    if (samples.length < 10) samples.push(`${what}: provenant ${args.map((x) => JSON.stringify(x.slice(0, 60))).join(' ')}`);
  };
  if (run === 'hung') {
    f.hangs += 1;
    note('hang');
    return 'refused';
  }
  const crashed = uncaught.length > 0 || STACK.test(run.stderr) || ![0, 1, 2].includes(run.exitCode) || isProgrammingError(run.error);
  if (crashed) {
    f.crashes += 1;
    note(`crash (exit ${run.exitCode}, ${describeError(run.error ?? uncaught[0])})`);
    uncaught.length = 0;
  }
  if (run.exitCode === 0) return 'ok';
  // A reason: an `error: …` line (typed errors print their code first), or for exit 1 (a check
  // failed) the report itself.
  const reason = /(^|\n)error: \S/.test(run.stderr) || (run.exitCode === 1 && run.stdout.trim() !== '');
  const coded = run.error === undefined || run.error instanceof CommanderError || typeof (run.error as { code?: unknown }).code === 'string';
  if (!reason || !coded) {
    f.noReason += 1;
    note(`no reason (exit ${run.exitCode}, ${describeError(run.error)}, stderr ${JSON.stringify(run.stderr.slice(0, 120))})`);
  }
  return 'refused';
}

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message.slice(0, 160)}` : String(err);
}

const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);
let cwd: string;

beforeAll(() => {
  mkdirSync(at('out'), { recursive: true });
  mkdirSync(files.dir, { recursive: true });
  writeKey(files.key, 'ed25519');
  writeKey(files.deviceKey, 'p256');
  const example = readdirSync(EPCIS_EXAMPLES_DIR).find((f) => f.endsWith('.jsonld'))!;
  copyFileSync(path.join(EPCIS_EXAMPLES_DIR, example), files.doc);
  writeFileSync(files.spec, JSON.stringify({ consortiumId: 'fuzz', name: 'Fuzz', members: [], authorities: [] }));
  writeFileSync(files.bundle, JSON.stringify({ version: 2, records: [] }));
  writeFileSync(files.notJson, 'not json');
  cwd = process.cwd();
  // Relative paths a mutation produces land in the scratch directory.
  process.chdir(scratch);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});

afterAll(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  process.chdir(cwd);
  rmSync(scratch, { recursive: true, force: true });
});

describe('bad input: CLI arguments', () => {
  it(`every subcommand but start, in-process: ${CASES} mutated argument vectors`, async () => {
    const rand = prng(SEED + 5);
    const f: Figures = { crashes: 0, hangs: 0, noReason: 0 };
    const samples: string[] = [];
    let ok = 0;
    let refused = 0;
    const started = Date.now();
    for (let i = 0; i < CASES; i++) {
      const all = templates(i);
      const names = Object.keys(all);
      const args = rand() < 0.05 ? all[names[i % names.length]!]! : mutateArgs(all[names[i % names.length]!]!, rand);
      // `start` runs a server: a mutation that spells it is left to the real-process case below.
      if (args.includes('start')) continue;
      let timer: NodeJS.Timeout | undefined;
      const run = await Promise.race([runCliCaptured(args), new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), CASE_TIMEOUT_MS)))]);
      clearTimeout(timer);
      if (judge(run, f, uncaught, samples, args) === 'ok') ok += 1;
      else refused += 1;
    }
    recordFigures({
      section: 'bad input',
      surface: 'CLI arguments (every subcommand but start, in-process)',
      cases: CASES,
      mustBeZero: { ...f },
      notes: { 'exit 0': ok, refused, seconds: Math.round((Date.now() - started) / 1000) },
    });
    expect(samples).toEqual([]);
    expect(f).toEqual({ crashes: 0, hangs: 0, noReason: 0 });
  }, 3_600_000);

  it(`start, as real processes: ${START_CASES} mutated argument vectors, each stopped after 20 s`, async () => {
    const rand = prng(SEED + 6);
    const f: Figures = { crashes: 0, hangs: 0, noReason: 0 };
    const samples: string[] = [];
    let served = 0;
    for (let i = 0; i < START_CASES; i++) {
      const args = mutateArgs(['start', '--data', at('out', `start-${i}`), '--port', '0', '--org', 'fsa', '--genesis', files.spec], rand);
      const run = await startProcess(args);
      if (run === 'served') {
        served += 1;
        continue;
      }
      const stackTrace = STACK.test(run.stderr);
      if (stackTrace || ![0, 1, 2].includes(run.exitCode)) {
        f.crashes += 1;
        samples.push(`crash (exit ${run.exitCode}): provenant ${args.join(' ')}\n${run.stderr.slice(0, 400)}`);
      } else if (run.exitCode !== 0 && !/(^|\n)error: \S/.test(run.stderr)) {
        f.noReason += 1;
        samples.push(`no reason (exit ${run.exitCode}): provenant ${args.join(' ')}\n${run.stderr.slice(0, 400)}`);
      }
    }
    recordFigures({ section: 'bad input', surface: 'CLI arguments (start, real processes)', cases: START_CASES, mustBeZero: { ...f }, notes: { 'still serving after 20 s': served } });
    expect(samples).toEqual([]);
    expect(f).toEqual({ crashes: 0, hangs: 0, noReason: 0 });
  }, 1_200_000);
});

/** `provenant start …` in a child process (ports 0, scratch directory): its exit, or 'served' if it still ran after 20 s. */
function startProcess(args: string[]): Promise<{ exitCode: number; stderr: string } | 'served'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repo, 'node_modules/tsx/dist/cli.mjs'), path.join(repo, 'src/transport/cli/main.ts'), ...args], {
      cwd: scratch,
      env: { ...process.env, DATABASE_URL: '', PROVENANT_DATA_DIR: at('out', 'start-default'), PORT: '0', MQTT_PORT: '0', PROVENANT_ORDERING_URL: '', PROVENANT_ORG: '', PROVENANT_GENESIS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('served');
    }, 20_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 : 1), stderr });
    });
  });
}
