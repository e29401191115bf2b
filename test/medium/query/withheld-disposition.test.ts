/**
 * EQ_disposition over withheld dispositions (docs/redaction.md): an inspection captured with its
 * disposition committed is found by a viewer who may open the field, once the stored opening
 * verifies, and by nobody else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCaptureDocument, submitCapture } from '../../../src/client/capture-client.js';
import { WITHHELD_KEY } from '../../../src/core/privacy/withheld.js';
import { issueToken } from '../../../src/store/token-store.js';
import { CAPTURE_TEST_CONSORTIUM as C } from '../../helpers/consortia.js';
import { epcisDocument, objectEvent } from '../../helpers/epcis-documents.js';
import { eventsOf, getAs, startQueryNode, type QueryNode } from './query-harness.js';

let node: QueryNode;
let retailer: string;
let eventId: string;
let recordHash: string;

beforeAll(async () => {
  node = await startQueryNode();
  retailer = (await issueToken(node.t.db, C, 'retailer', 'withheld disposition')).token;
  const inspection = objectEvent({ action: 'OBSERVE', bizStep: 'inspecting', disposition: 'damaged', epcList: ['urn:epc:id:sgtin:0614141.107346.5150'], 'provenant:postMortem': 'bruising' });
  const envelope = signCaptureDocument(epcisDocument([inspection]), { consortium: C, key: node.t.key('omni'), withhold: true });
  const result = await submitCapture(node.url, envelope, { wait: true });
  expect(result.results[0], JSON.stringify(result)).toMatchObject({ status: 'accepted' });
  eventId = result.results[0]!.eventId;
  recordHash = result.results[0]!.recordHash!;
}, 60_000);

afterAll(async () => node?.close());

async function found(query: string, token = node.auth): Promise<string[]> {
  const res = await getAs(node, `/events?${query}`, token);
  expect(res.status, res.text).toBe(200);
  return eventsOf(res).map((e) => e.eventID as string);
}

describe('EQ_disposition and a withheld disposition', () => {
  it('is committed, so the index does not hold it', async () => {
    const rows = await node.t.db.$queryRawUnsafe<{ disposition: string | null; body: string }[]>(`SELECT e."disposition", r."body" FROM "EpcisEvent" e JOIN "LedgerRecord" r ON r."hash" = e."recordHash" WHERE e."eventId" = ?`, eventId);
    expect(rows[0]!.disposition).toBeNull();
    const event = JSON.parse(rows[0]!.body).payload.event;
    expect(event.disposition).toBeUndefined();
    expect(event[WITHHELD_KEY].map((c: { path: string }) => c.path)).toContain('disposition');
  });

  it('a viewer who sees the event in full finds it, in any CBV form; another value does not', async () => {
    expect(await found('EQ_disposition=damaged')).toEqual([eventId]);
    expect(await found(`EQ_disposition=${encodeURIComponent('urn:epcglobal:cbv:disp:damaged')}`)).toEqual([eventId]);
    expect(await found('EQ_disposition=active|damaged')).toEqual([eventId]);
    expect(await found('EQ_disposition=active')).toEqual([]);
    expect(await found('EQ_disposition=damaged', node.omni)).toEqual([eventId]);
  });

  it('a viewer the read policy does not show it to finds nothing', async () => {
    expect(await found('EQ_disposition=damaged', retailer)).toEqual([]);
  });

  it('an opening edited in the store is not trusted: the event is not found by the edited value', async () => {
    await node.t.db.$executeRawUnsafe(`UPDATE "WithheldField" SET "value" = '"active"' WHERE "recordHash" = ? AND "path" = 'disposition'`, recordHash);
    try {
      expect(await found('EQ_disposition=active')).toEqual([]);
      expect(await found('EQ_disposition=damaged')).toEqual([]);
    } finally {
      await node.t.db.$executeRawUnsafe(`UPDATE "WithheldField" SET "value" = '"damaged"' WHERE "recordHash" = ? AND "path" = 'disposition'`, recordHash);
    }
    expect(await found('EQ_disposition=damaged')).toEqual([eventId]);
  });
});
