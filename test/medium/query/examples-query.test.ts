/**
 * Every GS1 example, JSON and XML, captured through POST /capture and then found again through the
 * query interface: by its event ID, and by a query built from its own fields (type, time window,
 * bizStep, an identifier), each answer a valid EPCISQueryDocument carrying the event as captured.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcTimestamp } from '../../../src/core/capture/corrections.js';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { identifiersOf } from '../../../src/core/epcis/epcis-model.js';
import { parseEpcisXml } from '../../../src/core/epcis/xml/index.js';
import { errorsOf, responseSchema } from '../../helpers/gs1-openapi.js';
import { EPCIS_EXAMPLES_DIR, EPCIS_XML_EXAMPLES_DIR } from '../../vectors/index.js';
import { captureDocument, eventsOf, getAs, startQueryNode, type QueryNode } from './query-harness.js';

const validate = responseSchema('/events', 'get', 200, 'application/json');

/** A query that must find the event: its type, its instant, its bizStep and one of its identifiers. */
function queryFor(event: Record<string, any>): string {
  const at = utcTimestamp(String(event['eventTime']))!;
  const params = new URLSearchParams({ eventType: String(event['type']), GE_eventTime: at, LT_eventTime: new Date(Date.parse(at) + 1).toISOString() });
  if (typeof event['bizStep'] === 'string') params.set('EQ_bizStep', event['bizStep']);
  const ids = identifiersOf(event);
  const anyEpc = [...ids.epcs, ...ids.childEPCs, ...ids.inputEPCs, ...ids.outputEPCs, ...(ids.parentID ? [ids.parentID] : [])][0];
  if (anyEpc) params.set('MATCH_anyEPC', anyEpc);
  else if (ids.quantities[0]) params.set('MATCH_anyEPCClass', ids.quantities[0].epcClass);
  return params.toString();
}

describe('every GS1 example, captured, is found again through GET /events', () => {
  let node: QueryNode;
  beforeAll(async () => {
    node = await startQueryNode();
  });
  afterAll(async () => node?.close());

  const json = readdirSync(EPCIS_EXAMPLES_DIR).filter((f) => f.endsWith('.jsonld') || f.endsWith('.json'));
  const xml = readdirSync(EPCIS_XML_EXAMPLES_DIR).filter((f) => f.endsWith('.xml') && !f.startsWith('CaptureJob__'));
  const cases = [...json.map((f) => ({ file: f, dir: EPCIS_EXAMPLES_DIR, type: 'application/ld+json' })), ...xml.map((f) => ({ file: f, dir: EPCIS_XML_EXAMPLES_DIR, type: 'application/xml' }))];

  it('found the examples', () => {
    expect(json.length).toBeGreaterThanOrEqual(10);
    expect(xml.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases)('$file', async ({ file, dir, type }) => {
    const text = readFileSync(path.join(dir, file), 'utf8');
    const document = type === 'application/xml' ? parseEpcisXml(text) : (JSON.parse(text) as Record<string, any>);
    const job = await captureDocument(node, text, type);
    expect(job.success, JSON.stringify(job.errors)).toBe(true);
    const hashIds = eventHashIdsOfDocument(document);
    const events = document['epcisBody']['eventList'] as Record<string, any>[];
    const results = job['provenant:results'] as { status: string; correctionOf?: unknown }[];
    // The hash ID of an answered event (its eventID, unless its client supplied one).
    const hashOf = (e: Record<string, any>) => e['provenant:eventHashId'] ?? e['eventID'];
    for (const [i, event] of events.entries()) {
      const byId = await getAs(node, `/events?EQ_eventID=${encodeURIComponent(hashIds[i]!)}`, node.auth);
      expect(byId.status, byId.text).toBe(200);
      // XML allows a sensorReport without a type, GS1's JSON schema does not: XML examples are checked by the XSD at capture.
      if (type !== 'application/xml') expect(validate(byId.json), errorsOf(validate)).toBe(true);
      const found = eventsOf(byId).find((e) => hashOf(e) === hashIds[i]);
      expect(found, `${file} #${i}`).toBeDefined();
      // Accepted as captured (a duplicate is the earlier capture of the same event); eventID and recordTime are the repository's.
      if (results[i]!.status === 'accepted' && !results[i]!.correctionOf) {
        const { eventID: _id, recordTime: _rt, errorDeclaration: _ed, ...rest } = event;
        expect(found).toMatchObject(rest);
        if (typeof event['eventID'] === 'string') expect(found!['eventID']).toBe(event['eventID']);
      }
      const byFields = await getAs(node, `/events?${queryFor(event)}`, node.auth);
      expect(byFields.status, byFields.text).toBe(200);
      if (type !== 'application/xml') expect(validate(byFields.json), errorsOf(validate)).toBe(true);
      expect(eventsOf(byFields).map(hashOf), `${file} #${i}: ${queryFor(event)}`).toContain(hashIds[i]);
    }
    const asXml = await getAs(node, `/events?EQ_eventID=${encodeURIComponent(hashIds.join('|'))}`, node.auth, { accept: 'application/xml' });
    expect(asXml.status, asXml.text).toBe(200);
    expect(parseEpcisXml(asXml.text)['type']).toBe('EPCISQueryDocument');
  });
});
