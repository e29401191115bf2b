/**
 * Hot write paths (records, event indexes, device readings) are collected into a WriteBatch and
 * committed in one synchronous better-sqlite3 transaction with cached prepared statements; the hot
 * existence checks before them (selectWhereIn) read the same way.
 * Prisma's driver adapter prepares every statement anew and awaits between statements, which
 * cost more than the writes themselves at thousands of rows per second.
 *
 * The batch runs on Prisma's own connection (captured in openDatabase), so there is one writer
 * and no lock waits, and only while no Prisma transaction is open on it (better-sqlite3's
 * `inTransaction`): a Prisma interactive transaction never sees our statements, and ours never
 * spans an await, so no Prisma statement can land inside it.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from './database.js';

type Param = string | number | bigint | Buffer | null;

interface BatchStatement {
  sql: string;
  params: Param[];
  onChanges?: (changes: number) => void;
}

export class WriteBatch {
  readonly statements: BatchStatement[] = [];

  /** Queues one statement; `onChanges` gets its changed-row count once the batch has committed. */
  add(sql: string, params: readonly unknown[], onChanges?: (changes: number) => void): void {
    this.statements.push({ sql, params: params.map(toParam), onChanges });
  }

  /** Queues one INSERT per row (one cached statement per table, however many rows). */
  insert(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], conflict: '' | 'OR IGNORE' | 'OR REPLACE' = ''): void {
    if (rows.length === 0) return;
    const sql = `INSERT ${conflict} INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    for (const row of rows) this.add(sql, row);
  }

  get size(): number {
    return this.statements.length;
  }
}

function toParam(value: unknown): Param {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || Buffer.isBuffer(value)) return value;
  throw new TypeError(`cannot bind a ${typeof value} to an SQL parameter`);
}

interface RawConnection {
  client: BetterSqlite3.Database;
  statements: Map<string, BetterSqlite3.Statement>;
}

const connections = new WeakMap<object, RawConnection>();
/** Prepared statements kept per connection; the hot paths use a handful, so this only bounds misuse. */
const STATEMENT_CACHE_LIMIT = 256;
/** How long a batch waits for a Prisma transaction on the same connection to finish. */
const PRISMA_TRANSACTION_WAIT_MS = 30_000;

/** Called by openDatabase with the better-sqlite3 connection behind the Prisma client. */
export function registerRawConnection(db: object, client: BetterSqlite3.Database): void {
  connections.set(db, { client, statements: new Map() });
}

function prepared(conn: RawConnection, sql: string): BetterSqlite3.Statement {
  let stmt = conn.statements.get(sql);
  if (!stmt) {
    if (conn.statements.size >= STATEMENT_CACHE_LIMIT) conn.statements.clear();
    stmt = conn.client.prepare(sql);
    conn.statements.set(sql, stmt);
  }
  return stmt;
}

/** Waits until no Prisma transaction is open on the connection (ours never span an await). */
async function outsideTransactions(conn: RawConnection): Promise<void> {
  const deadline = Date.now() + PRISMA_TRANSACTION_WAIT_MS;
  while (conn.client.inTransaction) {
    if (Date.now() > deadline) throw new Error('a database transaction stayed open too long; the statement was not run');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** IN-list lengths a query is padded to (with NULL, which matches nothing), so a few cached statements serve every length. */
const IN_LIST_LENGTHS = [8, 64, 500];
const MAX_IN_LIST = 500;

/**
 * Rows of `${before} IN (values…)${after}` for any number of values (chunked), e.g. which of these
 * hashes are stored. `params` bind the placeholders in `before`; integers come back as bigint.
 */
export async function selectWhereIn<Row>(db: Database, sql: { before: string; after?: string }, params: readonly unknown[], values: readonly string[]): Promise<Row[]> {
  const unique = [...new Set(values)];
  const conn = connections.get(db);
  const rows: Row[] = [];
  for (let start = 0; start < unique.length; start += MAX_IN_LIST) {
    const chunk: (string | null)[] = unique.slice(start, start + MAX_IN_LIST);
    const length = IN_LIST_LENGTHS.find((n) => n >= chunk.length)!;
    while (chunk.length < length) chunk.push(null);
    const text = `${sql.before} IN (${chunk.map(() => '?').join(', ')})${sql.after ?? ''}`;
    if (!conn) {
      rows.push(...(await db.$queryRawUnsafe<Row[]>(text, ...params, ...chunk)));
      continue;
    }
    await outsideTransactions(conn);
    rows.push(...(prepared(conn, text).all(...params.map(toParam), ...chunk) as Row[]));
  }
  return rows;
}

/**
 * Commits the batch atomically (all statements or none). Without a raw connection (a client not
 * opened by openDatabase) it falls back to one Prisma transaction.
 */
export async function commitWriteBatch(db: Database, batch: WriteBatch): Promise<void> {
  if (batch.size === 0) return;
  const conn = connections.get(db);
  if (!conn) {
    const changes: number[] = [];
    await db.$transaction(async (tx) => {
      for (const s of batch.statements) changes.push(await tx.$executeRawUnsafe(s.sql, ...s.params));
    });
    batch.statements.forEach((s, i) => s.onChanges?.(changes[i]!));
    return;
  }
  await outsideTransactions(conn);
  const changes = conn.client
    .transaction(() => batch.statements.map((s) => prepared(conn, s.sql).run(...s.params).changes))
    .immediate();
  batch.statements.forEach((s, i) => s.onChanges?.(changes[i]!));
}
