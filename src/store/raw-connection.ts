/**
 * The better-sqlite3 connection behind a Prisma client (captured by openDatabase), with a cache of
 * prepared statements. The hot paths (write-batch.ts) run on it synchronously: Prisma's driver
 * adapter prepares every statement anew and awaits between statements.
 *
 * Statements run only while no Prisma transaction is open on the connection (better-sqlite3's
 * `inTransaction`): a Prisma interactive transaction never sees ours, and ours never span an
 * await, so no Prisma statement can land inside one of them.
 */
import type BetterSqlite3 from 'better-sqlite3';

export type SqlParam = string | number | bigint | Buffer | null;

export interface RawConnection {
  client: BetterSqlite3.Database;
  statements: Map<string, BetterSqlite3.Statement>;
}

const connections = new WeakMap<object, RawConnection>();
/** Prepared statements kept per connection; the hot paths use a handful, so this only bounds misuse. */
const STATEMENT_CACHE_LIMIT = 256;
/** How long a statement waits for a Prisma transaction on the same connection to finish. */
const PRISMA_TRANSACTION_WAIT_MS = 30_000;

/** Called by openDatabase with the better-sqlite3 connection behind the Prisma client. */
export function registerRawConnection(db: object, client: BetterSqlite3.Database): void {
  connections.set(db, { client, statements: new Map() });
}

/** The raw connection of a client opened by openDatabase; undefined for any other client. */
export function rawConnectionOf(db: object): RawConnection | undefined {
  return connections.get(db);
}

export function prepared(conn: RawConnection, sql: string): BetterSqlite3.Statement {
  let stmt = conn.statements.get(sql);
  if (!stmt) {
    if (conn.statements.size >= STATEMENT_CACHE_LIMIT) conn.statements.clear();
    stmt = conn.client.prepare(sql);
    conn.statements.set(sql, stmt);
  }
  return stmt;
}

/** Waits until no Prisma transaction is open on the connection (ours never span an await). */
export async function outsideTransactions(conn: RawConnection): Promise<void> {
  const deadline = Date.now() + PRISMA_TRANSACTION_WAIT_MS;
  while (conn.client.inTransaction) {
    if (Date.now() > deadline) throw new Error('a database transaction stayed open too long; the statement was not run');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function toSqlParam(value: unknown): SqlParam {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || Buffer.isBuffer(value)) return value;
  throw new TypeError(`cannot bind a ${typeof value} to an SQL parameter`);
}
