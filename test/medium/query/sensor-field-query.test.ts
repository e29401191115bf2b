/**
 * Sensor and extension-field parameters of GET /events (EPCIS 2.0 section 8.2.7.1) on a real node:
 * events captured through POST /capture are found by their sensor reports, ILMD and extension
 * fields, in a named query too, and each answer is a valid EPCISQueryDocument.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { errorsOf, responseSchema } from '../../helpers/gs1-openapi.js';
import { binding } from '../../helpers/capture-binding.js';
import { epcisDocument, objectEvent } from '../../helpers/epcis-documents.js';
import { captureDocument, eventsOf, getAs, startQueryNode, type QueryNode } from './query-harness.js';

const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'https://ns.example.com/epcis/' }];

const EVENTS: Record<string, Record<string, unknown>> = {
  chilled: objectEvent({
    eventTime: '2026-11-21T08:00:00.000Z',
    epcList: ['urn:epc:id:sscc:0614141.1234567890'],
    bizStep: 'transporting',
    'example:grade': 'A',
    sensorElementList: [
      {
        sensorMetadata: { time: '2026-11-21T08:00:00Z', deviceID: 'urn:epc:id:giai:4000001.111', startTime: '2026-11-21T07:00:00Z', endTime: '2026-11-21T08:00:00Z' },
        sensorReport: [
          { type: 'gs1:Temperature', value: 4.5, uom: 'CEL' },
          { type: 'gs1:RelativeHumidity', value: 60, uom: 'A93' },
        ],
      },
    ],
  }),
  warm: objectEvent({
    eventTime: '2026-11-21T09:00:00.000Z',
    epcList: ['urn:epc:id:sscc:0614141.1234567891'],
    bizStep: 'transporting',
    'example:grade': 'B',
    sensorElementList: [{ sensorMetadata: { deviceID: 'urn:epc:id:giai:4000001.222' }, sensorReport: [{ type: 'gs1:Temperature', value: 11, uom: 'CEL' }] }],
  }),
  lot: objectEvent({
    eventTime: '2026-11-21T10:00:00.000Z',
    action: 'ADD',
    bizStep: 'commissioning',
    epcList: ['urn:epc:id:sgtin:0614141.107346.1'],
    ilmd: { 'example:bestBefore': '2026-12-01T00:00:00Z', 'example:herd': { 'example:cph': '12/345/6789' } },
  }),
};

let node: QueryNode;
const names = new Map<string, string>();

beforeAll(async () => {
  node = await startQueryNode();
  for (const [name, event] of Object.entries(EVENTS)) {
    const document = { ...epcisDocument([event]), '@context': CONTEXT };
    const job = await captureDocument(node, document);
    expect(job.success, JSON.stringify(job)).toBe(true);
    names.set(eventHashIdsOfDocument(document)[0]!, name);
  }
}, 60_000);

afterAll(async () => node?.close());

const validate = responseSchema('/events', 'get', 200, 'application/json');

async function found(query: string): Promise<string[]> {
  const res = await getAs(node, `/events?${query}`, node.auth);
  expect(res.status, res.text).toBe(200);
  expect(validate(res.json), errorsOf(validate)).toBe(true);
  return eventsOf(res).map((e) => names.get(e['eventID']) ?? `?${e['eventID']}`);
}

describe('GET /events: sensor parameters', () => {
  it('EQ_type with value bounds in a unit, on one report', async () => {
    expect(await found('EQ_type=Temperature')).toEqual(['chilled', 'warm']);
    expect(await found('EQ_type=Temperature&GE_value_CEL=8')).toEqual(['warm']);
    expect(await found('EQ_type=Temperature&GE_value_CEL=50')).toEqual([]);
    expect(await found('LT_value_CEL=5')).toEqual(['chilled']);
  });

  it('deviceID from the metadata, sensor times, EXISTS_sensorElementList', async () => {
    expect(await found(`EQ_deviceID=${encodeURIComponent('urn:epc:id:giai:4000001.222')}`)).toEqual(['warm']);
    expect(await found('GE_startTime=2026-11-21T06:00:00Z&LT_endTime=2026-11-21T09:00:00Z')).toEqual(['chilled']);
    expect(await found('EXISTS_sensorElementList=false')).toEqual(['lot']);
  });
});

describe('GET /events: ILMD and extension fields', () => {
  it('EQ_ on a top-level extension field; EQ_ILMD_, LT_ILMD_, EQ_INNER_ILMD_, EXISTS_ILMD_', async () => {
    expect(await found('EQ_example:grade=B')).toEqual(['warm']);
    expect(await found('LT_ILMD_example:bestBefore=2026-12-02T00:00:00Z')).toEqual(['lot']);
    expect(await found('GE_ILMD_example:bestBefore=2026-12-02T00:00:00Z')).toEqual([]);
    expect(await found(`EQ_INNER_ILMD_example:cph=${encodeURIComponent('12/345/6789')}`)).toEqual(['lot']);
    expect(await found('EXISTS_ILMD_example:herd')).toEqual(['lot']);
  });

  it('a named query keeps sensor and ILMD parameters; a bad value is a 400', async () => {
    const post = await binding(node.url, {
      method: 'POST',
      path: '/queries',
      body: JSON.stringify({ name: 'warm-loads', query: { EQ_type: ['Temperature'], GE_value_CEL: 8 } }),
      headers: { authorization: `Bearer ${node.auth}`, 'content-type': 'application/json' },
    });
    expect(post.status, post.text).toBe(201);
    const res = await getAs(node, '/queries/warm-loads/events', node.auth);
    expect(res.status, res.text).toBe(200);
    expect(eventsOf(res).map((e) => names.get(e['eventID']))).toEqual(['warm']);
    const bad = await getAs(node, '/events?GE_value_CEL=warm', node.auth);
    expect(bad.status).toBe(400);
    expect(bad.json.type).toBe('epcisException:QueryParameterException');
  });
});
