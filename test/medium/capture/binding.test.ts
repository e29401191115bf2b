import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { issueToken } from '../../../src/store/token-store.js';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { errorsOf, responseSchema, schemaAt } from '../../helpers/gs1-openapi.js';
import { binding, finishedJob, hostOrganisation } from '../../helpers/capture-binding.js';
import { epcisDocument as doc, objectEvent, signEnvelope } from '../../helpers/epcis-documents.js';
import { count, getEvent } from '../../helpers/http.js';
import { captureTestNodeOptions, CAPTURE_TEST_CONSORTIUM as TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const ITEM = (n: number) => `urn:epc:id:sgtin:0614141.107346.${n}`;
const commission = (n: number) => objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [ITEM(n)] });
/** Shipping an item another organisation holds: refused by the role table (NOT_CUSTODIAN). */
const unauthorised = (n: number) => objectEvent({ bizStep: 'shipping', epcList: [ITEM(n)] });

/** Problem details must match GS1's schema for that response (type, title, status). */
function expectProblem(res: { status: number; headers: Headers; json: any }, path: string, method: string, status: number, type: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const validate = responseSchema(path, method, status, 'application/problem+json');
  expect(validate(res.json), errorsOf(validate)).toBe(true);
  expect(res.json.type).toBe(type);
  expect(res.json.status).toBe(status);
}

/** GS1's CaptureJob, errors form: its oneOf (errors | errorFile) names no required member, so an object matches both branches; each is checked. */
function expectCaptureJob(job: unknown): void {
  for (const part of [schemaAt('components', 'schemas', 'CaptureJob', 'allOf', 0), schemaAt('components', 'schemas', 'CaptureJob', 'allOf', 1, 'oneOf', 0)]) {
    expect(part(job), errorsOf(part)).toBe(true);
  }
}

describe('EPCIS 2.0 capture binding: POST /capture, capture jobs, problem details', () => {
  let h: TestNode;
  let omniToken: string;
  beforeAll(async () => {
    h = await startTestNode(captureTestNodeOptions());
    omniToken = await hostOrganisation(h, 'omni');
  });
  afterAll(async () => h?.destroy());

  it('OPTIONS /capture names the versions, the limits and both error behaviours', async () => {
    const res = await binding(h.url, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('OPTIONS, POST, GET');
    expect(res.headers.get('gs1-epcis-version')).toBe('2.0.0');
    expect(res.headers.get('gs1-cbv-version')).toBe('2.0.0');
    expect(res.headers.get('gs1-epcis-capture-limit')).toBe('1000');
    expect(res.headers.get('gs1-epcis-capture-file-size-limit')).toBe(String(5 * 1024 * 1024));
    expect(res.headers.get('gs1-capture-error-behaviour')).toBe('all');
  });

  it('a stock client with an API token: 202, Location, the job succeeds, the node signed with the organisation key', async () => {
    const document: Record<string, unknown> = { ...doc([commission(1)]), epcisHeader: { epcisMasterData: { vocabularyList: [{ type: 'urn:epcglobal:epcis:vtype:BusinessLocation', vocabularyElementList: [{ id: 'urn:epc:id:sgln:0614141.00777.0', attributes: [{ id: 'urn:epcglobal:cbv:mda:name', attribute: 'Depot' }] }] }] } } };
    const res = await binding(h.url, { body: document, headers: { authorization: `Bearer ${omniToken}`, 'gs1-epcis-version': '2.0.0', 'gs1-cbv-version': '2.0.0' } });
    expect(res.status, res.text).toBe(202);
    expect(res.text).toBe('');
    expect(res.headers.get('gs1-epcis-version')).toBe('2.0.0');
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/capture\/[0-9a-f-]{36}$/);
    const job = await finishedJob(h.url, location, omniToken);
    expectCaptureJob(job);
    expect(job).toMatchObject({ running: false, success: true, captureErrorBehaviour: 'rollback', errors: [] });
    const [eventId] = eventHashIdsOfDocument(document);
    expect(job['provenant:results'][0]).toMatchObject({ index: 0, eventId, status: 'accepted' });
    const got = await getEvent(h.url, h.tokens.auth!, eventId!);
    expect(got.status).toBe(200);
    expect(got.body.signer).toEqual({ keyId: h.key('omni').keyId, orgId: 'omni' });
    expect(got.body.payloadFormat).toBe(2);
    expect(got.body.context).toEqual(document['@context']);
    expect(got.body.epcisHeader).toEqual(document.epcisHeader);
  });

  it('GET /capture/{id}: only the organisation that captured may read its job; GET /capture lists its own', async () => {
    const res = await binding(h.url, { body: doc([commission(2)]), headers: { authorization: `Bearer ${omniToken}` } });
    const location = res.headers.get('location')!;
    await finishedJob(h.url, location, omniToken);
    const other = await binding(h.url, { method: 'GET', path: location, headers: { authorization: `Bearer ${h.tokens.auth!}` } });
    expectProblem(other, '/capture/{captureID}', 'get', 404, 'epcisException:NoSuchNameException');
    const anonymous = await binding(h.url, { method: 'GET', path: location });
    expectProblem(anonymous, '/capture/{captureID}', 'get', 401, 'epcisException:SecurityException');
    const list = await binding(h.url, { method: 'GET', headers: { authorization: `Bearer ${omniToken}` } });
    expect(list.status).toBe(200);
    const listSchema = responseSchema('/capture', 'get', 200, 'application/json');
    expect(listSchema(list.json), errorsOf(listSchema)).toBe(false); // GS1's CaptureJob oneOf matches no object (see expectCaptureJob)
    for (const job of list.json) expectCaptureJob(job);
    expect(list.json.map((j: any) => `/capture/${j.captureID}`)).toContain(location);
  });

  it('the job in XML when the client asks for it', async () => {
    const res = await binding(h.url, { body: doc([commission(3)]), headers: { authorization: `Bearer ${omniToken}` } });
    const location = res.headers.get('location')!;
    await finishedJob(h.url, location, omniToken);
    const xml = await binding(h.url, { method: 'GET', path: location, headers: { authorization: `Bearer ${omniToken}`, accept: 'application/xml' } });
    expect(xml.status).toBe(200);
    expect(xml.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(xml.text).toMatch(/<epcis:EPCISCaptureJob xmlns:epcis="urn:epcglobal:epcis:xsd:2" running="false" success="true" captureID="[0-9a-f-]{36}">/);
    expect(xml.text).toContain('<captureErrorBehaviour>rollback</captureErrorBehaviour>');
  });

  it('415 for a body that is neither JSON nor XML; 406 for an answer the client cannot take or a version it does not speak', async () => {
    const auth = { authorization: `Bearer ${omniToken}` };
    expectProblem(await binding(h.url, { body: 'a,b,c', headers: { ...auth, 'content-type': 'text/csv' } }), '/capture', 'post', 415, 'epcisException:UnsupportedMediaTypeException');
    expectProblem(await binding(h.url, { body: JSON.stringify(doc([commission(4)])), headers: auth }), '/capture', 'post', 415, 'epcisException:UnsupportedMediaTypeException');
    expectProblem(await binding(h.url, { body: doc([commission(4)]), headers: { ...auth, accept: 'text/csv' } }), '/capture', 'post', 406, 'epcisException:NotAcceptableException');
    expectProblem(await binding(h.url, { body: doc([commission(4)]), headers: { ...auth, 'gs1-epcis-version': '1.2' } }), '/capture', 'post', 406, 'epcisException:NotAcceptableException');
    expectProblem(await binding(h.url, { body: doc([commission(4)]), headers: { ...auth, 'gs1-cbv-version': '1.2.0' } }), '/capture', 'post', 406, 'epcisException:NotAcceptableException');
    expectProblem(await binding(h.url, { method: 'GET', path: '/capture/x', headers: { ...auth, 'gs1-epcis-max': '1.2' } }), '/capture/{captureID}', 'get', 406, 'epcisException:NotAcceptableException');
    expect(await count(h, 'EpcisEvent')).toBe(3);
  });

  it('an XML document is captured (checked against the XSD); invalid XML is a ValidationException', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2026-11-21T08:00:00.000Z">
  <EPCISBody><EventList><ObjectEvent>
    <eventTime>2026-11-21T08:00:00.000Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
    <epcList><epc>${ITEM(5)}</epc></epcList><action>ADD</action><bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
  </ObjectEvent></EventList></EPCISBody>
</epcis:EPCISDocument>`;
    const res = await binding(h.url, { body: xml, headers: { authorization: `Bearer ${omniToken}`, 'content-type': 'application/xml' } });
    expect(res.status, res.text).toBe(202);
    const job = await finishedJob(h.url, res.headers.get('location')!, omniToken);
    expect(job.success, JSON.stringify(job)).toBe(true);
    const eventId = job['provenant:results'][0].eventId;
    expect(eventId).toBe(eventHashIdsOfDocument(doc([commission(5)]))[0]);
    const invalid = await binding(h.url, { body: xml.replace('<action>ADD</action>', '<action>MAYBE</action>'), headers: { authorization: `Bearer ${omniToken}`, 'content-type': 'application/xml' } });
    expectProblem(invalid, '/capture', 'post', 400, 'epcisException:ValidationException');
    expect(invalid.json.code).toBe('EPCIS_XML_SCHEMA_INVALID');
  });

  it('rollback stores nothing when an event fails; proceed stores the others and reports the failure', async () => {
    const processorToken = await hostOrganisation(h, 'processor');
    const before = await count(h, 'EpcisEvent');
    const document = doc([objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: ['urn:epc:id:sgtin:0614141.107346.900'] }), unauthorised(1)]);
    const rollback = await binding(h.url, { body: document, headers: { authorization: `Bearer ${processorToken}`, 'gs1-capture-error-behaviour': 'rollback' } });
    expect(rollback.status).toBe(202);
    const failed = await finishedJob(h.url, rollback.headers.get('location')!, processorToken);
    expectCaptureJob(failed);
    expect(failed).toMatchObject({ running: false, success: false, captureErrorBehaviour: 'rollback' });
    expect(failed.errors, JSON.stringify(failed.errors)).toHaveLength(1);
    expect(failed.errors[0]).toMatchObject({ type: 'epcisException:SecurityException', status: 403, code: 'NOT_CUSTODIAN', index: 1 });
    expect(await count(h, 'EpcisEvent')).toBe(before);

    const proceed = await binding(h.url, { body: document, headers: { authorization: `Bearer ${processorToken}`, 'gs1-capture-error-behaviour': 'proceed' } });
    const partial = await finishedJob(h.url, proceed.headers.get('location')!, processorToken);
    expectCaptureJob(partial);
    expect(partial).toMatchObject({ running: false, success: false, captureErrorBehaviour: 'proceed' });
    expect(partial.errors.map((e: any) => e.index)).toEqual([1]);
    expect(partial['provenant:results'].map((r: any) => r.status)).toEqual(['accepted', 'rejected']);
    expect(await count(h, 'EpcisEvent')).toBe(before + 1);

    const bad = await binding(h.url, { body: document, headers: { authorization: `Bearer ${processorToken}`, 'gs1-capture-error-behaviour': 'sometimes' } });
    expectProblem(bad, '/capture', 'post', 400, 'epcisException:ValidationException');
  });

  it('refuses clearly when the node holds no key of the token organisation, and without any credentials', async () => {
    const token = (await issueToken(h.db, TEST_CONSORTIUM, 'retailer', 'no hosted key')).token;
    const res = await binding(h.url, { body: doc([commission(6)]), headers: { authorization: `Bearer ${token}` } });
    expectProblem(res, '/capture', 'post', 403, 'epcisException:SecurityException');
    expect(res.json.code).toBe('NO_HOSTED_KEY');
    expect(res.json.detail).toMatch(/holds no key of organisation "retailer"/);
    const anonymous = await binding(h.url, { body: doc([commission(6)]) });
    expectProblem(anonymous, '/capture', 'post', 401, 'epcisException:SecurityException');
    const badToken = await binding(h.url, { body: doc([commission(6)]), headers: { authorization: 'Bearer pvn_nonsense' } });
    expectProblem(badToken, '/capture', 'post', 401, 'epcisException:SecurityException');
  });

  it('the signed path works through POST /capture too (the Provenant-* headers)', async () => {
    const envelope = signEnvelope(doc([commission(7)]), h.key('omni'));
    const res = await binding(h.url, {
      body: envelope.document,
      headers: { 'provenant-consortium': envelope.consortium, 'provenant-signer': envelope.signer, 'provenant-signed-at': envelope.signedAt, 'provenant-signatures': envelope.signatures.join(',') },
    });
    expect(res.status, res.text).toBe(202);
    const job = await finishedJob(h.url, res.headers.get('location')!, omniToken);
    expect(job.success).toBe(true);
    const got = await getEvent(h.url, h.tokens.auth!, job['provenant:results'][0].eventId);
    expect(got.body.payloadFormat).toBe(1);
    const forged = await binding(h.url, { body: envelope.document, headers: { 'provenant-consortium': envelope.consortium, 'provenant-signer': 'ab'.repeat(32), 'provenant-signed-at': envelope.signedAt, 'provenant-signatures': envelope.signatures.join(',') } });
    expectProblem(forged, '/capture', 'post', 403, 'epcisException:SecurityException');
  });

  it('a batch-signed document through POST /capture (Provenant-Batch-Signature)', async () => {
    const envelope = signCaptureDocument(doc([commission(8), commission(9)]), { consortium: TEST_CONSORTIUM, key: h.key('omni'), batch: true });
    const headers = { 'provenant-consortium': envelope.consortium, 'provenant-signer': envelope.signer, 'provenant-signed-at': envelope.signedAt, 'provenant-batch-signature': envelope.batchSignature! };
    const res = await binding(h.url, { body: envelope.document, headers });
    expect(res.status, res.text).toBe(202);
    const job = await finishedJob(h.url, res.headers.get('location')!, omniToken);
    expect(job.success).toBe(true);
    expect(job['provenant:results'].map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted']);
  });

  it('more events than the capture limit: 413 CaptureLimitExceededException', async () => {
    const res = await binding(h.url, { body: doc(Array.from({ length: 1001 }, (_, i) => commission(10_000 + i))), headers: { authorization: `Bearer ${omniToken}` } });
    expectProblem(res, '/capture', 'post', 413, 'epcisException:CaptureLimitExceededException');
    expect(res.headers.get('gs1-epcis-capture-limit')).toBe('1000');
  });
});
