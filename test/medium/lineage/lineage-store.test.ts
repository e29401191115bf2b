import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureService } from '../../../src/capture/capture-service.js';
import { signCaptureDocument } from '../../../src/capture/client.js';
import { canonicalIdentifier } from '../../../src/rules/authorisation.js';
import { closeLineageReader, LineageStore } from '../../../src/store/lineage-store.js';
import { startTempNode, type TempNode } from '../../helpers/temp-node.js';

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
  let temp: TempNode;
  let service: CaptureService;

  beforeAll(async () => {
    temp = await startTempNode();
    service = new CaptureService({ node: temp.node, db: temp.db });
    const key = temp.demo.orgKeys.get('highfield-farm')!;
    await service.capture(signCaptureDocument(doc([birth(1, dam), ...calves.map((c, i) => birth(2 + i, c, { 'provenant:dam': dam }))]), { consortium: C, key }));
    await temp.node.sealNow(C);
  }, 60_000);

  afterAll(async () => {
    await service?.close();
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
});
