/**
 * Catch-up beyond the ordering log's retention: 4 authority nodes on one nats-server whose stream
 * keeps entries for a few seconds only. One organisation registers its node URL on chain (a
 * node.endpoint change approved by a quorum). A node stopped while the chain grows past the
 * retention finds on restart that the log no longer holds what it lacks: when the only registered
 * peer serves a tampered block it refuses it and reports why (no crash); once the peer serves the
 * chain as it is, the node fetches the blocks over HTTP, verifies them, goes on from the log and
 * reaches the same final head as the others.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import { signPeerRequest } from '../../../src/core/ledger/peer-request.js';
import { readKeyFile } from '../../../src/services/node/keystore.js';
import { RecordKind } from '../../../src/core/ledger/record.js';
import { JetStreamOrdering } from '../../../src/platform/ordering/jetstream-ordering.js';
import { OPERATOR } from '../../helpers/nats-cluster.js';
import { describeWithNatsServer } from '../../helpers/nats-server-binary.js';
import { openRawDatabase } from '../../helpers/raw-database.js';
import { devicePublicKey, eventually as eventuallyWithin, sameFinalHead as sameFinalHeadWithin, startLocalNetwork, type LocalNetwork, type NetworkNodeProcess } from '../../helpers/network-nodes.js';

/** Stream entries older than this are dropped: short for the test, yet long enough for a node slowed by a loaded machine. */
const RETENTION_MS = 10_000;
const TIMEOUT_MS = 45_000;

const eventually = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = TIMEOUT_MS) => eventuallyWithin(what, probe, timeoutMs);
const sameFinalHead = (nodes: readonly NetworkNodeProcess[], height: number) => sameFinalHeadWithin(nodes, height, TIMEOUT_MS, { settled: false });

describeWithNatsServer('catch-up over HTTP beyond the ordering log retention', () => {
  let root: string;
  let net: LocalNetwork;
  let nodes: NetworkNodeProcess[];
  let operator: JetStreamOrdering;
  let devices = 0;

  /** Grows the chain at the first node by one final block. */
  const grow = async () => {
    const result = await nodes[0]!.registerDevice(`catch-up-${devices++}`, devicePublicKey(), { wait: true });
    expect(result.status).toBe('accepted');
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'provenant-catch-up-'));
    net = await startLocalNetwork({
      dir: root,
      natsServers: 1,
      stream: { maxAgeMs: RETENTION_MS, duplicateWindowMs: 1_000 },
      env: { PEER_ALLOW_HTTP: '1', PEER_CATCH_UP_WAIT_MS: '15000', LOG_LEVEL: 'info' },
      nodeTimeoutMs: 120_000,
    });
    nodes = net.nodes;
    operator = await JetStreamOrdering.connect({ servers: net.cluster.urls, credentials: { kind: 'password', ...OPERATOR } });
  }, 180_000);

  afterEach((context) => {
    // A failure shows what the nodes said.
    if (context.task.result?.state === 'fail') for (const n of nodes ?? []) console.error(`--- ${n.node.org}\n${n.lines.filter((l) => !l.includes('"route":"/graphql"')).slice(-25).join('\n')}`);
  });

  afterAll(async () => {
    await operator?.close();
    await net?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('registers a node URL by quorum; every node lists it among its peers', async () => {
    const [a, b, c] = nodes;
    const change = { type: 'node.endpoint', orgId: a!.node.org, url: a!.url, ordering: { natsUser: a!.node.natsUser } };
    const proposal = await a!.post(RecordKind.PROPOSAL, { change }, { wait: true });
    expect(proposal.status).toBe('accepted');
    for (const approver of [b!, c!]) expect((await approver.post(RecordKind.APPROVAL, { proposal: proposal.recordHash! }, { wait: true })).status).toBe('accepted');
    for (const node of nodes) {
      const listed = await eventually(`${node.node.org} lists the registered node`, async () => {
        const body = await node.graphql<{ chainStatus: { finality: { nodes: { orgId: string; url: string; ordering: string }[]; peers: { orgId: string; nodeUrl: string | null }[] } } }>(
          `{ chainStatus(consortium: "${net.plan.consortium}") { ... on ChainStatus { finality { nodes { orgId url ordering } peers { orgId nodeUrl } } } } }`,
        );
        const finality = body.data?.chainStatus.finality;
        return finality && finality.nodes.length > 0 ? finality : undefined;
      });
      expect(listed.nodes).toEqual([{ orgId: a!.node.org, url: a!.url, ordering: `natsUser:${a!.node.natsUser}` }]);
      expect(listed.peers.find((p) => p.orgId === a!.node.org)?.nodeUrl).toBe(a!.url);
    }
  }, 120_000);

  it('serves final blocks only to a request signed by an active member key, a bounded page at a time', async () => {
    const a = nodes[0]!;
    const blocksAt = (query: string, header?: string) =>
      fetch(`${a.url}/peer/consortia/${net.plan.consortium}/blocks?${query}`, { headers: header ? { 'x-provenant-peer': header } : {}, signal: AbortSignal.timeout(10_000) });
    const signed = (key: KeyPair, fromHeight: number, limit: number) => signPeerRequest({ consortium: net.plan.consortium, fromHeight, limit, at: new Date().toISOString() }, key);
    const { keyPair } = readKeyFile(path.join(nodes[1]!.node.dataDir, 'keys', `${nodes[1]!.node.org}.key.json`));
    expect((await blocksAt('from=1&limit=2')).status).toBe(401);
    expect((await blocksAt('from=1&limit=2', signed(generateKeyPair('ed25519'), 1, 2))).status).toBe(403);
    expect((await blocksAt('from=1&limit=3', signed(keyPair, 1, 2))).status).toBe(401);
    expect((await blocksAt('from=1&limit=51', signed(keyPair, 1, 51))).status).toBe(400);
    const page = (await (await blocksAt('from=1&limit=2', signed(keyPair, 1, 2))).json()) as { blocks: { header: { height: number }; cutSequence: number }[] };
    expect(page.blocks.map((b) => b.header.height)).toEqual([1, 2]);
    expect(page.blocks[1]!.cutSequence).toBeGreaterThan(page.blocks[0]!.cutSequence);
  }, 60_000);

  it('a restarted node refuses a tampered block from its only peer, then catches up over HTTP and reaches the same head', async () => {
    const live = nodes.slice(0, 3);
    const late = nodes[3]!;
    const before = (await late.status()).finality.finalHeight;
    await late.stop('SIGTERM');
    const { lastSequence: stoppedAt } = await operator.info(net.plan.consortium);
    // The chain grows while the node is down, until the log has dropped everything after its head.
    await grow();
    await grow();
    await eventually('the stream to drop the entries the stopped node lacks', async () => {
      const info = await operator.info(net.plan.consortium);
      return info.firstSequence > stoppedAt + 1 ? info : undefined;
    });
    const grown = (await sameFinalHead(live, before + 2))[0]!.finality.finalHeight;

    // The only peer serves a block whose record was edited in its database.
    const db = await openRawDatabase({ dbFile: path.join(nodes[0]!.node.dataDir, 'provenant.db') });
    const row = await db.get<{ hash: string; body: string }>('SELECT "hash", "body" FROM "LedgerRecord" WHERE "consortiumId" = ? AND "blockHeight" = ?', net.plan.consortium, before + 1);
    await db.run('UPDATE "LedgerRecord" SET "body" = ? WHERE "hash" = ?', row!.body.replace('catch-up-', 'catch-up-forged-'), row!.hash);
    try {
      const from = late.lines.length;
      await late.start(120_000);
      const halted = await eventually('the restarted node to report the failed catch-up', async () => {
        const status = await late.status();
        return status.finality.haltedReason ? status : undefined;
      });
      expect(halted.finality.haltedReason).toMatch(/catch-up over HTTP failed/);
      expect(halted.finality.haltedReason).toContain(nodes[0]!.node.org);
      expect(halted.finality.finalHeight).toBe(before);
      expect(late.lines.slice(from).some((l) => l.includes(`peer ${nodes[0]!.node.org} skipped: it served a block that fails verification (RECORD_HASH_MISMATCH)`))).toBe(true);
      expect(late.running).toBe(true);
    } finally {
      await db.run('UPDATE "LedgerRecord" SET "body" = ? WHERE "hash" = ?', row!.body, row!.hash);
      await db.close();
    }
    await late.stop('SIGTERM');

    // The peer serves the chain as it is: the node fetches, verifies and goes on from the log.
    const from = late.lines.length;
    let growing = true;
    // New blocks keep coming while the node starts, so a block is soon cut at an entry the log still holds.
    const grower = (async () => {
      while (growing) {
        await grow();
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      await late.start(120_000);
      const statuses = await sameFinalHead(nodes, grown + 1);
      expect(statuses[3]!.finality.haltedReason).toBeNull();
    } finally {
      growing = false;
      await grower;
    }
    expect(late.lines.slice(from).some((l) => l.includes('catch-up: stored blocks') && l.includes(`from peer ${nodes[0]!.node.org}, each verified`))).toBe(true);
    await sameFinalHead(nodes, grown + 2);
  }, 240_000);
});
