import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EPCIS_EXAMPLES_DIR, EPCIS_XML_EXAMPLES_DIR } from '../../vectors/index.js';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { parseEpcisXml } from '../../../src/core/epcis/xml/index.js';
import { binding, finishedJob, hostOrganisation } from '../../helpers/capture-binding.js';
import { getEvent } from '../../helpers/http.js';
import { captureTestNodeOptions } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const XML_EXAMPLES = EPCIS_XML_EXAMPLES_DIR;

function eventsOf(document: Record<string, any>): Record<string, any>[] {
  return document['epcisBody']['eventList'];
}

/**
 * Every GS1 example, JSON and XML, captured through POST /capture by a stock client (an API token,
 * no signatures): 202, the job succeeds, and each event reads back by its hash ID with the
 * document's @context (and epcisHeader) the record signed, and by the event ID its client supplied.
 */
describe('every GS1 example through the EPCIS 2.0 capture binding', () => {
  let h: TestNode;
  let token: string;
  beforeAll(async () => {
    h = await startTestNode(captureTestNodeOptions());
    token = await hostOrganisation(h, 'omni');
  });
  afterAll(async () => h?.destroy());

  const json = readdirSync(EPCIS_EXAMPLES_DIR).filter((f) => f.endsWith('.jsonld') || f.endsWith('.json'));
  // The CaptureJob examples are capture job documents, not EPCIS documents.
  const xml = readdirSync(XML_EXAMPLES).filter((f) => f.endsWith('.xml') && !f.startsWith('CaptureJob__'));
  it('found the examples', () => {
    expect(json.length).toBeGreaterThanOrEqual(10);
    expect(xml.length).toBeGreaterThanOrEqual(15);
  });

  const cases = [...json.map((f) => ({ file: f, dir: EPCIS_EXAMPLES_DIR, type: 'application/ld+json' })), ...xml.map((f) => ({ file: f, dir: XML_EXAMPLES, type: 'application/xml' }))];
  it.each(cases)('$file', async ({ file, dir, type }) => {
    const text = readFileSync(path.join(dir, file), 'utf8');
    const document = type === 'application/xml' ? parseEpcisXml(text) : (JSON.parse(text) as Record<string, any>);
    const ids = eventHashIdsOfDocument(document);
    const res = await binding(h.url, { body: text, headers: { authorization: `Bearer ${token}`, 'content-type': type } });
    expect(res.status, res.text).toBe(202);
    const job = await finishedJob(h.url, res.headers.get('location')!, token);
    expect(job.success, JSON.stringify(job.errors)).toBe(true);
    const results = job['provenant:results'];
    expect(results.map((r: any) => r.eventId)).toEqual(ids);
    for (const [i, r] of results.entries()) {
      // Some examples repeat another's events; an event with an errorDeclaration about a known event is a correction.
      expect(['accepted', 'duplicate']).toContain(r.status);
      const got = await getEvent(h.url, h.tokens.auth!, ids[i]!);
      expect(got.status).toBe(200);
      expect(got.body.eventId).toBe(ids[i]);
      if (r.status !== 'accepted') continue;
      if (r.correctionOf) {
        expect(got.body.corrections.map((c: any) => c.recordHash)).toContain(r.recordHash);
        continue;
      }
      expect(got.body.recordHash).toBe(r.recordHash);
      expect(got.body.event).toEqual(eventsOf(document)[i]);
      expect(got.body.context).toEqual(document['@context']);
      expect(got.body.epcisHeader).toEqual(document['epcisHeader'] ?? null);
      const declared = eventsOf(document)[i]!['eventID'];
      if (typeof declared === 'string') {
        const byDeclared = await getEvent(h.url, h.tokens.auth!, declared);
        expect(byDeclared.status).toBe(200);
        expect(byDeclared.body.eventId).toBe(ids[i]);
      }
    }
  });
});
