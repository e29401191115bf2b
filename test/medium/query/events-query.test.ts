/**
 * GET /events and its relatives (EPCIS 2.0 REST binding) on a real node: filters, UTC time order
 * across offsets, paging with nextPageToken and Link, the read policy, problem details, and each
 * 200 validated against GS1's openapi.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { issueToken } from '../../../src/store/token-store.js';
import { errorsOf, responseSchema } from '../../helpers/gs1-openapi.js';
import { binding, type BindingResponse } from '../../helpers/capture-binding.js';
import { CAPTURE_TEST_CONSORTIUM as TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { epcisDocument as doc, objectEvent } from '../../helpers/epcis-documents.js';
import { captureDocument, eventsOf, getAs, startQueryNode, type QueryNode } from './query-harness.js';

const ITEM = (n: number) => `urn:epc:id:sgtin:0614141.107346.${n}`;
const OTHER_ITEM = 'urn:epc:id:sgtin:0614142.107346.1';
const PALLET = 'urn:epc:id:sscc:0614141.1234567890';
const LOT = 'urn:epc:class:lgtin:4012345.012345.998877';
const READ_POINT = 'urn:epc:id:sgln:0614141.07346.1234';
const DEPOT = 'urn:epc:id:sgln:0614141.00777.0';

const EVENTS: Record<string, Record<string, unknown>> = {
  commission: objectEvent({ eventTime: '2026-11-21T08:00:00.000Z', action: 'ADD', bizStep: 'commissioning', epcList: [ITEM(1), ITEM(2), ITEM(3)], readPoint: { id: READ_POINT }, bizLocation: { id: DEPOT } }),
  // 08:30 UTC, written with a +02:00 offset: a string order would put it after 09:00Z.
  ship: objectEvent({
    eventTime: '2026-11-21T10:30:00.000+02:00',
    eventTimeZoneOffset: '+02:00',
    action: 'OBSERVE',
    bizStep: 'shipping',
    disposition: 'in_transit',
    epcList: [ITEM(1)],
    bizTransactionList: [{ type: 'po', bizTransaction: 'http://transaction.acme.com/po/12345678' }],
    sourceList: [{ type: 'owning_party', source: 'urn:epc:id:pgln:0614141.00001' }],
  }),
  pack: {
    type: 'AggregationEvent',
    eventTime: '2026-11-21T09:00:00.000Z',
    eventTimeZoneOffset: '+00:00',
    action: 'ADD',
    bizStep: 'packing',
    parentID: PALLET,
    childEPCs: [ITEM(2)],
  },
  // 10:00 UTC, written with a -03:00 offset.
  lot: objectEvent({ eventTime: '2026-11-21T07:00:00.000-03:00', eventTimeZoneOffset: '-03:00', action: 'ADD', bizStep: 'commissioning', quantityList: [{ epcClass: LOT, quantity: 10, uom: 'KGM' }] }),
  other: objectEvent({ eventTime: '2026-11-21T12:00:00.000Z', action: 'ADD', bizStep: 'commissioning', epcList: [OTHER_ITEM] }),
};
const TIME_ORDER = ['commission', 'ship', 'pack', 'lot', 'other'];

let node: QueryNode;
let url: string;
let retailer: string;
let auth: string;
const ids = new Map<string, string>();

beforeAll(async () => {
  node = await startQueryNode();
  url = node.url;
  auth = node.auth;
  retailer = (await issueToken(node.t.db, TEST_CONSORTIUM, 'retailer', 'query tests')).token;
  for (const name of TIME_ORDER) {
    const document = doc([EVENTS[name]!]);
    const job = await captureDocument(node, document);
    expect(job.success, JSON.stringify(job)).toBe(true);
    ids.set(name, eventHashIdsOfDocument(document)[0]!);
  }
}, 60_000);

afterAll(async () => node?.close());

function get(path: string, token: string | null = auth, headers: Record<string, string> = {}): Promise<BindingResponse> {
  return getAs(node, path, token, headers);
}

/** Names of the events answered, in order. */
function namesOf(res: BindingResponse): string[] {
  const byId = new Map([...ids].map(([name, id]) => [id, name]));
  return eventsOf(res).map((e) => byId.get(e.eventID) ?? `?${e.eventID}`);
}

function expectQueryDocument(res: BindingResponse): void {
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('gs1-epcis-version')).toBe('2.0.0');
  const validate = responseSchema('/events', 'get', 200, 'application/json');
  expect(validate(res.json), errorsOf(validate)).toBe(true);
}

function expectProblem(res: BindingResponse, status: number, type: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toMatchObject({ type, status });
  if (status === 400) {
    const validate = responseSchema('/eventTypes/{eventType}/events', 'get', 400, 'application/problem+json');
    expect(validate(res.json), errorsOf(validate)).toBe(true);
  }
}

describe('GET /events: filters', () => {
  it('answers every event in UTC eventTime order, with eventID and recordTime, as a valid EPCISQueryDocument', async () => {
    const res = await get('/events');
    expectQueryDocument(res);
    expect(res.json.epcisBody.queryResults.queryName).toBe('SimpleEventQuery');
    expect(namesOf(res)).toEqual(TIME_ORDER);
    for (const e of eventsOf(res)) expect(e.recordTime).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);
    expect(res.headers.get('link')).toBeNull();
  });

  it('orders DESC on request, and by recordTime (the order this node recorded them in)', async () => {
    expect(namesOf(await get('/events?orderDirection=DESC'))).toEqual([...TIME_ORDER].reverse());
    // Captured in TIME_ORDER; 'ship' (08:30Z) and 'lot' (10:00Z) were written with offsets that string order would misplace.
    expect(namesOf(await get('/events?orderBy=recordTime&orderDirection=DESC&perPage=2'))).toEqual(['other', 'lot']);
  });

  it('eventType, EQ_action, EQ_bizStep (bare or URN), EQ_disposition, EQ_readPoint, EQ_bizLocation', async () => {
    expect(namesOf(await get('/events?eventType=AggregationEvent'))).toEqual(['pack']);
    expect(namesOf(await get('/events?eventType=AggregationEvent|ObjectEvent&EQ_action=OBSERVE'))).toEqual(['ship']);
    expect(namesOf(await get('/events?EQ_bizStep=shipping'))).toEqual(['ship']);
    expect(namesOf(await get(`/events?EQ_bizStep=${encodeURIComponent('urn:epcglobal:cbv:bizstep:commissioning')}`))).toEqual(['commission', 'lot', 'other']);
    expect(namesOf(await get('/events?EQ_disposition=in_transit'))).toEqual(['ship']);
    expect(namesOf(await get(`/events?EQ_readPoint=${encodeURIComponent(READ_POINT)}`))).toEqual(['commission']);
    expect(namesOf(await get(`/events?WD_bizLocation=${encodeURIComponent(DEPOT)}`))).toEqual(['commission']);
  });

  it('GE_eventTime / LT_eventTime compare instants, whatever offset the event was written with', async () => {
    const q = `GE_eventTime=${encodeURIComponent('2026-11-21T10:15:00.000+02:00')}&LT_eventTime=${encodeURIComponent('2026-11-21T10:00:00Z')}`;
    expect(namesOf(await get(`/events?${q}`))).toEqual(['ship', 'pack']);
    // An unencoded '+' arrives as a space; it is read as the offset it was.
    expect(namesOf(await get('/events?GE_eventTime=2026-11-21T11:30:00.000+02:00'))).toEqual(['lot', 'other']);
  });

  it('GE_recordTime / LT_recordTime', async () => {
    expect(namesOf(await get('/events?GE_recordTime=2000-01-01T00:00:00Z'))).toEqual(TIME_ORDER);
    expect(namesOf(await get('/events?LT_recordTime=2000-01-01T00:00:00Z'))).toEqual([]);
  });

  it('MATCH_epc, MATCH_parentID, MATCH_anyEPC, MATCH_epcClass, EPC patterns', async () => {
    expect(namesOf(await get(`/events?MATCH_epc=${ITEM(1)}`))).toEqual(['commission', 'ship']);
    // childEPCs count for MATCH_epc; a Digital Link URI finds the same item.
    expect(namesOf(await get(`/events?MATCH_epc=${encodeURIComponent('https://id.gs1.org/01/10614141073464/21/2')}`))).toEqual(['commission', 'pack']);
    expect(namesOf(await get(`/events?MATCH_parentID=${PALLET}`))).toEqual(['pack']);
    expect(namesOf(await get(`/events?MATCH_epc=${PALLET}`))).toEqual([]);
    expect(namesOf(await get(`/events?MATCH_anyEPC=${PALLET}|${ITEM(3)}`))).toEqual(['commission', 'pack']);
    expect(namesOf(await get(`/events?MATCH_epcClass=${LOT}`))).toEqual(['lot']);
    expect(namesOf(await get(`/events?MATCH_epc=${encodeURIComponent('urn:epc:idpat:sgtin:0614141.107346.*')}`))).toEqual(['commission', 'ship', 'pack']);
    expect(namesOf(await get(`/events?MATCH_epcClass=${encodeURIComponent('urn:epc:idpat:sgtin:4012345.012345.*')}`))).toEqual(['lot']);
  });

  it('quantity bounds, business transactions and sources by type', async () => {
    expect(namesOf(await get('/events?GE_quantity=10&LT_quantity=11'))).toEqual(['lot']);
    expect(namesOf(await get('/events?GT_quantity=10'))).toEqual([]);
    expect(namesOf(await get(`/events?EQ_bizTransaction_po=${encodeURIComponent('http://transaction.acme.com/po/12345678')}`))).toEqual(['ship']);
    expect(namesOf(await get(`/events?EQ_bizTransaction_inv=${encodeURIComponent('http://transaction.acme.com/po/12345678')}`))).toEqual([]);
    expect(namesOf(await get(`/events?EQ_source_owning_party=${encodeURIComponent('urn:epc:id:pgln:0614141.00001')}`))).toEqual(['ship']);
  });

  it('EQ_eventID, eventCountLimit, GET /events/{eventID}', async () => {
    expect(namesOf(await get(`/events?EQ_eventID=${encodeURIComponent(ids.get('pack')!)}`))).toEqual(['pack']);
    expect(namesOf(await get('/events?eventCountLimit=2'))).toEqual(['commission', 'ship']);
    const one = await get(`/events/${encodeURIComponent(ids.get('lot')!)}`);
    expect(one.status).toBe(200);
    const validate = responseSchema('/events/{eventID}', 'get', 200, 'application/json');
    expect(validate(one.json), errorsOf(validate)).toBe(true);
    expect(namesOf(one)).toEqual(['lot']);
    expectProblem(await get('/events/ni%3A%2F%2F%2Fsha-256%3Bnothing'), 404, 'epcisException:NoSuchNameException');
  });

  it('the top-level resources: /eventTypes, /{resource}/{member}, /{resource}/{member}/events', async () => {
    const types = await get('/eventTypes');
    expect(types.json.member).toContain('TransformationEvent');
    const typesSchema = responseSchema('/eventTypes', 'get', 200, 'application/json');
    expect(typesSchema(types.json), errorsOf(typesSchema)).toBe(true);
    expect((await get('/bizSteps/shipping')).json.member).toEqual(['events']);
    expect(namesOf(await get('/bizSteps/shipping/events'))).toEqual(['ship']);
    expect(namesOf(await get('/eventTypes/AggregationEvent/events'))).toEqual(['pack']);
    expect(namesOf(await get(`/epcs/${encodeURIComponent(PALLET)}/events`))).toEqual(['pack']);
    expect(namesOf(await get(`/bizLocations/${encodeURIComponent(DEPOT)}/events`))).toEqual(['commission']);
    expect(namesOf(await get(`/readPoints/${encodeURIComponent(READ_POINT)}/events`))).toEqual(['commission']);
    expect(namesOf(await get('/dispositions/in_transit/events'))).toEqual(['ship']);
  });
});

describe('GET /events: paging', () => {
  it('perPage and nextPageToken walk the whole answer; Link names the next page until the last', async () => {
    const seen: string[] = [];
    let path: string | null = '/events?perPage=2&eventType=ObjectEvent|AggregationEvent';
    let pages = 0;
    while (path) {
      const res = await get(path);
      expectQueryDocument(res);
      expect(eventsOf(res).length).toBeLessThanOrEqual(2);
      seen.push(...namesOf(res));
      const link = res.headers.get('link');
      path = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1]! : null;
      if (path) expect(path).toContain('eventType=ObjectEvent%7CAggregationEvent');
      pages++;
      expect(pages).toBeLessThan(10);
    }
    expect(seen).toEqual(TIME_ORDER);
    expect(pages).toBe(3);
  });

  it('eventCountLimit holds across pages', async () => {
    const first = await get('/events?perPage=2&eventCountLimit=3');
    expect(namesOf(first)).toEqual(['commission', 'ship']);
    const next = /^<([^>]+)>/.exec(first.headers.get('link')!)![1]!;
    const second = await get(next);
    expect(namesOf(second)).toEqual(['pack']);
    expect(second.headers.get('link')).toBeNull();
  });

  it('a token continues only its own query; a forged one is refused', async () => {
    const first = await get('/events?perPage=1');
    const token = new URL(/^<([^>]+)>/.exec(first.headers.get('link')!)![1]!, url).searchParams.get('nextPageToken')!;
    expectProblem(await get(`/events?perPage=1&EQ_bizStep=shipping&nextPageToken=${token}`), 400, 'epcisException:QueryParameterException');
    expectProblem(await get('/events?nextPageToken=not-a-token'), 400, 'epcisException:QueryParameterException');
    expect(namesOf(await get(`/events?perPage=1&nextPageToken=${token}`))).toEqual(['ship']);
  });
});

describe('GET /events: the read policy and errors', () => {
  it('a member sees only what the read policy shows it; the regulator sees all, and its reads are logged for the owner', async () => {
    expect(namesOf(await get('/events', retailer))).toEqual([]);
    expect(namesOf(await get('/events', node.omni))).toEqual(TIME_ORDER);
    const logged = await node.t.db.$queryRawUnsafe<{ subjectId: string }[]>(
      `SELECT "subjectId" FROM "AccessLog" WHERE "consortiumId" = ? AND "ownerOrgId" = 'omni' AND "viewerOrgId" = 'auth'`,
      TEST_CONSORTIUM,
    );
    expect(new Set(logged.map((r) => r.subjectId))).toEqual(new Set(ids.values()));
  });

  it('no token: 401 SecurityException', async () => {
    expectProblem(await get('/events', null), 401, 'epcisException:SecurityException');
  });

  it('unknown or repeated parameters and bad values: 400 QueryParameterException; unsupported standard ones: 501', async () => {
    for (const q of ['frobnicate=1', 'eventType=Nothing', 'GE_eventTime=yesterday', 'perPage=0', 'perPage=abc', 'EQ_action=MAYBE', 'orderDirection=UP', 'EQ_bizStep=a&EQ_bizStep=b', 'EQ_bizStep=', 'GE_eventTime=2026-01-02T00:00:00Z&LT_eventTime=2026-01-01T00:00:00Z', 'GE_quantity=lots']) {
      expectProblem(await get(`/events?${q}`), 400, 'epcisException:QueryParameterException');
    }
    for (const q of ['EQ_ATTR_bizLocation_x=1', 'maxEventCount=10', 'EQ_INNER_ILMD_x=1', 'HASATTR_bizLocation=x', `MATCH_epc=${encodeURIComponent('urn:epc:idpat:sscc:0614141.*')}`]) {
      expectProblem(await get(`/events?${q}`), 501, 'epcisException:ImplementationException');
    }
  });

  it('XML by content negotiation; 406 for what it cannot answer', async () => {
    const xml = await get('/events?EQ_bizStep=shipping', auth, { accept: 'application/xml' });
    expect(xml.status, xml.text).toBe(200);
    expect(xml.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(xml.text).toContain('EPCISQueryDocument');
    expect(xml.text).toContain(ids.get('ship')!);
    expectProblem(await get('/events', auth, { accept: 'text/csv' }), 406, 'epcisException:NotAcceptableException');
  });

  it('OPTIONS names the methods and versions', async () => {
    const res = await binding(url, { method: 'OPTIONS', path: '/events' });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('OPTIONS, GET');
    expect(res.headers.get('gs1-epcis-max')).toBe('2.0.0');
  });
});

describe('recordTime is the node’s', () => {
  it('ignores a recordTime the client put in the event: queries and GET /epcis/events/{id} answer when this node recorded it', async () => {
    const before = new Date().toISOString();
    const document = doc([objectEvent({ eventTime: '2026-11-21T13:00:00.000Z', recordTime: '2999-01-01T00:00:00.000Z', action: 'ADD', bizStep: 'commissioning', epcList: [ITEM(77)] })]);
    const job = await captureDocument(node, document);
    expect(job.success, JSON.stringify(job)).toBe(true);
    const eventId = eventHashIdsOfDocument(document)[0]!;
    const after = new Date().toISOString();

    const res = await get(`/events?MATCH_epc=${encodeURIComponent(ITEM(77))}`);
    expectQueryDocument(res);
    const [event] = eventsOf(res);
    expect(event!.eventID).toBe(eventId);
    expect(event!.recordTime >= before && event!.recordTime <= after, `${event!.recordTime} not in [${before}, ${after}]`).toBe(true);
    expect((await get(`/events?GE_recordTime=2998-01-01T00:00:00.000Z`)).json.epcisBody.queryResults.resultsBody.eventList).toEqual([]);

    const view = await fetch(`${url}/epcis/events/${encodeURIComponent(eventId)}`, { headers: { authorization: `Bearer ${auth}` } });
    const body = (await view.json()) as { recordTime: string; event: { recordTime?: string } };
    expect(body.recordTime).toBe(event!.recordTime);
    // The event itself stays as signed.
    expect(body.event.recordTime).toBe('2999-01-01T00:00:00.000Z');
  });
});
