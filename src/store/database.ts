/**
 * Opens the store. SQLite (the embedded default) runs in WAL mode with synchronous=FULL, so a
 * record acknowledged to a caller survives power loss.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../generated/prisma/client.js';
import { applyMigrations } from './migrate.js';

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
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const adapter = new PrismaBetterSqlite3({ url: `file:${file}`, timeout: 10_000 });
  const prisma = new PrismaClient({ adapter });
  try {
    await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    await prisma.$executeRawUnsafe('PRAGMA synchronous = FULL');
    await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
    if (options.migrate !== false) await applyMigrations(prisma);
  } catch (err) {
    await prisma.$disconnect();
    throw err;
  }
  return prisma;
}

export async function readPragma(prisma: Database, name: 'journal_mode' | 'synchronous'): Promise<string> {
  const rows = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(`PRAGMA ${name}`);
  return String(Object.values(rows[0] ?? {})[0]);
}
