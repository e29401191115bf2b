/**
 * The one test harness for medium and end-to-end tests: a node on a fresh SQLite file in a temporary
 * directory with the demo consortium (and any other), optionally its HTTP app on a free port, a
 * GraphQL server without HTTP, MQTT ingestion on a free port (or an external broker), the breach
 * monitor and API tokens; helpers to capture, submit and seal; reopen after a stop or a crash; and
 * destroy(), which stops everything it started and removes the directory. With `process: true` it
 * runs `provenant start` as a real process instead (test/helpers/node-process.ts).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express, { type Express } from 'express';
import { expect } from 'vitest';
import type { KeyPair } from '../../src/core/crypto/index.js';
import type { Block } from '../../src/core/ledger/block.js';
import type { MembershipChange } from '../../src/core/ledger/governance.js';
import { RecordKind, signRecord, type SignedRecord } from '../../src/core/ledger/record.js';
import { signCaptureDocument } from '../../src/client/capture-client.js';
import { loadConfig, type NodeConfig } from '../../src/platform/config.js';
import { issueApiToken, revokeApiToken } from '../../src/services/auth.js';
import { CaptureService, type CaptureOptions, type CaptureOutcome } from '../../src/services/capture/capture-service.js';
import { openNode, type OpenedNode } from '../../src/services/node/bootstrap.js';
import type { LedgerNodeTestHooks } from '../../src/services/node/ledger-node.js';
import type { SubmitOptions, SubmitOutcome } from '../../src/services/node/submission.js';
import { startBreachMonitor, type BreachMonitor, type BreachMonitorOptions } from '../../src/services/readings/breach-monitor.js';
import { createGraphqlServer, type GraphqlServer } from '../../src/transport/graphql/yoga.js';
import type { AppContext } from '../../src/transport/http/context.js';
import { ApiError, errorHandler } from '../../src/transport/http/errors.js';
import { createApp, type ProvenantApp } from '../../src/transport/http/server.js';
import { keystoreWindowSigner, startIot, type IotHandle, type StartIotOptions } from '../../src/transport/mqtt/index.js';
import { buildDemoConsortium, type ConsortiumFixture } from './consortia.js';
import { epcisDocument } from './epcis-documents.js';
import { startNodeProcess, type NodeProcess, type NodeProcessOptions } from './node-process.js';
import { createTestDatabase, dropTestDatabase, testEngine } from './postgres.js';

/** Routes of a bare express app (instead of the node's whole app); may return what to close with the app. */
export type MountRoutes = (app: Express, ctx: AppContext) => { close(): Promise<void> } | void;

export type MqttOptions = Partial<Omit<StartIotOptions, 'ctx'>>;

export interface TestNodeOptions {
  /** The demo consortium (default true: a fresh one; or the one given, e.g. to reopen with its keys). */
  demo?: boolean | ConsortiumFixture;
  /** Import this genesis block for the demo consortium instead of creating one (a second node of the same chain), sealing with its authority keys. */
  genesis?: Block;
  /** Further consortia to create (after the demo one). */
  consortia?: readonly ConsortiumFixture[];
  /** The consortium the helpers default to (tokens, key, submit, seal, capture). Default the demo one, else the first given. */
  primary?: string;
  /** Seal on the node's timer (every 50 ms). Default false: tests seal with seal(). */
  autoSeal?: boolean;
  /** An existing data directory (reopened: its consortia are not created again). Default a fresh temporary one. */
  dataDir?: string;
  /** The node's HTTP app (createApp) on 127.0.0.1 and a free port; or only these routes, with the 404 and error mapper. */
  http?: boolean | { routes: MountRoutes; logErrors?: (err: unknown) => void };
  /** A GraphQL server without HTTP (yoga.fetch), when there is no HTTP app (which has its own). */
  graphql?: boolean;
  /** MQTT ingestion: the embedded broker on a free port unless brokerUrl is given; windows signed by the fixtures' keys. */
  mqtt?: boolean | MqttOptions;
  /** The breach monitor, with every fixture key (an authority key publishes the rule set and signs breaches). */
  breachMonitor?: boolean | Partial<Omit<BreachMonitorOptions, 'node' | 'db' | 'keys'>>;
  /** API tokens issued at start for organisations of the primary consortium: true for every one. */
  tokens?: boolean | readonly string[];
  /** The capture service's role table (tests stand in for a node that skips it). */
  authorise?: ConstructorParameters<typeof CaptureService>[0]['authorise'];
  /** The ledger node's test-only hooks (a crash between persisting a seal and publishing it). */
  testHooks?: LedgerNodeTestHooks;
  /** The store engine; default PROVENANT_TEST_DB's. 'sqlite' for tests of the SQLite file itself (edited, copied or read with better-sqlite3). */
  engine?: 'sqlite' | 'postgres';
}

export interface TestNode extends OpenedNode {
  options: TestNodeOptions;
  dataDir: string;
  dbFile: string;
  config: NodeConfig;
  /** The demo consortium (undefined with demo: false). */
  demo: ConsortiumFixture;
  /** Every consortium the node was given, by id. */
  consortia: Map<string, ConsortiumFixture>;
  /** The consortium helpers default to: the demo one, else the first given. */
  consortiumId: string;
  /** What services and transports take. */
  ctx: AppContext;
  /** The capture service of the node (the HTTP app's own when there is one). */
  capture: CaptureService;
  app?: ProvenantApp | Express;
  server?: Server;
  /** http://127.0.0.1:PORT when the node serves HTTP (else empty). */
  url: string;
  graphql?: GraphqlServer;
  iot?: IotHandle;
  mqttUrl: string;
  monitor?: BreachMonitor;
  /** API tokens of the primary consortium's organisations, by organisation id. */
  tokens: Record<string, string>;
  /** An organisation's signing key (primary consortium unless named). */
  key(org: string, consortiumId?: string): KeyPair;
  /** Issues an API token; revoked at once when asked. */
  issueToken(org: string, options?: { consortiumId?: string; revoked?: boolean; label?: string }): Promise<string>;
  submit(records: unknown[], options?: SubmitOptions & { consortiumId?: string }): Promise<SubmitOutcome[]>;
  /** Seals the pending records into a block now; fails the test when there was nothing to seal. */
  seal(consortiumId?: string): Promise<{ height: number; hash: string }>;
  /** Submits records that must all be accepted and seals them; returns their record hashes. */
  submitSealed(records: SignedRecord[], consortiumId?: string): Promise<string[]>;
  /** Signs the events as one EPCIS document by the organisation's key and captures it. */
  captureEvents(org: string, events: Record<string, unknown>[], options?: CaptureOptions & { consortiumId?: string; via?: CaptureService }): Promise<CaptureOutcome>;
  /** captureEvents, then seal; returns the first event's record hash. */
  captureSealed(org: string, events: Record<string, unknown>[], options?: { consortiumId?: string; via?: CaptureService }): Promise<string>;
  /** Membership changes through governance: fsa proposes, hmrc and riverside-retail approve (3 of 4 demo authorities). */
  govern(changes: MembershipChange[]): Promise<void>;
  /** Starts MQTT ingestion now (e.g. after a reopen without it). */
  startMqtt(options?: MqttOptions): Promise<IotHandle>;
  /** Stops everything and opens the same data directory again, with the same options unless overridden. */
  reopen(overrides?: Partial<TestNodeOptions>): Promise<TestNode>;
  /** Stops the node where it is, without sealing, and lets go of its log file and database (a crash), then reopens. */
  crashAndReopen(overrides?: Partial<TestNodeOptions>): Promise<TestNode>;
  /** Stops everything this node started (idempotent), keeping the data directory. */
  stop(): Promise<void>;
  /** stop(), then removes the data directory. */
  destroy(): Promise<void>;
}

export type { NodeProcess, NodeProcessOptions };

/** A role table that lets every event through: stands in for a node that skips the role and custody check (records the rules would refuse today). */
export const SKIP_ROLE_CHECK: NonNullable<TestNodeOptions['authorise']> = () => ({ ok: true, rule: 'unchecked', custodyChanges: [] });

function fixturesOf(options: TestNodeOptions): ConsortiumFixture[] {
  const demo = options.demo === false ? undefined : options.demo === true || options.demo === undefined ? buildDemoConsortium() : options.demo;
  return [...(demo ? [demo] : []), ...(options.consortia ?? [])];
}

async function listen(app: Express): Promise<{ server: Server; url: string }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Routes only, as createApp finishes an app: unknown routes 404, errors through the one mapper. */
function bareApp(ctx: AppContext, routes: MountRoutes, logErrors: (err: unknown) => void): { app: Express; close(): Promise<void> } {
  const app = express();
  const mounted = routes(app, ctx);
  app.use((req, _res, next) => next(new ApiError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(logErrors));
  return { app, close: async () => mounted?.close() };
}

/**
 * With PROVENANT_TEST_DB=postgres, the data directory's own database on the run's server: made
 * with the directory, named in it (POSTGRES_URL_FILE) so that a reopen finds it again.
 */
async function postgresFor(dataDir: string, engine = testEngine()): Promise<{ databaseUrl: string } | Record<string, never>> {
  if (engine !== 'postgres') return {};
  const file = path.join(dataDir, POSTGRES_URL_FILE);
  if (existsSync(file)) return { databaseUrl: readFileSync(file, 'utf8').trim() };
  const databaseUrl = await createTestDatabase();
  writeFileSync(file, databaseUrl);
  return { databaseUrl };
}

const POSTGRES_URL_FILE = 'postgres-test-url';

/** Starts a test node; with `process: true`, `provenant start` as a real process. */
export function startTestNode(options: NodeProcessOptions & { process: true }): Promise<NodeProcess>;
export function startTestNode(options?: TestNodeOptions): Promise<TestNode>;
export function startTestNode(options: (TestNodeOptions & { process?: false }) | (NodeProcessOptions & { process: true }) = {}): Promise<TestNode | NodeProcess> {
  if (options.process) return startNodeProcess(options);
  return startInProcess(options, fixturesOf(options));
}

async function startInProcess(options: TestNodeOptions, fixtures: ConsortiumFixture[]): Promise<TestNode> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'provenant-test-'));
  const config = loadConfig({ dataDir, sealIntervalMs: 50, ...(await postgresFor(dataDir, options.engine)) });
  const opened = await openNode(config, { autoSeal: options.autoSeal ?? false, testHooks: options.testHooks });
  const stops: (() => Promise<void>)[] = [];
  let stopped = false;
  /** Last started, first stopped; a failing step does not keep the others (or the database) open. */
  const stopStarted = async () => {
    const failures: unknown[] = [];
    for (const s of stops.splice(0).reverse()) await s().catch((err: unknown) => failures.push(err));
    if (failures.length > 0) throw failures[0];
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await stopStarted();
    } finally {
      await opened.close();
    }
  };
  try {
    return await assemble();
  } catch (err) {
    await stop();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  async function assemble(): Promise<TestNode> {
    const consortia = new Map(fixtures.map((f) => [f.spec.consortiumId, f]));
    const demoFixture = options.demo === false ? undefined : fixtures[0];
    // A reopened data directory keeps its consortia.
    if (opened.node.consortia().length === 0) {
      for (const f of fixtures) {
        if (f === demoFixture) for (const [orgId, key] of f.orgKeys) opened.keystore.save(`demo-${orgId}`, key);
        if (f === demoFixture && options.genesis) await opened.node.importGenesis(options.genesis, f.authorityKeys);
        else await opened.node.createConsortium(f.spec, f.authorityKeys);
      }
    }
    const consortiumId = options.primary ?? fixtures[0]?.spec.consortiumId ?? opened.node.consortia()[0]!;
    const allKeys = [...new Map(fixtures.flatMap((f) => [...f.orgKeys.values()]).map((k) => [k.keyId, k])).values()];
    const ctx: AppContext = { node: opened.node, store: opened.store, db: opened.db, keystore: opened.keystore, config };
    const capture = new CaptureService({ node: opened.node, db: opened.db, keystore: opened.keystore, authorise: options.authorise });
    ctx.capture = capture;

    const t = { ...opened } as TestNode;
    Object.assign(t, { options, dataDir, dbFile: path.join(dataDir, 'provenant.db'), config, demo: demoFixture, consortia, consortiumId, ctx, capture, tokens: {}, url: '', mqttUrl: '' });
    stops.push(() => capture.close());

    if (options.http) {
      let app: Express;
      let closeApp: () => Promise<void>;
      if (options.http === true) {
        const full = createApp(ctx);
        app = full;
        t.graphql = full.graphql;
        closeApp = () => full.closeApi();
      } else {
        const bare = bareApp(ctx, options.http.routes, options.http.logErrors ?? (() => undefined));
        app = bare.app;
        closeApp = bare.close;
      }
      const { server, url } = await listen(app);
      Object.assign(t, { app, server, url });
      stops.push(async () => {
        // Connections kept alive for 65 s (KEEP_ALIVE_TIMEOUT_MS) or still streaming would hold close() that long: end them first.
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeAllConnections();
        await closed;
        await closeApp();
      });
    } else if (options.graphql) {
      const graphql = createGraphqlServer(ctx, { logging: false });
      t.graphql = graphql;
      stops.push(() => graphql.close());
    }

    t.startMqtt = async (mqtt: MqttOptions = {}) => {
      const iot = await startIot({ ctx: { node: opened.node, db: opened.db }, embeddedPort: 0, windowSigner: keystoreWindowSigner(opened.node, allKeys), ...mqtt });
      t.iot = iot;
      if (t.app && 'addReadinessCheck' in t.app) t.app.addReadinessCheck('mqtt', () => iot.ready());
      t.mqttUrl = mqtt.brokerUrl ?? `mqtt://127.0.0.1:${iot.port}`;
      stops.push(() => iot.stop());
      return iot;
    };
    if (options.mqtt) await t.startMqtt(options.mqtt === true ? {} : options.mqtt);
    if (options.breachMonitor) {
      const monitor = await startBreachMonitor({ node: opened.node, db: opened.db, keys: allKeys, ...(options.breachMonitor === true ? {} : options.breachMonitor) });
      t.monitor = monitor;
      stops.push(() => monitor.stop());
    }

    const fixtureOf = (id: string) => consortia.get(id) ?? expect.fail(`no consortium "${id}" on this test node`);
    t.key = (org, id = consortiumId) => fixtureOf(id).orgKeys.get(org) ?? expect.fail(`no key of "${org}" in "${id}"`);
    t.issueToken = async (org, o = {}) => {
      const issued = await issueApiToken(opened.db, o.consortiumId ?? consortiumId, org, o.label ?? 'test');
      if (o.revoked) await revokeApiToken(opened.db, issued.tokenHash);
      return issued.token;
    };
    if (options.tokens) {
      const orgs = options.tokens === true ? fixtureOf(consortiumId).spec.members.map((m) => m.id) : options.tokens;
      for (const org of orgs) t.tokens[org] = await t.issueToken(org);
    }
    t.submit = (records, o = {}) => opened.node.submit(o.consortiumId ?? consortiumId, records, o);
    t.seal = async (id = consortiumId) => {
      const sealed = await opened.node.sealNow(id);
      expect(sealed, `a block sealed in ${id}`).not.toBeNull();
      return sealed!;
    };
    t.submitSealed = async (records, id = consortiumId) => {
      const outcomes = await opened.node.submit(id, records);
      for (const o of outcomes) expect(o.status, JSON.stringify(o)).toBe('accepted');
      await t.seal(id);
      return outcomes.map((o) => (o as { recordHash: string }).recordHash);
    };
    t.captureEvents = (org, events, o = {}) => {
      const id = o.consortiumId ?? consortiumId;
      return (o.via ?? capture).capture(signCaptureDocument(epcisDocument(events), { consortium: id, key: t.key(org, id) }), o);
    };
    t.captureSealed = async (org, events, o = {}) => {
      const out = await t.captureEvents(org, events, o);
      await t.seal(o.consortiumId ?? consortiumId);
      return out.results[0]!.recordHash!;
    };
    t.govern = async (changes) => {
      const id = demoFixture?.spec.consortiumId ?? expect.fail('govern() runs on the demo consortium');
      const proposals = await t.submitSealed(changes.map((change) => signRecord({ consortium: id, kind: RecordKind.PROPOSAL, payload: { change } as never }, t.key('fsa', id))), id);
      await t.submitSealed(['hmrc', 'riverside-retail'].flatMap((org) => proposals.map((proposal) => signRecord({ consortium: id, kind: RecordKind.APPROVAL, payload: { proposal } }, t.key(org, id)))), id);
      for (const p of proposals) expect(opened.node.state(id).proposals.get(p)!.status).toBe('applied');
    };
    t.stop = stop;
    t.close = stop;
    t.reopen = async (overrides = {}) => {
      await stop();
      return startInProcess({ ...options, ...overrides, dataDir }, fixtures);
    };
    t.crashAndReopen = async (overrides = {}) => {
      stopped = true;
      await stopStarted();
      await opened.node.abandon();
      await opened.ordering.close();
      await opened.db.$disconnect();
      return startInProcess({ ...options, ...overrides, dataDir }, fixtures);
    };
    t.destroy = async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (config.databaseUrl.startsWith('postgresql:')) await dropTestDatabase(config.databaseUrl);
    };
    return t;
  }
}
