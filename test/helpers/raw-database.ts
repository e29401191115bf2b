/**
 * A node's database opened from outside the node, on either engine, as someone editing it behind
 * the node's back would: the SQLite file through a connection of its own (better-sqlite3), or the
 * PostgreSQL database through a client of its own. Statements are written once, in the store's
 * SQLite dialect with `?` placeholders and quoted identifiers; on PostgreSQL they pass through the
 * store's own rewrite (src/store/dialect.ts).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { toPostgres } from '../../src/store/dialect.js';

export interface RawDatabase {
  /** The first row, or undefined. */
  get<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T | undefined>;
  /** Every row. */
  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  run(sql: string, ...params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** The node's database: PostgreSQL when `databaseUrl` names one, else the SQLite file. */
export async function openRawDatabase(target: { dbFile: string; databaseUrl?: string }): Promise<RawDatabase> {
  const url = target.databaseUrl ?? '';
  if (url.startsWith('postgresql:') || url.startsWith('postgres:')) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      get: async <T>(sql: string, ...params: unknown[]) => (await client.query(toPostgres(sql), params)).rows[0] as T | undefined,
      all: async <T>(sql: string, ...params: unknown[]) => (await client.query(toPostgres(sql), params)).rows as T[],
      run: async (sql, ...params) => {
        await client.query(toPostgres(sql), params);
      },
      close: () => client.end(),
    };
  }
  const db = new Database(target.dbFile);
  db.pragma('busy_timeout = 10000');
  return {
    get: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).get(...params) as T | undefined,
    all: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[],
    run: async (sql, ...params) => {
      db.prepare(sql).run(...params);
    },
    close: async () => {
      db.close();
    },
  };
}
