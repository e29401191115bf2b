/**
 * The query-table rows of records another node captured, as a node places them from the log
 * (services/node/admitted-projection.ts), on a real database of either engine: the rows capture
 * would have written, custody decided on the item's stored history, and nothing written twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordsOfEnvelope, signCaptureDocument } from '../../../src/client/capture-client.js';
import { recordHash, type SignedRecord } from '../../../src/core/ledger/record.js';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { DEMO_CONSORTIUM_ID as C } from '../../../src/services/node/demo-consortium.js';
import { projectAdmitted } from '../../../src/services/node/admitted-projection.js';
import { DerivationStore } from '../../../src/store/derivation-store.js';
import { identifierHistories } from '../../../src/store/event-index.js';
import { WriteBatch } from '../../../src/store/write-batch.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const PALLET = 'urn:epc:id:sscc:5098765.3000000042';
let minute = 0;
const at = () => new Date(Date.UTC(2026, 2, 1, 8, minute++)).toISOString();
const obj = (fields: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: at(), eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...fields });
const documentOf = (events: Record<string, unknown>[]) => ({ '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: at(), epcisBody: { eventList: events } });

describe('records captured at another node, placed here with their query-table rows', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
    // Captured here: vale-processors commissions the pallet and ships it to swift-haulage.
    await node.captureSealed('vale-processors', [
      obj({ action: 'ADD', bizStep: 'commissioning', epcList: [PALLET] }),
      obj({ bizStep: 'shipping', epcList: [PALLET], destinationList: [{ type: 'possessing_party', destination: 'urn:provenant:org:swift-haulage' }] }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await node?.destroy();
  });

  /** A document signed by the organisation's key but captured at another node: its records as the log admits them. */
  function elsewhere(org: string, events: Record<string, unknown>[], logIndex: number): { record: SignedRecord; hash: string; logIndex: number }[] {
    const envelope = signCaptureDocument(documentOf(events), { consortium: C, key: node.key(org), payloadFormat: 2 });
    return recordsOfEnvelope(envelope).map((record, i) => ({ record, hash: recordHash(record), logIndex: logIndex + i }));
  }

  async function place(admitted: ReturnType<typeof elsewhere>): Promise<number> {
    const batch = new WriteBatch();
    const projected = await projectAdmitted(node.ctx.db, C, node.node.state(C), admitted, batch);
    await new DerivationStore(node.ctx.db).placeAdmitted(C, admitted, new Date().toISOString(), batch);
    return projected;
  }

  const custodyOf = async (identifier: string) =>
    node.ctx.db.$queryRawUnsafe<{ orgId: string | null; eventId: string }[]>(`SELECT "orgId", "eventId" FROM "Custody" WHERE "consortiumId" = ? AND "identifier" = ?`, C, identifier);
  const eventRowsOf = async (recordHashHex: string) =>
    node.ctx.db.$queryRawUnsafe<{ eventId: string; submitterOrg: string; bizStep: string }[]>(`SELECT "eventId", "submitterOrg", "bizStep" FROM "EpcisEvent" WHERE "consortiumId" = ? AND "recordHash" = ?`, C, recordHashHex);

  it("this node's own record whose pending row another node's records displaced keeps the rows capture staged, and gains none", async () => {
    const outcome = await node.captureEvents('vale-processors', [obj({ action: 'ADD', bizStep: 'commissioning', epcList: ['urn:epc:id:sscc:5098765.3000000043'] })]);
    const recordHashHex = outcome.results[0]!.recordHash!;
    const [stored] = await node.ctx.db.$queryRawUnsafe<{ body: string; logIndex: number | bigint }[]>(`SELECT "body", "logIndex" FROM "LedgerRecord" WHERE "hash" = ?`, recordHashHex);
    // What placing another node's submission in its log place does to the pending row.
    await node.ctx.db.$executeRawUnsafe(`DELETE FROM "LedgerRecord" WHERE "hash" = ?`, recordHashHex);
    const batch = new WriteBatch();
    expect(await projectAdmitted(node.ctx.db, C, node.node.state(C), [{ record: JSON.parse(stored!.body) as SignedRecord, hash: recordHashHex, logIndex: Number(stored!.logIndex) }], batch)).toBe(0);
    expect(batch.size).toBe(0);
    expect(await eventRowsOf(recordHashHex)).toHaveLength(1);
  });

  it("projects another node's receiving: its event and identifier rows, and custody from the pallet's stored history", async () => {
    const pallet = canonicalIdentifier(PALLET);
    const received = elsewhere('swift-haulage', [obj({ bizStep: 'receiving', epcList: [PALLET] })], node.node.state(C).logSize);
    expect(await place(received)).toBe(1);
    const [row] = await eventRowsOf(received[0]!.hash);
    expect(row).toMatchObject({ submitterOrg: 'swift-haulage', bizStep: expect.stringContaining('receiving') });
    expect(await custodyOf(pallet)).toEqual([{ orgId: 'swift-haulage', eventId: row!.eventId }]);
    // The pallet's history as the next custody decision reads it: three records in log order.
    const history = (await identifierHistories(node.ctx.db, C, [pallet])).get(pallet)!;
    expect(history.map((h) => h.recordHash).at(-1)).toBe(received[0]!.hash);
    expect(history.map((h) => h.logIndex)).toEqual([...history.map((h) => h.logIndex)].sort((a, b) => a - b));
    expect(history).toHaveLength(3);
    for (const h of history) expect(recordHash(JSON.parse(h.body) as SignedRecord)).toBe(h.recordHash);
    // Placed again (the log redelivers): nothing is projected twice.
    expect(await place(received)).toBe(0);
    expect(await eventRowsOf(received[0]!.hash)).toHaveLength(1);
  });

  it('an event the role table refuses keeps its event row and moves no custody, as the replay derives it', async () => {
    const pallet = canonicalIdentifier(PALLET);
    const before = await custodyOf(pallet);
    // oceanic-line was never shipped the pallet swift-haulage holds.
    const taken = elsewhere('oceanic-line', [obj({ bizStep: 'receiving', epcList: [PALLET] })], node.node.state(C).logSize + 1);
    expect(await place(taken)).toBe(1);
    expect(await eventRowsOf(taken[0]!.hash)).toHaveLength(1);
    expect(await custodyOf(pallet)).toEqual(before);
  });
});

