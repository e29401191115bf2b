/**
 * Query subscriptions over WebSocket (GET /queries/{name}/events with Upgrade: websocket): a
 * stream delivers each new matching event as an EPCISQueryDocument message with its
 * subscriptionID, valid against GS1's openapi.json; a refused handshake is a problem detail; a
 * member sees in its stream only what the read policy shows it; a revoked token ends the stream;
 * a schedule runs at its times, with reportIfEmpty and initialRecordTime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { issueToken, revokeToken } from '../../../src/store/token-store.js';
import { errorsOf, responseSchema } from '../../helpers/gs1-openapi.js';
import { binding } from '../../helpers/capture-binding.js';
import { CAPTURE_TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { epcisDocument, objectEvent } from '../../helpers/epcis-documents.js';
import { eventually, openQuerySocket, type Opened, type QuerySocket } from '../../helpers/query-socket.js';
import { captureDocument, startQueryNode, type QueryNode } from './query-harness.js';

const item = (n: number) => `urn:epc:id:sgtin:0614141.107346.7${n}`;
const validate = responseSchema('/queries/{queryName}/events', 'get', 200, 'application/json');

let node: QueryNode;
let retailer: string;
const open: QuerySocket[] = [];

async function defineQuery(token: string, name: string, query: Record<string, unknown>): Promise<void> {
  const res = await binding(node.url, { path: '/queries', body: { name, query }, headers: { authorization: `Bearer ${token}` } });
  expect(res.status, res.text).toBe(201);
}

function socketOf(opened: Opened): QuerySocket {
  if ('refused' in opened) throw new Error(`handshake refused: ${opened.refused.status} ${JSON.stringify(opened.refused.body)}`);
  open.push(opened.socket);
  return opened.socket;
}

async function capture(bizStep: string, n: number): Promise<string> {
  const document = epcisDocument([objectEvent({ eventTime: `2026-11-21T0${n % 10}:00:00.000Z`, bizStep, epcList: [item(n)] })]);
  const job = await captureDocument(node, document);
  expect(job.success, JSON.stringify(job)).toBe(true);
  return eventHashIdsOfDocument(document)[0]!;
}

const eventIds = (socket: QuerySocket) => socket.messages.flatMap((m) => m.epcisBody.queryResults.resultsBody.eventList.map((e: any) => e.eventID as string));

beforeAll(async () => {
  node = await startQueryNode({ sockets: { intervalMs: 50 } });
  retailer = (await issueToken(node.t.db, CAPTURE_TEST_CONSORTIUM, 'retailer', 'socket tests')).token;
  await defineQuery(node.omni, 'shipping', { EQ_bizStep: ['shipping'] });
  await defineQuery(node.auth, 'shipping', { EQ_bizStep: ['shipping'] });
  await defineQuery(retailer, 'shipping', { EQ_bizStep: ['shipping'] });
}, 60_000);

afterAll(async () => {
  for (const s of open) s.close();
  await node?.close();
});

describe('WebSocket query subscriptions', () => {
  it('stream=true: each new matching event arrives as a valid EPCISQueryDocument with the subscriptionID', async () => {
    const socket = socketOf(await openQuerySocket(node.url, '/queries/shipping/events?stream=true', node.omni));
    const shipped = await capture('shipping', 1);
    await capture('receiving', 2);
    await eventually('the shipping event', () => (eventIds(socket).includes(shipped) ? true : undefined));
    const message = socket.messages[0]!;
    expect(validate(message), errorsOf(validate)).toBe(true);
    expect(message.epcisBody.queryResults.queryName).toBe('shipping');
    expect(message.epcisBody.queryResults.subscriptionID).toMatch(/^[0-9a-f-]{36}$/);
    const second = await capture('shipping', 3);
    await eventually('the second shipping event', () => (eventIds(socket).includes(second) ? true : undefined));
    expect(eventIds(socket)).toEqual([shipped, second]);
  });

  it('refuses a handshake without a token (401), for an unknown query (404), or without a stream or schedule, or with both (400)', async () => {
    const cases: [string, string | null, number, string][] = [
      ['/queries/shipping/events?stream=true', null, 401, 'epcisException:SecurityException'],
      ['/queries/nothing/events?stream=true', node.omni, 404, 'epcisException:NoSuchNameException'],
      ['/queries/shipping/events', node.omni, 400, 'epcisException:SubscriptionControlsException'],
      ['/queries/shipping/events?stream=true&minute=5', node.omni, 400, 'epcisException:SubscriptionControlsException'],
      ['/queries/shipping/events?minute=61', node.omni, 400, 'epcisException:SubscriptionControlsException'],
    ];
    for (const [path, token, status, type] of cases) {
      const opened = await openQuerySocket(node.url, path, token);
      expect('refused' in opened ? opened.refused : 'opened', path).toMatchObject({ status, body: { type } });
    }
  });

  it("a member's stream carries only what the read policy shows it; the regulator's carries all", async () => {
    const mine = socketOf(await openQuerySocket(node.url, '/queries/shipping/events?stream=true', retailer));
    const regulator = socketOf(await openQuerySocket(node.url, '/queries/shipping/events?stream=true', node.auth));
    const shipped = await capture('shipping', 4);
    await eventually('the regulator gets it', () => (eventIds(regulator).includes(shipped) ? true : undefined));
    // The retailer's stream has looked several times since.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventIds(mine)).toEqual([]);
  });

  it('a revoked token ends the stream (1008, with the reason)', async () => {
    const token = (await issueToken(node.t.db, CAPTURE_TEST_CONSORTIUM, 'omni', 'to revoke')).token;
    const socket = socketOf(await openQuerySocket(node.url, '/queries/shipping/events?stream=true', token));
    await revokeToken(node.t.db, token);
    const closed = await eventually('the close', () => socket.closed);
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/revoked/);
  });

  it('a schedule runs at its times: initialRecordTime delivers what came before, reportIfEmpty sends empty documents', async () => {
    const earlier = await capture('shipping', 5);
    const socket = socketOf(await openQuerySocket(node.url, '/queries/shipping/events?second=[0-59]&reportIfEmpty=true&initialRecordTime=2000-01-01T00:00:00Z', node.omni));
    await eventually('the first run', () => (eventIds(socket).includes(earlier) ? true : undefined), 5_000);
    await eventually('an empty report', () => socket.messages.find((m) => m.epcisBody.queryResults.resultsBody.eventList.length === 0), 5_000);
    for (const m of socket.messages) expect(validate(m), errorsOf(validate)).toBe(true);
    // Each event once: a run delivers what was recorded since the last.
    expect(new Set(eventIds(socket)).size).toBe(eventIds(socket).length);
  });
});
