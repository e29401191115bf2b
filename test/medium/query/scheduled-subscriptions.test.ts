/**
 * Scheduled webhook query subscriptions (GS1 openapi.json, QueryScheduleSubscription): at each of
 * its schedule's times the subscription's named query runs over the events recorded since the
 * previous run, and the pages go to the receiver signed with GS1-Signature; with reportIfEmpty an
 * empty document goes when there is nothing new. The node's clock is the test's, so scheduled
 * times arrive when the test moves it. The subscription's state is stored: a restarted node
 * neither repeats a run it delivered nor skips the events of the next.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { binding, type BindingResponse } from '../../helpers/capture-binding.js';
import { WebhookReceiver, until, type ReceivedDelivery } from '../../helpers/webhook-receiver.js';
import { epcisDocument as doc, objectEvent } from '../../helpers/epcis-documents.js';
import { errorsOf, responseSchema, schemaAt } from '../../helpers/gs1-openapi.js';
import { captureDocument, startQueryNode, type QueryNode } from './query-harness.js';

const SECRET = 'a7f3c9e1d2b4';
const item = (n: number) => `urn:epc:id:sgtin:0614141.107346.7${n}`;
/** The node's time: every whole minute is a scheduled time of `{ second: '0' }`. */
let clock = new Date('2026-12-07T10:00:30.000Z');
const at = (iso: string) => (clock = new Date(iso));

/** Long enough for several delivery passes (every 50 ms) to have looked. */
const quietly = () => new Promise((resolve) => setTimeout(resolve, 600));

let node: QueryNode;
let url: string;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  node = await startQueryNode({ subscriptions: { intervalMs: 50, backOff: { baseMs: 100, maxMs: 400 }, perPage: 2, clock: () => clock } });
  url = node.url;
  await receiver.up();
  const created = await binding(url, { path: '/queries', body: { name: 'shipping', query: { EQ_bizStep: ['shipping'] } }, headers: { authorization: `Bearer ${node.omni}` } });
  expect(created.status, created.text).toBe(201);
}, 60_000);

afterAll(async () => {
  await node?.close();
  await receiver.down();
});

const auth = () => ({ authorization: `Bearer ${node.omni}` });
const subscribe = (body: unknown): Promise<BindingResponse> => binding(url, { path: '/queries/shipping/subscriptions', body, headers: auth() });
const get = (path: string) => binding(url, { method: 'GET', path, headers: auth() });

async function ship(n: number): Promise<string> {
  const shipping = doc([objectEvent({ eventTime: '2026-11-21T09:00:00.000Z', bizStep: 'shipping', epcList: [item(n)] })]);
  const commission = doc([objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [item(n)] })]);
  for (const d of [commission, shipping]) expect((await captureDocument({ ...node, url }, d)).success).toBe(true);
  return eventHashIdsOfDocument(shipping)[0]!;
}

const ids = (r: ReceivedDelivery) => (r.document.epcisBody.queryResults.resultsBody.eventList as { eventID: string }[]).map((e) => e.eventID);
const signatureOf = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

describe('scheduled webhook query subscriptions', () => {
  let every: string; // { second: '0' }, reportIfEmpty false
  let reporting: string; // { second: '0' }, reportIfEmpty true

  it('POST with a schedule: 201 with the subscription as GS1 shapes it (schedule, reportIfEmpty; never the token)', async () => {
    const res = await subscribe({ dest: receiver.url, signatureToken: SECRET, schedule: { second: '0' } });
    expect(res.status, res.text).toBe(201);
    for (const part of [schemaAt('components', 'schemas', 'AbstractQuerySubscriptionResponse'), schemaAt('components', 'schemas', 'QueryScheduleSubscription')]) {
      expect(part(res.json), errorsOf(part)).toBe(true);
    }
    expect(res.json).toMatchObject({ dest: receiver.url, schedule: { second: '0' }, reportIfEmpty: false, createdAt: '2026-12-07T10:00:30.000Z' });
    expect(res.json.stream).toBeUndefined();
    expect(res.text).not.toContain(SECRET);
    every = res.json.subscriptionID;
    expect((await get(res.headers.get('location')!)).json).toEqual(res.json);
  });

  it('delivers at its scheduled times only: each run the events recorded since the previous one, signed', async () => {
    const first = await ship(1);
    await quietly();
    expect(receiver.received).toHaveLength(0);
    expect((await get(`/queries/shipping/subscriptions/${every}/deliveries`)).json).toEqual([]);

    at('2026-12-07T10:01:00.000Z');
    const run1 = await until('the 10:01 run', () => receiver.of(every)[0]);
    expect(ids(run1)).toEqual([first]);
    expect(run1.headers['gs1-signature']).toBe(signatureOf(run1.body));
    expect(run1.document.epcisBody.queryResults).toMatchObject({ subscriptionID: every, queryName: 'shipping' });
    const validate = responseSchema('/events', 'get', 200, 'application/json');
    expect(validate(run1.document), errorsOf(validate)).toBe(true);

    // Recorded after the 10:01 run: held until 10:02, then sent together (two pages of perPage 2 for three events).
    const later = [await ship(2), await ship(3), await ship(4)];
    at('2026-12-07T10:01:40.000Z');
    await quietly();
    expect(receiver.of(every)).toHaveLength(1);
    at('2026-12-07T10:02:00.000Z');
    await until('the 10:02 run', () => (receiver.of(every).length >= 3 ? true : undefined));
    await quietly();
    const run2 = receiver.of(every).slice(1);
    expect(run2.map(ids)).toEqual([later.slice(0, 2), later.slice(2)]);
    for (const r of run2) expect(r.headers['gs1-signature']).toBe(signatureOf(r.body));
    const view = (await get(`/queries/shipping/subscriptions/${every}`)).json;
    expect(view.lastNotifiedAt).toBe('2026-12-07T10:02:00.000Z');
  });

  it('reportIfEmpty: true sends an empty document at a run with nothing new; false sends nothing', async () => {
    const res = await subscribe({ dest: receiver.url, signatureToken: SECRET, reportIfEmpty: true, schedule: { second: '0' } });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ reportIfEmpty: true, schedule: { second: '0' } });
    reporting = res.json.subscriptionID;
    const before = receiver.of(every).length;
    at('2026-12-07T10:03:00.000Z');
    const empty = await until('the empty report', () => receiver.of(reporting)[0]);
    expect(ids(empty)).toEqual([]);
    expect(empty.headers['gs1-signature']).toBe(signatureOf(empty.body));
    const validate = responseSchema('/events', 'get', 200, 'application/json');
    expect(validate(empty.document), errorsOf(validate)).toBe(true);
    await quietly();
    expect(receiver.of(every)).toHaveLength(before);
    expect(receiver.of(reporting)).toHaveLength(1);

    // With something new both deliver it, and the reporting one sends no empty document after it.
    const shipped = await ship(5);
    at('2026-12-07T10:04:00.000Z');
    await until('both deliver', () => (receiver.of(every).length > before && receiver.of(reporting).length > 1 ? true : undefined));
    await quietly();
    expect(receiver.of(every).slice(before).map(ids)).toEqual([[shipped]]);
    expect(receiver.of(reporting).slice(1).map(ids)).toEqual([[shipped]]);
  });

  it('a restarted node repeats no run it delivered, makes up missed runs once, and delivers what came since', async () => {
    const counts = () => [receiver.of(every).length, receiver.of(reporting).length];
    const before = counts();
    const reopened = await node.t.reopen();
    url = reopened.url;
    node = { ...node, t: reopened, url, close: () => reopened.destroy() };
    await quietly();
    expect(counts()).toEqual(before);

    const shipped = await ship(6);
    // Five scheduled times pass while the node runs on: one run delivers, not five.
    at('2026-12-07T10:09:00.000Z');
    await until('the run after the restart', () => (receiver.of(every).length > before[0]! && receiver.of(reporting).length > before[1]! ? true : undefined));
    await quietly();
    expect(receiver.of(every).slice(before[0]).map(ids)).toEqual([[shipped]]);
    expect(receiver.of(reporting).slice(before[1]).map(ids)).toEqual([[shipped]]);
    at('2026-12-07T10:09:30.000Z');
    await quietly();
    expect(counts()).toEqual([before[0]! + 1, before[1]! + 1]);
  });

  it('a failed run is logged and retried; DELETE stops the subscription', async () => {
    await receiver.down();
    const shipped = await ship(7);
    at('2026-12-07T10:10:00.000Z');
    await until('a failed attempt', async () => ((await get(`/queries/shipping/subscriptions/${every}/deliveries`)).json as { ok: boolean }[])[0]?.ok === false || undefined);
    const before = receiver.of(every).length;
    await receiver.up();
    at('2026-12-07T10:10:05.000Z');
    const retried = await until('the retried run', () => receiver.of(every)[before]);
    expect(ids(retried)).toEqual([shipped]);

    for (const id of [every, reporting]) expect((await binding(url, { method: 'DELETE', path: `/queries/shipping/subscriptions/${id}`, headers: auth() })).status).toBe(204);
    const total = receiver.received.length;
    await ship(8);
    at('2026-12-07T10:12:00.000Z');
    await quietly();
    expect(receiver.received).toHaveLength(total);
  });

  it('an invalid schedule is a 400 SubscriptionControlsException, never a 500', async () => {
    const bad: unknown[] = [
      { dest: receiver.url, schedule: {} },
      { dest: receiver.url, schedule: 'daily' },
      { dest: receiver.url, schedule: { minute: '60' } },
      { dest: receiver.url, schedule: { hour: '[5-2]' } },
      { dest: receiver.url, schedule: { dayOfWeek: '0' } },
      { dest: receiver.url, schedule: { second: 'a' } },
      { dest: receiver.url, schedule: { hour: 1.5 } },
      { dest: receiver.url, schedule: { week: '1' } },
      { dest: receiver.url, schedule: { month: '2', dayOfMonth: '30' } },
      { dest: receiver.url, schedule: { hour: '1' }, stream: true },
      { dest: receiver.url, schedule: { hour: '1' }, reportIfEmpty: 'yes' },
      { dest: receiver.url, reportIfEmpty: true },
    ];
    for (const body of bad) {
      const res = await subscribe(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.type, JSON.stringify(body)).toBe('epcisException:SubscriptionControlsException');
    }
    // GS1's own example (hour "1", minute "5"; a number is taken as its text).
    for (const schedule of [{ hour: '1', minute: '5' }, { second: 0, minute: '[0-59]' }]) expect((await subscribe({ dest: receiver.url, schedule })).status).toBe(201);
  });
});
