/**
 * The stored identifier index map (docs/completeness.md): leaves (IndexLeaf), bucket roots
 * (IndexBucket) and the block they are at (IndexState). A bucket's leaves are a range of the
 * primary key (the key's first 4 hex digits), read with one statement for many buckets.
 */
import { BUCKET_BITS, bucketOfKey, type IdentifiedLeaf, type MapLeaf } from '../core/ledger/index-map/index.js';
import type { Database } from './database.js';
import { outsideTransactions, prepared, rawConnectionOf } from './raw-connection.js';

type Tx = Parameters<Parameters<Database['$transaction']>[0]>[0];
type Executor = Pick<Database, '$executeRawUnsafe' | '$queryRawUnsafe'> | Tx;

export interface IndexStateRow {
  height: number;
  logSize: number;
  root: string;
}

/** The bucket as the key prefix its leaves share. */
export function bucketPrefix(bucket: number): string {
  return bucket.toString(16).padStart(BUCKET_BITS / 4, '0');
}

export const BUCKET_LEAVES_SQL = `SELECT l."key", l."count", l."head" FROM json_each(?) j CROSS JOIN "IndexLeaf" l
  WHERE l."consortiumId" = ? AND l."key" >= j.value AND l."key" < j.value || 'g'`;

const BUCKETS_PER_STATEMENT = 20_000;
const ROWS_PER_INSERT = 5_000;

type Num = number | bigint;

/** Groups rows of BUCKET_LEAVES_SQL by bucket; every asked bucket is in the result (maybe empty). */
export function groupLeaves(buckets: readonly number[], rows: Iterable<readonly [string, Num, string]>): Map<number, MapLeaf[]> {
  const out = new Map<number, MapLeaf[]>(buckets.map((b) => [b, []]));
  for (const [key, count, head] of rows) out.get(bucketOfKey(key))?.push({ key, count: Number(count), head });
  return out;
}

/** Every leaf of the given buckets, on the writer's connection (the sealer's reads). */
export async function readBucketLeaves(db: Database, consortiumId: string, buckets: readonly number[]): Promise<Map<number, MapLeaf[]>> {
  const unique = [...new Set(buckets)];
  const rows: [string, Num, string][] = [];
  const conn = rawConnectionOf(db);
  for (let i = 0; i < unique.length; i += BUCKETS_PER_STATEMENT) {
    const prefixes = JSON.stringify(unique.slice(i, i + BUCKETS_PER_STATEMENT).map(bucketPrefix));
    if (conn) {
      await outsideTransactions(conn);
      rows.push(...(prepared(conn, BUCKET_LEAVES_SQL).raw(true).all(prefixes, consortiumId) as [string, Num, string][]));
    } else {
      const got = await db.$queryRawUnsafe<{ key: string; count: Num; head: string }[]>(BUCKET_LEAVES_SQL, prefixes, consortiumId);
      rows.push(...got.map((r): [string, Num, string] => [r.key, r.count, r.head]));
    }
  }
  return groupLeaves(unique, rows);
}

export async function readIndexState(db: Executor, consortiumId: string): Promise<IndexStateRow | undefined> {
  const rows = await db.$queryRawUnsafe<{ height: Num; logSize: Num; root: string }[]>(
    `SELECT "height", "logSize", "root" FROM "IndexState" WHERE "consortiumId" = ?`,
    consortiumId,
  );
  const r = rows[0];
  return r ? { height: Number(r.height), logSize: Number(r.logSize), root: r.root } : undefined;
}

/** Every stored bucket root (hex) of the consortium. */
export async function readBucketRoots(db: Executor, consortiumId: string): Promise<Map<number, string>> {
  const rows = await db.$queryRawUnsafe<{ bucket: Num; root: string }[]>(`SELECT "bucket", "root" FROM "IndexBucket" WHERE "consortiumId" = ?`, consortiumId);
  return new Map(rows.map((r) => [Number(r.bucket), r.root]));
}

async function insertChunked(tx: Executor, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    await tx.$executeRawUnsafe(
      `INSERT OR REPLACE INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`,
      ...chunk.flat(),
    );
  }
}

export interface IndexMapWrite {
  leaves: readonly IdentifiedLeaf[];
  /** New bucket roots, hex (EMPTY buckets are deleted). */
  roots: ReadonlyMap<number, string>;
  state: IndexStateRow;
}

const EMPTY_ROOT = '0'.repeat(64);

/** Writes a map change (leaves, bucket roots, state) inside the caller's transaction. */
export async function writeIndexMap(tx: Executor, consortiumId: string, write: IndexMapWrite): Promise<void> {
  await insertChunked(tx, 'IndexLeaf', ['consortiumId', 'key', 'identifier', 'count', 'head'], write.leaves.map((l) => [consortiumId, l.key, l.identifier, l.count, l.head]));
  const roots = [...write.roots];
  await insertChunked(tx, 'IndexBucket', ['consortiumId', 'bucket', 'root'], roots.filter(([, r]) => r !== EMPTY_ROOT).map(([b, r]) => [consortiumId, b, r]));
  for (const [b, r] of roots) if (r === EMPTY_ROOT) await tx.$executeRawUnsafe(`DELETE FROM "IndexBucket" WHERE "consortiumId" = ? AND "bucket" = ?`, consortiumId, b);
  await tx.$executeRawUnsafe(
    `INSERT OR REPLACE INTO "IndexState" ("consortiumId", "height", "logSize", "root") VALUES (?, ?, ?, ?)`,
    consortiumId,
    write.state.height,
    write.state.logSize,
    write.state.root,
  );
}

/** Writes part of a rebuild (leaves and bucket roots, no state) in its own transaction. */
export async function writeIndexMapPart(db: Database, consortiumId: string, leaves: readonly IdentifiedLeaf[], roots: ReadonlyMap<number, string>): Promise<void> {
  await db.$transaction(async (tx) => {
    await insertChunked(tx, 'IndexLeaf', ['consortiumId', 'key', 'identifier', 'count', 'head'], leaves.map((l) => [consortiumId, l.key, l.identifier, l.count, l.head]));
    await insertChunked(tx, 'IndexBucket', ['consortiumId', 'bucket', 'root'], [...roots].map(([b, r]) => [consortiumId, b, r]));
  });
}

/** Drops the consortium's stored map (a rebuild starts from nothing). */
export async function clearIndexMap(db: Database, consortiumId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    for (const table of ['IndexState', 'IndexLeaf', 'IndexBucket']) await tx.$executeRawUnsafe(`DELETE FROM "${table}" WHERE "consortiumId" = ?`, consortiumId);
  });
}

export async function writeIndexState(db: Database, consortiumId: string, state: IndexStateRow): Promise<void> {
  await db.$executeRawUnsafe(
    `INSERT OR REPLACE INTO "IndexState" ("consortiumId", "height", "logSize", "root") VALUES (?, ?, ?, ?)`,
    consortiumId,
    state.height,
    state.logSize,
    state.root,
  );
}

/** Sealed records that touch the index (epcis.event and membership kinds) below the log size, in log order, a page at a time (rebuilds read the chain itself). */
export async function* indexedRecordPages(db: Database, consortiumId: string, logSize: number, kinds: readonly string[], pageSize = 5_000): AsyncGenerator<{ hash: string; logIndex: number; body: string }[]> {
  let after = -1;
  for (;;) {
    const rows = await db.$queryRawUnsafe<{ hash: string; logIndex: Num; body: string }[]>(
      `SELECT "hash", "logIndex", "body" FROM "LedgerRecord" WHERE "consortiumId" = ? AND "kind" IN (SELECT value FROM json_each(?)) AND "logIndex" > ? AND "logIndex" < ?
        ORDER BY "logIndex" LIMIT ?`,
      consortiumId,
      JSON.stringify(kinds),
      after,
      logSize,
      pageSize,
    );
    if (rows.length === 0) return;
    yield rows.map((r) => ({ hash: r.hash, logIndex: Number(r.logIndex), body: r.body }));
    after = Number(rows[rows.length - 1]!.logIndex);
  }
}
