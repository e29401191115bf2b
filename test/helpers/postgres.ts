/**
 * PostgreSQL for the medium and end-to-end tiers. With PROVENANT_TEST_DB=postgres, the run's global
 * set-up (test/helpers/postgres-global-setup.ts) starts a throw-away cluster under the temporary
 * directory on a free loopback port, or uses PROVENANT_TEST_POSTGRES_URL when CI provides a
 * server; every test node then gets a database of its own (createTestDatabase), dropped again by
 * destroy().
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Whether the test nodes of this run use PostgreSQL. */
export function testEngine(): 'sqlite' | 'postgres' {
  return process.env.PROVENANT_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}

function serverUrl(): string {
  const url = process.env.PROVENANT_TEST_POSTGRES_URL;
  if (!url) throw new Error('PROVENANT_TEST_DB=postgres needs the run\'s cluster (vitest globalSetup) or PROVENANT_TEST_POSTGRES_URL');
  return url;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh, empty database on the run's server; its URL. */
export async function createTestDatabase(): Promise<string> {
  const name = `provenant_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return withDatabase(serverUrl(), name);
}

/** Drops a database createTestDatabase made (its connections are ended first). */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^provenant_test_[0-9a-f]+$/.test(name)) throw new Error(`not a test database: ${name}`);
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** The newest installed PostgreSQL server binaries (Debian's layout), or undefined. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  url: string;
  stop(): void;
}

/**
 * initdb and pg_ctl on a free loopback port; the server runs as the `postgres` user when the tests
 * run as root (PostgreSQL refuses root). Durability is off: the cluster lives for one run.
 */
export async function startCluster(): Promise<Cluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql (or set PROVENANT_TEST_POSTGRES_URL)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim()), Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim()));
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]] : [path.join(bin, cmd), args];
    const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout || result.error?.message}`);
  };
  const data = path.join(dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * The run's server, or a cluster of this test file's own when the run has none (a suite that needs
 * PostgreSQL whatever PROVENANT_TEST_DB says); stop() stops only what this call started.
 */
export async function postgresServer(): Promise<{ url: string; stop(): void }> {
  if (process.env.PROVENANT_TEST_POSTGRES_URL) return { url: process.env.PROVENANT_TEST_POSTGRES_URL, stop: () => undefined };
  const cluster = await startCluster();
  process.env.PROVENANT_TEST_POSTGRES_URL = cluster.url;
  return {
    url: cluster.url,
    stop() {
      delete process.env.PROVENANT_TEST_POSTGRES_URL;
      cluster.stop();
    },
  };
}
