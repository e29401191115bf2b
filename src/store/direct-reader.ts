/**
 * A read-only better-sqlite3 connection of lineage's own beside the writer (WAL), with its
 * statements prepared once and a ChangeWatch over the consortium's chain rows.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from './database.js';
import { ChangeWatch, type WatchResult } from './change-watch.js';
import { engineOf } from './engine.js';
import { PostgresReader } from './postgres-watch.js';

/** What lineage reads with: SQLite's synchronous connection, or PostgreSQL's (postgres-watch.ts). */
export interface LineageReader {
  readonly watch: { check(): WatchResult | Promise<WatchResult> };
  all<T>(sql: string, params: readonly unknown[]): T[] | Promise<T[]>;
  raw<T extends unknown[]>(sql: string, params: readonly unknown[]): T[] | Promise<T[]>;
  close(): void;
}

/** Read-only statements kept per connection (lineage uses a dozen shapes). */
const STATEMENT_LIMIT = 64;
/**
 * Page cache and memory map of the read connection: a recall touches a few pages per event at
 * random across the file (index and table b-trees), and revisits them query after query; mapped
 * pages are read without a copy (SQLite caps the map at its build limit, 2 GB by default).
 */
const READER_CACHE_KIB = 256 * 1024;
const READER_MMAP_BYTES = 8 * 1024 * 1024 * 1024;

/**
 * Synchronous reads on a read-only better-sqlite3 connection: Prisma's driver adapter prepares each
 * statement anew and converts every value of every row, which cost more than SQLite itself at
 * thousands of rows per trace. WAL lets this connection read committed data beside the writer.
 */
export class DirectReader {
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  readonly watch: ChangeWatch;
  constructor(
    private readonly client: BetterSqlite3.Database,
    consortiumId: string,
  ) {
    this.watch = new ChangeWatch(client, consortiumId);
  }

  all<T>(sql: string, params: readonly unknown[]): T[] {
    return this.#statement(sql, false).all(...params) as T[];
  }

  /** Rows as arrays of the selected columns (no object per row). */
  raw<T extends unknown[]>(sql: string, params: readonly unknown[]): T[] {
    return this.#statement(sql, true).all(...params) as T[];
  }

  close(): void {
    this.#statements.clear();
    if (this.client.open) this.client.close();
  }

  #statement(sql: string, raw: boolean): BetterSqlite3.Statement {
    const key = raw ? `raw:${sql}` : sql;
    let statement = this.#statements.get(key);
    if (!statement) {
      if (this.#statements.size >= STATEMENT_LIMIT) this.#statements.clear();
      statement = this.client.prepare(sql);
      if (raw) statement.raw(true);
      this.#statements.set(key, statement);
    }
    return statement;
  }
}

export async function openReader(db: Database, consortiumId: string): Promise<LineageReader | undefined> {
  if (engineOf(db) === 'postgres') return new PostgresReader(db);
  try {
    const files = await db.$queryRawUnsafe<{ name: string; file: string | null }[]>('PRAGMA database_list');
    const file = files.find((f) => f.name === 'main')?.file;
    if (!file) return undefined;
    const mode = await db.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
    // Without WAL a second connection could wait on the writer's locks: stay on Prisma's connection.
    if (String(mode[0]?.journal_mode).toLowerCase() !== 'wal') return undefined;
    const client = new BetterSqlite3(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
    client.pragma(`cache_size = -${READER_CACHE_KIB}`);
    client.pragma(`mmap_size = ${READER_MMAP_BYTES}`);
    return new DirectReader(client, consortiumId);
  } catch {
    return undefined;
  }
}

