/** Capture checks what events cite off-chain (documents, people) and indexes dam → calf. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { DocumentStore } from '../../../src/store/document-store.js';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { epcisDocument as doc, objectEvent, signEnvelope } from '../../helpers/epcis-documents.js';
import { count, post } from '../../helpers/http.js';
import { captureTestNodeOptions, CAPTURE_TEST_CONSORTIUM as TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const PROVENANT_CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { provenant: 'https://provenant.dev/ns/epcis/' }];

function withProvenantContext(document: Record<string, unknown>): Record<string, unknown> {
  return { ...document, '@context': PROVENANT_CONTEXT };
}

describe('capture: cited documents and people, dam index', () => {
  let h: TestNode;
  let serial = 0;
  beforeAll(async () => {
    h = await startTestNode(captureTestNodeOptions());
  });
  afterAll(async () => h?.destroy());
  const key = (org: string) => h.key(org);
  const inspection = (extra: Record<string, unknown>) =>
    objectEvent({ epcList: [`urn:epc:id:sgtin:5012345.012345.CITE${serial++}`], bizStep: 'inspecting', ...extra });

  it('refuses an event citing a document nobody uploaded, and accepts it once the document is stored', async () => {
    const bytes = new TextEncoder().encode('%PDF-1.7 health certificate HC-77');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const event = inspection({ 'provenant:documents': [{ sha256, type: 'health-certificate', name: 'HC-77.pdf' }] });
    const document = withProvenantContext(doc([event]));
    const before = await count(h, 'EpcisEvent');

    const refused = await post(h.url, signEnvelope(document, key('omni')));
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('UNKNOWN_DOCUMENT');
    expect(refused.body.error.details.sha256).toEqual([sha256]);
    expect(await count(h, 'EpcisEvent')).toBe(before);

    await new DocumentStore(h.db).put({ consortiumId: TEST_CONSORTIUM, bytes, mediaType: 'application/pdf', uploadedByOrg: 'omni' });
    const accepted = await post(h.url, signEnvelope(document, key('omni')));
    expect(accepted.status).toBe(200);
    expect(accepted.body.results[0].status).toBe('accepted');
  });

  it('names a malformed document reference and a person commitment that is not registered', async () => {
    const malformed = await post(h.url, signEnvelope(withProvenantContext(doc([inspection({ 'provenant:documents': [{ sha256: 'nothex', type: 'invoice' }] })])), key('omni')));
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_DOCUMENT_REF');

    const person = await post(h.url, signEnvelope(withProvenantContext(doc([inspection({ 'provenant:personRef': 'ab'.repeat(32) })])), key('omni')));
    expect(person.status).toBe(400);
    expect(person.body.error.code).toBe('UNKNOWN_PERSON');
  });

  it("indexes a birth event under the dam's identifier, so the dam finds its calves", async () => {
    const dam = 'UK123450200001';
    const calf = 'UK123450300002';
    const birth = objectEvent({ action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [`urn:provenant:animal:${calf}`], 'provenant:dam': `urn:provenant:animal:${dam}` });
    const res = await post(h.url, signEnvelope(withProvenantContext(doc([birth])), key('farm')));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const rows = await h.db.$queryRawUnsafe<{ identifier: string; role: string }[]>(
      `SELECT "identifier", "role" FROM "EventIdentifier" WHERE "eventId" = ? ORDER BY "role"`,
      res.body.results[0].eventId,
    );
    expect(rows).toContainEqual({ identifier: canonicalIdentifier(`urn:provenant:animal:${dam}`), role: 'dam' });
  });
});
