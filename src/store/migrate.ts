/**
 * Applies prisma/migrations (SQLite) or prisma/postgres/migrations (PostgreSQL) at start-up, recording each in Prisma's own `_prisma_migrations` table
 * (same columns and checksum), so `prisma migrate deploy` and this runner agree on what is applied.
 * Each migration runs in one transaction: a failed migration leaves nothing half-applied.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PrismaClient } from '../generated/prisma/client.js';
import { engineOf, type Engine } from './engine.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');
/** The same migrations ported to PostgreSQL (prisma/postgres/README.md says how). */
export const POSTGRES_MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../prisma/postgres/migrations');

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  if (!existsSync(dir)) throw new Error(`migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const CREATE_MIGRATIONS_TABLE: Record<Engine, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`,
  // Prisma's own table on PostgreSQL, column for column.
  postgres: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`,
};

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** Returns the names of the migrations applied by this call. */
export async function applyMigrations(prisma: PrismaClient, dir?: string): Promise<string[]> {
  const engine = engineOf(prisma);
  dir ??= engine === 'postgres' ? POSTGRES_MIGRATIONS_DIR : MIGRATIONS_DIR;
  await prisma.$executeRawUnsafe(CREATE_MIGRATIONS_TABLE[engine]);
  const applied = await prisma.$queryRawUnsafe<{ migration_name: string; checksum: string }[]>(
    `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const appliedByName = new Map(applied.map((row) => [row.migration_name, row.checksum]));
  const newlyApplied: string[] = [];
  for (const migration of readMigrations(dir)) {
    const previous = appliedByName.get(migration.name);
    if (previous !== undefined) {
      if (previous !== migration.checksum) {
        throw new MigrationError(`migration ${migration.name} was edited after it was applied (checksum differs)`);
      }
      continue;
    }
    const statements = splitStatements(migration.sql);
    await prisma.$transaction(async (tx) => {
      // Nodes starting together on one PostgreSQL database take turns (SQLite's writer lock does this there).
      if (engine === 'postgres') await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(7231901)`);
      for (const statement of statements) await tx.$executeRawUnsafe(statement);
      await tx.$executeRawUnsafe(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
         VALUES (?, ?, current_timestamp, ?, current_timestamp, 1)`,
        randomUUID(),
        migration.checksum,
        migration.name,
      );
    });
    newlyApplied.push(migration.name);
  }
  return newlyApplied;
}

/**
 * Splits a migration into statements; our migrations hold no semicolons inside literals. A
 * CREATE TRIGGER runs to its END, so the statements in its body stay with it, and a PostgreSQL
 * function body between `$$` quotes stays whole.
 */
export function splitStatements(sql: string): string[] {
  const pieces = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const statements: string[] = [];
  let trigger: string | undefined;
  let dollar: string | undefined;
  for (const piece of pieces) {
    if (dollar !== undefined || (piece.split('$$').length - 1) % 2 === 1) {
      dollar = dollar === undefined ? piece : `${dollar};\n${piece}`;
      if ((dollar.split('$$').length - 1) % 2 === 0) {
        statements.push(dollar);
        dollar = undefined;
      }
      continue;
    }
    if (trigger !== undefined) trigger = `${trigger};\n${piece}`;
    else if (/^CREATE\s+(TEMP\s+|TEMPORARY\s+)?TRIGGER\b/i.test(piece) && /\bBEGIN\b/i.test(piece)) trigger = piece;
    else {
      statements.push(piece);
      continue;
    }
    if (/\bEND$/i.test(trigger)) {
      statements.push(trigger);
      trigger = undefined;
    }
  }
  if (dollar !== undefined) throw new MigrationError(`$$ quote without its end: ${dollar.slice(0, 80)}`);
  if (trigger !== undefined) throw new MigrationError(`CREATE TRIGGER without END: ${trigger.slice(0, 80)}`);
  return statements;
}
