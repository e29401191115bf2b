/** What capture keeps of a document: @context and epcisHeader signed with each event (payload format 2), client-supplied event IDs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { parseCaptureEnvelope } from '../../../src/core/capture/envelope.js';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { epcisDocument as doc, objectEvent } from '../../helpers/epcis-documents.js';
import { getEvent, post } from '../../helpers/http.js';
import { captureTestNodeOptions, CAPTURE_TEST_CONSORTIUM as TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const context = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'http://ns.example.com/epcis/' }];
const epcisHeader = { epcisMasterData: { vocabularyList: [{ type: 'urn:epcglobal:epcis:vtype:ReadPoint', vocabularyElementList: [{ id: 'urn:epc:id:sgln:0614141.00777.0', attributes: [{ id: 'urn:epcglobal:cbv:mda:name', attribute: 'Gate 1' }] }] }] } };
const commission = (serial: string, extra: Record<string, unknown> = {}) => objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [`urn:epc:id:sgtin:0614141.107346.${serial}`], 'example:lot': 'L1', ...extra });

describe('capture fidelity', () => {
  let h: TestNode;
  beforeAll(async () => {
    h = await startTestNode(captureTestNodeOptions());
  });
  afterAll(async () => h?.destroy());

  it('a member signing format 2 keeps the @context and epcisHeader with each event, signed and returned', async () => {
    const document = { ...doc([commission('f1'), commission('f2')]), '@context': context, epcisHeader };
    const envelope = signCaptureDocument(document, { consortium: TEST_CONSORTIUM, key: h.key('omni'), payloadFormat: 2 });
    expect(envelope.payloadFormat).toBe(2);
    const res = await post(h.url, envelope);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const r of res.body.results) {
      const got = await getEvent(h.url, h.tokens.auth!, r.eventId);
      expect(got.body).toMatchObject({ payloadFormat: 2, context, epcisHeader, recordHash: r.recordHash });
    }
    // A signature over format 1 does not verify as format 2: the header is signed.
    const v1 = signCaptureDocument(doc([commission('f3')]), { consortium: TEST_CONSORTIUM, key: h.key('omni') });
    const forged = await post(h.url, { ...v1, payloadFormat: 2 });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('BAD_SIGNATURE');
  });

  it('the payload format travels in the envelope or a header; an epcisHeader every record would repeat is bounded', () => {
    const document = doc([commission('f4')]);
    expect(parseCaptureEnvelope(document, { 'provenant-consortium': 'c1', 'provenant-signer': 'k', 'provenant-signed-at': 't', 'provenant-signatures': 's', 'provenant-payload-format': '2' }).payloadFormat).toBe(2);
    expect(parseCaptureEnvelope({ consortium: 'c1', signer: 'k', signedAt: 't', signatures: ['s'], document }, {}).payloadFormat).toBeUndefined();
    expect(() => parseCaptureEnvelope({ consortium: 'c1', signer: 'k', signedAt: 't', signatures: ['s'], document, payloadFormat: 3 }, {})).toThrow(expect.objectContaining({ code: 'MALFORMED_ENVELOPE' }));
    const big = { ...document, epcisHeader: { 'example:pad': 'x'.repeat(8000), 'example:more': Array.from({ length: 10 }, () => 'y'.repeat(8000)) } };
    expect(() => parseCaptureEnvelope({ consortium: 'c1', signer: 'k', signedAt: 't', signatures: ['s'], document: big, payloadFormat: 2 }, {})).toThrow(expect.objectContaining({ code: 'HEADER_TOO_LARGE' }));
  });

  it('a client-supplied eventID finds its event; another event may not take it', async () => {
    const uuid = 'urn:uuid:6f4b7a2e-3c1d-4e5f-9a8b-0c1d2e3f4a5b';
    const first = doc([commission('u1', { eventID: uuid })]);
    const res = await post(h.url, signCaptureDocument(first, { consortium: TEST_CONSORTIUM, key: h.key('omni') }));
    expect(res.body.results[0].status).toBe('accepted');
    const byUuid = await getEvent(h.url, h.tokens.auth!, uuid);
    expect(byUuid.status).toBe(200);
    expect(byUuid.body.eventId).toBe(eventHashIdsOfDocument(first)[0]);
    const taken = await post(h.url, signCaptureDocument(doc([commission('u2', { eventID: uuid })]), { consortium: TEST_CONSORTIUM, key: h.key('omni') }), '?mode=partial');
    expect(taken.body.results[0]).toMatchObject({ status: 'rejected', error: { code: 'EVENT_ID_TAKEN' } });
    expect((await getEvent(h.url, h.tokens.auth!, 'urn:uuid:00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });
});
