/**
 * `provenant witness` against nodes serving HTTP on free ports: it cosigns a node's checkpoint, the
 * node keeps the cosignature and puts it in its proof bundles, and verify-bundle anchors on the
 * witness key. A split view (two nodes of one genesis showing different logs of one size) and an
 * inconsistent log are refused with an evidence file and exit 1, and nothing of theirs is cosigned.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodePrivateKey, encodePublicKey, generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import { createGenesisBlock } from '../../../src/core/ledger/consortium.js';
import type { Checkpoint } from '../../../src/core/ledger/checkpoint.js';
import { formatTimestamp, RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { cosignCheckpoint } from '../../../src/core/lineage/bundle.js';
import type { WitnessEvidence } from '../../../src/core/witness/evidence.js';
import { WitnessStateDir, type WitnessState } from '../../../src/platform/witness-state.js';
import { MAX_WITNESS_COSIGNATURES_PER_CHECKPOINT } from '../../../src/services/witness-cosignatures.js';
import { Witness } from '../../../src/services/witness/witness.js';
import { exportProofBundle } from '../../../src/store/bundle-store.js';
import { HttpWitnessPeer } from '../../../src/transport/cli/witness-http-peer.js';
import { runCliCaptured } from '../../helpers/cli-run.js';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID as C } from '../../helpers/consortia.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'provenant-witness-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
function keyFile(): { file: string; key: KeyPair; publicKey: string } {
  const key = generateKeyPair('ed25519');
  const file = path.join(scratch, `witness-${++counter}.key.json`);
  writeFileSync(file, JSON.stringify({ label: 'witness', keyId: key.keyId, publicKey: encodePublicKey(key.publicKey), privateKey: encodePrivateKey(key.privateKey) }), { mode: 0o600 });
  return { file, key, publicKey: encodePublicKey(key.publicKey) };
}

const stateDir = () => mkdtempSync(path.join(scratch, 'state-'));
const readState = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'witness-state.json'), 'utf8')) as WitnessState;
const evidenceFiles = (dir: string) => (existsSync(path.join(dir, 'evidence')) ? readdirSync(path.join(dir, 'evidence')).map((f) => path.join(dir, 'evidence', f)) : []);

async function sealEvents(node: TestNode, tag: string, n = 1): Promise<string[]> {
  const farm = node.key('highfield-farm');
  return node.submitSealed(Array.from({ length: n }, (_, i) => signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { tag, i } }, farm)));
}

async function getJson(node: TestNode, route: string, token: string) {
  const res = await fetch(`${node.url}${route}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function postCosignature(node: TestNode, token: string | undefined, body: unknown) {
  const res = await fetch(`${node.url}/consortia/${C}/log/cosignatures`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
}

const witnessArgs = (key: string, state: string, nodes: TestNode[], tokens: string[]) => ['witness', '--consortium', C, '--key', key, '--state', state, ...nodes.flatMap((n) => ['--node', n.url]), ...tokens.flatMap((t) => ['--token', t]), '--once'];

describe('a witness cosigning one node', { timeout: 120_000 }, () => {
  let node: TestNode;
  let token: string;
  beforeAll(async () => {
    node = await startTestNode({ http: true, tokens: ['fsa'] });
    token = node.tokens['fsa']!;
  });
  afterAll(async () => {
    await node?.destroy();
  });

  it('cosigns, the node keeps the cosignature, and a bundle verifies with that witness key only', async () => {
    const [hash] = await sealEvents(node, 'first');
    const witness = keyFile();
    const state = stateDir();
    const run = await runCliCaptured(witnessArgs(witness.file, state, [node], [token]));
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^cosigned http:\/\/127\.0\.0\.1:\d+ \(log size \d+/m);
    const pinned = readState(state);
    const checkpoint = (await getJson(node, `/consortia/${C}/checkpoint`, token)).body as { checkpoint: Checkpoint; witnessCosignatures: unknown[] };
    expect(pinned.lastCosigned?.checkpoint).toEqual(checkpoint.checkpoint);
    expect(checkpoint.witnessCosignatures).toEqual([cosignCheckpoint(checkpoint.checkpoint, witness.key)]);

    const bundle = await exportProofBundle(node.store, C, [hash!]);
    expect(bundle.witnessCosignatures).toEqual(checkpoint.witnessCosignatures);
    expect(pinned.genesisHash).toBe(bundle.genesisHash);
    const file = path.join(scratch, 'bundle.json');
    writeFileSync(file, JSON.stringify(bundle));
    const ok = await runCliCaptured(['verify-bundle', file, '--witness', witness.publicKey, '--witnesses-required', '1']);
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect(ok.stdout).toContain('anchored by 1 witness cosignature(s)');
    const other = await runCliCaptured(['verify-bundle', file, '--witness', keyFile().publicKey, '--witnesses-required', '1']);
    expect(other.exitCode).toBe(1);
    expect(other.stdout).toContain('WITNESS_QUORUM');
  });

  it('cosigns a later checkpoint only after its consistency proof, and never re-cosigns an older one', async () => {
    const witness = keyFile();
    const state = stateDir();
    expect((await runCliCaptured(witnessArgs(witness.file, state, [node], [token]))).exitCode).toBe(0);
    const before = readState(state).lastCosigned!.checkpoint;
    await sealEvents(node, 'second', 3);
    const again = await runCliCaptured([...witnessArgs(witness.file, state, [node], [token]), '--json']);
    expect(again.exitCode, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout.trim()) as { nodes: { outcome: string; message: string; published: boolean }[] };
    expect(report.nodes[0]).toMatchObject({ outcome: 'cosigned', message: `cosigned: the log extends the last cosigned (size ${before.logSize})`, published: true });
    const after = readState(state).lastCosigned!.checkpoint;
    expect(after.logSize).toBe(before.logSize + 3);
    const listed = (await getJson(node, `/consortia/${C}/log/cosignatures?logSize=${after.logSize}`, token)).body;
    expect(listed).toEqual({ logSize: after.logSize, witnessCosignatures: [cosignCheckpoint(after, witness.key)] });
    // Nothing new: the same checkpoint, not cosigned twice.
    const idle = await runCliCaptured([...witnessArgs(witness.file, state, [node], [token]), '--json']);
    expect(JSON.parse(idle.stdout.trim())).toMatchObject({ nodes: [{ outcome: 'unchanged', published: true }] });
    // The state belongs to its key: another key on the same directory is refused.
    const otherKey = await runCliCaptured(witnessArgs(keyFile().file, state, [node], [token]));
    expect(otherKey.exitCode).toBe(2);
    expect(otherKey.stderr).toContain('WITNESS_STATE_MISMATCH');
  });

  it('exits 2 on a usage error or a node out of reach, 1 on a node of another genesis, pinning nothing', async () => {
    const witness = keyFile();
    const state = stateDir();
    const base = ['witness', '--consortium', C, '--key', witness.file, '--state', state, '--once'];
    const noNode = await runCliCaptured(base);
    expect(noNode.exitCode).toBe(2);
    expect(noNode.stderr).toContain('give at least one --node URL');
    const down = await runCliCaptured([...base, '--node', 'http://127.0.0.1:1', '--token', token]);
    expect(down.exitCode).toBe(2);
    expect(down.stderr).toContain('NODE_UNREACHABLE');
    const otherChain = await runCliCaptured([...base, '--node', node.url, '--token', token, '--genesis', 'ab'.repeat(32)]);
    expect(otherChain.exitCode).toBe(1);
    expect(otherChain.stderr).toContain('GENESIS_MISMATCH');
    expect(existsSync(path.join(state, 'witness-state.json'))).toBe(false);
    expect(existsSync(path.join(state, 'witness.lock'))).toBe(false);
  });

  it('refuses a checkpoint whose served evidence was altered in transit, and cosigns nothing', async () => {
    const witness = keyFile();
    const state = stateDir();
    const http = new HttpWitnessPeer(C, new Map([[node.url, token]]));
    const rewriting = {
      ...http,
      checkpointEvidence: async (url: string) => {
        const served = (await http.checkpointEvidence(url)) as { checkpoint: Checkpoint };
        return { ...served, checkpoint: { ...served.checkpoint, logRoot: 'ab'.repeat(32) } };
      },
      consistency: http.consistency.bind(http),
      postCosignature: http.postCosignature.bind(http),
    };
    const w = Witness.open({ consortium: C, key: witness.key, stateDir: new WitnessStateDir(state), peer: rewriting });
    try {
      const report = await w.round([node.url]);
      expect(report.nodes[0]).toMatchObject({ outcome: 'invalid', code: 'BAD_CHECKPOINT' });
    } finally {
      w.close();
    }
    expect(existsSync(path.join(state, 'witness-state.json'))).toBe(false);
  });

  it('has the new last cosigned on disk before the cosignature is posted', async () => {
    await sealEvents(node, 'durable');
    const witness = keyFile();
    const state = stateDir();
    const http = new HttpWitnessPeer(C, new Map([[node.url, token]]));
    const onDiskWhenPosted: unknown[] = [];
    const watching = {
      checkpointEvidence: http.checkpointEvidence.bind(http),
      consistency: http.consistency.bind(http),
      postCosignature: async (url: string, checkpoint: Checkpoint, cosignature: { publicKey: string; signature: string }) => {
        onDiskWhenPosted.push(readState(state).lastCosigned);
        await http.postCosignature(url, checkpoint, cosignature);
      },
    };
    const w = Witness.open({ consortium: C, key: witness.key, stateDir: new WitnessStateDir(state), peer: watching });
    try {
      const report = await w.round([node.url]);
      expect(report.nodes[0]).toMatchObject({ outcome: 'cosigned', published: true });
    } finally {
      w.close();
    }
    const { checkpoint } = (await getJson(node, `/consortia/${C}/checkpoint`, token)).body as { checkpoint: Checkpoint };
    expect(onDiskWhenPosted).toEqual([expect.objectContaining({ checkpoint, cosignature: cosignCheckpoint(checkpoint, witness.key) })]);
  });

  it('takes only valid cosignatures on its own checkpoints, with clear 4xx answers, and bounds how many', async () => {
    const { checkpoint } = (await getJson(node, `/consortia/${C}/checkpoint`, token)).body as { checkpoint: Checkpoint };
    const w = generateKeyPair('ed25519');
    const good = { checkpoint, cosignature: cosignCheckpoint(checkpoint, w) };
    expect((await postCosignature(node, undefined, good)).status).toBe(401);
    expect(await postCosignature(node, token, good)).toMatchObject({ status: 201, body: { status: 'stored', logSize: checkpoint.logSize, keyId: w.keyId } });
    expect(await postCosignature(node, token, good)).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    const unknown = { ...checkpoint, logRoot: 'cd'.repeat(32) };
    expect(await postCosignature(node, token, { checkpoint: unknown, cosignature: cosignCheckpoint(unknown, w) })).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_CHECKPOINT' } } });
    const larger = { ...checkpoint, logSize: checkpoint.logSize + 100 };
    expect(await postCosignature(node, token, { checkpoint: larger, cosignature: cosignCheckpoint(larger, w) })).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_CHECKPOINT' } } });
    const forged = { checkpoint, cosignature: { publicKey: encodePublicKey(generateKeyPair('ed25519').publicKey), signature: good.cosignature.signature } };
    expect(await postCosignature(node, token, forged)).toMatchObject({ status: 400, body: { error: { code: 'BAD_COSIGNATURE' } } });
    expect(await postCosignature(node, token, { checkpoint })).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_COSIGNATURE' } } });
    expect(await postCosignature(node, token, '{"checkpoint":')).toMatchObject({ status: 400, body: { error: { code: 'MALFORMED_JSON' } } });

    const held = ((await getJson(node, `/consortia/${C}/log/cosignatures?logSize=${checkpoint.logSize}`, token)).body.witnessCosignatures as unknown[]).length;
    for (let i = held; i < MAX_WITNESS_COSIGNATURES_PER_CHECKPOINT; i++) {
      expect((await postCosignature(node, token, { checkpoint, cosignature: cosignCheckpoint(checkpoint, generateKeyPair('ed25519')) })).status).toBe(201);
    }
    expect(await postCosignature(node, token, { checkpoint, cosignature: cosignCheckpoint(checkpoint, generateKeyPair('ed25519')) })).toMatchObject({ status: 409, body: { error: { code: 'TOO_MANY_COSIGNATURES' } } });
  });
});

describe('a witness facing a split view', { timeout: 120_000 }, () => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.destroy();
  });

  /** Two nodes of one genesis (both holding the authority keys), each sealing a different first block. */
  async function forkedPair(): Promise<[TestNode, TestNode]> {
    const demo = buildDemoConsortium();
    const genesis = createGenesisBlock(demo.spec, demo.authorityKeys, formatTimestamp(new Date()));
    for (let i = 0; i < 2; i++) nodes.push(await startTestNode({ http: true, demo, genesis, tokens: ['fsa'] }));
    await sealEvents(nodes[0]!, 'history A');
    await sealEvents(nodes[1]!, 'history B');
    return [nodes[0]!, nodes[1]!];
  }
  const storedCosignatures = async (node: TestNode) => (await getJson(node, `/consortia/${C}/log/cosignatures`, node.tokens['fsa']!)).body.witnessCosignatures as unknown[];

  it('two checkpoints of one size with different roots: evidence, exit 1, nothing cosigned for the second', async () => {
    const [a, b] = await forkedPair();
    const witness = keyFile();
    const state = stateDir();
    const run = await runCliCaptured(witnessArgs(witness.file, state, [a, b], [a.tokens['fsa']!, b.tokens['fsa']!]));
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('SPLIT_VIEW');
    expect(run.stderr).toMatch(/evidence written to .*SPLIT_VIEW\.json/);
    const [file, ...more] = evidenceFiles(state);
    expect(more).toEqual([]);
    const evidence = JSON.parse(readFileSync(file!, 'utf8')) as WitnessEvidence;
    const cpA = ((await getJson(a, `/consortia/${C}/checkpoint`, a.tokens['fsa']!)).body as { checkpoint: Checkpoint }).checkpoint;
    const cpB = ((await getJson(b, `/consortia/${C}/checkpoint`, b.tokens['fsa']!)).body as { checkpoint: Checkpoint }).checkpoint;
    expect(cpA.logSize).toBe(cpB.logSize);
    expect(evidence).toMatchObject({ code: 'SPLIT_VIEW', consortium: C, witness: witness.publicKey, first: { checkpoint: cpA, source: a.url }, second: { checkpoint: cpB, source: b.url } });
    expect(evidence.second.signatures.length).toBeGreaterThan(0);
    expect(readState(state).lastCosigned?.checkpoint).toEqual(cpA);
    expect(await storedCosignatures(b)).toEqual([]);
  });

  it('one node URL that shows another history over time: the second checkpoint of that size is a split view', async () => {
    const [a, b] = await forkedPair();
    const proxy = await TcpProxy.start();
    try {
      proxy.forwardTo(a.url);
      const url = proxy.url.replace(/^nats:/, 'http:');
      const tokens = new Map([[url, a.tokens['fsa']!]]);
      const state = stateDir();
      const w = Witness.open({ consortium: C, key: keyFile().key, stateDir: new WitnessStateDir(state), peer: new HttpWitnessPeer(C, tokens) });
      try {
        expect((await w.round([url])).nodes[0]).toMatchObject({ outcome: 'cosigned' });
        // The same URL now answers from the other history (kept connections cut first).
        proxy.partition();
        proxy.heal();
        proxy.forwardTo(b.url);
        tokens.set(url, b.tokens['fsa']!);
        // A kept-alive socket the cut closed may fail one round: the next round reconnects.
        let report = await w.round([url]);
        for (let i = 0; i < 5 && report.nodes[0]?.outcome === 'unreachable'; i++) report = await w.round([url]);
        expect(report.halted, JSON.stringify(report)).toMatchObject({ code: 'SPLIT_VIEW' });
        const evidence = JSON.parse(readFileSync(report.halted!.evidenceFile, 'utf8')) as WitnessEvidence;
        expect(evidence).toMatchObject({ first: { source: url }, second: { source: url } });
        expect(evidence.first.checkpoint.logSize).toBe(evidence.second.checkpoint.logSize);
        expect(evidence.first.checkpoint.logRoot).not.toBe(evidence.second.checkpoint.logRoot);
      } finally {
        w.close();
      }
      expect(await storedCosignatures(b)).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it('a log that does not extend the last cosigned: the failing proof is kept, exit 1, nothing cosigned', async () => {
    const [a, b] = await forkedPair();
    await sealEvents(b, 'history B goes on', 2);
    const witness = keyFile();
    const state = stateDir();
    expect((await runCliCaptured(witnessArgs(witness.file, state, [a], [a.tokens['fsa']!]))).exitCode).toBe(0);
    const run = await runCliCaptured(witnessArgs(witness.file, state, [b], [b.tokens['fsa']!]));
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('INCONSISTENT_LOG');
    const evidence = JSON.parse(readFileSync(evidenceFiles(state)[0]!, 'utf8')) as WitnessEvidence;
    expect(evidence).toMatchObject({ code: 'INCONSISTENT_LOG', first: { source: a.url }, second: { source: b.url }, proofFailure: expect.stringMatching(/^CHECKPOINT_INCONSISTENT: /) });
    expect(evidence.second.checkpoint.logSize).toBe(evidence.first.checkpoint.logSize + 2);
    expect(evidence.consistencyProof!.length).toBeGreaterThan(0);
    expect(readState(state).lastCosigned?.checkpoint).toEqual(evidence.first.checkpoint);
    expect(await storedCosignatures(b)).toEqual([]);
  });
});
