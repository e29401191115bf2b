/**
 * The `provenant` command tree and its in-process entry. Exit codes: 0 ok, 1 a check failed or a
 * submission was refused, 2 a usage or configuration error; errors print one line, stack traces
 * only with PROVENANT_DEBUG=1. main.ts is the process entry.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { encodePrivateKey, encodePublicKey, generateKeyPair, type KeyAlgorithm } from '../../core/crypto/index.js';
import { loadConfig } from '../../platform/config.js';
import { openNode } from '../../services/node/bootstrap.js';
import { AdminError, verifyConsortium } from '../../services/admin.js';
import { CliUsageError, describeError, exitCodeOf } from './errors.js';
import { registerDeviceCommands } from './device-commands.js';
import { progressPrinter } from './progress.js';
import { printVerifyReport } from './verify-report.js';
import { runStart } from './start.js';
import { readCliKeyFile } from './key-file.js';
import { readJsonOption } from './json-option.js';
import type { GenesisSpec } from '../../core/ledger/consortium.js';
import { registerGovernanceCommands } from './governance-commands.js';
import { registerMemberCommands } from './member-commands.js';
import { registerBundleCommands } from './bundle-commands.js';
import { registerTokenCommands } from './token-commands.js';
import { registerLabelCommand } from './label-command.js';
import { registerProjectionCommands } from './projection-commands.js';
import { registerNetworkCommands } from './network-commands.js';
import { registerWitnessCommand } from './witness-command.js';

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

interface StartCliOptions {
  data?: string;
  port?: number;
  demo?: boolean;
  ordering?: string;
  natsUser?: string;
  natsPassword?: string;
  natsCreds?: string;
  org?: string;
  genesis?: string;
  issueToken?: boolean;
}

/** `provenant keygen`: a new key pair, printed or written to a file of mode 0600. */
function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .description('generate a key pair; prints the public key and key id, writes the private key file')
    .addOption(new Option('--alg <alg>', 'algorithm').choices(['ed25519', 'p256']).default('ed25519'))
    .option('--out <file>', 'where to write the private key (JSON, mode 0600)')
    .option('--label <label>', 'a label stored with the key', 'key')
    .action((opts: { alg: KeyAlgorithm; out?: string; label: string }) => {
      const pair = generateKeyPair(opts.alg);
      const body = { label: opts.label, keyId: pair.keyId, publicKey: encodePublicKey(pair.publicKey), privateKey: encodePrivateKey(pair.privateKey) };
      if (opts.out) {
        writeFileSync(opts.out, JSON.stringify(body, null, 2), { mode: 0o600, flag: 'wx' });
        console.log(JSON.stringify({ keyId: pair.keyId, publicKey: body.publicKey, file: opts.out }, null, 2));
      } else {
        console.log(JSON.stringify(body, null, 2));
      }
    });
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('provenant')
    .description('Provenant: signed, verifiable farm-to-fork and cargo provenance')
    .version(packageJson.version, '-V, --version', 'print the version')
    .showHelpAfterError()
    // Commander's own usage errors then reach the handler below, which exits 2 for them.
    .exitOverride();

  program
    .command('start')
    .description('run a node: HTTP API, capture, sealing (embedded SQLite by default)')
    .option('--data <dir>', 'data directory (database, keys)')
    .option('--port <port>', 'HTTP port', (v) => Number(v))
    .option('--demo', 'create the demo consortium if none exists, and run the simulators')
    .option('--ordering <urls>', 'the consortium log on NATS JetStream: nats://h1:p1,nats://h2:p2 (PROVENANT_ORDERING_URL); default: the embedded log')
    .option('--nats-user <user>', "this node's NATS user (PROVENANT_NATS_USER)")
    .option('--nats-password <password>', "this node's NATS password (PROVENANT_NATS_PASSWORD)")
    .option('--nats-creds <file>', "a file with this node's NKey seed, instead of a password (PROVENANT_NATS_CREDS)")
    .option('--org <id>', 'the organisation that runs this node: refuses to start with keys of others (PROVENANT_ORG; default: node.json)')
    .option('--genesis <file>', 'join the consortium of this genesis block (PROVENANT_GENESIS; default: genesis.json in the data directory)')
    .option('--issue-token', 'print a fresh API token for --org at start (a local network)')
    .action(async (opts: StartCliOptions) => {
      await runStart({
        dataDir: opts.data,
        httpPort: opts.port,
        demo: !!opts.demo,
        ordering: { url: opts.ordering, user: opts.natsUser, password: opts.natsPassword, credsFile: opts.natsCreds },
        org: opts.org,
        genesis: opts.genesis,
        issueToken: !!opts.issueToken,
      });
    });

  registerKeygen(program);

  program
    .command('create-consortium')
    .description('create a consortium from a genesis spec (JSON) and authority key files')
    .requiredOption('--spec <file>', 'genesis spec: { consortiumId, name, members, authorities, quorum?, sealMaxRecords?, indexCommitment? } (indexCommitment absent: true)')
    .requiredOption('--key <file...>', 'authority private key files (from keygen); the first signs genesis')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { spec: string; key: string[]; data?: string }) => {
      const spec = readJsonOption<GenesisSpec>('--spec', opts.spec);
      const keys = opts.key.map((f) => readCliKeyFile(f));
      // New consortia commit to the index map unless their spec says otherwise (a genesis setting).
      const opened = await openNode(loadConfig({ dataDir: opts.data }), { autoSeal: false, indexCommitment: true });
      try {
        const { blockHash } = await opened.node.createConsortium(spec, keys.map((k) => k.keyPair));
        for (const k of keys) opened.keystore.save(k.label, k.keyPair);
        console.log(`created consortium ${spec.consortiumId}; genesis block ${blockHash}`);
      } finally {
        await opened.close();
      }
    });

  program
    .command('verify')
    .description('re-verify a consortium chain from genesis, and every table derived from it; exits 0 only when everything holds')
    .requiredOption('--consortium <id>', 'consortium id')
    .option('--data <dir>', 'data directory')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { consortium: string; data?: string; json?: boolean }) => {
      const config = loadConfig({ dataDir: opts.data });
      const started = Date.now();
      const progress = progressPrinter();
      const report = await verifyConsortium(config, opts.consortium, (p) => {
        progress(p.phase ? `verifying projections: ${p.phase}` : `verifying: block ${p.height + 1}/${p.totalBlocks}, ${p.records} records`);
      }).catch((err: unknown) => {
        throw err instanceof AdminError ? new CliUsageError(err.message, err.details) : err;
      });
      printVerifyReport(report, opts.consortium, (Date.now() - started) / 1000, !!opts.json);
      process.exitCode = report.ok ? 0 : 1;
    });

  registerGovernanceCommands(program);
  registerMemberCommands(program);
  registerBundleCommands(program);
  registerTokenCommands(program);
  registerLabelCommand(program);
  registerProjectionCommands(program);
  registerNetworkCommands(program);
  registerWitnessCommand(program);
  registerDeviceCommands(program);
  return program;
}

/** How a run ended: the exit code, and the error that ended it (none when the command finished). */
export interface CliOutcome {
  exitCode: number;
  error?: unknown;
}

/**
 * Runs one command line (argv as process.argv: node, script, then the arguments) in this process.
 * A command that finished leaves its exit code in process.exitCode (0 when unset); errors are
 * printed as one line and mapped to 1 or 2, and Commander's own usage errors to 2.
 */
export async function runCli(argv: readonly string[]): Promise<CliOutcome> {
  try {
    await buildProgram().parseAsync([...argv]);
    return { exitCode: Number(process.exitCode ?? 0) };
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message (or the help or version, which exit 0). A command group
      // without its subcommand, or `help` of an unknown command, prints only the usage: say why.
      if (err.code === 'commander.help' && err.exitCode !== 0) console.error('error: expected a known command (see the usage above)');
      return { exitCode: err.exitCode === 0 ? 0 : 2, error: err.exitCode === 0 ? undefined : err };
    }
    console.error(`error: ${describeError(err)}`);
    if (process.env.PROVENANT_DEBUG === '1') console.error(err);
    return { exitCode: exitCodeOf(err), error: err };
  }
}
