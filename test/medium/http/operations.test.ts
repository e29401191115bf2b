/**
 * Operations: every request has an id (X-Request-Id or traceparent, echoed, in error bodies and in
 * the JSON log), one JSON log line per request with its route pattern, and the Prometheus series
 * operators expect (HTTP by route and status, capture outcomes by reason, block height, pending
 * records, seal latency, verification failures).
 */
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/platform/logger.js';
import { createApp, type ProvenantApp } from '../../../src/transport/http/server.js';
import { openRawDatabase } from '../../helpers/raw-database.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const animal = 'urn:provenant:animal:UK123450600001';
const obj = (day: number, f: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: `2026-03-0${day}T08:00:00.000Z`, eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...f });

describe('request ids, JSON logs and metrics', () => {
  let node: TestNode;
  let app: ProvenantApp;
  let server: Server;
  let url: string;
  let token: string;
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];

  beforeAll(async () => {
    node = await startTestNode({});
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          raw.push(line);
          lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    app = createApp(node.ctx, { logger: createLogger({ level: 'info', destination: sink }) });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    token = await node.issueToken('fsa');
  }, 60_000);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await app?.closeApi();
    await node?.destroy();
  });

  const logged = async (requestId: string) => {
    for (let i = 0; i < 50 && !lines.some((l) => l['requestId'] === requestId && l['msg'] !== 'unexpected error'); i++) await new Promise((r) => setTimeout(r, 20));
    return lines.filter((l) => l['requestId'] === requestId);
  };

  const metrics = async () => {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return res.text();
  };

  const sample = (text: string, name: string, labels: Record<string, string>): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };

  it('echoes a caller X-Request-Id and logs the request once as JSON, with its route and status', async () => {
    const res = await fetch(`${url}/health`, { headers: { 'x-request-id': 'ops-test-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('ops-test-1');
    const entries = await logged('ops-test-1');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ level: 'info', service: 'provenant', msg: 'request', method: 'GET', route: '/health', status: 200 });
    expect(typeof entries[0]!['ms']).toBe('number');
    expect(typeof entries[0]!['time']).toBe('string');
  });

  it('puts the traceparent trace id in an error body, logs the route pattern and never a token', async () => {
    const res = await fetch(`${url}/epcis/events/urn:uuid:00000000-0000-4000-8000-000000000000`, {
      headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01`, authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe(TRACE_ID);
    const body = (await res.json()) as { requestId?: string; error?: { code: string } };
    expect(body.requestId).toBe(TRACE_ID);
    expect(body.error?.code).toBeTruthy();
    const [entry] = await logged(TRACE_ID);
    expect(entry).toMatchObject({ status: 404, route: '/epcis/events/:eventID' });
    expect(raw.some((l) => l.includes(token))).toBe(false);
  });

  it('gives a fresh id to a request whose X-Request-Id is unsafe, and puts it in problem details', async () => {
    const res = await fetch(`${url}/capture`, { method: 'POST', headers: { 'x-request-id': 'two words', 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body: 'a,b' });
    expect(res.status).toBe(415);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await res.json()) as { requestId?: string }).requestId).toBe(id);
  });

  it('counts HTTP requests by route and status, captures by outcome and reason, seals, height and pending records', async () => {
    const before = await metrics();
    await fetch(`${url}/health`);
    await node.captureSealed('highfield-farm', [obj(1, { action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [animal] })]);
    // A retailer may not record a birth: refused, by reason.
    const refused = await node.captureEvents('riverside-retail', [obj(2, { action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: ['urn:provenant:animal:UK123450700002'] })], { mode: 'partial' });
    expect(refused.results[0]!.status).toBe('rejected');
    const reason = refused.results[0]!.error!.code;
    const after = await metrics();
    expect(sample(after, 'provenant_http_requests_total', { method: 'GET', route: '/health', status: '200' })).toBeGreaterThan(sample(before, 'provenant_http_requests_total', { method: 'GET', route: '/health', status: '200' }));
    expect(sample(after, 'provenant_http_request_duration_seconds_count', { method: 'GET', route: '/health' })).toBeGreaterThan(0);
    const C = node.consortiumId;
    expect(sample(after, 'provenant_capture_events_total', { consortium: C, outcome: 'accepted' }) - sample(before, 'provenant_capture_events_total', { consortium: C, outcome: 'accepted' })).toBe(1);
    expect(sample(after, 'provenant_capture_events_total', { consortium: C, outcome: 'rejected', reason }) - sample(before, 'provenant_capture_events_total', { consortium: C, outcome: 'rejected', reason })).toBe(1);
    expect(sample(after, 'provenant_block_height', { consortium: C })).toBe(node.node.state(C).height);
    expect(sample(after, 'provenant_pending_records', { consortium: C })).toBe(node.node.sealStatus(C).pending);
    expect(sample(after, 'provenant_seal_duration_seconds_count', { consortium: C })).toBeGreaterThan(sample(before, 'provenant_seal_duration_seconds_count', { consortium: C }));
  });

  it('counts the failed checks of a tampered hop by failure code', async () => {
    const C = node.consortiumId;
    const carcass = 'urn:epc:id:sgtin:5098765.011111.77';
    await node.captureSealed('highfield-farm', [obj(3, { bizStep: 'shipping', epcList: [animal] })]);
    await node.captureSealed('northern-abattoir', [obj(4, { bizStep: 'receiving', epcList: [animal] })]);
    const slaughter = await node.captureSealed('northern-abattoir', [{ type: 'TransformationEvent', eventTime: '2026-03-05T08:00:00.000Z', eventTimeZoneOffset: '+00:00', inputEPCList: [animal], outputEPCList: [carcass] }]);
    const db = await openRawDatabase({ dbFile: node.dbFile, databaseUrl: node.config.databaseUrl });
    try {
      const { body } = (await db.get<{ body: string }>('SELECT "body" FROM "LedgerRecord" WHERE "hash" = ?', slaughter))!;
      const edited = body.replace('2026-03-05T08', '2025-03-05T08');
      expect(edited).not.toBe(body);
      await db.run('UPDATE "LedgerRecord" SET "body" = ? WHERE "hash" = ?', edited, slaughter);
    } finally {
      await db.close();
    }
    const failuresOf = (text: string) => text.split('\n').filter((l) => l.startsWith('provenant_verification_failures_total{') && l.includes(`consortium="${C}"`)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    const before = failuresOf(await metrics());
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `{ trace(consortium: "${C}", id: "${carcass}", direction: UPSTREAM) { __typename ... on LineageTrace { verdict } } }` }),
    });
    const answer = (await res.json()) as { data: { trace: { verdict: string } } };
    expect(answer.data.trace.verdict).toBe('FAILED');
    expect(failuresOf(await metrics())).toBeGreaterThan(before);
  });
});
