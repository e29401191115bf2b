/**
 * The test harness's process mode (startTestNode({ process: true })): `provenant start` as a real
 * process on a temporary data directory and free ports. With demo, it runs until the simulators'
 * story (and its cold-chain breach) is sealed and the guide is printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { createTestDatabase, dropTestDatabase, testEngine } from './postgres.js';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');

export interface NodeProcessOptions {
  /** `--demo`: the demo consortium, its story and the reefer. Default true. */
  demo?: boolean;
  /** How long the node may take to be ready. Default 240 s. */
  timeoutMs?: number;
  /** The store engine; default PROVENANT_TEST_DB's. 'sqlite' for tests that read the SQLite file itself. */
  engine?: 'sqlite' | 'postgres';
}

export interface NodeProcess {
  /** http://127.0.0.1:PORT */
  url: string;
  dataDir: string;
  dbFile: string;
  /** The PostgreSQL database the process runs on; '' on SQLite (dbFile). */
  databaseUrl: string;
  /** Everything the process printed, line by line. */
  lines: string[];
  /** Stops the process (SIGTERM, SIGKILL after 15 s) and removes the data directory. */
  destroy(): Promise<void>;
}

export async function startNodeProcess(options: NodeProcessOptions = {}): Promise<NodeProcess> {
  const demo = options.demo ?? true;
  const timeoutMs = options.timeoutMs ?? 240_000;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'provenant-process-'));
  // PROVENANT_TEST_DB=postgres: the process gets a database of its own on the run's server.
  const databaseUrl = (options.engine ?? testEngine()) === 'postgres' ? await createTestDatabase() : '';
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO, 'src/transport/cli/provenant.mjs'), 'start', ...(demo ? ['--demo'] : []), '--port', '0'], {
    cwd: REPO,
    env: { ...process.env, PROVENANT_DATA_DIR: dataDir, MQTT_PORT: '0', DATABASE_URL: databaseUrl, HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines: string[] = [];
  let buffered = '';
  const feed = (chunk: string) => {
    buffered += chunk;
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
  };
  child.stdout!.setEncoding('utf8').on('data', feed);
  child.stderr!.setEncoding('utf8').on('data', feed);
  const destroy = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropTestDatabase(databaseUrl);
  };
  const deadline = Date.now() + timeoutMs;
  // A demo node prints its guide once the story is sealed and the breach has been waited for.
  const ready = (l: string) => (demo ? l.includes('an event (REST)') : l.includes('Provenant node on'));
  while (!lines.some(ready)) {
    if (child.exitCode !== null) {
      await destroy();
      throw new Error(`the node exited (${child.exitCode}):\n${lines.slice(-20).join('\n')}`);
    }
    if (Date.now() > deadline) {
      await destroy();
      throw new Error(`the node was not ready within ${timeoutMs / 1000} s:\n${lines.slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const url = /Provenant node on (http:\/\/\S+)/.exec(lines.find((l) => l.includes('Provenant node on')) ?? '')?.[1];
  if (!url) {
    await destroy();
    throw new Error(`no node URL in the output:\n${lines.join('\n')}`);
  }
  return { url, dataDir, dbFile: path.join(dataDir, 'provenant.db'), databaseUrl, lines, destroy };
}
