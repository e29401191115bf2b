/**
 * Conformance of the EPCIS 2.0 REST binding as this node serves it: every operation its own
 * /openapi.json lists is driven once on a real node (with data behind it), and each response is
 * checked whole (status, the headers the binding requires, Content-Type, body) against GS1's
 * openapi.json, or against the node's own document for Provenant's extensions. An operation the
 * document lists that no driver below covers fails the suite, so a new route cannot escape it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { binding, hostOrganisation, type BindingResponse } from '../../helpers/capture-binding.js';
import { captureTestNodeOptions } from '../../helpers/consortia.js';
import { epcisDocument, objectEvent, signEnvelope } from '../../helpers/epcis-documents.js';
import { GS1_CONFORMANCE, OpenApiConformance, errorsOf, schemaAt } from '../../helpers/gs1-openapi.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options', 'head'];
const EPC = 'urn:epc:id:sgtin:0614141.107346.2024';
const LOCATION = 'urn:epc:id:sgln:0614141.00777.0';
const READ_POINT = 'urn:epc:id:sgln:0614141.00777.1';
const QUERY = 'conformance';
const e = encodeURIComponent;

let node: TestNode;
let token: string;
let served: { paths: Record<string, Record<string, unknown>> };
let own: OpenApiConformance;
let eventId = '';
let captureLocation = '';
let subscriptionId = '';

beforeAll(async () => {
  node = await startTestNode(captureTestNodeOptions());
  token = await hostOrganisation(node, 'omni');
  served = (await (await fetch(`${node.url}/openapi.json`)).json()) as typeof served;
  own = new OpenApiConformance(served, 'provenant-openapi.json');
}, 60_000);

afterAll(async () => node?.destroy());

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<BindingResponse> {
  return binding(node.url, { method: method.toUpperCase(), path, ...(body !== undefined ? { body } : {}), headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...headers } });
}

function document(n: number): Record<string, unknown> {
  return epcisDocument([objectEvent({ eventTime: `2026-11-21T08:0${n}:00.000Z`, action: 'ADD', bizStep: 'commissioning', disposition: 'active', epcList: [`${EPC}${n}`], readPoint: { id: READ_POINT }, bizLocation: { id: LOCATION } })]);
}

/** The request driving each operation, in the order they run (later ones use what earlier ones made). */
const DRIVERS: [string, () => Promise<BindingResponse>][] = [
  ['options /capture', () => call('options', '/capture')],
  [
    'post /capture',
    async () => {
      const doc = document(1);
      eventId = eventHashIdsOfDocument(doc)[0]!;
      const res = await call('post', '/capture', doc);
      captureLocation = res.headers.get('location') ?? '';
      return res;
    },
  ],
  ['get /capture', () => call('get', '/capture')],
  ['options /capture/{captureID}', () => call('options', captureLocation)],
  [
    'get /capture/{captureID}',
    async () => {
      for (let i = 0; i < 400; i++) {
        const res = await call('get', captureLocation);
        if (res.json?.running === false) return res;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error('capture job still running');
    },
  ],
  [
    'post /epcis/capture',
    () => call('post', '/epcis/capture', signEnvelope(document(2), node.key('omni'))),
  ],
  ['get /epcis/events/{eventID}', () => call('get', `/epcis/events/${e(eventId)}`)],
  ['options /events', () => call('options', '/events')],
  ['get /events', () => call('get', '/events?perPage=1')],
  ['options /events/{eventID}', () => call('options', `/events/${e(eventId)}`)],
  ['get /events/{eventID}', () => call('get', `/events/${e(eventId)}`)],
  ...(
    [
      ['eventTypes', 'ObjectEvent'],
      ['epcs', `${EPC}1`],
      ['bizSteps', 'commissioning'],
      ['bizLocations', LOCATION],
      ['readPoints', READ_POINT],
      ['dispositions', 'active'],
    ] as const
  ).flatMap(([list, value]): [string, () => Promise<BindingResponse>][] => {
    const param = { eventTypes: 'eventType', epcs: 'epc', bizSteps: 'bizStep', bizLocations: 'bizLocation', readPoints: 'readPoint', dispositions: 'disposition' }[list];
    return [
      [`options /${list}`, () => call('options', `/${list}`)],
      [`get /${list}`, () => call('get', `/${list}`)],
      [`options /${list}/{${param}}`, () => call('options', `/${list}/${e(value)}`)],
      [`get /${list}/{${param}}`, () => call('get', `/${list}/${e(value)}`)],
      [`options /${list}/{${param}}/events`, () => call('options', `/${list}/${e(value)}/events`)],
      [`get /${list}/{${param}}/events`, () => call('get', `/${list}/${e(value)}/events`)],
    ];
  }),
  ['options /queries', () => call('options', '/queries')],
  ['post /queries', () => call('post', '/queries', { name: QUERY, query: { EQ_bizStep: ['commissioning'] } })],
  ['get /queries', () => call('get', '/queries')],
  ['options /queries/{queryName}', () => call('options', `/queries/${QUERY}`)],
  ['get /queries/{queryName}', () => call('get', `/queries/${QUERY}`)],
  ['options /queries/{queryName}/events', () => call('options', `/queries/${QUERY}/events`)],
  ['get /queries/{queryName}/events', () => call('get', `/queries/${QUERY}/events`)],
  ['options /queries/{queryName}/subscriptions', () => call('options', `/queries/${QUERY}/subscriptions`)],
  [
    'post /queries/{queryName}/subscriptions',
    async () => {
      // A stream subscription from now on: nothing is captured after it, so nothing is sent. The node
      // allows public https destinations only: an address literal needs no DNS in the test.
      const res = await call('post', `/queries/${QUERY}/subscriptions`, { dest: 'https://8.8.8.8/epcis', stream: true });
      subscriptionId = String(res.json?.subscriptionID ?? '');
      return res;
    },
  ],
  ['get /queries/{queryName}/subscriptions', () => call('get', `/queries/${QUERY}/subscriptions`)],
  ['options /queries/{queryName}/subscriptions/{subscriptionID}', () => call('options', `/queries/${QUERY}/subscriptions/${e(subscriptionId)}`)],
  ['get /queries/{queryName}/subscriptions/{subscriptionID}', () => call('get', `/queries/${QUERY}/subscriptions/${e(subscriptionId)}`)],
  ['get /queries/{queryName}/subscriptions/{subscriptionID}/deliveries', () => call('get', `/queries/${QUERY}/subscriptions/${e(subscriptionId)}/deliveries`)],
  ['delete /queries/{queryName}/subscriptions/{subscriptionID}', () => call('delete', `/queries/${QUERY}/subscriptions/${e(subscriptionId)}`)],
  ['delete /queries/{queryName}', () => call('delete', `/queries/${QUERY}`)],
];

/**
 * Where GS1's openapi.json contradicts itself, the one problem it reports is accepted and a check
 * of what it means is made instead. Anything else reported fails.
 */
const GS1_DEFECTS: { op: string; problem: RegExp; why: string; instead: (res: BindingResponse) => void }[] = [
  ...['get /capture', 'get /capture/{captureID}'].map((op) => ({
    op,
    problem: /^body: data(\/\d+)? must match exactly one schema in oneOf$/,
    why: "CaptureJob's oneOf(errors, errorFile) has no `required`: every job matches both branches",
    instead: (res: BindingResponse) => {
      const jobs = Array.isArray(res.json) ? res.json : [res.json];
      const common = schemaAt('components', 'schemas', 'CaptureJob', 'allOf', 0);
      const errors = schemaAt('components', 'schemas', 'CaptureJob', 'allOf', 1, 'oneOf', 0);
      for (const job of jobs) {
        expect(common(job), errorsOf(common)).toBe(true);
        expect(errors(job), errorsOf(errors)).toBe(true);
        expect(job.errorFile).toBeUndefined();
      }
    },
  })),
  {
    op: 'get /events',
    problem: /^header Link: .* must match format "uri"$/,
    why: 'the Link schema says format uri, its own example is an RFC 8288 link-value',
    instead: (res) => expect(res.headers.get('link')).toMatch(/^<\/events\?[^>]*nextPageToken=[^>]+>; rel="next"$/),
  },
  {
    op: 'get /queries/{queryName}',
    problem: /^body: data must be array$/,
    why: 'one named query is an array in the schema, an object in the description and example',
    instead: (res) => {
      const item = schemaAt('paths', '/queries/{queryName}', 'get', 'responses', '200', 'content', 'application/json', 'schema', 'items');
      expect(item(res.json), errorsOf(item)).toBe(true);
    },
  },
  {
    op: 'post /queries/{queryName}/subscriptions',
    problem: /^header Location: .* must match format "uri"$/,
    why: 'RFC 9110 section 10.2.2 lets Location be a relative reference, as the query Location is',
    instead: (res) => expect(res.headers.get('location')).toBe(`/queries/${QUERY}/subscriptions/${res.json.subscriptionID}`),
  },
];

describe('the EPCIS 2.0 REST binding as served, against GS1 openapi.json', () => {
  it('every operation /openapi.json lists has a driver (and every driver an operation)', () => {
    const listed = Object.entries(served.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.includes(m)).map((m) => `${m} ${path}`));
    expect(new Set(DRIVERS.map(([op]) => op))).toEqual(new Set(listed));
    expect(DRIVERS.length).toBe(listed.length);
  });

  it('each response conforms: status, required headers, Content-Type and body', async () => {
    const failures: string[] = [];
    const statuses: Record<string, number> = {};
    for (const [op, drive] of DRIVERS) {
      const [method, path] = op.split(' ') as [string, string];
      const res = await drive();
      statuses[op] = res.status;
      const against = GS1_CONFORMANCE.hasOperation(path, method) ? GS1_CONFORMANCE : own;
      for (const problem of against.problems(path, method, res)) {
        const defect = against === GS1_CONFORMANCE ? GS1_DEFECTS.find((d) => d.op === op && d.problem.test(problem)) : undefined;
        if (defect) defect.instead(res);
        else failures.push(`${op} (${res.status}): ${problem}`);
      }
      if (res.status >= 400) failures.push(`${op}: ${res.status} ${res.text.slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
    // The operations that create answer as the binding says they do.
    expect(statuses['post /capture']).toBe(202);
    expect(statuses['post /queries']).toBe(201);
    expect(statuses['post /queries/{queryName}/subscriptions']).toBe(201);
    expect(statuses['delete /queries/{queryName}']).toBe(204);
  }, 120_000);

  it('a scheduled subscription conforms too: POST (201, and 400 for a bad schedule), GET one and the list, DELETE', async () => {
    const name = 'conformance-scheduled';
    expect((await call('post', '/queries', { name, query: { EQ_bizStep: ['commissioning'] } })).status).toBe(201);
    const failures: string[] = [];
    const check = (op: string, res: BindingResponse, status: number) => {
      const [method, path] = op.split(' ') as [string, string];
      if (res.status !== status) failures.push(`${op}: ${res.status}, expected ${status}: ${res.text.slice(0, 300)}`);
      for (const problem of GS1_CONFORMANCE.problems(path, method, res)) {
        const defect = GS1_DEFECTS.find((d) => d.problem.test(problem) && d.op === op.replace(QUERY, name));
        if (defect) expect(res.headers.get('location')).toBe(`/queries/${name}/subscriptions/${res.json.subscriptionID}`);
        else failures.push(`${op} (${res.status}): ${problem}`);
      }
    };
    const created = await call('post', `/queries/${name}/subscriptions`, { dest: 'https://8.8.8.8/epcis', reportIfEmpty: true, schedule: { hour: '1', minute: '5' } });
    check('post /queries/{queryName}/subscriptions', created, 201);
    expect(created.json).toMatchObject({ schedule: { hour: '1', minute: '5' }, reportIfEmpty: true });
    // GS1's POST declares no 400, though its GET lists 400SubscriptionIssues and its text requires
    // subscriptions without a stream or a valid schedule to be refused: the refusal is held to that response.
    const refused = await call('post', `/queries/${name}/subscriptions`, { dest: 'https://8.8.8.8/epcis', schedule: { minute: '61' } });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const issue = schemaAt('components', 'responses', '400SubscriptionIssues', 'content', 'application/json', 'schema');
    expect(issue(refused.json), errorsOf(issue)).toBe(true);
    expect(refused.json.type).toBe('epcisException:SubscriptionControlsException');
    const id = e(String(created.json.subscriptionID));
    check('get /queries/{queryName}/subscriptions', await call('get', `/queries/${name}/subscriptions`), 200);
    check('get /queries/{queryName}/subscriptions/{subscriptionID}', await call('get', `/queries/${name}/subscriptions/${id}`), 200);
    check('delete /queries/{queryName}/subscriptions/{subscriptionID}', await call('delete', `/queries/${name}/subscriptions/${id}`), 204);
    expect(failures).toEqual([]);
  }, 60_000);
});
