/**
 * Hot write paths (records, event indexes, device readings) are collected into a WriteBatch and
 * committed in one synchronous better-sqlite3 transaction with cached prepared statements, on
 * Prisma's own connection (raw-connection.ts); the hot existence checks before them
 * (selectWhereIn) read the same way. Prisma's driver adapter prepares every statement anew and
 * awaits between statements, which cost more than the writes themselves at thousands of rows per
 * second.
 */
import type { Pool } from 'pg';
import type { Database } from './database.js';
import { postgresPoolOf } from './engine.js';
import { outsideTransactions, prepared, rawConnectionOf, toSqlParam, type SqlParam } from './raw-connection.js';

export interface BatchStatement {
  sql: string;
  params: SqlParam[];
  onChanges?: (changes: number) => void;
}

export class WriteBatch {
  readonly statements: BatchStatement[] = [];

  /** Queues one statement; `onChanges` gets its changed-row count once the batch has committed. */
  add(sql: string, params: readonly unknown[], onChanges?: (changes: number) => void): void {
    this.statements.push({ sql, params: params.map(toSqlParam), onChanges });
  }

  /** Queues one INSERT per row (one cached statement per table, however many rows). */
  insert(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], conflict: '' | 'OR IGNORE' | 'OR REPLACE' = ''): void {
    if (rows.length === 0) return;
    const sql = `INSERT ${conflict} INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    for (const row of rows) this.add(sql, row);
  }

  /** Queues another batch's statements after this one's. */
  append(other: WriteBatch): void {
    for (const s of other.statements) this.statements.push(s);
  }

  get size(): number {
    return this.statements.length;
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
  const conn = rawConnectionOf(db);
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
    rows.push(...(prepared(conn, text).all(...params.map(toSqlParam), ...chunk) as Row[]));
  }
  return rows;
}

/**
 * Commits the batch atomically (all statements or none). Without a raw connection (a client not
 * opened by openDatabase) it falls back to one Prisma transaction.
 */
export async function commitWriteBatch(db: Database, batch: WriteBatch): Promise<void> {
  if (batch.size === 0) return;
  const pool = postgresPoolOf(db);
  if (pool) return commitOnPostgres(pool, batch);
  const conn = rawConnectionOf(db);
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

/** Rows per multi-row INSERT, and bound parameters per statement (PostgreSQL allows 65,535). */
const ROWS_PER_INSERT = 1_000;
const PARAMS_PER_INSERT = 30_000;

/**
 * Runs of the same INSERT (no row count wanted) as multi-row INSERTs; anything else one by one.
 * INSERT OR REPLACE is never merged: an upsert may not touch one row twice in a statement.
 */
export function mergedStatements(statements: readonly BatchStatement[]): BatchStatement[] {
  const out: BatchStatement[] = [];
  const mergeable = (s: BatchStatement) => s.onChanges === undefined && /^INSERT\s+(OR IGNORE\s+)?INTO\s+"\w+"\s*\([^)]*\)\s*VALUES\s*\([?,\s]*\)$/.test(s.sql);
  for (let i = 0; i < statements.length; ) {
    const first = statements[i]!;
    if (!mergeable(first)) {
      out.push(first);
      i += 1;
      continue;
    }
    const width = Math.max(1, first.params.length);
    const limit = Math.max(1, Math.min(ROWS_PER_INSERT, Math.floor(PARAMS_PER_INSERT / width)));
    let end = i + 1;
    while (end < statements.length && end - i < limit && statements[end]!.sql === first.sql && statements[end]!.onChanges === undefined) end += 1;
    const rows = statements.slice(i, end);
    const at = first.sql.search(/VALUES\s*\([?,\s]*\)$/);
    const values = first.sql.slice(at + 'VALUES'.length).trim();
    out.push({ sql: `${first.sql.slice(0, at)}VALUES ${rows.map(() => values).join(', ')}`, params: rows.flatMap((r) => r.params) });
    i = end;
  }
  return out;
}

/**
 * PostgreSQL: one client of the store's pool (its statements pass through the dialect rewrite), one
 * transaction, multi-row INSERTs. Prisma's interactive transaction would send every row on its own
 * and give up after five seconds, which a capture of thousands of identifiers can take.
 */
async function commitOnPostgres(pool: Pool, batch: WriteBatch): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const changes = new Map<BatchStatement, number>();
      for (const s of mergedStatements(batch.statements)) {
        const result = await client.query(s.sql, s.params);
        if (s.onChanges) changes.set(s, result.rowCount ?? 0);
      }
      await client.query('COMMIT');
      for (const s of batch.statements) if (s.onChanges) s.onChanges(changes.get(s) ?? 0);
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr as Error;
      });
      throw err;
    }
  } finally {
    client.release(broken);
  }
}
