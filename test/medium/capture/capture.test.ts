import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../src/core/crypto/index.js';
import { RecordKind, formatTimestamp, signRecord } from '../../../src/core/ledger/record.js';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { issueToken } from '../../../src/store/token-store.js';
import { epcisDocument as doc, objectEvent, signEnvelope } from '../../helpers/epcis-documents.js';
import { count, getEvent, post } from '../../helpers/http.js';
import { captureTestNodeOptions, CAPTURE_TEST_CONSORTIUM as TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

let serial = 1000;
const sgtin = () => `urn:epc:id:sgtin:0614141.812345.${serial++}`;
const commission = (epc = sgtin()) => objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [epc] });
const ship = (epc: string) => objectEvent({ bizStep: 'shipping', disposition: 'in_transit', epcList: [epc] });

describe('POST /epcis/capture', () => {
  let h: TestNode;
  beforeAll(async () => {
    h = await startTestNode(captureTestNodeOptions());
  });
  afterAll(async () => h?.destroy());
  const key = (org: string) => h.key(org);

  it('accepts a signed document and serves the event back; a replay is a duplicate', async () => {
    const document = doc([commission()]);
    const envelope = signEnvelope(document, key('processor'));
    const first = await post(h.url, envelope);
    expect(first.status).toBe(200);
    expect(first.body.results[0]).toMatchObject({ index: 0, status: 'accepted', eventId: eventHashIdsOfDocument(document)[0] });
    const again = await post(h.url, envelope);
    expect(again.status).toBe(200);
    expect(again.body.results[0]).toMatchObject({ status: 'duplicate', eventId: first.body.results[0].eventId });
    // Re-signed later: still the same event.
    const resigned = await post(h.url, signEnvelope(document, key('processor'), { signedAt: formatTimestamp(new Date(Date.now() + 1000)) }));
    expect(resigned.body.results[0].status).toBe('duplicate');
    const got = await getEvent(h.url, h.tokens.auth!, first.body.results[0].eventId);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ recordHash: first.body.results[0].recordHash, signedAt: envelope.signedAt, signer: { orgId: 'processor', keyId: key('processor').keyId } });
  });

  it('wait=seal answers with the block', async () => {
    const res = await post(h.url, signEnvelope(doc([commission()]), key('processor')), '?wait=seal');
    expect(res.status).toBe(200);
    expect(res.body.results[0].block).toMatchObject({ height: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const got = await getEvent(h.url, h.tokens.auth!, res.body.results[0].eventId);
    expect(got.body.block).toEqual(res.body.results[0].block);
  });

  it('accepts the plain EPCISDocument with Provenant-* headers', async () => {
    const envelope = signEnvelope(doc([commission(), commission()]), key('processor'));
    const res = await post(h.url, envelope.document, '', {
      'Provenant-Consortium': envelope.consortium,
      'Provenant-Signer': envelope.signer,
      'Provenant-Signed-At': envelope.signedAt,
      'Provenant-Signatures': envelope.signatures.join(','),
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => r.status)).toEqual(['accepted', 'accepted']);
  });

  it('GET of an event is for members entitled to it: 401 without a token, 404 for one who may not see it', async () => {
    const res = await post(h.url, signEnvelope(doc([commission()]), key('processor')));
    const eventId = res.body.results[0].eventId as string;
    const anonymous = await fetch(`${h.url}/epcis/events/${encodeURIComponent(eventId)}`);
    expect(anonymous.status).toBe(401);
    // A farm with no custody or lineage link to the processor's item sees nothing, not even that it exists.
    const farmToken = (await issueToken(h.db, TEST_CONSORTIUM, 'farm', 'test')).token;
    expect((await getEvent(h.url, farmToken, eventId)).status).toBe(404);
    const own = (await issueToken(h.db, TEST_CONSORTIUM, 'processor', 'test')).token;
    expect((await getEvent(h.url, own, eventId)).status).toBe(200);
  });

  it('GET of an unknown event is a typed 404', async () => {
    const got = await getEvent(h.url, h.tokens.auth!, 'ni:///sha-256;00?ver=CBV2.0');
    expect(got.status).toBe(404);
    expect(got.body.error.code).toBe('NOT_FOUND');
  });

  describe('authentication (401)', () => {
    it('forged signature', async () => {
      const envelope = signEnvelope(doc([commission()]), key('processor'));
      const forged = signEnvelope(doc([commission()]), key('processor'), { signedAt: envelope.signedAt });
      const res = await post(h.url, { ...envelope, signatures: forged.signatures });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('BAD_SIGNATURE');
      expect(res.body.results[0]).toMatchObject({ status: 'rejected', error: { code: 'BAD_SIGNATURE' } });
    });
    it('stale signedAt', async () => {
      const old = formatTimestamp(new Date(Date.now() - 301_000));
      const res = await post(h.url, signEnvelope(doc([commission()]), key('processor'), { signedAt: old }));
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('STALE_SIGNATURE');
      const future = formatTimestamp(new Date(Date.now() + 400_000));
      expect((await post(h.url, signEnvelope(doc([commission()]), key('processor'), { signedAt: future }))).status).toBe(401);
    });
    it('unsigned', async () => {
      const res = await post(h.url, { consortium: TEST_CONSORTIUM, signer: key('processor').keyId, signedAt: formatTimestamp(new Date()), signatures: [], document: doc([commission()]) });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNSIGNED');
      const plain = await post(h.url, doc([commission()]), '', { 'Provenant-Consortium': TEST_CONSORTIUM });
      expect(plain.status).toBe(401);
      expect(plain.body.error.code).toBe('UNSIGNED');
    });
    it('signature count mismatch is 400', async () => {
      const envelope = signEnvelope(doc([commission(), commission()]), key('processor'));
      const res = await post(h.url, { ...envelope, signatures: envelope.signatures.slice(1) });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('SIGNATURE_COUNT_MISMATCH');
    });
    it('revoked key', async () => {
      const victim = key('victim');
      const ok = await post(h.url, signEnvelope(doc([commission()]), victim));
      expect(ok.status).toBe(200);
      const proposal = signRecord(
        { consortium: TEST_CONSORTIUM, kind: RecordKind.PROPOSAL, payload: { change: { type: 'key.revoke', orgId: 'victim', keyId: victim.keyId } } },
        key('auth'),
      );
      const [outcome] = await h.node.submit(TEST_CONSORTIUM, [proposal]);
      expect(outcome!.status).toBe('accepted');
      const res = await post(h.url, signEnvelope(doc([commission()]), victim));
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('SIGNER_REVOKED');
      // The org's other key still works.
      expect((await post(h.url, signEnvelope(doc([commission()]), key('victim-2')))).status).toBe(200);
    });
  });

  describe('authorisation (403)', () => {
    it('signer not in the consortium', async () => {
      const res = await post(h.url, signEnvelope(doc([commission()]), generateKeyPair('ed25519')));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('UNKNOWN_SIGNER');
    });
    it('a demo-consortium member is not a member of this consortium', async () => {
      const res = await post(h.url, signEnvelope(doc([commission()]), h.demo.orgKeys.get('vale-processors')!));
      expect(res.status).toBe(403);
    });
    it('wrong role', async () => {
      const res = await post(h.url, signEnvelope(doc([commission()]), key('haulier')));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('NOT_AUTHORISED');
      expect(res.body.error.message).toMatch(/PROCESSOR/);
      const official = objectEvent({ bizStep: 'urn:provenant:bizstep:official_inspection', epcList: [sgtin()] });
      expect((await post(h.url, signEnvelope(doc([official]), key('retailer')))).status).toBe(403);
      expect((await post(h.url, signEnvelope(doc([official]), key('auth')))).status).toBe(200);
    });
    it('not custodian', async () => {
      const epc = sgtin();
      expect((await post(h.url, signEnvelope(doc([commission(epc)]), key('processor')))).status).toBe(200);
      const res = await post(h.url, signEnvelope(doc([ship(epc)]), key('haulier')));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('NOT_CUSTODIAN');
      expect(res.body.error.details).toMatchObject({ expected: 'haulier' });
      // The haulier cannot see the item: the error does not name who holds it.
      expect(JSON.stringify(res.body)).not.toContain('processor');
      // The custodian may ship; then the receiver takes custody and may ship on.
      expect((await post(h.url, signEnvelope(doc([ship(epc)]), key('processor')))).status).toBe(200);
      const recv = objectEvent({ bizStep: 'receiving', epcList: [epc] });
      expect((await post(h.url, signEnvelope(doc([recv]), key('retailer')))).status).toBe(200);
      const sell = objectEvent({ bizStep: 'retail_selling', epcList: [epc] });
      expect((await post(h.url, signEnvelope(doc([{ ...sell, eventTime: '2026-11-21T09:00:00.000Z' }]), key('retailer')))).status).toBe(200);
    });
    it('custody flows within one document', async () => {
      const epc = sgtin();
      const res = await post(h.url, signEnvelope(doc([commission(epc), ship(epc)]), key('processor')));
      expect(res.body.results.map((r: any) => r.status)).toEqual(['accepted', 'accepted']);
      const rows = await h.db.$queryRawUnsafe<{ orgId: string | null }[]>(`SELECT "orgId" FROM "Custody" WHERE "consortiumId" = ? AND "identifier" = ?`, TEST_CONSORTIUM, canonicalIdentifier(epc));
      expect(rows).toEqual([{ orgId: null }]);
    });
  });

  describe('atomicity', () => {
    it('one bad event stores nothing (atomic default)', async () => {
      const before = { records: await count(h, 'LedgerRecord'), events: await count(h, 'EpcisEvent'), ids: await count(h, 'EventIdentifier') };
      const held = sgtin();
      await post(h.url, signEnvelope(doc([commission(held)]), key('omni')));
      const mid = { records: await count(h, 'LedgerRecord'), events: await count(h, 'EpcisEvent'), ids: await count(h, 'EventIdentifier') };
      expect(mid.records).toBe(before.records + 1);
      const res = await post(h.url, signEnvelope(doc([commission(), ship(held), commission()]), key('processor')));
      expect(res.status).toBe(403);
      expect(res.body.results.map((r: any) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(res.body.results[1].error.code).toBe('NOT_CUSTODIAN');
      expect(res.body.results[0].error.code).toBe('NOT_STORED');
      expect({ records: await count(h, 'LedgerRecord'), events: await count(h, 'EpcisEvent'), ids: await count(h, 'EventIdentifier') }).toEqual(mid);
    });
    it('mode=partial stores the good ones', async () => {
      const held = sgtin();
      await post(h.url, signEnvelope(doc([commission(held)]), key('omni')));
      const before = await count(h, 'EpcisEvent');
      const good = [commission(), commission()];
      const res = await post(h.url, signEnvelope(doc([good[0]!, ship(held), good[1]!]), key('processor')), '?mode=partial');
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: any) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
      expect(res.body.results[1].error.code).toBe('NOT_CUSTODIAN');
      expect(await count(h, 'EpcisEvent')).toBe(before + 2);
    });
    it('a schema-invalid event: 400 INVALID_EPCIS with paths; partial mode rejects only it', async () => {
      const bad = objectEvent({ bizStep: 'commissioning', epcList: [sgtin()], eventTime: 'yesterday' });
      const res = await post(h.url, signEnvelope(doc([commission(), bad]), key('processor')));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_EPCIS');
      expect(JSON.stringify(res.body.error.details.issues)).toContain('epcisBody.eventList[1]');
      const partial = await post(h.url, signEnvelope(doc([commission(), bad]), key('processor')), '?mode=partial');
      expect(partial.body.results.map((r: any) => r.status)).toEqual(['accepted', 'rejected']);
    });
  });

  describe('signature verification pool', () => {
    it('verifies large documents in worker threads', async () => {
      const events = Array.from({ length: 40 }, () => commission());
      const res = await post(h.url, signEnvelope(doc(events), key('processor')));
      expect(res.status).toBe(200);
      expect(res.body.results.every((r: any) => r.status === 'accepted')).toBe(true);
      expect(h.capture.pool.lastMode).toBe('pool');
    });
    it('finds the one forged signature among many', async () => {
      const events = Array.from({ length: 40 }, () => commission());
      const envelope = signEnvelope(doc(events), key('processor'));
      const other = signEnvelope(doc([commission()]), key('processor'), { signedAt: envelope.signedAt });
      envelope.signatures[37] = other.signatures[0]!;
      const res = await post(h.url, envelope);
      expect(res.status).toBe(401);
      expect(h.capture.pool.lastMode).toBe('pool');
      expect(res.body.results[37]).toMatchObject({ status: 'rejected', error: { code: 'BAD_SIGNATURE' } });
      expect(res.body.results[36].error.code).toBe('NOT_STORED');
    });
  });

  describe('bounds and malformed input (never a stack trace)', () => {
    it('malformed JSON', async () => {
      const res = await post(h.url, '{"consortium": ');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'MALFORMED_JSON', message: expect.any(String) }, requestId: expect.any(String) });
    });
    it('body too large: 413', async () => {
      const res = await post(h.url, JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) }));
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });
    it('too many events', async () => {
      const events = Array.from({ length: 1001 }, () => commission());
      const res = await post(h.url, { consortium: TEST_CONSORTIUM, signer: key('processor').keyId, signedAt: formatTimestamp(new Date()), signatures: events.map(() => 'x'), document: doc(events) });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'TOO_MANY_EVENTS', details: { limit: 1000, actual: 1001 } });
    });
    it('too deep', async () => {
      let nested: unknown = 'leaf';
      for (let i = 0; i < 40; i++) nested = { 'ex:n': nested };
      const event = commission();
      const res = await post(h.url, signEnvelope(doc([{ ...event, 'ex:deep': nested }]), key('processor')));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('TOO_DEEP');
    });
    it('string too long', async () => {
      const res = await post(h.url, signEnvelope(doc([{ ...commission(), 'ex:note': 'y'.repeat(8193) }]), key('processor')));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'STRING_TOO_LONG', details: { limit: 8192, actual: 8193 } });
    });
    it('not an object; bad mode', async () => {
      expect((await post(h.url, '[1,2]')).body.error.code).toBe('MALFORMED_ENVELOPE');
      expect((await post(h.url, signEnvelope(doc([commission()]), key('processor')), '?mode=maybe')).status).toBe(400);
    });
    it('unknown consortium: 404', async () => {
      const res = await post(h.url, signEnvelope(doc([commission()]), key('processor'), { consortium: 'no-such-thing' }));
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('UNKNOWN_CONSORTIUM');
    });
  });
});
