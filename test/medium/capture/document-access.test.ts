/** GET /documents/:sha256 serves a document only to those entitled to an event that cites it (docs/access.md). */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountCapture } from '../../../src/transport/http/capture-routes.js';
import { mountDocuments } from '../../../src/transport/http/document-routes.js';
import { accessLogWriter, readAccessLog } from '../../../src/store/access-log.js';
import { DocumentStore } from '../../../src/store/document-store.js';
import { epcisDocument as doc, objectEvent, signEnvelope } from '../../helpers/epcis-documents.js';
import { bearerIsOrg, post } from '../../helpers/http.js';
import { captureTestNodeOptions, CAPTURE_TEST_CONSORTIUM as TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { provenant: 'https://provenant.dev/ns/epcis/' }];
const epc = 'urn:epc:id:sgtin:0614141.812345.DOC1';

describe('document access follows the visibility of the events citing it', () => {
  let h: TestNode;
  const bytes = new TextEncoder().encode('%PDF-1.7 export health certificate EHC-9');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const fetchAs = (org: string) => fetch(`${h.url}/documents/${sha256}`, { headers: { authorization: `Bearer ${org}` } });
  const submit = (org: string, event: Record<string, unknown>) => post(h.url, signEnvelope({ ...doc([event]), '@context': CONTEXT }, h.key(org)!));
  const capture = async (org: string, event: Record<string, unknown>) => {
    const res = await submit(org, event);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };
  let citing = 0;
  const citingEvent = (address: string) =>
    objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [`urn:epc:id:sgtin:0614141.812345.CITE${citing++}`], 'provenant:documents': [{ sha256: address, type: 'health-certificate' }] });

  beforeAll(async () => {
    h = await startTestNode({
      ...captureTestNodeOptions(),
      http: {
        routes: (app, ctx) => {
          mountCapture(app, ctx);
          // The bearer token stands in for an API token: it is the org id.
          mountDocuments(app, ctx, { authorise: bearerIsOrg(TEST_CONSORTIUM) });
        },
      },
    });
    await new DocumentStore(h.db).put({ consortiumId: TEST_CONSORTIUM, bytes, mediaType: 'application/pdf', uploadedByOrg: 'processor' });
    await capture('processor', objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [epc], 'provenant:documents': [{ sha256, type: 'health-certificate' }] }));
  });
  afterAll(async () => {
    await h?.destroy();
  });

  it('indexes the citation with the event', async () => {
    const rows = await h.db.$queryRawUnsafe<{ sha256: string }[]>(`SELECT "sha256" FROM "DocumentCitation" WHERE "consortiumId" = ?`, TEST_CONSORTIUM);
    expect(rows).toEqual([{ sha256 }]);
  });

  it('serves the uploader and the regulator, and hides the document from a member with no entitled event', async () => {
    expect((await fetchAs('processor')).status).toBe(200);
    const regulator = await fetchAs('auth');
    expect(regulator.status).toBe(200);
    expect(new Uint8Array(await regulator.arrayBuffer())).toEqual(bytes);
    const rival = await fetchAs('retailer');
    expect(rival.status).toBe(404);
    expect((await rival.json()).error.code).toBe('DOCUMENT_NOT_FOUND');
  });

  it('serves a member once it holds the item the citing event is about, and logs the read for the uploader', async () => {
    await capture('processor', objectEvent({ bizStep: 'shipping', disposition: 'in_transit', epcList: [epc], eventTime: '2026-11-21T08:10:00.000Z' }));
    await capture('retailer', objectEvent({ bizStep: 'receiving', epcList: [epc], eventTime: '2026-11-21T08:20:00.000Z' }));
    const got = await fetchAs('retailer');
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
    await accessLogWriter(h.db).flush();
    const log = await readAccessLog(h.db, { consortiumId: TEST_CONSORTIUM, ownerOrgId: 'processor', limit: 10, newestFirst: true });
    expect(log.filter((e) => e.subjectType === 'Document').map((e) => [e.viewerOrgId, e.subjectId])).toEqual([
      ['retailer', sha256],
      ['auth', sha256],
    ]);
  });

  it('citing needs the same entitlement as reading, and a document one may not read is refused exactly like one that does not exist', async () => {
    const absent = createHash('sha256').update('no such document').digest('hex');
    const notEntitled = await submit('haulier', citingEvent(sha256));
    const nonexistent = await submit('haulier', citingEvent(absent));
    expect(notEntitled.status).toBe(400);
    expect(nonexistent.status).toBe(400);
    expect(notEntitled.body.error.code).toBe('UNKNOWN_DOCUMENT');
    const shape = (body: { error: { code: string; message: string; details: { sha256: string[] } } }, address: string) => ({
      code: body.error.code,
      message: body.error.message,
      details: { ...body.error.details, sha256: body.error.details.sha256.map((d) => (d === address ? 'ADDRESS' : d)) },
    });
    expect(shape(notEntitled.body, sha256)).toEqual(shape(nonexistent.body, absent));
    expect((await fetchAs('haulier')).status).toBe(404);
  });

  it('the uploader, a regulator and a member entitled through a citing event may cite the document', async () => {
    expect((await submit('processor', citingEvent(sha256))).body.results?.[0]?.status).toBe('accepted');
    const regulator = await submit('auth', objectEvent({ bizStep: 'urn:provenant:bizstep:official_inspection', epcList: [epc], 'provenant:documents': [{ sha256, type: 'health-certificate' }] }));
    expect(regulator.status, JSON.stringify(regulator.body)).toBe(200);
    // The retailer received the item the first citing event is about, so it reads the document, and may cite it.
    expect((await fetchAs('retailer')).status).toBe(200);
    const retailer = await submit('retailer', objectEvent({ bizStep: 'retail_selling', epcList: [epc], eventTime: '2026-11-21T09:00:00.000Z', 'provenant:documents': [{ sha256, type: 'health-certificate' }] }));
    expect(retailer.status, JSON.stringify(retailer.body)).toBe(200);
    expect(retailer.body.results[0].status).toBe('accepted');
  });
});

