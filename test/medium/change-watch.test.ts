import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.js';
import { ChangeWatch, LINEAGE_EPOCH_TRIGGERS, TAKEN_POSITION_SQL, UNTRUSTED, appendedRowsSql } from '../../src/store/change-watch.js';

const C = 'c1';

/** A migrated store file, a writer connection of its own and a read-only connection for the watch. */
describe('ChangeWatch over a migrated store', () => {
  let dir: string;
  let db: Database;
  let writer: BetterSqlite3.Database;
  let reader: BetterSqlite3.Database;
  let watch: ChangeWatch;
  let nextLog = 0;

  const addRecord = (hash: string, sealed: boolean) => {
    writer
      .prepare(`INSERT INTO "LedgerRecord" ("hash", "consortiumId", "logIndex", "blockHeight", "indexInBlock", "kind", "signer", "signedAt", "receivedAt", "body") VALUES (?, ?, ?, ?, ?, 'epcis.event', 'k', 't', 't', '{}')`)
      .run(hash, C, nextLog, sealed ? 1 : null, sealed ? nextLog : null);
    nextLog++;
  };
  const addEvent = (eventId: string, identifiers: string[], consortiumId = C) => {
    writer.prepare(`INSERT INTO "EpcisEvent" ("consortiumId", "eventId", "recordHash", "eventType", "eventTime", "submitterOrg") VALUES (?, ?, ?, 'ObjectEvent', 't', 'farm')`).run(consortiumId, eventId, `h-${eventId}`);
    for (const identifier of identifiers) {
      writer.prepare(`INSERT INTO "EventIdentifier" ("consortiumId", "identifier", "eventId", "role", "eventTime") VALUES (?, ?, ?, 'epc', 't')`).run(consortiumId, identifier, eventId);
    }
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-change-watch-'));
    const file = path.join(dir, 'store.db');
    db = await openDatabase({ url: `file:${file}` });
    writer = new BetterSqlite3(file);
    reader = new BetterSqlite3(file, { readonly: true });
    addRecord('h-e1', true);
    addEvent('e1', ['urn:a', 'urn:b']);
    watch = new ChangeWatch(reader, C);
  });
  afterEach(async () => {
    reader.close();
    writer.close();
    await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a generation on the first check and keeps it while nothing is committed', () => {
    const first = watch.check();
    expect(first.renewed).toBe(true);
    expect(first.generation).not.toBe(UNTRUSTED);
    expect(watch.check()).toEqual({ generation: first.generation, renewed: false });
  });

  it('names the identifiers and events that gained index rows, in the same generation', () => {
    const { generation } = watch.check();
    addRecord('h-e2', true);
    addEvent('e2', ['urn:b', 'urn:c']);
    // A late index row for an event already there: its cached row is stale too.
    writer.prepare(`INSERT INTO "EventIdentifier" ("consortiumId", "identifier", "eventId", "role", "eventTime") VALUES (?, 'urn:d', 'e1', 'child', 't')`).run(C);
    const change = watch.check();
    expect(change.generation).toBe(generation);
    expect(change.renewed).toBe(false);
    expect([...change.appended!.identifiers].sort()).toEqual(['urn:b', 'urn:c', 'urn:d']);
    expect([...change.appended!.eventIds].sort()).toEqual(['e1', 'e2']);
    expect(watch.check()).toEqual({ generation, renewed: false });
  });

  it('ignores appends to other consortia and commits to unrelated tables', () => {
    const { generation } = watch.check();
    addEvent('x1', ['urn:a'], 'other');
    writer.prepare(`INSERT INTO "Custody" ("consortiumId", "identifier", "orgId", "eventId", "eventTime") VALUES (?, 'urn:a', 'farm', 'e1', 't')`).run(C);
    const change = watch.check();
    expect(change).toMatchObject({ generation, renewed: false });
    expect(change.appended?.identifiers.size ?? 0).toBe(0);
  });

  it('keeps the generation when a record is sealed (block columns set once)', () => {
    addRecord('h-e3', false);
    const { generation } = watch.check();
    writer.prepare(`UPDATE "LedgerRecord" SET "blockHeight" = 2, "indexInBlock" = 0 WHERE "hash" = 'h-e3'`).run();
    expect(watch.check()).toMatchObject({ generation, renewed: false });
  });

  const record = (hash: string, logIndex: number, body: string) =>
    `INTO "LedgerRecord" ("hash", "consortiumId", "logIndex", "blockHeight", "indexInBlock", "kind", "signer", "signedAt", "receivedAt", "body") VALUES ('${hash}', '${C}', ${logIndex}, 1, ${logIndex}, 'epcis.event', 'k', 't', 't', '${body}')`;
  const rewrites: [string, string][] = [
    ['a sealed record body rewritten', `UPDATE "LedgerRecord" SET "body" = '{"x":1}' WHERE "hash" = 'h-e1'`],
    ['a sealed record moved to another block', `UPDATE "LedgerRecord" SET "blockHeight" = 9 WHERE "hash" = 'h-e1'`],
    ['an unsealed record body rewritten while sealing', `UPDATE "LedgerRecord" SET "blockHeight" = 3, "indexInBlock" = 0, "body" = '{"y":2}' WHERE "hash" = 'h-u'`],
    ['a record deleted', `DELETE FROM "LedgerRecord" WHERE "hash" = 'h-e1'`],
    // REPLACE deletes without a delete trigger: the appended row gives it away.
    ['a sealed record replaced under its own hash', `INSERT OR REPLACE ${record('h-e1', 0, '{"z":1}')}`],
    ['a record replaced at its log position under another hash', `INSERT OR REPLACE ${record('h-forged', 0, '{"z":2}')}`],
    ['an event row rewritten', `UPDATE "EpcisEvent" SET "recordHash" = 'h-other' WHERE "eventId" = 'e1'`],
    ['an event row deleted', `DELETE FROM "EpcisEvent" WHERE "eventId" = 'e1'`],
    ['an index row rewritten', `UPDATE "EventIdentifier" SET "identifier" = 'urn:z' WHERE "identifier" = 'urn:a'`],
    ['an index row deleted', `DELETE FROM "EventIdentifier" WHERE "identifier" = 'urn:b'`],
  ];
  for (const [what, sql] of rewrites) {
    it(`starts a new generation after ${what}`, () => {
      addRecord('h-u', false);
      const before = watch.check();
      writer.prepare(sql).run();
      const after = watch.check();
      expect(after.renewed).toBe(true);
      expect(after.generation).not.toBe(before.generation);
      expect(after.generation).not.toBe(UNTRUSTED);
    });
  }

  it('starts a new generation after an unsealed record is moved onto a sealed one\'s rowid (below the highest)', () => {
    addRecord('h-u', false);
    addRecord('h-v', false);
    const before = watch.check();
    writer.prepare(`UPDATE OR REPLACE "LedgerRecord" SET rowid = 1 WHERE "hash" = 'h-u'`).run();
    expect(writer.prepare(`SELECT "hash" FROM "LedgerRecord" WHERE rowid = 1`).pluck().get()).toBe('h-u');
    const after = watch.check();
    expect(after.renewed).toBe(true);
    expect(after.generation).not.toBe(before.generation);
  });

  it('names an event or index row replaced under its own key as appended, in the same generation', () => {
    const { generation } = watch.check();
    writer.prepare(`INSERT OR REPLACE INTO "EpcisEvent" ("consortiumId", "eventId", "recordHash", "eventType", "eventTime", "submitterOrg") VALUES (?, 'e1', 'h-e1', 'ObjectEvent', 't2', 'farm')`).run(C);
    writer.prepare(`INSERT OR REPLACE INTO "EventIdentifier" ("consortiumId", "identifier", "eventId", "role", "eventTime") VALUES (?, 'urn:b', 'e1', 'epc', 't2')`).run(C);
    const change = watch.check();
    expect(change).toMatchObject({ generation, renewed: false });
    expect([...change.appended!.eventIds]).toEqual(['e1']);
    expect([...change.appended!.identifiers]).toEqual(['urn:b']);
  });

  // Changes no mark shows: seen once the generation ends.
  const unmarked: [string, (() => void)][] = [
    ['the counter written back by hand in the same commit as a rewrite', () => writer.transaction(() => {
      writer.prepare(`UPDATE "LedgerRecord" SET "body" = '{"x":1}' WHERE "hash" = 'h-e1'`).run();
      writer.prepare(`UPDATE "LineageEpoch" SET "epoch" = "epoch" - 1`).run();
    })()],
    ['a record written over in place by rowid', () => writer.prepare(`INSERT OR REPLACE INTO "LedgerRecord" (rowid, "hash", "consortiumId", "logIndex", "kind", "signer", "signedAt", "receivedAt", "body") VALUES (1, 'h-e1', '${C}', 0, 'epcis.event', 'k', 't', 't', '{}')`).run()],
    ['an index row written over in place by rowid', () => writer.prepare(`INSERT OR REPLACE INTO "EventIdentifier" (rowid, "consortiumId", "identifier", "eventId", "role", "eventTime") VALUES (1, '${C}', 'urn:z', 'e9', 'epc', 't')`).run()],
  ];
  for (const [what, change] of unmarked) {
    it(`sees ${what} once the generation is older than maxAgeMs, not before`, () => {
      let now = 1_000;
      const aging = new ChangeWatch(reader, C, { maxAgeMs: 60_000, now: () => now });
      const { generation } = aging.check();
      change();
      now += 59_000;
      expect(aging.check()).toEqual({ generation, renewed: false });
      now += 2_000;
      const after = aging.check();
      expect(after.renewed).toBe(true);
      expect(after.generation).not.toBe(generation);
      expect(after.generation).not.toBe(UNTRUSTED);
    });
  }

  it('trusts nothing while a trigger is missing, and starts afresh once it is back', () => {
    const before = watch.check();
    expect(LINEAGE_EPOCH_TRIGGERS).toContain('LedgerRecord_lineage_epoch_delete');
    writer.exec(`DROP TRIGGER "LedgerRecord_lineage_epoch_delete"`);
    expect(watch.check()).toEqual({ generation: UNTRUSTED, renewed: true });
    writer.exec(`CREATE TRIGGER "LedgerRecord_lineage_epoch_delete" AFTER DELETE ON "LedgerRecord" BEGIN UPDATE "LineageEpoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1; END`);
    const after = watch.check();
    expect(after.renewed).toBe(true);
    expect(after.generation).not.toBe(UNTRUSTED);
    expect(after.generation).not.toBe(before.generation);
  });

  it('trusts nothing, and does not throw, once the epoch table is gone', () => {
    watch.check();
    writer.exec(`DROP TABLE "LineageEpoch"`);
    expect(watch.check()).toEqual({ generation: UNTRUSTED, renewed: true });
    expect(watch.check()).toEqual({ generation: UNTRUSTED, renewed: false });
  });

  it('starts a new generation past the append limit rather than listing every row', () => {
    const small = new ChangeWatch(reader, C, { appendLimit: 3 });
    const { generation } = small.check();
    addEvent('e4', ['urn:1', 'urn:2']);
    expect(small.check()).toMatchObject({ generation, renewed: false });
    addEvent('e5', ['urn:3', 'urn:4', 'urn:5', 'urn:6']);
    const after = small.check();
    expect(after.renewed).toBe(true);
    expect(after.generation).not.toBe(generation);
  });

  it('gives a new watch on the same file a generation of its own', () => {
    const a = watch.check().generation;
    const b = new ChangeWatch(reader, C).check().generation;
    expect(b).not.toBe(a);
  });

  it('refuses a writable connection (its own commits would not show) and an empty consortium', () => {
    expect(() => new ChangeWatch(writer, C)).toThrow(/read-only/);
    expect(() => new ChangeWatch(reader, '')).toThrow(/consortium/);
  });
  it('reads the rows appended since the last check by their rowid range, not through the consortium index', () => {
    // On the consortium's index each check would read every row of the consortium (a slower capture the longer the chain).
    const plan = (sql: string, ...params: unknown[]) => reader.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params).map((r) => (r as { detail: string }).detail).join('; ');
    expect(plan(appendedRowsSql('EpcisEvent', '"eventId"'), 0, 1, C)).toMatch(/USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
    expect(plan(appendedRowsSql('EventIdentifier', '"identifier", "eventId"'), 0, 1, C)).toMatch(/USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
    expect(plan(TAKEN_POSITION_SQL, 0, 1, C, 0)).toMatch(/USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
    // Same rows as the plain filter gives.
    addRecord('h-e2', true);
    addEvent('e2', ['urn:c']);
    addEvent('x1', ['urn:x'], 'other');
    expect(reader.prepare(appendedRowsSql('EventIdentifier', '"identifier", "eventId"')).raw(true).all(0, 1_000, C)).toEqual(
      reader.prepare(`SELECT "identifier", "eventId" FROM "EventIdentifier" WHERE "consortiumId" = ? ORDER BY rowid`).raw(true).all(C),
    );
  });
});
