/**
 * A local consortium of real processes on loopback (`npm run network` and test/e2e/network): a
 * 3-server nats-server cluster (nats-cluster.ts) and one `provenant start` per authority
 * organisation, each with its own data directory (from `initNetwork`), ports, keys and NATS user.
 * Node processes run in their own process group, so a SIGKILL takes the whole node (the CLI
 * wrapper and tsx's child); an exit hook kills whatever a failed run left.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { signRecord, RecordKind, type RecordKind as Kind } from '../../src/core/ledger/record.js';
import type { JsonValue } from '../../src/core/crypto/index.js';
import { encodePublicKey, generateKeyPair } from '../../src/core/crypto/index.js';
import { JetStreamOrdering } from '../../src/platform/ordering/jetstream-ordering.js';
import type { ConsortiumStreamSettings } from '../../src/platform/ordering/jetstream-settings.js';
import { initNetwork, type NetworkNode, type NetworkPlan } from '../../src/services/node/network-init.js';
import { readKeyFile } from '../../src/services/node/keystore.js';
import { NatsCluster, OPERATOR } from './nats-cluster.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const live = new Set<ChildProcess>();
let hookInstalled = false;

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.once('exit', () => {
    for (const proc of live) killGroup(proc, 'SIGKILL');
  });
}

export interface NodeChainStatus {
  height: number;
  headHash: string;
  pending: number;
  finality: {
    finalHeight: number;
    finalHash: string;
    derivedHeight: number;
    lastSequence: number;
    haltedReason: string | null;
    lag: number | null;
    peers: { orgId: string | null; local: boolean; inForce: boolean; lastSealedHeight: number | null }[];
  };
}

export class NetworkNodeProcess {
  #proc: ChildProcess | null = null;
  readonly lines: string[] = [];
  url = '';
  token = '';

  constructor(
    readonly node: NetworkNode,
    readonly consortium: string,
    private readonly servers: () => string[],
    private readonly env: Record<string, string>,
  ) {}

  get running(): boolean {
    return this.#proc !== null && this.#proc.exitCode === null && this.#proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Starts `provenant start` on the node's data directory and waits for its URL and token. */
  async start(timeoutMs = 90_000): Promise<void> {
    installExitHook();
    const from = this.lines.length;
    const args = [
      path.join(REPO, 'src/transport/cli/provenant.mjs'),
      'start',
      '--data', this.node.dataDir,
      '--port', '0',
      '--ordering', this.servers().join(','),
      '--nats-user', this.node.natsUser,
      '--nats-password', this.node.natsPassword,
      '--org', this.node.org,
      '--issue-token',
    ];
    const proc = spawn(process.execPath, args, {
      cwd: REPO,
      env: { ...process.env, MQTT_PORT: '0', DATABASE_URL: '', HOST: '127.0.0.1', PROVENANT_DATA_DIR: '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    this.#proc = proc;
    let buffered = '';
    const feed = (chunk: string) => {
      buffered += chunk;
      let i;
      while ((i = buffered.indexOf('\n')) >= 0) {
        this.lines.push(buffered.slice(0, i));
        buffered = buffered.slice(i + 1);
      }
    };
    proc.stdout!.setEncoding('utf8').on('data', feed);
    proc.stderr!.setEncoding('utf8').on('data', feed);
    const deadline = Date.now() + timeoutMs;
    const mine = () => this.lines.slice(from);
    while (!mine().some((l) => l.startsWith(`token ${this.consortium} `))) {
      if (!this.running) throw new Error(`node ${this.node.org} exited:\n${mine().slice(-20).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`node ${this.node.org} not ready within ${timeoutMs / 1000} s:\n${mine().slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    this.url = /Provenant node on (http:\/\/\S+)/.exec(mine().find((l) => l.includes('Provenant node on')) ?? '')?.[1] ?? '';
    this.token = mine().find((l) => l.startsWith(`token ${this.consortium} `))!.split(' ')[3]!;
  }

  /** Sends the signal to the node's process group and waits for it to exit (SIGKILL after 15 s). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.#proc;
    if (!proc || !this.running) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    killGroup(proc, signal);
    const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    // The wrapper's children share the group: make sure none outlives it.
    killGroup(proc, 'SIGKILL');
  }

  /** A GraphQL query as this node's organisation; a read, so repeated once if a kept-alive connection was closed under it. */
  async graphql<T = Record<string, any>>(query: string): Promise<{ data?: T; errors?: unknown[] }> {
    const ask = () =>
      fetch(`${this.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ query }),
        signal: AbortSignal.timeout(5000),
      });
    const res = await ask().catch(() => ask());
    return (await res.json()) as { data?: T; errors?: unknown[] };
  }

  async status(): Promise<NodeChainStatus> {
    const query = `{ chainStatus(consortium: "${this.consortium}") { __typename ... on ChainStatus { height headHash pending finality { finalHeight finalHash derivedHeight lastSequence haltedReason lag peers { orgId local inForce lastSealedHeight } } } } }`;
    const body = await this.graphql<{ chainStatus?: NodeChainStatus & { __typename: string } }>(query);
    const status = body.data?.chainStatus;
    if (status?.__typename !== 'ChainStatus') throw new Error(`chainStatus at ${this.node.org}: ${JSON.stringify(body)}`);
    return status;
  }

  /** Signs one record with the organisation's key (from its own data directory) and posts it here. */
  async post(kind: Kind, payload: JsonValue, options: { wait?: boolean; timeoutMs?: number } = {}): Promise<{ status: string; recordHash?: string; error?: { code: string } }> {
    const { keyPair } = readKeyFile(path.join(this.node.dataDir, 'keys', `${this.node.org}.key.json`));
    const record = signRecord({ consortium: this.consortium, kind, payload }, keyPair);
    const res = await fetch(`${this.url}/consortia/${this.consortium}/records${options.wait ? '?wait=seal' : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: [record] }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
    const body = (await res.json()) as { results: { status: string; recordHash?: string; error?: { code: string } }[] };
    return body.results[0]!;
  }

  /** `provenant verify --json` on the node's data directory (the node stopped): exit status and output. */
  verifyData(): { status: number | null; output: string; report: unknown } {
    const run = spawnSync(process.execPath, [path.join(REPO, 'src/transport/cli/provenant.mjs'), 'verify', '--consortium', this.consortium, '--data', this.node.dataDir, '--json'], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '' },
      timeout: 60_000,
    });
    let report: unknown;
    try {
      report = JSON.parse(run.stdout);
    } catch {
      report = undefined;
    }
    return { status: run.status, output: run.stdout + run.stderr, report };
  }

  /** Registers a device for the node's organisation: a record any member may post. */
  registerDevice(deviceId: string, publicKey: string, options: { wait?: boolean; timeoutMs?: number } = {}) {
    return this.post(RecordKind.DEVICE_REGISTER, { deviceId, publicKey, kind: 'sensor' }, options);
  }
}

export interface LocalNetwork {
  plan: NetworkPlan;
  cluster: NatsCluster;
  nodes: NetworkNodeProcess[];
  /** Stops every node (SIGTERM) and the NATS servers; leaves the data directories. */
  stop(): Promise<void>;
}

export interface LocalNetworkOptions {
  dir: string;
  orgs?: number;
  /** SEAL_INTERVAL_MS of every node. */
  sealIntervalMs?: number;
  nodeTimeoutMs?: number;
  /** The NATS URLs node `index` is given (default: every server's). */
  serversOf?: (index: number, urls: string[]) => string[];
  /** NATS servers (default 3); with 1 the stream has one replica. */
  natsServers?: number;
  /** Stream settings beyond the defaults (a short maxAgeMs for catch-up beyond retention). */
  stream?: Partial<ConsortiumStreamSettings>;
  /** Extra environment of every node. */
  env?: Record<string, string>;
}

/** Initialises the consortium in `dir`, starts the NATS cluster, provisions the stream and starts every node. */
export async function startLocalNetwork(options: LocalNetworkOptions): Promise<LocalNetwork> {
  const plan = initNetwork({ dir: options.dir, orgs: options.orgs ?? 4 });
  const cluster = await NatsCluster.start({
    size: options.natsServers ?? 3,
    users: plan.nodes.map((n) => ({ user: n.natsUser, password: n.natsPassword, consortia: [plan.consortium] })),
  });
  const nodes = plan.nodes.map(
    (n, i) => new NetworkNodeProcess(n, plan.consortium, () => options.serversOf?.(i, cluster.urls) ?? cluster.urls, { SEAL_INTERVAL_MS: String(options.sealIntervalMs ?? 250), ...options.env }),
  );
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop('SIGTERM')));
    await cluster.stop();
  };
  try {
    const operator = await JetStreamOrdering.connect({ servers: cluster.urls, credentials: { kind: 'password', ...OPERATOR } });
    try {
      // The loopback servers allow 1 GB of file store each.
      await operator.provision(plan.consortium, { replicas: options.natsServers === 1 ? 1 : 3, maxBytes: 256 * 1024 * 1024, ...options.stream });
    } finally {
      await operator.close();
    }
    await Promise.all(nodes.map((n) => n.start(options.nodeTimeoutMs)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { plan, cluster, nodes, stop };
}

/** A fresh device key to register: each registration is one small record for the chain to make final. */
export const devicePublicKey = (): string => encodePublicKey(generateKeyPair('ed25519').publicKey);

/** Polls `probe` until it gives a value (a throw counts as not yet), or fails after `timeoutMs` naming what it waited for and the last error. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Resolves once every given node has made final a block at or above `height`, all with the same
 * head, and (settled, the default) none holds records still pending.
 */
export function sameFinalHead(nodes: readonly NetworkNodeProcess[], height: number, timeoutMs: number, options: { settled?: boolean } = {}): Promise<NodeChainStatus[]> {
  const settled = options.settled ?? true;
  return eventually(
    `the same final head at height >= ${height} on ${nodes.map((n) => n.node.org).join(', ')}`,
    async () => {
      const statuses = await Promise.all(nodes.map((n) => n.status()));
      const heads = new Set(statuses.map((s) => `${s.finality.finalHeight}:${s.finality.finalHash}`));
      return heads.size === 1 && statuses[0]!.finality.finalHeight >= height && (!settled || statuses.every((s) => s.pending === 0)) ? statuses : undefined;
    },
    timeoutMs,
  );
}

export interface RegisteredNode {
  org: string;
  url: string;
  ordering: string;
}

/**
 * Registers each node's URL and NATS user on chain (node.endpoint), as `provenant register-node`
 * and `provenant approve` would: the organisation proposes its own node, and the other authority
 * organisations approve in turn until the change applies. Nodes whose current URL is registered
 * already are left alone. Returns what the chain lists.
 */
export async function registerNodeUrls(net: LocalNetwork): Promise<RegisteredNode[]> {
  const listed = async (at: NetworkNodeProcess = net.nodes[0]!) => {
    const body = await at.graphql<{ chainStatus: { finality: { nodes: { orgId: string; url: string; ordering: string }[] } } }>(
      `{ chainStatus(consortium: "${net.plan.consortium}") { ... on ChainStatus { finality { nodes { orgId url ordering } } } } }`,
    );
    return body.data?.chainStatus.finality.nodes ?? [];
  };
  const already = await listed();
  await Promise.all(
    net.nodes.map(async (node, i) => {
      if (already.some((n) => n.orgId === node.node.org && n.url === node.url)) return;
      const change = { type: 'node.endpoint', orgId: node.node.org, url: node.url, ordering: { natsUser: node.node.natsUser } };
      const proposal = await node.post(RecordKind.PROPOSAL, { change }, { wait: true });
      if (proposal.status !== 'accepted') throw new Error(`${node.node.org}'s node.endpoint proposal was ${proposal.status}: ${JSON.stringify(proposal.error)}`);
      const others = [...net.nodes.slice(i + 1), ...net.nodes.slice(0, i)];
      // Each approval is final at the approver's node when it answers: that node says whether the change applied.
      let last = node;
      for (const approver of others) {
        if ((await listed(last)).some((n) => n.orgId === node.node.org && n.url === node.url)) return;
        const approval = await approver.post(RecordKind.APPROVAL, { proposal: proposal.recordHash! }, { wait: true });
        if (approval.status !== 'accepted') throw new Error(`${approver.node.org}'s approval of ${node.node.org}'s node.endpoint was ${approval.status}: ${JSON.stringify(approval.error)}`);
        last = approver;
      }
    }),
  );
  const wanted = net.nodes.map((n) => `${n.node.org} ${n.url}`);
  const lists = await eventually(
    'every node to list every registered node',
    async () => {
      const all = await Promise.all(net.nodes.map((n) => listed(n)));
      return all.every((list) => wanted.every((w) => list.some((n) => `${n.orgId} ${n.url}` === w))) ? all : undefined;
    },
    30_000,
  );
  return lists[0]!.map((n) => ({ org: n.orgId, url: n.url, ordering: n.ordering }));
}
