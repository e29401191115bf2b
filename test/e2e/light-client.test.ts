import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '../../src/core/crypto/index.js';
import { verifyCheckpointExtends, verifyCheckpointSignatures, type Checkpoint } from '../../src/core/ledger/checkpoint.js';
import { leafHash } from '../../src/core/ledger/merkle-hash.js';
import { verifyInclusion } from '../../src/core/ledger/merkle-verify.js';
import { RecordKind, recordHash, signRecord } from '../../src/core/ledger/record.js';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID } from '../../src/services/node/demo-consortium.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { issueToken } from '../../src/store/token-store.js';

describe('light client over HTTP', () => {
  let node: TestNode;
  let base: string;
  let token: string;

  beforeAll(async () => {
    node = await startTestNode({ http: true });
    base = node.url;
    token = (await issueToken(node.db, DEMO_CONSORTIUM_ID, 'highfield-farm', 'light client')).token;
  });
  afterAll(async () => {
    await node.destroy();
  });

  const submitAndSeal = async (n: number) => {
    const farm = node.demo.orgKeys.get('highfield-farm')!;
    const records = Array.from({ length: n }, (_, i) => signRecord({ consortium: DEMO_CONSORTIUM_ID, kind: RecordKind.EPCIS_EVENT, payload: { i, at: Date.now() } }, farm));
    await node.node.submit(DEMO_CONSORTIUM_ID, records);
    await node.node.sealNow(DEMO_CONSORTIUM_ID);
    return records;
  };
  const getJson = async (path: string) => {
    const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('checks that a later signed checkpoint extends an earlier one, and proves inclusion', async () => {
    await submitAndSeal(3);
    const old = (await getJson(`/consortia/${DEMO_CONSORTIUM_ID}/checkpoint`)).body as { checkpoint: Checkpoint; signatures: { keyId: string; signature: string }[] };
    const state = node.node.state(DEMO_CONSORTIUM_ID);
    const authorities = state.authoritiesInForce.map((a) => ({ keyId: a.keyId, publicKey: a.publicKey }));
    verifyCheckpointSignatures(old.checkpoint, old.signatures, authorities, state.quorum);

    const later = await submitAndSeal(5);
    const now = (await getJson(`/consortia/${DEMO_CONSORTIUM_ID}/checkpoint`)).body as { checkpoint: Checkpoint; signatures: { keyId: string; signature: string }[] };
    verifyCheckpointSignatures(now.checkpoint, now.signatures, authorities, state.quorum);
    expect(now.checkpoint.logSize).toBe(old.checkpoint.logSize + 5);

    const consistency = await getJson(`/consortia/${DEMO_CONSORTIUM_ID}/log/consistency?from=${old.checkpoint.logSize}&to=${now.checkpoint.logSize}`);
    expect(consistency.status).toBe(200);
    expect(() => verifyCheckpointExtends(old.checkpoint, now.checkpoint, consistency.body.proof as string[])).not.toThrow();
    // A proof for other sizes does not pass for these checkpoints.
    const wrong = await getJson(`/consortia/${DEMO_CONSORTIUM_ID}/log/consistency?from=${old.checkpoint.logSize - 1}&to=${now.checkpoint.logSize}`);
    expect(() => verifyCheckpointExtends(old.checkpoint, now.checkpoint, wrong.body.proof as string[])).toThrow();

    const last = later[4]!;
    const index = now.checkpoint.logSize - 1;
    const inclusion = await getJson(`/consortia/${DEMO_CONSORTIUM_ID}/log/inclusion?index=${index}&size=${now.checkpoint.logSize}`);
    verifyInclusion(leafHash(fromHex(recordHash(last), 32)), index, now.checkpoint.logSize, (inclusion.body.proof as string[]).map((h) => fromHex(h, 32)), fromHex(now.checkpoint.logRoot, 32));
  });

  it('answers bad sizes and unknown consortia with typed JSON errors', async () => {
    const bad = await getJson(`/consortia/${DEMO_CONSORTIUM_ID}/log/consistency?from=abc&to=2`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'BAD_SIZE' } });
    const unknown = await getJson('/consortia/nope/log/consistency?from=0&to=0');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'UNKNOWN_CONSORTIUM' } });
    const missing = await getJson('/no/such/route');
    expect(missing.status).toBe(404);
  });

  it('hosts several consortia, each on its own chain', async () => {
    const second = buildDemoConsortium('scottish-salmon');
    await node.node.createConsortium(second.spec, second.authorityKeys);
    const record = signRecord({ consortium: 'scottish-salmon', kind: RecordKind.EPCIS_EVENT, payload: { fish: 1 } }, second.orgKeys.get('highfield-farm')!);
    expect((await node.node.submit('scottish-salmon', [record]))[0]!.status).toBe('accepted');
    // The same record is foreign to the first consortium.
    const cross = await node.node.submit(DEMO_CONSORTIUM_ID, [record]);
    expect(cross[0]).toMatchObject({ status: 'rejected', error: { code: 'WRONG_CONSORTIUM' } });
    expect(await node.node.sealNow('scottish-salmon')).toMatchObject({ height: 1 });
    // A member's /health names its own consortium only.
    const health = await getJson('/health');
    expect((health.body.consortia as { id: string }[]).map((c) => c.id)).toEqual([DEMO_CONSORTIUM_ID]);
    const salmonToken = await node.issueToken('highfield-farm', { consortiumId: 'scottish-salmon' });
    const salmon = (await (await fetch(`${base}/health`, { headers: { authorization: `Bearer ${salmonToken}` } })).json()) as { consortia: { id: string; height: number }[] };
    expect(salmon.consortia).toMatchObject([{ id: 'scottish-salmon', height: 1 }]);
  });

  it('answers only members: no token is 401, and the generic record route refuses EPCIS events', async () => {
    const anonymous = await fetch(`${base}/consortia/${DEMO_CONSORTIUM_ID}/checkpoint`);
    expect(anonymous.status).toBe(401);
    const event = signRecord({ consortium: DEMO_CONSORTIUM_ID, kind: RecordKind.EPCIS_EVENT, payload: { event: { type: 'ObjectEvent' } } }, node.demo.orgKeys.get('highfield-farm')!);
    const res = await fetch(`${base}/consortia/${DEMO_CONSORTIUM_ID}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [event] }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('WRONG_ROUTE');
    expect(body.error.message).toContain('/epcis/capture');
    expect(await node.store.existingRecordHashes(DEMO_CONSORTIUM_ID, [recordHash(event)])).toEqual(new Set());
  });
});
