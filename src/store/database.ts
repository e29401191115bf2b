/**
 * Opens the store, on the engine DATABASE_URL names (the one place that picks it). SQLite (the
 * embedded default) runs in WAL mode with synchronous=FULL, so a record acknowledged to a caller
 * survives power loss; PostgreSQL commits durably by default (synchronous_commit=on).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { PrismaClient as PostgresPrismaClient } from '../generated/prisma-postgres/client.js';
import { databaseEngine } from '../platform/config.js';
import { toPostgres } from './dialect.js';
import { engineOf, recordEngine, recordPostgresPool } from './engine.js';
import { applyMigrations } from './migrate.js';
import { registerRawConnection } from './raw-connection.js';

/**
 * Both generated clients come from the same models (prisma/generate.mjs), so they have the same
 * model API; the store is typed against the SQLite one.
 */
export type Database = PrismaClient;
export { engineOf, type Engine } from './engine.js';

export interface OpenDatabaseOptions {
  /** `file:./data/provenant.db`, a plain path, or `:memory:`. */
  url: string;
  migrate?: boolean;
}

export function isPostgresUrl(url: string): boolean {
  return databaseEngine(url) === 'postgres';
}

export function sqliteFilePath(url: string): string {
  return url.replace(/^file:/, '');
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (databaseEngine(options.url) === 'postgres') return openPostgres(options);
  const file = sqliteFilePath(options.url);
  if (file !== ':memory:') createPrivately(path.resolve(file));
  const factory = new PrismaBetterSqlite3({ url: `file:${file}`, timeout: 10_000 });
  let raw: BetterSqlite3.Database | undefined;
  // Keeps the connection Prisma opens, for the synchronous write batches (see raw-connection.ts).
  const adapter: typeof factory = Object.assign(Object.create(factory) as typeof factory, {
    connect: async () => {
      const connected = await factory.connect();
      raw = (connected as unknown as { client: BetterSqlite3.Database }).client;
      return connected;
    },
    connectToShadowDb: () => factory.connectToShadowDb(),
  });
  const prisma = new PrismaClient({ adapter });
  try {
    await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    if (raw) registerRawConnection(prisma, raw);
    await prisma.$executeRawUnsafe('PRAGMA synchronous = FULL');
    await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
    if (options.migrate !== false) await applyMigrations(prisma);
  } catch (err) {
    await prisma.$disconnect();
    throw err;
  }
  return prisma;
}

/**
 * PostgreSQL through @prisma/adapter-pg, on a pool whose clients rewrite the store's SQLite-dialect
 * statements (dialect.ts) before they reach the server.
 */
async function openPostgres(options: OpenDatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({ connectionString: options.url, max: 10 });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => query(rewritten(config), ...rest);
  });
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const prisma = new PostgresPrismaClient({ adapter }) as unknown as Database;
  recordEngine(prisma, 'postgres');
  recordPostgresPool(prisma, pool);
  try {
    if (options.migrate !== false) await applyMigrations(prisma);
  } catch (err) {
    await prisma.$disconnect();
    throw err;
  }
  return prisma;
}

function rewritten(config: unknown): unknown {
  if (typeof config === 'string') return toPostgres(config);
  if (config && typeof config === 'object' && typeof (config as { text?: unknown }).text === 'string') {
    return { ...(config as object), text: toPostgres((config as { text: string }).text) };
  }
  return config;
}

/**
 * The database holds personal data and documents: directories made for it are 0700, and the file
 * is 0600 before SQLite opens it (SQLite gives its -wal and -shm files the database file's mode).
 */
function createPrivately(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const companion of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(companion)) chmodSync(companion, 0o600);
  }
}

export async function readPragma(prisma: Database, name: 'journal_mode' | 'synchronous'): Promise<string> {
  if (engineOf(prisma) === 'postgres') throw new TypeError('PRAGMA is SQLite only');
  const rows = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(`PRAGMA ${name}`);
  return String(Object.values(rows[0] ?? {})[0]);
}

/** Readiness: a real query on the store's connection (throws when the database cannot answer). */
export async function pingDatabase(prisma: Database): Promise<void> {
  await prisma.$queryRawUnsafe('SELECT count(*) FROM "Consortium"');
}
