/**
 * Where query subscriptions deliver: https only, no credentials in the URL, and never to loopback,
 * private, link-local or the node's own addresses unless the node allows them; checked when the
 * subscription is made and again before each delivery, which connects only to the addresses checked.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWebhookSender } from '../../../src/transport/http/webhook-sender.js';
import { STRICT_WEBHOOK_POLICY } from '../../../src/core/epcis/query/webhook-destination.js';
import { binding, type BindingResponse } from '../../helpers/capture-binding.js';
import { epcisDocument, objectEvent } from '../../helpers/epcis-documents.js';
import { captureDocument, startQueryNode, type QueryNode } from './query-harness.js';

/** What each test host name resolves to now (a stand-in for DNS, which a test cannot change). */
const dns = new Map<string, string[]>([
  ['hooks.partner.test', ['8.8.8.8']],
  ['intranet.partner.test', ['10.0.0.5']],
  ['mixed.partner.test', ['8.8.4.4', '192.168.0.9']],
]);
const sent: { dest: string; addresses: readonly string[] | undefined }[] = [];

let node: QueryNode;

beforeAll(async () => {
  node = await startQueryNode({
    webhooks: STRICT_WEBHOOK_POLICY,
    deliver: false,
    resolveHost: async (host) => {
      const addresses = dns.get(host);
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return addresses;
    },
    sender: async (dest, _body, _headers, addresses) => {
      sent.push({ dest, addresses });
      return { status: 200 };
    },
    subscriptions: { backOff: { baseMs: 1, maxMs: 1 } },
  });
  const created = await binding(node.url, { path: '/queries', body: { name: 'all', query: {} }, headers: { authorization: `Bearer ${node.omni}` } });
  expect(created.status, created.text).toBe(201);
}, 60_000);

afterAll(async () => node?.close());

function subscribe(dest: string): Promise<BindingResponse> {
  return binding(node.url, { path: '/queries/all/subscriptions', body: { dest, stream: true }, headers: { authorization: `Bearer ${node.omni}` } });
}

function expectRefused(res: BindingResponse, reason: string): void {
  expect(res.status, res.text).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toMatchObject({ type: 'epcisException:SubscriptionControlsException', status: 400, code: 'WEBHOOK_DESTINATION', details: { reason } });
}

describe('webhook destinations', () => {
  it('refuses http, credentials, and hosts that are or resolve to special-purpose addresses: 400 problem details', async () => {
    expectRefused(await subscribe('http://hooks.partner.test/epcis'), 'scheme');
    expectRefused(await subscribe('https://user:secret@hooks.partner.test/epcis'), 'credentials');
    for (const dest of ['https://127.0.0.1/epcis', 'https://[::1]/epcis', 'https://169.254.169.254/latest', 'https://[::ffff:10.0.0.1]/x', 'https://intranet.partner.test/epcis', 'https://mixed.partner.test/epcis']) {
      expectRefused(await subscribe(dest), 'address');
    }
    expectRefused(await subscribe('https://nowhere.partner.test/epcis'), 'unresolved');
    const listed = await binding(node.url, { method: 'GET', path: '/queries/all/subscriptions', headers: { authorization: `Bearer ${node.omni}` } });
    expect(listed.json).toEqual([]);
  });

  it('accepts an https host resolving to public addresses, and re-checks before each delivery', async () => {
    const res = await subscribe('https://hooks.partner.test/epcis');
    expect(res.status, res.text).toBe(201);
    const id = res.json.subscriptionID as string;
    expect((await captureDocument(node, epcisDocument([objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: ['urn:epc:id:sgtin:0614141.107346.7001'] })]))).success).toBe(true);

    // The host now resolves to loopback: nothing is sent, the refusal is logged, the events wait.
    dns.set('hooks.partner.test', ['127.0.0.1']);
    await node.query.subscriptions.deliverDue(new Date(Date.now() + 1_000));
    expect(sent).toEqual([]);
    const log = await binding(node.url, { method: 'GET', path: `/queries/all/subscriptions/${id}/deliveries`, headers: { authorization: `Bearer ${node.omni}` } });
    expect(log.json[0]).toMatchObject({ ok: false, httpStatus: null });
    expect(log.json[0].error).toMatch(/127\.0\.0\.1 \(loopback\)/);

    // Back to a public address: delivered, connecting only to the address just checked.
    dns.set('hooks.partner.test', ['8.8.8.8']);
    await node.query.subscriptions.deliverDue(new Date(Date.now() + 2_000));
    expect(sent).toEqual([{ dest: 'https://hooks.partner.test/epcis', addresses: ['8.8.8.8'] }]);
  });
});

describe('the webhook sender', () => {
  it('connects only to the addresses it is given, never asking DNS again', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(`${req.headers.host} ${body}`);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      // '.invalid' never resolves (RFC 6761): only the pinned address can reach the receiver.
      const res = await fetchWebhookSender(5_000)(`http://receiver.invalid:${port}/hook`, '{"a":1}', { 'content-type': 'application/json' }, ['127.0.0.1']);
      expect(res.status).toBe(204);
      expect(bodies).toEqual([`receiver.invalid:${port} {"a":1}`]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
