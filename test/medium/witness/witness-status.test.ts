/**
 * chainStatus.witnesses: from the cosignatures the node stores, which witness keys cosign its
 * checkpoints, the largest checkpoint each cosigned and when, and whether it covers the latest
 * checkpoint or how many log entries it is behind; expected witnesses (PROVENANT_WITNESS_KEYS)
 * are listed before their first cosignature. The cosignatures are real: `provenant witness` makes
 * one witness's, another's is posted over HTTP as a witness posts it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePrivateKey, encodePublicKey, generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import type { Checkpoint } from '../../../src/core/ledger/checkpoint.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { cosignCheckpoint } from '../../../src/core/lineage/bundle.js';
import { createGraphqlServer, type GraphqlServer } from '../../../src/transport/graphql/yoga.js';
import { runCliCaptured } from '../../helpers/cli-run.js';
import { DEMO_CONSORTIUM_ID as C } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'provenant-witness-status-'));

function witnessKeyFile(key: KeyPair): string {
  const file = path.join(scratch, `${key.keyId.slice(0, 12)}.key.json`);
  writeFileSync(file, JSON.stringify({ label: 'witness', keyId: key.keyId, publicKey: encodePublicKey(key.publicKey), privateKey: encodePrivateKey(key.privateKey) }), { mode: 0o600 });
  return file;
}

interface WitnessRow {
  keyId: string;
  publicKey: string;
  expected: boolean;
  lastCosigned: { logSize: number; logRoot: string; blockHeight: number; blockHash: string; timestamp: string; cosignedAt: string } | null;
  checkpointsCosigned: number;
  coversLatestCheckpoint: boolean;
  entriesBehind: number;
}

describe('witness status in chainStatus', { timeout: 120_000 }, () => {
  let node: TestNode;
  let token: string;
  let server: GraphqlServer;
  const cli = generateKeyPair('ed25519');
  const posted = generateKeyPair('p256');
  const awaited = generateKeyPair('ed25519');
  const state = path.join(scratch, 'state');

  const gql = async (query: string, bearer?: string) => {
    const res = await server.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
  };
  const witnesses = async (): Promise<{ latest: number; rows: WitnessRow[] }> => {
    const res = await gql(
      `{ chainStatus(consortium: "${C}") { ... on ChainStatus { lastCheckpoint { logSize }
        witnesses { keyId publicKey expected lastCosigned { logSize logRoot blockHeight blockHash timestamp cosignedAt } checkpointsCosigned coversLatestCheckpoint entriesBehind } } } }`,
      token,
    );
    expect(res.errors).toBeUndefined();
    return { latest: res.data!.chainStatus.lastCheckpoint.logSize, rows: res.data!.chainStatus.witnesses };
  };
  const seal = (tag: string, n: number) =>
    node.submitSealed(Array.from({ length: n }, (_, i) => signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { tag, i } }, node.key('highfield-farm'))));
  const runWitness = async () => {
    const run = await runCliCaptured(['witness', '--consortium', C, '--key', witnessKeyFile(cli), '--state', state, '--node', node.url, '--token', token, '--once']);
    expect(run.exitCode, run.stderr).toBe(0);
  };
  const checkpointNow = async (): Promise<Checkpoint> => {
    const res = await fetch(`${node.url}/consortia/${C}/checkpoint`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { checkpoint: Checkpoint }).checkpoint;
  };

  beforeAll(async () => {
    node = await startTestNode({ http: true, tokens: ['fsa'] });
    token = node.tokens['fsa']!;
    // The node expects `awaited` (never cosigns) and `cli`; `posted` cosigns unasked.
    server = createGraphqlServer({ node: node.node, store: node.store, db: node.db, keystore: node.keystore, config: { ...node.config, witnessKeys: [encodePublicKey(awaited.publicKey), encodePublicKey(cli.publicKey)] } }, { logging: false });
  });
  afterAll(async () => {
    await node?.destroy();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('lists only the expected witnesses, as not cosigning, before any cosignature', async () => {
    await seal('first', 2);
    const { latest, rows } = await witnesses();
    expect(latest).toBeGreaterThan(0);
    expect(rows.map((r) => [r.keyId, r.expected, r.lastCosigned, r.checkpointsCosigned, r.coversLatestCheckpoint, r.entriesBehind]).sort()).toEqual(
      [
        [awaited.keyId, true, null, 0, false, latest],
        [cli.keyId, true, null, 0, false, latest],
      ].sort(),
    );
  });

  it('shows what each witness cosigned, and how far behind the latest checkpoint it is', async () => {
    await runWitness();
    const first = await checkpointNow();
    const res = await fetch(`${node.url}/consortia/${C}/log/cosignatures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ checkpoint: first, cosignature: cosignCheckpoint(first, posted) }),
    });
    expect(res.status).toBe(201);
    const covered = await witnesses();
    const byKey = (rows: WitnessRow[], key: KeyPair) => rows.find((r) => r.keyId === key.keyId)!;
    expect(byKey(covered.rows, cli)).toMatchObject({
      publicKey: encodePublicKey(cli.publicKey),
      expected: true,
      lastCosigned: { logSize: first.logSize, logRoot: first.logRoot, blockHeight: first.blockHeight, blockHash: first.blockHash, timestamp: first.timestamp },
      checkpointsCosigned: 1,
      coversLatestCheckpoint: true,
      entriesBehind: 0,
    });
    expect(Date.parse(byKey(covered.rows, cli).lastCosigned!.cosignedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(byKey(covered.rows, posted)).toMatchObject({ expected: false, lastCosigned: { logSize: first.logSize }, coversLatestCheckpoint: true, entriesBehind: 0 });

    // Three more entries sealed: both witnesses fall behind by three until the next round.
    await seal('second', 3);
    const behind = await witnesses();
    expect(behind.latest).toBe(first.logSize + 3);
    expect(byKey(behind.rows, cli)).toMatchObject({ lastCosigned: { logSize: first.logSize }, coversLatestCheckpoint: false, entriesBehind: 3 });
    expect(byKey(behind.rows, posted)).toMatchObject({ coversLatestCheckpoint: false, entriesBehind: 3 });
    expect(byKey(behind.rows, awaited)).toMatchObject({ lastCosigned: null, entriesBehind: behind.latest });

    // The witness's next round covers the latest checkpoint again; the other stays behind.
    await runWitness();
    const caughtUp = await witnesses();
    expect(byKey(caughtUp.rows, cli)).toMatchObject({ lastCosigned: { logSize: caughtUp.latest }, checkpointsCosigned: 2, coversLatestCheckpoint: true, entriesBehind: 0 });
    expect(byKey(caughtUp.rows, posted)).toMatchObject({ lastCosigned: { logSize: first.logSize }, checkpointsCosigned: 1, entriesBehind: 3 });
    // Expected witnesses first, then by the log size cosigned.
    expect(caughtUp.rows.map((r) => r.keyId)).toEqual([cli.keyId, awaited.keyId, posted.keyId]);
  });

  it('is read under the chain status policy: nothing for a caller without a token', async () => {
    const res = await gql(`{ chainStatus(consortium: "${C}") { __typename ... on ChainStatus { witnesses { keyId } } } }`);
    expect(res.data?.chainStatus).toEqual({ __typename: 'Unauthenticated' });
  });
});
