/**
 * Webhook query subscriptions: a local receiver gets each new matching event in an
 * EPCISQueryDocument signed with GS1-Signature (HMAC-SHA256 of the body with the client's
 * signatureToken); while the receiver is down, deliveries fail, are logged, and are retried from
 * the same place once it is back, so nothing is lost.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { issueToken, revokeToken } from '../../../src/store/token-store.js';
import { errorsOf, responseSchema, schemaAt } from '../../helpers/gs1-openapi.js';
import { binding, type BindingResponse } from '../../helpers/capture-binding.js';
import { WebhookReceiver, until, type ReceivedDelivery } from '../../helpers/webhook-receiver.js';
import { CAPTURE_TEST_CONSORTIUM as TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { epcisDocument as doc, objectEvent } from '../../helpers/epcis-documents.js';
import { captureDocument, getAs, startQueryNode, type QueryNode } from './query-harness.js';

const SECRET = '13df38d8275b13f05704629e5f1cf3d45d6132d5';
const item = (n: number) => `urn:epc:id:sgtin:0614141.107346.9${n}`;

let node: QueryNode;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  node = await startQueryNode({ subscriptions: { intervalMs: 50, backOff: { baseMs: 100, maxMs: 400 } } });
  await receiver.up();
  const created = await binding(node.url, { path: '/queries', body: { name: 'shipping', query: { EQ_bizStep: ['shipping'] } }, headers: { authorization: `Bearer ${node.omni}` } });
  expect(created.status, created.text).toBe(201);
}, 60_000);

afterAll(async () => {
  await node?.close();
  await receiver.down();
});

function subscribe(body: unknown, token = node.omni, query = 'shipping'): Promise<BindingResponse> {
  return binding(node.url, { path: `/queries/${query}/subscriptions`, body, headers: { authorization: `Bearer ${token}` } });
}

async function ship(n: number): Promise<string> {
  const commission = doc([objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [item(n)] })]);
  const shipping = doc([objectEvent({ eventTime: '2026-11-21T09:00:00.000Z', bizStep: 'shipping', epcList: [item(n)] })]);
  for (const d of [commission, shipping]) expect((await captureDocument(node, d)).success).toBe(true);
  return eventHashIdsOfDocument(shipping)[0]!;
}

const deliveredIds = (r: ReceivedDelivery) => (JSON.parse(r.body) as any).epcisBody.queryResults.resultsBody.eventList.map((e: any) => e.eventID) as string[];

describe('webhook query subscriptions', () => {
  let subscriptionId: string;
  let location: string;

  it('POST /queries/{name}/subscriptions: 201, Location, the subscription as GS1 shapes it (never its signatureToken)', async () => {
    await ship(0); // before the subscription: never delivered
    const res = await subscribe({ dest: receiver.url, signatureToken: SECRET, stream: true });
    expect(res.status, res.text).toBe(201);
    // GS1's 201 schema is allOf(response, oneOf(schedule, stream)); the schedule branch's patterns are not ECMAScript, so each part is checked.
    for (const part of [schemaAt('components', 'schemas', 'AbstractQuerySubscriptionResponse'), schemaAt('components', 'schemas', 'QueryStreamSubscription')]) {
      expect(part(res.json), errorsOf(part)).toBe(true);
    }
    expect(res.json).toMatchObject({ dest: receiver.url, stream: true });
    expect(res.text).not.toContain(SECRET);
    subscriptionId = res.json.subscriptionID;
    location = res.headers.get('location')!;
    expect(location).toBe(`/queries/shipping/subscriptions/${subscriptionId}`);
    expect((await getAs(node, location, node.omni)).json).toEqual(res.json);
    expect((await getAs(node, '/queries/shipping/subscriptions', node.omni)).json).toEqual([res.json]);
  });

  it('delivers each new matching event once, signed with GS1-Signature, as a valid EPCISQueryDocument', async () => {
    const shipped = await ship(1);
    const got = await until('a delivery', () => receiver.received[0]);
    expect(deliveredIds(got)).toEqual([shipped]);
    const expected = `sha256=${createHmac('sha256', SECRET).update(got.body).digest('hex')}`;
    expect(got.headers['gs1-signature']).toBe(expected);
    expect(got.headers['content-type']).toMatch(/^application\/ld\+json/);
    const document = JSON.parse(got.body);
    expect(document.epcisBody.queryResults).toMatchObject({ subscriptionID: subscriptionId, queryName: 'shipping' });
    const validate = responseSchema('/events', 'get', 200, 'application/json');
    expect(validate(document), errorsOf(validate)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toHaveLength(1);
    expect((await getAs(node, location, node.omni)).json.lastNotifiedAt).toBeDefined();
  });

  it('while the receiver is down, deliveries fail and are logged; once it is back, the events arrive', async () => {
    await receiver.down();
    const shipped = [await ship(2), await ship(3)];
    const deliveries = `${location}/deliveries`;
    await until('two failed attempts', async () => {
      const log = (await getAs(node, deliveries, node.omni)).json as { ok: boolean }[];
      return log.filter((d) => !d.ok).length >= 2 ? log : undefined;
    });
    expect(receiver.received).toHaveLength(1);
    await receiver.up();
    const got = await until('the retried delivery', () => receiver.received[1]);
    expect(deliveredIds(got)).toEqual(shipped);
    expect(got.headers['gs1-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(got.body).digest('hex')}`);
    const log = (await getAs(node, deliveries, node.omni)).json as { ok: boolean; eventCount: number; httpStatus: number | null; error: string | null }[];
    expect(log[0]).toMatchObject({ ok: true, eventCount: 2, httpStatus: 200, error: null });
    expect(log.slice(1).some((d) => !d.ok && d.httpStatus === null && d.error)).toBe(true);
  });

  it('another organisation cannot see, read the log of, or delete it; DELETE stops deliveries', async () => {
    for (const path of [location, `${location}/deliveries`]) expect((await getAs(node, path, node.auth)).status).toBe(404);
    const del = (token: string) => binding(node.url, { method: 'DELETE', path: location, headers: { authorization: `Bearer ${token}` } });
    expect((await del(node.auth)).status).toBe(404);
    expect((await del(node.omni)).status).toBe(204);
    const before = receiver.received.length;
    await ship(4);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.received).toHaveLength(before);
  });

  it('a revoked token stops its subscription; bad controls are 400 SubscriptionControlsException', async () => {
    const issued = await issueToken(node.t.db, TEST_CONSORTIUM, 'omni', 'revoked later');
    const res = await subscribe({ dest: receiver.url, stream: true }, issued.token);
    expect(res.status, res.text).toBe(201);
    await revokeToken(node.t.db, issued.tokenHash);
    const before = receiver.received.length;
    await ship(5);
    const log = await until('the stop', async () => {
      const view = (await getAs(node, `/queries/shipping/subscriptions/${res.json.subscriptionID}`, node.omni)).json;
      return view['provenant:stoppedReason'] ? view : undefined;
    });
    expect(log['provenant:stoppedReason']).toMatch(/revoked/);
    expect(receiver.received).toHaveLength(before);
    for (const body of [{ dest: receiver.url }, { dest: 'not a url', stream: true }, { dest: receiver.url, stream: true, schedule: { hour: '1' } }, { dest: receiver.url, stream: true, signatureToken: 5 }]) {
      const bad = await subscribe(body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.json.type).toBe('epcisException:SubscriptionControlsException');
    }
    // A schedule is a subscription too (scheduled-subscriptions.test.ts).
    expect((await subscribe({ dest: receiver.url, schedule: { hour: '1', minute: '5' } })).status).toBe(201);
    expect((await subscribe({ dest: receiver.url, stream: true }, node.omni, 'no-such-query')).json.type).toBe('epcisException:NoSuchNameException');
  });
});
