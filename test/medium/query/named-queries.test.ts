/** Named queries (POST/GET/DELETE /queries, GET /queries/{name}/events) on a real node, answers checked against GS1's openapi.json. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { errorsOf, responseSchema } from '../../helpers/gs1-openapi.js';
import { binding, type BindingResponse } from '../../helpers/capture-binding.js';
import { epcisDocument as doc, objectEvent } from '../../helpers/epcis-documents.js';
import { captureDocument, eventsOf, getAs, startQueryNode, type QueryNode } from './query-harness.js';

const ITEM = 'urn:epc:id:sgtin:0614141.107346.77';
let node: QueryNode;
let shipId: string;

beforeAll(async () => {
  node = await startQueryNode();
  const commission = doc([objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [ITEM] })]);
  const ship = doc([objectEvent({ eventTime: '2026-11-21T09:00:00.000Z', bizStep: 'shipping', epcList: [ITEM] })]);
  for (const d of [commission, ship]) expect((await captureDocument(node, d)).success).toBe(true);
  shipId = eventHashIdsOfDocument(ship)[0]!;
}, 60_000);

afterAll(async () => node?.close());

function post(body: unknown, token = node.omni): Promise<BindingResponse> {
  return binding(node.url, { path: '/queries', body, headers: { authorization: `Bearer ${token}` } });
}

function expectProblem(res: BindingResponse, status: number, type: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toMatchObject({ type, status });
}

describe('named queries', () => {
  const definition = { name: 'shipments', query: { eventType: ['ObjectEvent'], EQ_bizStep: ['shipping', 'receiving'] } };

  it('POST /queries: 201 with Location; the same name again is 409; an invalid definition is 400 QueryValidationException', async () => {
    const created = await post(definition);
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('location')).toBe('/queries/shipments');
    expectProblem(await post(definition), 409, 'epcisException:ResourceAlreadyExistsException');
    expectProblem(await post({ name: 'bad', query: { frobnicate: ['1'] } }), 400, 'epcisException:QueryValidationException');
    expectProblem(await post({ name: 'bad', query: { eventType: ['Nope'] } }), 400, 'epcisException:QueryValidationException');
    expectProblem(await post({ name: 'no spaces', query: {} }), 400, 'epcisException:QueryValidationException');
    expectProblem(await post({ name: 'paged', query: { perPage: 3 } }), 400, 'epcisException:QueryValidationException');
    expectProblem(await post(definition, ''), 401, 'epcisException:SecurityException');
  });

  it('GET /queries and /queries/{name}: the organisation reads its own definitions, as GS1 shapes them', async () => {
    expect((await post({ name: 'all', query: {} })).status).toBe(201);
    const list = await getAs(node, '/queries', node.omni);
    expect(list.status).toBe(200);
    const listSchema = responseSchema('/queries', 'get', 200, 'application/json');
    expect(listSchema(list.json), errorsOf(listSchema)).toBe(true);
    expect(list.json).toEqual([{ name: 'all', query: {} }, definition]);
    const first = await getAs(node, '/queries?perPage=1', node.omni);
    expect(first.json).toEqual([{ name: 'all', query: {} }]);
    const next = /^<([^>]+)>; rel="next"$/.exec(first.headers.get('link')!)![1]!;
    const second = await getAs(node, next, node.omni);
    expect(second.json).toEqual([definition]);
    expect(second.headers.get('link')).toBeNull();
    expect((await getAs(node, '/queries/shipments', node.omni)).json).toEqual(definition);
  });

  it('GET /queries/{name}/events answers what GET /events with its parameters answers, named after the query', async () => {
    const res = await getAs(node, '/queries/shipments/events', node.omni);
    expect(res.status, res.text).toBe(200);
    const validate = responseSchema('/queries/{queryName}/events', 'get', 200, 'application/json');
    expect(validate(res.json), errorsOf(validate)).toBe(true);
    expect(res.json.epcisBody.queryResults.queryName).toBe('shipments');
    expect(eventsOf(res).map((e) => e['eventID'])).toEqual([shipId]);
    const direct = await getAs(node, '/events?eventType=ObjectEvent&EQ_bizStep=shipping|receiving', node.omni);
    expect(eventsOf(direct)).toEqual(eventsOf(res));
    expectProblem(await getAs(node, '/queries/shipments/events?EQ_bizStep=x', node.omni), 400, 'epcisException:QueryParameterException');
  });

  it("another organisation neither sees nor runs nor deletes it; DELETE removes it for its owner", async () => {
    for (const path of ['/queries/shipments', '/queries/shipments/events']) expectProblem(await getAs(node, path, node.auth), 404, 'epcisException:NoSuchNameException');
    expect((await getAs(node, '/queries', node.auth)).json).toEqual([]);
    const del = (token: string) => binding(node.url, { method: 'DELETE', path: '/queries/shipments', headers: { authorization: `Bearer ${token}` } });
    expectProblem(await del(node.auth), 404, 'epcisException:NoSuchNameException');
    expect((await del(node.omni)).status).toBe(204);
    expectProblem(await getAs(node, '/queries/shipments', node.omni), 404, 'epcisException:NoSuchNameException');
  });
});
