/** GET /health (bare liveness for anonymous callers, own consortium for a member) and GET /ready (database and broker really checked). */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONSORTIUM_ID } from '../../src/services/node/demo-consortium.js';
import { rawConnectionOf } from '../../src/store/raw-connection.js';
import { buildDemoConsortium } from '../helpers/consortia.js';
import { testEngine } from '../helpers/postgres.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

describe('GET /health', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ http: true, consortia: [buildDemoConsortium('scottish-salmon')], tokens: ['fsa'] });
  }, 60_000);
  afterAll(async () => {
    await node?.destroy();
  });

  it('answers an anonymous caller with a bare liveness answer: no consortium ids, heads or pending counts', async () => {
    const res = await fetch(`${node.url}/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({ status: 'ok' });
    expect(JSON.stringify(body)).not.toContain(DEMO_CONSORTIUM_ID);
  });

  it("gives a member its own consortium's figures only", async () => {
    const res = await fetch(`${node.url}/health`, { headers: { authorization: `Bearer ${node.tokens['fsa']}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { consortia: { id: string; head: string; pending: number }[] };
    expect(body.consortia.map((c) => c.id)).toEqual([DEMO_CONSORTIUM_ID]);
    expect(body.consortia[0]!.head).toBe(node.node.state(DEMO_CONSORTIUM_ID).headHash);
    const salmon = await node.issueToken('fsa', { consortiumId: 'scottish-salmon' });
    const other = (await (await fetch(`${node.url}/health`, { headers: { authorization: `Bearer ${salmon}` } })).json()) as { consortia: { id: string }[] };
    expect(other.consortia.map((c) => c.id)).toEqual(['scottish-salmon']);
  });

  it('refuses a token it does not know with 401', async () => {
    const res = await fetch(`${node.url}/health`, { headers: { authorization: 'Bearer pvn_guess' } });
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('UNAUTHENTICATED');
  });

  // The SQLite file's own mode: a node on PostgreSQL keeps no database file.
  it.skipIf(testEngine() === 'postgres')('keeps the database file and its WAL files readable by the node user only', () => {
    for (const file of [node.dbFile, `${node.dbFile}-wal`, `${node.dbFile}-shm`]) expect(statSync(file).mode & 0o777, file).toBe(0o600);
  });
});

describe('GET /ready', () => {
  let node: TestNode;
  beforeAll(async () => {
    // Closes the SQLite connection under the node to make the database stop answering.
    node = await startTestNode({ http: true, mqtt: true, engine: 'sqlite' });
  }, 60_000);
  afterAll(async () => {
    await node?.destroy();
  });

  it('is 200 while the database and the broker answer, 503 naming the broker once it stops', async () => {
    const ready = await fetch(`${node.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', mqtt: 'ok' } });
    await node.iot!.stop();
    const notReady = await fetch(`${node.url}/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not ready', checks: { database: 'ok', mqtt: 'failing' } });
  });

  it('is 503 when the database no longer answers a query', async () => {
    rawConnectionOf(node.db)!.client.close();
    const res = await fetch(`${node.url}/ready`);
    expect(res.status).toBe(503);
    expect((await res.json()).checks.database).toBe('failing');
  });
});
