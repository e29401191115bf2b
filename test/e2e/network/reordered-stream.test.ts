/**
 * A broker that shows two nodes another order: 4 authority nodes of 4 organisations on a 3-server
 * NATS cluster, where nodes 3 and 4 reach NATS only through a proxy that, once armed, delivers two
 * submissions to them in swapped order (each keeps its sequence and log time; their contents trade
 * places). Nodes 1-2 and nodes 3-4 then derive different blocks at the same height h and seal them,
 * 2 seals on each hash where 3 of 4 are needed: the chain stops at h - 1 on every node, no node
 * stores a block at h, and every node keeps and shows the divergence (height, both hashes, signers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JetStreamOrdering } from '../../../src/platform/ordering/jetstream-ordering.js';
import { OPERATOR } from '../../helpers/nats-cluster.js';
import { describeWithNatsServer } from '../../helpers/nats-server-binary.js';
import { devicePublicKey, eventually as eventuallyWithin, sameFinalHead as sameFinalHeadWithin, startLocalNetwork, type LocalNetwork, type NetworkNodeProcess } from '../../helpers/network-nodes.js';
import { openRawDatabase } from '../../helpers/raw-database.js';
import { ReorderingNatsProxy } from '../../helpers/reordering-nats-proxy.js';

const SEAL_INTERVAL_MS = 300;
/** Each wait on this loaded machine; start-up (100 s) and the test (140 s) stay within 4 minutes. */
const WAIT_MS = 60_000;
/** Nodes (by index) that read the log through the reordering proxy. */
const BEHIND_PROXY = new Set([2, 3]);

interface Signer {
  keyId: string;
  orgId: string;
  blockHash: string;
}
interface EvidenceRow {
  kind: string;
  height: number;
  orgId: string;
  blockHashes: string[];
  signers: Signer[];
}

const eventually = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_MS) => eventuallyWithin(what, probe, timeoutMs);
const sameFinalHead = (nodes: readonly NetworkNodeProcess[], height: number) => sameFinalHeadWithin(nodes, height, WAIT_MS);

async function divergenceOf(n: NetworkNodeProcess): Promise<{ stuckAtHeight: number | null; evidence: EvidenceRow[] }> {
  const body = await n.graphql(
    `{ chainStatus(consortium: "${n.consortium}") { ... on ChainStatus { finality { stuckAtHeight } evidence { kind height orgId blockHashes signers { keyId orgId blockHash } } } } }`,
  );
  const status = body.data?.chainStatus as { finality: { stuckAtHeight: number | null }; evidence: EvidenceRow[] } | undefined;
  if (!status) throw new Error(`chainStatus at ${n.node.org}: ${JSON.stringify(body)}`);
  return { stuckAtHeight: status.finality.stuckAtHeight, evidence: status.evidence };
}

/** The highest block height stored in the node's database. */
async function storedTop(n: NetworkNodeProcess): Promise<number> {
  const db = await openRawDatabase({ dbFile: path.join(n.node.dataDir, 'provenant.db') });
  try {
    const row = await db.get<{ top: number }>('SELECT MAX("height") AS "top" FROM "Block" WHERE "consortiumId" = ?', n.consortium);
    return Number(row!.top);
  } finally {
    await db.close();
  }
}

describeWithNatsServer('a broker that shows two nodes another order of the log', () => {
  let root: string;
  let net: LocalNetwork;
  let nodes: NetworkNodeProcess[];
  let proxy: ReorderingNatsProxy;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'provenant-reorder-'));
    proxy = await ReorderingNatsProxy.start();
    const serversOf = (index: number, urls: string[]) => {
      if (!BEHIND_PROXY.has(index)) return urls;
      proxy.forwardTo(urls[0]!);
      return [proxy.url];
    };
    net = await startLocalNetwork({ dir: path.join(root, 'net'), orgs: 4, sealIntervalMs: SEAL_INTERVAL_MS, serversOf });
    nodes = net.nodes;
  }, 100_000);

  afterAll(async () => {
    await net?.stop();
    await proxy?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('the chain stops at h - 1 on every node without forking, and every node shows the divergence at h', async () => {
    // Before the broker turns: the proxy passes everything faithfully, and blocks become final everywhere.
    const warm = await Promise.all(nodes.map((n, i) => n.registerDevice(`before-${i}`, devicePublicKey(), { wait: true })));
    expect(warm.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted']);
    const before = (await sameFinalHead(nodes, 1))[0]!.finality;
    const h = before.finalHeight + 1;

    const operator = await JetStreamOrdering.connect({ servers: net.cluster.urls, credentials: { kind: 'password', ...OPERATOR } });
    try {
      proxy.arm((await operator.info(net.plan.consortium)).lastSequence);
    } finally {
      await operator.close();
    }
    // Two submissions into the open block h, appended back to back by node 1.
    const posted = await Promise.all(['a', 'b'].map((x) => nodes[0]!.registerDevice(`reordered-${x}`, devicePublicKey())));
    expect(posted.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    await eventually('the proxy swapping the two submissions', async () => proxy.swapped);

    // Every node derives block h and sees 2 seals on each of two hashes: stuck at h, with evidence.
    const groups = [nodes.filter((_, i) => !BEHIND_PROXY.has(i)), nodes.filter((_, i) => BEHIND_PROXY.has(i))].map((g) => g.map((n) => n.node.org));
    const views = new Map<string, Map<string, string>>();
    for (const n of nodes) {
      const { stuckAtHeight, evidence } = await eventually(`${n.node.org} keeping divergent seals at ${h}`, async () => {
        const found = await divergenceOf(n);
        return found.evidence.some((e) => e.kind === 'divergent-seals') && found.stuckAtHeight !== null ? found : undefined;
      });
      expect(stuckAtHeight).toBe(h);
      const divergent = evidence.filter((e) => e.kind === 'divergent-seals');
      expect(divergent.map((e) => e.height)).toEqual([h]);
      const signedBy = new Map(divergent[0]!.signers.map((s) => [s.orgId, s.blockHash]));
      const own = groups.find((g) => g.includes(n.node.org))!;
      const other = groups.find((g) => !g.includes(n.node.org))!;
      // The stuck height needs both of the other side's seals; at least one of its own side's is there too.
      for (const org of other) expect(signedBy.has(org), `${n.node.org} names ${org}`).toBe(true);
      expect(own.some((org) => signedBy.has(org))).toBe(true);
      expect(new Set(other.map((org) => signedBy.get(org))).size).toBe(1);
      expect(new Set(own.filter((org) => signedBy.has(org)).map((org) => signedBy.get(org))).size).toBe(1);
      expect(new Set(signedBy.values()).size).toBe(2);
      // The other side's seals are conflicting seals at h too.
      const conflicting = evidence.filter((e) => e.kind === 'conflicting-seal' && e.height === h).map((e) => e.orgId);
      expect(conflicting.sort()).toEqual([...other].sort());
      expect(evidence.filter((e) => e.kind === 'equivocation')).toEqual([]);
      views.set(n.node.org, signedBy);
    }
    // Every node names the same two hashes, each sealed by the same organisations.
    const merged = new Map<string, string>();
    for (const view of views.values()) {
      for (const [org, hash] of view) {
        expect(merged.get(org) ?? hash, `${org}'s sealed hash`).toBe(hash);
        merged.set(org, hash);
      }
    }
    expect(new Set(groups[0]!.map((org) => merged.get(org))).size).toBe(1);
    expect(new Set(groups[1]!.map((org) => merged.get(org))).size).toBe(1);
    expect(merged.get(groups[0]![0]!)).not.toBe(merged.get(groups[1]![0]!));

    // More work after the reorder: derived into h + 1 everywhere, final nowhere.
    expect((await nodes[1]!.registerDevice('after-reorder', devicePublicKey())).status).toBe('accepted');
    await eventually('every node deriving past h', async () => ((await Promise.all(nodes.map((n) => n.status()))).every((s) => s.finality.derivedHeight > h) ? true : undefined));
    // For several seal intervals, no node moves its final head, halts, or stores a block at h.
    const watchUntil = Date.now() + Math.max(8 * SEAL_INTERVAL_MS, 4000);
    while (Date.now() < watchUntil) {
      for (const s of await Promise.all(nodes.map((n) => n.status()))) {
        expect({ height: s.finality.finalHeight, hash: s.finality.finalHash, halted: s.finality.haltedReason }).toEqual({ height: before.finalHeight, hash: before.finalHash, halted: null });
      }
      await new Promise((r) => setTimeout(r, SEAL_INTERVAL_MS));
    }
    for (const n of nodes) expect(await storedTop(n), `${n.node.org}'s stored head`).toBe(h - 1);
  }, 140_000);
});
