import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureService } from '../../../src/services/capture/capture-service.js';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { closeLineageReader, lineageReadStats, LineageStore } from '../../../src/store/lineage-store.js';
import { testEngine } from '../../helpers/postgres.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const C = 'uk-red-meat';
const dam = 'urn:provenant:animal:UK123450600001';
const calves = ['UK123450700002', 'UK123450100003'].map((s) => `urn:provenant:animal:${s}`);
const t = (day: number) => `2026-03-${String(day).padStart(2, '0')}T08:00:00.000Z`;
const doc = (events: Record<string, unknown>[]) => ({
  '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { provenant: 'https://provenant.dev/ns/epcis/' }],
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: '2026-11-21T08:00:00.000Z',
  epcisBody: { eventList: events },
});
const birth = (day: number, animal: string, extra: Record<string, unknown> = {}) => ({
  type: 'ObjectEvent',
  eventTime: t(day),
  eventTimeZoneOffset: '+00:00',
  action: 'ADD',
  bizStep: 'urn:provenant:bizstep:birth',
  epcList: [animal],
  ...extra,
});

describe('LineageStore frontier reads', () => {
  let temp: TestNode;
  let service: CaptureService;

  beforeAll(async () => {
    temp = await startTestNode();
    service = temp.capture;
    const key = temp.demo.orgKeys.get('highfield-farm')!;
    await service.capture(signCaptureDocument(doc([birth(1, dam), ...calves.map((c, i) => birth(2 + i, c, { 'provenant:dam': dam }))]), { consortium: C, key }));
    await temp.node.sealNow(C);
  }, 60_000);

  afterAll(async () => {
    await temp?.destroy();
  });

  const ids = (rows: { eventId: string }[]) => rows.map((r) => r.eventId).sort();

  it('leaves out known events the same way inline and in two steps (past 1,000 known)', async () => {
    const store = new LineageStore(temp.db, C);
    const all = await store.eventsTouching([canonicalIdentifier(dam)]);
    expect(all).toHaveLength(3);
    const oneKnown = new Set([all[0]!.eventId]);
    const manyKnown = new Set([all[0]!.eventId, ...Array.from({ length: 1500 }, (_, i) => `ni:///sha-256;${String(i).padStart(64, '0')}?ver=CBV2.0`)]);
    const inline = await store.eventsTouching([canonicalIdentifier(dam)], oneKnown);
    const twoStep = await store.eventsTouching([canonicalIdentifier(dam)], manyKnown);
    expect(ids(inline)).toEqual(ids(all).filter((id) => id !== all[0]!.eventId));
    expect(ids(twoStep)).toEqual(ids(inline));
    for (const row of [...inline, ...twoStep]) expect(row.evidence).toMatchObject({ hash: row.recordHash, blockHeight: 1 });
  });

  it('skips the roles asked: the dam row finds the calves, but not when it is skipped', async () => {
    const store = new LineageStore(temp.db, C);
    const withDam = await store.eventsTouching([canonicalIdentifier(dam)]);
    const withoutDam = await store.eventsTouching([canonicalIdentifier(dam)], undefined, ['dam']);
    expect(withoutDam.map((r) => r.identifiers.some((i) => i.identifier === canonicalIdentifier(dam) && i.role === 'epc'))).toEqual([true]);
    expect(withDam).toHaveLength(3);
  });

  it('reads the same rows, in the same order, through its own connection and through Prisma', async () => {
    const direct = new LineageStore(temp.db, C);
    const viaPrisma = new LineageStore(temp.db, C, { directReads: false });
    const plain = (rows: Awaited<ReturnType<LineageStore['eventsTouching']>>) =>
      rows.map((r) => ({ eventId: r.eventId, recordHash: r.recordHash, eventTime: r.eventTime, signerOrg: r.signerOrg, identifiers: r.identifiers, event: r.event, evidence: { ...r.evidence, parsed: undefined } }));
    const ids = [dam, ...calves].map(canonicalIdentifier);
    const a = await direct.eventsTouching(ids);
    expect(a).toHaveLength(3);
    expect(plain(await viaPrisma.eventsTouching(ids))).toEqual(plain(a));
    expect(plain(await viaPrisma.eventsById(a.map((r) => r.eventId).reverse()))).toEqual(plain(a).reverse());
    expect(await viaPrisma.records([a[0]!.recordHash])).toEqual(await direct.records([a[0]!.recordHash]));
    expect(await viaPrisma.blocks([1])).toEqual(await direct.blocks([1]));
    expect(await viaPrisma.recordHashesOfBlocks([1])).toEqual(await direct.recordHashesOfBlocks([1]));
    // Closing the read connection is not the end of reads: the next one opens it again.
    await closeLineageReader(temp.db);
    expect(plain(await direct.eventsTouching(ids))).toEqual(plain(a));
  });

  it('hands back the same row for unchanged stored text, and a fresh one once the text changes', async () => {
    const a = new LineageStore(temp.db, C);
    const b = new LineageStore(temp.db, C);
    const [first] = await a.eventsTouching([canonicalIdentifier(calves[0]!)]);
    const [again] = await b.eventsTouching([canonicalIdentifier(calves[0]!)]);
    expect(again).toBe(first);
    expect(b.verificationCache).toBe(a.verificationCache);
    await temp.db.$executeRawUnsafe(`UPDATE "LedgerRecord" SET "body" = replace("body", ?, ?) WHERE "hash" = ?`, t(2), t(9), first!.recordHash);
    const [changed] = await b.eventsTouching([canonicalIdentifier(calves[0]!)]);
    expect(changed).not.toBe(first);
    expect(changed!.event['eventTime']).toBe(t(9));
  });

  // SQLite's REPLACE deletes the row holding the other unique key without a delete trigger; PostgreSQL has no such statement.
  it.skipIf(testEngine() === 'postgres')("reads only this consortium's records: one moved to another log is left out, and stays out once replaced there", async () => {
    const store = new LineageStore(temp.db, C);
    const family = [dam, ...calves].map(canonicalIdentifier);
    const before = await store.eventsTouching(family);
    expect(before).toHaveLength(3);
    const moved = before.find((r) => r.identifiers.some((i) => i.identifier === canonicalIdentifier(calves[1]!) && i.role === 'epc'))!;
    await temp.db.$executeRawUnsafe(`UPDATE "LedgerRecord" SET "consortiumId" = 'elsewhere' WHERE "hash" = ?`, moved.recordHash);
    const ids = async () => (await store.eventsTouching(family)).map((r) => r.eventId);
    expect(await ids()).toEqual(before.map((r) => r.eventId).filter((id) => id !== moved.eventId));
    // A REPLACE at its place in the other log deletes it without a delete trigger.
    await temp.db.$executeRawUnsafe(
      `INSERT OR REPLACE INTO "LedgerRecord" ("hash", "consortiumId", "logIndex", "kind", "signer", "signedAt", "receivedAt", "body")
       SELECT 'h-elsewhere', 'elsewhere', "logIndex", "kind", "signer", "signedAt", "receivedAt", '{}' FROM "LedgerRecord" WHERE "hash" = ?`,
      moved.recordHash,
    );
    expect(await ids()).not.toContain(moved.eventId);
  });
});

describe('LineageStore keeps what it read while the store shows no change', () => {
  let temp: TestNode;
  let service: CaptureService;
  const capture = (events: Record<string, unknown>[]) =>
    service.capture(signCaptureDocument(doc(events), { consortium: C, key: temp.demo.orgKeys.get('highfield-farm')! }));
  /** Reads counted from here on. */
  const counting = () => {
    const before = lineageReadStats(temp.db, C);
    return () => {
      const now = lineageReadStats(temp.db, C);
      return { identifiersRead: now.identifiersRead - before.identifiersRead, rowsRead: now.rowsRead - before.rowsRead, rowsKept: now.rowsKept - before.rowsKept };
    };
  };

  beforeAll(async () => {
    temp = await startTestNode();
    service = temp.capture;
    await capture([birth(1, dam), ...calves.map((c, i) => birth(2 + i, c, { 'provenant:dam': dam }))]);
    await temp.node.sealNow(C);
  }, 60_000);

  afterAll(async () => {
    await temp?.destroy();
  });

  const family = () => [dam, ...calves].map(canonicalIdentifier);

  it('answers a repeated lookup without reading: same rows, nothing read', async () => {
    const store = new LineageStore(temp.db, C);
    const first = await store.eventsTouching(family());
    const reads = counting();
    const again = await store.eventsTouching(family());
    expect(again).toEqual(first);
    for (let i = 0; i < first.length; i++) expect(again[i]).toBe(first[i]);
    expect(reads()).toEqual({ identifiersRead: 0, rowsRead: 0, rowsKept: 3 });
  });

  it('reads again only what an append touched, and an unsealed row until it is sealed', async () => {
    const store = new LineageStore(temp.db, C);
    await store.eventsTouching(family());
    // A commit to an unrelated table: nothing is read again.
    await temp.db.$executeRawUnsafe(`INSERT INTO "Custody" ("consortiumId", "identifier", "orgId", "eventId", "eventTime") VALUES (?, 'urn:unrelated', 'farm', 'e', 't')`, C);
    let reads = counting();
    expect(await store.eventsTouching(family())).toHaveLength(3);
    expect(reads()).toMatchObject({ identifiersRead: 0, rowsRead: 0 });

    await capture([{ type: 'ObjectEvent', eventTime: t(20), eventTimeZoneOffset: '+00:00', action: 'OBSERVE', bizStep: 'urn:provenant:bizstep:tagging', epcList: [dam] }]);
    reads = counting();
    const grown = await store.eventsTouching(family());
    expect(grown).toHaveLength(4);
    const observed = grown.find((r) => r.eventTime === t(20))!;
    expect(observed.evidence!.blockHeight).toBeNull();
    // Only the dam gained an index row; only the new event is read. PostgreSQL's watch has no rowid to
    // sort appends out by: any append starts a new generation, and all is read again (src/store/postgres-watch.ts).
    expect(reads()).toEqual(testEngine() === 'postgres' ? { identifiersRead: 3, rowsRead: 4, rowsKept: 0 } : { identifiersRead: 1, rowsRead: 1, rowsKept: 3 });

    reads = counting();
    await store.eventsTouching(family());
    expect(reads()).toEqual({ identifiersRead: 0, rowsRead: 1, rowsKept: 3 });
    await temp.node.sealNow(C);
    const sealed = (await store.eventsTouching(family())).find((r) => r.eventId === observed.eventId)!;
    expect(sealed.evidence!.blockHeight).toBe(2);
    reads = counting();
    await store.eventsTouching(family());
    expect(reads()).toEqual({ identifiersRead: 0, rowsRead: 0, rowsKept: 4 });
  });

  it('reads everything again once a row is rewritten, and hands back what is stored now', async () => {
    const store = new LineageStore(temp.db, C);
    const [before] = await store.eventsTouching([canonicalIdentifier(calves[1]!)]);
    await temp.db.$executeRawUnsafe(`UPDATE "LedgerRecord" SET "body" = replace("body", ?, ?) WHERE "hash" = ?`, t(3), t(19), before!.recordHash);
    const reads = counting();
    const [after] = await store.eventsTouching([canonicalIdentifier(calves[1]!)]);
    expect(reads()).toMatchObject({ identifiersRead: 1, rowsRead: 1, rowsKept: 0 });
    expect(after!.event['eventTime']).toBe(t(19));
  });

  it('keeps nothing while a watch trigger is missing, yet reads what is stored', async () => {
    const store = new LineageStore(temp.db, C);
    await store.eventsTouching(family());
    await temp.db.$executeRawUnsafe(`DROP TRIGGER "EventIdentifier_lineage_epoch_delete"`);
    await store.eventsTouching(family());
    const reads = counting();
    const rows = await store.eventsTouching(family());
    expect(rows).toHaveLength(4);
    expect(reads()).toMatchObject({ identifiersRead: 3, rowsRead: 4, rowsKept: 0 });
  });
});
