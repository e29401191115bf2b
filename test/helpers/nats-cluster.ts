/**
 * A real 3-server NATS JetStream cluster on loopback for tests: each server on free ports, with its
 * own temporary store directory, the same user list (password or NKey users, each limited to its
 * consortia by nodePermissions) and an operator user that provisions streams. A server can be
 * killed with SIGKILL and restarted on the same ports and store. stop() kills every server and
 * removes the directories; a process exit hook kills whatever a failed test left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inboxPrefixOf, nodePermissions } from '../../src/platform/ordering/jetstream-settings.js';
import { NATS_SERVER_MISSING, findNatsServer } from './nats-server-binary.js';

export interface NatsUser {
  readonly user: string;
  /** Password authentication; omit for an NKey user. */
  readonly password?: string;
  /** The user's NKey public key ("U…"); the client holds the seed. */
  readonly nkey?: string;
  readonly consortia: readonly string[];
}

export const OPERATOR = { user: 'operator', password: 'operator-secret' } as const;

const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function killLive(): void {
  for (const proc of live) proc.kill('SIGKILL');
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
}
/** Kills the servers when this process exits or is signalled, then lets the signal act as usual. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killLive);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killLive();
      process.kill(process.pid, signal);
    });
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function userBlock(u: NatsUser): string {
  const permissions = JSON.stringify(nodePermissions(u.consortia, inboxPrefixOf(u.user)));
  if (u.nkey) return `{ nkey: ${JSON.stringify(u.nkey)}, permissions: ${permissions} }`;
  return `{ user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}, permissions: ${permissions} }`;
}

interface Ports {
  readonly client: number;
  readonly cluster: number;
  readonly monitor: number;
}

export class NatsServer {
  #proc: ChildProcess | null = null;
  #stderr = '';

  constructor(
    readonly name: string,
    readonly ports: Ports,
    readonly storeDir: string,
    readonly configFile: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.ports.client}`;
  }

  get running(): boolean {
    return this.#proc !== null && this.#proc.exitCode === null && this.#proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.#proc!.pid : undefined;
  }

  start(binary: string): void {
    this.#stderr = '';
    const proc = spawn(binary, ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-20_000);
    });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    this.#proc = proc;
  }

  /** The server answers /healthz (JetStream up and current). */
  async waitHealthy(timeoutMs: number): Promise<void> {
    await waitUntil(
      `${this.name} healthy`,
      async () => {
        if (!this.running) throw new Error(`${this.name} exited: ${this.#stderr.slice(-2000)}`);
        return httpOk(`http://127.0.0.1:${this.ports.monitor}/healthz`);
      },
      timeoutMs,
    );
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    const proc = this.#proc;
    if (!proc || !this.running) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (this.running) {
      proc.kill('SIGKILL');
      await exited;
    }
  }

  get log(): string {
    return this.#stderr;
  }
}

export interface NatsClusterOptions {
  readonly users: readonly NatsUser[];
  readonly size?: number;
  readonly startTimeoutMs?: number;
}

/** Starts of a cluster tried before a port taken under it is reported. */
const BIND_ATTEMPTS = 3;

export class NatsCluster {
  private constructor(
    readonly binary: string,
    readonly dir: string,
    readonly servers: NatsServer[],
  ) {}

  /** Client URLs of every server (running or not: a client given all of them fails over). */
  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  static async start(options: NatsClusterOptions): Promise<NatsCluster> {
    // A port freePort found may be taken by another process before nats-server binds it: new ports, again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await NatsCluster.#startOnce(options);
      } catch (error) {
        if (attempt >= BIND_ATTEMPTS || !/address already in use/.test(String((error as Error).message))) throw error;
      }
    }
  }

  static async #startOnce(options: NatsClusterOptions): Promise<NatsCluster> {
    const binary = findNatsServer();
    if (!binary) throw new Error(NATS_SERVER_MISSING);
    installExitHook();
    const size = options.size ?? 3;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-nats-'));
    liveDirs.add(dir);
    const ports: Ports[] = [];
    for (let i = 0; i < size; i++) ports.push({ client: await freePort(), cluster: await freePort(), monitor: await freePort() });
    const servers = ports.map((p, i) => {
      const name = `n${i + 1}`;
      const storeDir = path.join(dir, name);
      const configFile = path.join(dir, `${name}.conf`);
      writeFileSync(configFile, serverConfig(name, p, storeDir, ports, options.users));
      return new NatsServer(name, p, storeDir, configFile);
    });
    const cluster = new NatsCluster(binary, dir, servers);
    try {
      for (const s of servers) s.start(binary);
      await Promise.all(servers.map((s) => s.waitHealthy(options.startTimeoutMs ?? 30_000)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** SIGKILL: no shutdown, no flush; what the server had not written is lost with it. */
  async kill(index: number): Promise<void> {
    await this.servers[index]!.stop('SIGKILL');
  }

  async restart(index: number, timeoutMs = 30_000): Promise<void> {
    const server = this.servers[index]!;
    await server.stop('SIGTERM');
    server.start(this.binary);
    await server.waitHealthy(timeoutMs);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop('SIGKILL')));
    rmSync(this.dir, { recursive: true, force: true });
    liveDirs.delete(this.dir);
  }
}

function serverConfig(name: string, own: Ports, storeDir: string, all: readonly Ports[], users: readonly NatsUser[]): string {
  const routes = all.filter((p) => p !== own).map((p) => `nats-route://route:route-secret@127.0.0.1:${p.cluster}`);
  return [
    `server_name: ${name}`,
    `listen: 127.0.0.1:${own.client}`,
    `http: 127.0.0.1:${own.monitor}`,
    `jetstream { store_dir: ${JSON.stringify(storeDir)}, max_memory_store: 64MB, max_file_store: 1GB }`,
    // A lone server runs JetStream stand-alone: clustered JetStream needs routes.
    ...(all.length === 1
      ? []
      : [
          'cluster {',
          '  name: provenant-test',
          `  listen: 127.0.0.1:${own.cluster}`,
          '  authorization { user: route, password: route-secret }',
          // Clients use only the URLs they are given (a test can put a cuttable proxy in front of one).
          '  no_advertise: true',
          `  routes: [${routes.map((r) => JSON.stringify(r)).join(', ')}]`,
          '}',
        ]),
    'authorization {',
    '  users: [',
    `    { user: ${OPERATOR.user}, password: ${OPERATOR.password} }`,
    ...users.map((u) => `    ${userBlock(u)}`),
    '  ]',
    '}',
    '',
  ].join('\n');
}
