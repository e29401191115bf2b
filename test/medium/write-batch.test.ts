import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, readPragma, type Database } from '../../src/store/database.js';
import { WriteBatch, commitWriteBatch, selectWhereIn } from '../../src/store/write-batch.js';

const insertSql = `INSERT INTO "Custody" ("consortiumId", "identifier", "orgId", "eventId", "eventTime") VALUES (?, ?, ?, ?, ?)`;

async function identifiers(db: Database): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<{ identifier: string }[]>(`SELECT "identifier" FROM "Custody" ORDER BY "identifier"`);
  return rows.map((r) => r.identifier);
}

describe('write batches on the Prisma connection', () => {
  let dir: string;
  let db: Database;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-write-batch-'));
    db = await openDatabase({ url: `file:${path.join(dir, 'db.sqlite')}` });
  });
  afterEach(async () => {
    await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits every statement and reports changed rows per statement', async () => {
    const batch = new WriteBatch();
    batch.insert('Custody', ['consortiumId', 'identifier', 'orgId', 'eventId', 'eventTime'], [
      ['c', 'a', 'farm', 'e1', 't1'],
      ['c', 'b', null, 'e2', 't2'],
    ]);
    const changed: number[] = [];
    batch.add(`UPDATE "Custody" SET "orgId" = ? WHERE "consortiumId" = ?`, ['abattoir', 'c'], (n) => changed.push(n));
    batch.add(`UPDATE "Custody" SET "orgId" = ? WHERE "identifier" = ?`, ['x', 'nobody'], (n) => changed.push(n));
    await commitWriteBatch(db, batch);
    expect(await identifiers(db)).toEqual(['a', 'b']);
    expect(changed).toEqual([2, 0]);
    expect(await readPragma(db, 'synchronous')).toBe('2'); // FULL on the shared connection
  });

  it('stores nothing when one statement fails', async () => {
    const batch = new WriteBatch();
    batch.add(insertSql, ['c', 'a', 'farm', 'e1', 't1']);
    batch.add(insertSql, ['c', 'a', 'farm', 'e2', 't2']); // same primary key
    let reported = false;
    batch.add(insertSql, ['c', 'z', 'farm', 'e3', 't3'], () => (reported = true));
    await expect(commitWriteBatch(db, batch)).rejects.toThrow(/UNIQUE/);
    expect(await identifiers(db)).toEqual([]);
    expect(reported).toBe(false);
  });

  it('waits for an open Prisma transaction instead of writing inside it', async () => {
    let releasePrisma!: () => void;
    const prismaMayFinish = new Promise<void>((resolve) => (releasePrisma = resolve));
    let prismaInserted!: () => void;
    const prismaStarted = new Promise<void>((resolve) => (prismaInserted = resolve));
    const prismaTx = db
      .$transaction(async (tx) => {
        await tx.$executeRawUnsafe(insertSql, 'c', 'p', 'farm', 'e1', 't1');
        prismaInserted();
        await prismaMayFinish;
        throw new Error('roll the Prisma transaction back');
      })
      .catch((err: Error) => err.message);
    await prismaStarted;
    const batch = new WriteBatch();
    batch.add(insertSql, ['c', 'w', 'farm', 'e2', 't2']);
    let batchDone = false;
    const committing = commitWriteBatch(db, batch).then(() => (batchDone = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(batchDone).toBe(false);
    releasePrisma();
    expect(await prismaTx).toBe('roll the Prisma transaction back');
    await committing;
    // The Prisma rollback took only its own row; the batch's row was committed after it.
    expect(await identifiers(db)).toEqual(['w']);
  });

  it('selects by IN lists of any length, in chunks, with extra conditions after the list', async () => {
    const batch = new WriteBatch();
    batch.insert('Custody', ['consortiumId', 'identifier', 'orgId', 'eventId', 'eventTime'], Array.from({ length: 700 }, (_, i) => ['c', `id-${i}`, i % 2 === 0 ? 'farm' : null, `e${i}`, 't']));
    await commitWriteBatch(db, batch);
    const asked = Array.from({ length: 1000 }, (_, i) => `id-${i}`);
    const sql = { before: `SELECT "identifier" FROM "Custody" WHERE "consortiumId" = ? AND "identifier"` };
    const all = await selectWhereIn<{ identifier: string }>(db, sql, ['c'], [...asked, ...asked]);
    expect(new Set(all.map((r) => r.identifier))).toEqual(new Set(asked.slice(0, 700)));
    expect(all).toHaveLength(700); // values asked twice are asked once
    const held = await selectWhereIn<{ identifier: string }>(db, { ...sql, after: ` AND "orgId" IS NOT NULL` }, ['c'], asked.slice(0, 3));
    expect(held.map((r) => r.identifier).sort()).toEqual(['id-0', 'id-2']);
    expect(await selectWhereIn(db, sql, ['other'], asked.slice(0, 3))).toEqual([]);
    expect(await selectWhereIn(db, sql, ['c'], [])).toEqual([]);
  });

  it('refuses values SQLite cannot bind, naming the type', () => {
    expect(() => new WriteBatch().add(insertSql, ['c', { not: 'bindable' }, null, 'e', 't'])).toThrow(/cannot bind a object/);
  });
});
