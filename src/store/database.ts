/**
 * Opens the store. SQLite (the embedded default) runs in WAL mode with synchronous=FULL, so a
 * record acknowledged to a caller survives power loss.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../generated/prisma/client.js';
import { applyMigrations } from './migrate.js';
import { registerRawConnection } from './raw-connection.js';

export type Database = PrismaClient;

export interface OpenDatabaseOptions {
  /** `file:./data/provenant.db`, a plain path, or `:memory:`. */
  url: string;
  migrate?: boolean;
}

export function sqliteFilePath(url: string): string {
  return url.replace(/^file:/, '');
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
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
  const rows = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(`PRAGMA ${name}`);
  return String(Object.values(rows[0] ?? {})[0]);
}

/** Readiness: a real query on the store's connection (throws when the database cannot answer). */
export async function pingDatabase(prisma: Database): Promise<void> {
  await prisma.$queryRawUnsafe('SELECT count(*) FROM "Consortium"');
}
