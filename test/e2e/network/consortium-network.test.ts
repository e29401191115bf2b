/**
 * The consortium as separate processes: 4 authority nodes of 4 organisations (each its own data
 * directory, ports, keys and NATS user) on a 3-server nats-server cluster, all on loopback. Every
 * node derives the same blocks from the JetStream log; a block is final with seals from 3 of 4.
 * The tests run in order on one network: capture anywhere, final everywhere; no foreign keys on
 * disk; a node killed with SIGKILL catches up; the node that appended is killed before its block
 * is cut; a node is cut off from NATS and rejoins; a byzantine authority equivocates and posts a
 * tampered record; a NATS server is killed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConsortiumState } from '../../../src/core/ledger/consortium.js';
import type { BlockHeader } from '../../../src/core/ledger/block.js';
import { sealMessageOf } from '../../../src/core/ledger/derivation/index.js';
import { OrderingMessageKind, ORDERING_MESSAGE_VERSION, serializeOrderingMessage } from '../../../src/core/ledger/ordering-message.js';
import { RecordKind, recordHash, signRecord } from '../../../src/core/ledger/record.js';
import { JetStreamOrdering } from '../../../src/platform/ordering/jetstream-ordering.js';
import { readKeyFile } from '../../../src/services/node/keystore.js';
import { OPERATOR } from '../../helpers/nats-cluster.js';
import { openRawDatabase } from '../../helpers/raw-database.js';
import { readGenesisBlock } from '../../../src/services/node/network-init.js';
import { describeWithNatsServer } from '../../helpers/nats-server-binary.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';
import { devicePublicKey, eventually as eventuallyWithin, sameFinalHead as sameFinalHeadWithin, startLocalNetwork, type LocalNetwork, type NetworkNodeProcess } from '../../helpers/network-nodes.js';

const SEAL_INTERVAL_MS = 250;
/** How long a block may take to become final on this loaded machine, beyond the seal interval. */
const FINAL_TIMEOUT_MS = 30_000;
/** The node that reaches NATS only through a proxy the partition test cuts (server 3: the last test kills server 1). */
const PARTITIONED = 2;

const eventually = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = FINAL_TIMEOUT_MS) => eventuallyWithin(what, probe, timeoutMs);
const sameFinalHead = (nodes: readonly NetworkNodeProcess[], height: number, timeoutMs = FINAL_TIMEOUT_MS) => sameFinalHeadWithin(nodes, height, timeoutMs);

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describeWithNatsServer('a consortium of 4 organisations, one node process each, over NATS JetStream', () => {
  let root: string;
  let net: LocalNetwork;
  let nodes: NetworkNodeProcess[];
  let proxy: TcpProxy;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'provenant-network-'));
    proxy = await TcpProxy.start();
    const serversOf = (index: number, urls: string[]) => {
      if (index !== PARTITIONED) return urls;
      proxy.forwardTo(urls[2]!);
      return [proxy.url];
    };
    net = await startLocalNetwork({ dir: path.join(root, 'net'), orgs: 4, sealIntervalMs: SEAL_INTERVAL_MS, serversOf });
    nodes = net.nodes;
  }, 180_000);

  afterAll(async () => {
    await net?.stop();
    await proxy?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('records posted at any node are final at every node, with identical heads', async () => {
    const results = await Promise.all(nodes.map((n, i) => n.registerDevice(`sensor-${n.node.org}-${i}`, devicePublicKey(), { wait: true })));
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    const top = Math.max(...results.map((r) => (r as { block?: { height: number } }).block!.height));
    const statuses = await sameFinalHead(nodes, top);
    expect(new Set(statuses.map((s) => s.headHash)).size).toBe(1);
    expect(statuses.every((s) => s.finality.haltedReason === null)).toBe(true);
    // Each node lists the four authorities and sees a quorum of them sealing in the log (a node that
    // finds a block final before its turn does not seal it); only its own key is local.
    const orgs = nodes.map((n) => n.node.org).sort();
    for (const n of nodes) {
      const peers = await eventually(`${n.node.org} seeing a quorum seal block ${top}`, async () => {
        const { finality } = await n.status();
        return finality.peers.filter((p) => (p.lastSealedHeight ?? 0) >= top).length >= 3 ? finality.peers : undefined;
      });
      expect(peers.map((p) => p.orgId).sort()).toEqual(orgs);
      expect(peers.every((p) => p.inForce)).toBe(true);
      expect(peers.filter((p) => p.local).map((p) => p.orgId)).toEqual([n.node.org]);
    }
    expect((await nodes[0]!.status()).finality.lag).toEqual(expect.any(Number));
  }, 90_000);

  it('no data directory holds another organisation\'s or another authority\'s private key', () => {
    const state = ConsortiumState.fromGenesis(readGenesisBlock(net.plan.genesisFile));
    const privateKeys = new Map<string, string[]>();
    for (const node of net.plan.nodes) {
      const keyFiles = filesUnder(node.dataDir).filter((f) => f.endsWith('.key.json'));
      const owners = keyFiles.map((f) => state.keys.get((JSON.parse(readFileSync(f, 'utf8')) as { keyId: string }).keyId)?.orgId);
      // Only its own organisation and the members it hosts; exactly one authority key, its own.
      expect(new Set(owners)).toEqual(new Set([node.org, ...node.hosts]));
      expect(owners.filter((o) => o !== undefined && state.isAuthorityOrg(o))).toEqual([node.org]);
      privateKeys.set(node.dataDir, keyFiles.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { privateKey: string }).privateKey));
    }
    // No copy anywhere else either: not in another node's database, log or configuration.
    for (const node of net.plan.nodes) {
      const others = [...privateKeys].filter(([dir]) => dir !== node.dataDir).flatMap(([, keys]) => keys);
      for (const file of filesUnder(node.dataDir)) {
        const bytes = readFileSync(file).toString('latin1');
        for (const key of others) expect(bytes.includes(key.split(':')[1]!), `${file} holds a foreign key`).toBe(false);
      }
    }
  });

  it('a node killed with SIGKILL and restarted catches up from the stream, and verify passes on its data', async () => {
    const victim = nodes[3]!;
    await victim.stop('SIGKILL');
    const alive = nodes.slice(0, 3);
    // Three of four authorities still make blocks final.
    const meanwhile = await Promise.all(alive.map((n, i) => n.registerDevice(`while-down-${i}`, devicePublicKey(), { wait: true })));
    expect(meanwhile.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const top = Math.max(...meanwhile.map((r) => (r as { block?: { height: number } }).block!.height));
    await victim.start();
    const statuses = await sameFinalHead(nodes, top);
    expect(statuses[3]!.finality.finalHeight).toBeGreaterThanOrEqual(top);
    const verify = victim.verifyData();
    expect(verify.status, verify.output).toBe(0);
    expect(verify.report).toMatchObject({ ok: true });
  }, 150_000);

  it('the node that appended is killed before its block is cut: another authority cuts it, and the chain goes on', async () => {
    const appender = nodes[1]!;
    const before = (await nodes[0]!.status()).finality.finalHeight;
    // Answered once the submission is in the log and decided; its block is not cut yet.
    const posted = await appender.registerDevice('orphaned-by-crash', devicePublicKey());
    expect(posted.status).toBe('accepted');
    await appender.stop('SIGKILL');
    const others = nodes.filter((n) => n !== appender);
    const started = Date.now();
    const statuses = await sameFinalHead(others, before + 1, SEAL_INTERVAL_MS + FINAL_TIMEOUT_MS);
    expect(Date.now() - started).toBeLessThan(SEAL_INTERVAL_MS + FINAL_TIMEOUT_MS);
    expect(statuses[0]!.finality.finalHeight).toBeGreaterThan(before);
    await appender.start();
    await sameFinalHead(nodes, statuses[0]!.finality.finalHeight);
  }, 150_000);

  it('a node cut off from NATS while running: the others go on, it makes nothing else final, and it rejoins', async () => {
    const victim = nodes[PARTITIONED]!;
    const others = nodes.filter((n) => n !== victim);
    const before = (await victim.status()).finality;
    proxy.partition();
    const during = await Promise.all(others.map((n, i) => n.registerDevice(`during-partition-${i}`, devicePublicKey(), { wait: true })));
    expect(during.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const top = Math.max(...during.map((r) => (r as { block?: { height: number } }).block!.height));
    const cutOff = (await victim.status()).finality;
    expect(cutOff.finalHeight).toBeLessThan(top);
    // It still answers, and says it cannot tell how far behind it is.
    expect(cutOff.lag).toBeNull();
    expect({ height: cutOff.finalHeight, hash: cutOff.finalHash }).toEqual({ height: before.finalHeight, hash: before.finalHash });
    proxy.heal();
    const statuses = await sameFinalHead(nodes, top);
    expect(statuses.every((s) => s.finality.haltedReason === null)).toBe(true);
    // It takes part again: what it captures is final everywhere.
    const after = await victim.registerDevice('after-partition', devicePublicKey(), { wait: true });
    expect(after.status).toBe('accepted');
    await sameFinalHead(nodes, (after as { block?: { height: number } }).block!.height);
  }, 150_000);

  it('a byzantine authority: every node keeps its second seal at a final height as evidence, refuses a tampered submission, and the chain goes on', async () => {
    const liar = nodes[0]!;
    const { keyPair } = readKeyFile(path.join(liar.node.dataDir, 'keys', `${liar.node.org}.key.json`));
    const { finalHeight } = (await nodes[1]!.status()).finality;
    const db = await openRawDatabase({ dbFile: path.join(nodes[1]!.node.dataDir, 'provenant.db') });
    const row = await db.get<{ header: string }>('SELECT "header" FROM "Block" WHERE "consortiumId" = ? AND "height" = ?', net.plan.consortium, finalHeight);
    await db.close();
    const forged: BlockHeader = { ...(JSON.parse(row!.header) as BlockHeader), merkleRoot: 'ab'.repeat(32) };
    // Signed after the fact: the record hash names what was signed, the payload says something else.
    const honest = signRecord({ consortium: net.plan.consortium, kind: RecordKind.DEVICE_REGISTER, payload: { deviceId: 'signed-this', publicKey: devicePublicKey(), kind: 'sensor' } }, keyPair);
    const tampered = { ...honest, payload: { ...(honest.payload as Record<string, unknown>), deviceId: 'posted-this' } };
    // Published straight to the stream, as the liar's own node could.
    const operator = await JetStreamOrdering.connect({ servers: net.cluster.urls, credentials: { kind: 'password', ...OPERATOR } });
    try {
      await operator.append(net.plan.consortium, serializeOrderingMessage(sealMessageOf(forged, keyPair)));
      await operator.append(net.plan.consortium, serializeOrderingMessage({ v: ORDERING_MESSAGE_VERSION, consortium: net.plan.consortium, kind: OrderingMessageKind.SUBMISSION, records: [tampered] }));
    } finally {
      await operator.close();
    }
    for (const n of nodes) {
      const evidence = await eventually(`${n.node.org} keeping the equivocation`, async () => {
        const body = await n.graphql(`{ chainStatus(consortium: "${net.plan.consortium}") { ... on ChainStatus { evidence { kind height orgId blockHashes } } } }`);
        const found = (body.data?.chainStatus?.evidence ?? []) as { kind: string; height: number; orgId: string; blockHashes: string[] }[];
        return found.length > 0 ? found : undefined;
      });
      expect(evidence).toEqual([{ kind: 'equivocation', height: finalHeight, orgId: liar.node.org, blockHashes: [expect.any(String), expect.any(String)] }]);
    }
    const after = await nodes[3]!.registerDevice('after-byzantine', devicePublicKey(), { wait: true });
    expect(after.status).toBe('accepted');
    const statuses = await sameFinalHead(nodes, (after as { block?: { height: number } }).block!.height);
    // Finality never reversed, and the tampered record (under either hash) is in no node's chain.
    expect(statuses.every((s) => s.finality.haltedReason === null)).toBe(true);
    for (const n of nodes) {
      for (const hash of [recordHash(honest), recordHash(tampered)]) {
        const body = await n.graphql(`{ record(hash: "${hash}") { __typename } }`);
        expect(body.data?.record?.__typename, `${n.node.org} holds ${hash}`).toBe('NotFound');
      }
    }
  }, 150_000);

  it('one NATS server killed: the chain continues', async () => {
    await net.cluster.kill(0);
    // The stream's replicas elect a new leader first: on a loaded machine that can take a minute.
    const results = await Promise.all(nodes.map((n, i) => n.registerDevice(`after-nats-loss-${i}`, devicePublicKey(), { wait: true, timeoutMs: 150_000 })));
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    const top = Math.max(...results.map((r) => (r as { block?: { height: number } }).block!.height));
    await sameFinalHead(nodes, top);
  }, 240_000);
});
