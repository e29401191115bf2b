/** `provenant start`: the node with its HTTP API; with --demo, a demo consortium and simulators. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadConfig, type NodeConfig } from '../../platform/config.js';
import { openNode, type OpenedNode } from '../../services/node/bootstrap.js';
import { GENESIS_FILE, assertOwnKeys, readGenesisBlock, readNodeIdentity } from '../../services/node/network-init.js';
import { orderingInputFromEnv, resolveOrderingSettings, type OrderingSettingsInput } from '../../platform/ordering/ordering-settings.js';
import { CliUsageError } from './errors.js';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID, DEMO_ORGS } from '../../services/node/demo-consortium.js';
import { createApp } from '../http/server.js';
import { enableDemoSignIn } from '../http/explorer-routes.js';
import { issueApiToken } from '../../services/auth.js';
import { runScenario } from '../../../simulators/scenario.js';
import { reeferLeg, type ReeferFaults } from '../../../simulators/reefer.js';
import { keystoreWindowSigner, startIot } from '../mqtt/index.js';
import { ensureRuleSetPublished, startBreachMonitor, type BreachPayload } from '../../services/readings/breach-monitor.js';
import { waitForSealedBreach } from '../../services/admin.js';

/**
 * Demo ingestion: the reefer replays a 4-hour leg of simulated time in seconds, so its windows lie
 * in the past and close at the next flush; 5-minute windows keep the record count small.
 */
const DEMO_IOT = { windowMs: 5 * 60_000, flushIntervalMs: 250 } as const;
const DEMO_BREACH_TIMEOUT_MS = 30_000;

/** Reefer faults of the demo, from DEMO_REEFER_FAULTS (comma list; default "excursion"; "none" for a clean run). */
export const DEMO_FAULTS: Record<string, ReeferFaults> = {
  excursion: { excursion: { startMinute: 60, durationMinutes: 55, peakC: 9.5 } },
  door: { doorOpening: { atMinute: 150, durationMinutes: 6 } },
  drop: { dropConnection: { afterReadings: 200, offlineMs: 1500 } },
  drift: { clockDrift: { msPerHour: 90_000 } },
};

export function demoReeferFaults(spec: string | undefined): ReeferFaults {
  const names = (spec ?? 'excursion')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'none');
  const unknown = names.filter((n) => !(n in DEMO_FAULTS));
  if (unknown.length > 0) {
    throw new Error(`DEMO_REEFER_FAULTS: unknown fault ${unknown.join(', ')}; choose from ${Object.keys(DEMO_FAULTS).join(', ')} or none`);
  }
  return Object.assign({}, ...names.map((n) => DEMO_FAULTS[n]!)) as ReeferFaults;
}

export interface StartOptions {
  dataDir?: string;
  httpPort?: number;
  demo: boolean;
  /** The consortia's JetStream log and this node's NATS credentials (absent: the embedded log). */
  ordering?: OrderingSettingsInput;
  /** The organisation that runs this node (default: the data directory's node.json). */
  org?: string;
  /** A genesis block to join (default: the data directory's genesis.json, if any). */
  genesis?: string;
  /** Issue and print a fresh API token for `org` in each consortium (a node of a local network). */
  issueToken?: boolean;
}

export async function runStart(options: StartOptions): Promise<void> {
  const dataDir = options.dataDir ?? process.env.PROVENANT_DATA_DIR ?? './data';
  const identity = readNodeIdentity(path.resolve(dataDir));
  const org = options.org ?? (process.env.PROVENANT_ORG || undefined) ?? identity?.org;
  const ordering = resolveOrderingSettings({ ...orderingInputFromEnv(), ...definedOnly(options.ordering ?? {}) }, org ? `${org}-node` : undefined);
  if (ordering && options.demo) throw new CliUsageError('--demo runs a single-node consortium on the embedded log; it does not take --ordering (see "npm run network")');
  const config: NodeConfig = loadConfig({ dataDir: options.dataDir, httpPort: options.httpPort, ordering });
  const faults = options.demo ? demoReeferFaults(process.env.DEMO_REEFER_FAULTS) : {};
  const opened = await openNode(config);
  try {
    await joinGenesis(opened, genesisFileOf(options.genesis, config.dataDir));
    if (org) for (const id of opened.node.consortia()) assertOwnKeys(opened.node.state(id), opened.keystore.list(), org, identity?.org === org ? identity.hosts : []);
  } catch (err) {
    await opened.close();
    throw err;
  }
  let freshDemo = false;
  if (options.demo && opened.node.consortia().length === 0) {
    const demo = buildDemoConsortium();
    for (const [orgId, key] of demo.orgKeys) opened.keystore.save(`demo-${orgId}`, key);
    const { blockHash } = await opened.node.createConsortium(demo.spec, demo.authorityKeys);
    console.log(`created demo consortium ${demo.spec.consortiumId} (genesis ${blockHash.slice(0, 16)}…); keys in ${opened.keystore.dir}`);
    // The regulator publishes the cold-chain rule set the consortium evaluates readings against.
    const rules = await ensureRuleSetPublished(opened.node, opened.db, demo.spec.consortiumId, demo.orgKeys.get('fsa')!);
    console.log(`fsa published rule set ${rules.ref.id} v${rules.ref.version} (${rules.ref.hash.slice(0, 16)}…) on chain`);
    freshDemo = true;
  }
  const ctx = { node: opened.node, store: opened.store, db: opened.db, config, keystore: opened.keystore };
  const app = createApp(ctx);
  if (options.demo) enableDemoSignIn(app);
  app.warmUp();
  const server = app.listen(config.httpPort, config.httpHost);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const keys = opened.keystore.list().map((k) => k.keyPair);
  const iot = await startIot({ ctx, windowSigner: keystoreWindowSigner(opened.node, keys), ...(options.demo ? DEMO_IOT : {}) });
  app.addReadinessCheck('mqtt', () => iot.ready());
  console.log(iot.port !== undefined ? `MQTT broker (embedded) on port ${iot.port}` : `MQTT: subscribed to ${config.mqttUrl}`);
  const monitor = await startBreachMonitor({ node: opened.node, db: opened.db, keys, log: (line) => console.log(line) });
  const port = (server.address() as AddressInfo).port;
  const base = `http://${config.httpHost}:${port}`;
  console.log(`Provenant node on ${base}  (health: ${base}/health, readiness: ${base}/ready, GraphQL and GraphiQL: ${base}/graphql)`);
  console.log(`database ${config.databaseUrl}; consortia: ${opened.node.consortia().join(', ') || '(none)'}`);
  if (config.ordering) console.log(`ordering: JetStream on ${config.ordering.servers.join(',')} as ${config.ordering.credentials.user}${org ? `; node of ${org}` : ''}`);
  if (options.issueToken) {
    if (!org) throw new CliUsageError('--issue-token needs the organisation that runs the node (--org)');
    for (const id of opened.node.consortia()) console.log(`token ${id} ${org} ${(await issueApiToken(opened.db, id, org, 'node start')).token}`);
  }

  const shutdown = async () => {
    server.close();
    await iot.stop();
    await monitor.stop();
    await app.closeApi();
    await opened.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());

  if (options.demo && opened.node.consortia().includes(DEMO_CONSORTIUM_ID)) {
    if (freshDemo) {
      const orgKeys = new Map(DEMO_ORGS.map((o) => [o.id, opened.keystore.find(`demo-${o.id}`)!.keyPair]));
      const mqttUrl = iot.port !== undefined ? `mqtt://127.0.0.1:${iot.port}` : config.mqttUrl!;
      console.log('running the simulators (farms, abattoir, processor, haulier with a reefer, port, customs, retailer)…');
      const started = Date.now();
      const story = await runScenario({
        baseUrl: base,
        consortium: DEMO_CONSORTIUM_ID,
        orgKeys,
        log: (line) => console.log(`  ${line}`),
        reefer: reeferLeg({
          baseUrl: base,
          mqttUrl,
          consortium: DEMO_CONSORTIUM_ID,
          owner: { orgId: 'swift-haulage', key: orgKeys.get('swift-haulage')! },
          faults,
          log: (line) => console.log(`  ${line}`),
        }),
      });
      console.log(`demo story sealed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const sealed = faults.excursion || faults.doorOpening ? await waitForSealedBreach(opened.db, DEMO_CONSORTIUM_ID, DEMO_BREACH_TIMEOUT_MS) : undefined;
      const breach = sealed ? { hash: sealed.hash, payload: sealed.payload as BreachPayload } : undefined;
      if (breach) console.log(`cold-chain breach sealed ${((Date.now() - started) / 1000).toFixed(1)} s after the simulators started`);
      else if (faults.excursion || faults.doorOpening) console.log(`no cold-chain breach was sealed within ${DEMO_BREACH_TIMEOUT_MS / 1000} s (see the log above)`);
      const summary: DemoSummary = { story: { packs: story.packs, container: story.container, reefer: story.reefer }, breach };
      writeFileSync(demoSummaryFile(config.dataDir), `${JSON.stringify(summary, null, 2)}\n`, { mode: 0o600 });
      await printDemoGuide(ctx, base, summary);
    } else {
      const summary = readDemoSummary(config.dataDir);
      console.log('demo consortium already present: the story was sealed on the first run (use a fresh --data directory to replay it)');
      if (summary) await printDemoGuide(ctx, base, summary);
      else await printDemoTokens(ctx, base);
    }
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function genesisFileOf(given: string | undefined, dataDir: string): string | undefined {
  if (given ?? process.env.PROVENANT_GENESIS) return given ?? process.env.PROVENANT_GENESIS;
  const inDataDir = path.join(dataDir, GENESIS_FILE);
  return existsSync(inDataDir) ? inDataDir : undefined;
}

/** Imports the consortium's genesis block when this node does not hold that consortium yet. */
async function joinGenesis(opened: OpenedNode, file: string | undefined): Promise<void> {
  if (!file) return;
  const block = readGenesisBlock(file);
  const id = block?.header?.consortium;
  if (typeof id === 'string' && opened.node.consortia().includes(id)) return;
  const { consortium, blockHash } = await opened.node.importGenesis(block);
  console.log(`joined consortium ${consortium} from ${file} (genesis ${blockHash.slice(0, 16)}…)`);
}

/** What the first demo run sealed, kept in the data directory so a later run can point at it again. */
interface DemoSummary {
  story: Pick<Awaited<ReturnType<typeof runScenario>>, 'packs' | 'container' | 'reefer'>;
  breach?: { hash: string; payload: BreachPayload };
}

const demoSummaryFile = (dataDir: string) => path.join(dataDir, 'demo-story.json');

function readDemoSummary(dataDir: string): DemoSummary | undefined {
  const file = demoSummaryFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DemoSummary;
  } catch {
    return undefined;
  }
}

const DEMO_TOKEN_ORGS = ['fsa', 'riverside-retail', 'hmrc', 'highfield-farm'] as const;

/** Fresh API tokens for the demo organisations, printed on every demo start so a user is never locked out. */
async function printDemoTokens(ctx: { db: Parameters<typeof issueApiToken>[0] }, base: string): Promise<void> {
  console.log('\nWhere to look');
  console.log(`  GraphiQL:        ${base}/graphql   (add header  Authorization: Bearer <token>)`);
  for (const org of DEMO_TOKEN_ORGS) {
    const issued = await issueApiToken(ctx.db, DEMO_CONSORTIUM_ID, org, 'demo');
    console.log(`  token ${org.padEnd(17)} ${issued.token}`);
  }
}

async function printDemoGuide(ctx: { db: Parameters<typeof issueApiToken>[0] }, base: string, summary: DemoSummary): Promise<void> {
  const { story, breach } = summary;
  await printDemoTokens(ctx, base);
  const pack = story.packs[0]!;
  console.log(`  chain status:    { chainStatus(consortium: "${DEMO_CONSORTIUM_ID}") { __typename ... on ChainStatus { height headHash logSize } } }`);
  console.log(`  a pack of mince: ${pack}`);
  console.log(`  trace it:        { trace(consortium: "${DEMO_CONSORTIUM_ID}", id: "${pack}", direction: UPSTREAM) { __typename ... on LineageTrace { verdict hops { status warnings { code message } } } } }`);
  console.log(`  the container:   ${story.container}`);
  console.log(`  its cargo:       { cargoLineage(consortium: "${DEMO_CONSORTIUM_ID}", containerId: "${story.container}") { __typename ... on CargoLineage { verdict temperatureExcursions } } }`);
  if (story.reefer) console.log(`  its reefer unit: ${story.reefer.deviceId} (readings seq ${story.reefer.firstSeq}..${story.reefer.lastSeq} over MQTT)`);
  if (breach) {
    const f = breach.payload.finding as { code?: string; message?: string };
    console.log(`  cold-chain breach: record ${breach.hash}`);
    console.log(`                   ${f.code}: ${f.message}`);
    console.log(`                   on ${breach.payload.subject} and the ${breach.payload.containedItems.length} items inside it; rule set ${breach.payload.ruleSet.id} v${breach.payload.ruleSet.version}`);
    console.log(`  see it:          { record(hash: "${breach.hash}") { __typename ... on LedgerRecord { kind blockHeight signedAt payload } } }`);
    console.log(`  in the trace:    the pack's trace above shows verdict WARNING with COLD_CHAIN_BREACH on its hops`);
  }
  console.log(`  an event (REST): ${base}/epcis/events/<eventID>, verify the chain: npx provenant verify --consortium ${DEMO_CONSORTIUM_ID}`);
}
