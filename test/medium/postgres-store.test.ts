/**
 * The store on a real PostgreSQL server (a cluster of this file's own unless the run has one):
 * migrations, the SQLite-dialect statements rewritten for it, and the lineage change watch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, engineOf, type Database } from '../../src/store/database.js';
import { POSTGRES_MIGRATIONS_DIR, applyMigrations, readMigrations } from '../../src/store/migrate.js';
import { PostgresChangeWatch } from '../../src/store/postgres-watch.js';
import { UNTRUSTED } from '../../src/store/change-watch.js';
import { createTestDatabase, dropTestDatabase, postgresServer } from '../helpers/postgres.js';
import { WriteBatch, commitWriteBatch } from '../../src/store/write-batch.js';

let server: { stop(): void };
let url: string;
let db: Database;

beforeAll(async () => {
  server = await postgresServer();
  url = await createTestDatabase();
  db = await openDatabase({ url });
}, 120_000);

afterAll(async () => {
  await db?.$disconnect();
  if (url) await dropTestDatabase(url);
  server?.stop();
});

const identifierRow = (identifier: string, eventId = 'e1') => [`INSERT OR IGNORE INTO "EventIdentifier" ("consortiumId", "identifier", "eventId", "role", "eventTime") VALUES (?, ?, ?, ?, ?)`, 'c', identifier, eventId, 'epc', '2026-01-01T00:00:00Z'] as const;

describe('the store on PostgreSQL', () => {
  it('applies every PostgreSQL migration once, recorded in Prisma\'s table', async () => {
    expect(engineOf(db)).toBe('postgres');
    const applied = await db.$queryRawUnsafe<{ migration_name: string }[]>(`SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name`);
    expect(applied.map((r) => r.migration_name)).toEqual(readMigrations(POSTGRES_MIGRATIONS_DIR).map((m) => m.name));
    expect(await applyMigrations(db)).toEqual([]);
  });

  it('runs the store\'s SQLite-dialect statements: placeholders, INSERT OR IGNORE and OR REPLACE, JSON arrays', async () => {
    const [sql, ...args] = identifierRow('urn:a');
    expect(await db.$executeRawUnsafe(sql, ...args)).toBe(1);
    expect(await db.$executeRawUnsafe(sql, ...args)).toBe(0);
    const custody = `INSERT OR REPLACE INTO "Custody" ("consortiumId", "identifier", "orgId", "eventId", "eventTime") VALUES (?,?,?,?,?)`;
    await db.$executeRawUnsafe(custody, 'c', 'urn:a', 'farm', 'e1', '2026-01-01T00:00:00Z');
    await db.$executeRawUnsafe(custody, 'c', 'urn:a', null, 'e2', '2026-01-02T00:00:00Z');
    expect(await db.custody.findMany()).toEqual([{ consortiumId: 'c', identifier: 'urn:a', orgId: null, eventId: 'e2', eventTime: '2026-01-02T00:00:00Z' }]);
    const found = await db.$queryRawUnsafe<{ value: string; eventId: string }[]>(
      `SELECT j.value, ei."eventId" FROM json_each(?) j CROSS JOIN "EventIdentifier" ei WHERE ei."consortiumId" = ? AND ei."identifier" = j.value`,
      JSON.stringify(['urn:a', 'urn:b']),
      'c',
    );
    expect(found).toEqual([{ value: 'urn:a', eventId: 'e1' }]);
  });

  it('orders event times in UTC as SQLite\'s strftime does', async () => {
    const rows = await db.$queryRawUnsafe<{ t: string | null; bad: string | null }[]>(`SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?) AS "t", strftime('%Y-%m-%dT%H:%M:%fZ', ?) AS "bad"`, '2026-03-01T10:00:00.5+01:00', 'not a time');
    expect(rows).toEqual([{ t: '2026-03-01T09:00:00.500Z', bad: null }]);
  });
});

describe('PostgresChangeWatch', () => {
  it('keeps a generation while nothing changes and starts a new one on any append, edit or delete', async () => {
    const watch = new PostgresChangeWatch(db);
    const first = await watch.check();
    expect(first.renewed).toBe(true);
    expect(first.generation).not.toBe(UNTRUSTED);
    expect(await watch.check()).toEqual({ generation: first.generation, renewed: false });

    const [sql, ...args] = identifierRow('urn:c');
    await db.$executeRawUnsafe(sql, ...args);
    const afterAppend = await watch.check();
    expect(afterAppend.renewed).toBe(true);
    expect(afterAppend.generation).not.toBe(first.generation);
    expect((await watch.check()).renewed).toBe(false);

    await db.$executeRawUnsafe(`UPDATE "EventIdentifier" SET "role" = 'input' WHERE "identifier" = ?`, 'urn:c');
    expect((await watch.check()).renewed).toBe(true);
    await db.$executeRawUnsafe(`DELETE FROM "EventIdentifier" WHERE "identifier" = ?`, 'urn:c');
    expect((await watch.check()).renewed).toBe(true);
    expect((await watch.check()).renewed).toBe(false);
  });

  it('lets a record\'s sealing pass, and counts any other edit of a record', async () => {
    await db.$executeRawUnsafe(
      `INSERT INTO "LedgerRecord" ("hash", "consortiumId", "logIndex", "kind", "signer", "signedAt", "receivedAt", "body") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      'h1', 'c', 0, 'epcis.event', 'k', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '{}',
    );
    const watch = new PostgresChangeWatch(db);
    const start = await watch.check();
    await db.$executeRawUnsafe(`UPDATE "LedgerRecord" SET "blockHeight" = 1, "indexInBlock" = 0 WHERE "hash" = ?`, 'h1');
    expect(await watch.check()).toEqual({ generation: start.generation, renewed: false });
    await db.$executeRawUnsafe(`UPDATE "LedgerRecord" SET "body" = '{"x":1}' WHERE "hash" = ?`, 'h1');
    expect((await watch.check()).renewed).toBe(true);
  });

  it('keeps nothing while a trigger is disabled, and ends a generation after its maximum age', async () => {
    let now = 0;
    const watch = new PostgresChangeWatch(db, { maxAgeMs: 1000, now: () => now });
    const start = await watch.check();
    now = 500;
    expect((await watch.check()).renewed).toBe(false);
    now = 1600;
    const aged = await watch.check();
    expect(aged.renewed).toBe(true);
    expect(aged.generation).not.toBe(start.generation);
    await db.$executeRawUnsafe(`ALTER TABLE "EpcisEvent" DISABLE TRIGGER "EpcisEvent_lineage_append"`);
    try {
      expect((await watch.check()).generation).toBe(UNTRUSTED);
      expect((await watch.check()).generation).toBe(UNTRUSTED);
    } finally {
      await db.$executeRawUnsafe(`ALTER TABLE "EpcisEvent" ENABLE TRIGGER "EpcisEvent_lineage_append"`);
    }
    expect((await watch.check()).generation).not.toBe(UNTRUSTED);
  });
});

describe('write batches on PostgreSQL', () => {
  const rows = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ['wb', `${prefix}${i}`, `e-${prefix}`, 'epc', '2026-01-01T00:00:00Z']);
  const count = async (prefix: string) => Number((await db.$queryRawUnsafe<{ n: bigint | number }[]>(`SELECT count(*) AS n FROM "EventIdentifier" WHERE "consortiumId" = 'wb' AND "identifier" LIKE ?`, `${prefix}%`))[0]!.n);
  const columns = ['consortiumId', 'identifier', 'eventId', 'role', 'eventTime'];

  it('commits 20,000 index rows of one capture in one transaction, well within what Prisma would allow one (5 s)', async () => {
    const batch = new WriteBatch();
    batch.insert('EventIdentifier', columns, rows('big:', 20_000), 'OR IGNORE');
    batch.insert('EventIdentifier', columns, rows('big:', 10), 'OR IGNORE');
    let replaced = -1;
    batch.add(`INSERT OR REPLACE INTO "Custody" ("consortiumId", "identifier", "orgId", "eventId", "eventTime") VALUES (?, ?, ?, ?, ?)`, ['wb', 'big:0', 'farm', 'e', 't'], (n) => (replaced = n));
    const started = performance.now();
    await commitWriteBatch(db, batch);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await count('big:')).toBe(20_000);
    expect(replaced).toBe(1);
  });

  it('leaves nothing of a batch whose last statement fails', async () => {
    const batch = new WriteBatch();
    batch.insert('EventIdentifier', columns, rows('undone:', 3_000), 'OR IGNORE');
    batch.add(`INSERT INTO "NoSuchTable" ("x") VALUES (?)`, [1]);
    await expect(commitWriteBatch(db, batch)).rejects.toThrow(/NoSuchTable/);
    expect(await count('undone:')).toBe(0);
    // The connection went back to the pool usable.
    const next = new WriteBatch();
    next.insert('EventIdentifier', columns, rows('after:', 5), 'OR IGNORE');
    await commitWriteBatch(db, next);
    expect(await count('after:')).toBe(5);
  });
});
