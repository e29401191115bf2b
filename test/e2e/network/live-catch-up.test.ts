/**
 * Catch-up of a running node beyond the ordering log's retention: 4 authority nodes on one
 * nats-server whose stream keeps entries for a few seconds only; the fourth node reaches it through
 * a TCP proxy the test cuts. One organisation's node is registered on chain behind a second proxy,
 * for HTTP. While the fourth node is cut off the chain grows past the retention; when its NATS
 * connection comes back its subscription meets the gap. With the only peer unreachable it stops,
 * says which peer failed and why, keeps serving reads and tries again; once the peer is reachable
 * it fetches the blocks over HTTP, verifies them, goes on from the log and reaches the same final
 * head as the others, in the same process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { RecordKind } from '../../../src/core/ledger/record.js';
import { JetStreamOrdering } from '../../../src/platform/ordering/jetstream-ordering.js';
import { OPERATOR } from '../../helpers/nats-cluster.js';
import { describeWithNatsServer } from '../../helpers/nats-server-binary.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';
import { devicePublicKey, eventually as eventuallyWithin, sameFinalHead as sameFinalHeadWithin, startLocalNetwork, type LocalNetwork, type NetworkNodeProcess } from '../../helpers/network-nodes.js';

/** Stream entries older than this are dropped: short for the test, yet long enough for a node slowed by a loaded machine. */
const RETENTION_MS = 10_000;
const TIMEOUT_MS = 60_000;

const eventually = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = TIMEOUT_MS) => eventuallyWithin(what, probe, timeoutMs);
const sameFinalHead = (nodes: readonly NetworkNodeProcess[], height: number, settled = false) => sameFinalHeadWithin(nodes, height, TIMEOUT_MS, { settled });

describeWithNatsServer('a running node catches up over HTTP after its stream met a gap', () => {
  let root: string;
  let net: LocalNetwork;
  let nodes: NetworkNodeProcess[];
  let operator: JetStreamOrdering;
  let natsProxy: TcpProxy;
  let peerProxy: TcpProxy;
  let devices = 0;

  /** Grows the chain at the first node by one final block. */
  const grow = async () => {
    const result = await nodes[0]!.registerDevice(`live-catch-up-${devices++}`, devicePublicKey(), { wait: true });
    expect(result.status).toBe('accepted');
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'provenant-live-catch-up-'));
    natsProxy = await TcpProxy.start();
    peerProxy = await TcpProxy.start();
    net = await startLocalNetwork({
      dir: root,
      natsServers: 1,
      stream: { maxAgeMs: RETENTION_MS, duplicateWindowMs: 1_000 },
      // The fourth node reaches its nats-server through the proxy only.
      serversOf: (i, urls) => {
        if (i !== 3) return urls;
        natsProxy.forwardTo(urls[0]!);
        return [natsProxy.url];
      },
      env: { PEER_ALLOW_HTTP: '1', PEER_CATCH_UP_WAIT_MS: '4000', PEER_CATCH_UP_RETRY_MAX_MS: '2000', LOG_LEVEL: 'info' },
      nodeTimeoutMs: 120_000,
    });
    nodes = net.nodes;
    operator = await JetStreamOrdering.connect({ servers: net.cluster.urls, credentials: { kind: 'password', ...OPERATOR } });
    peerProxy.forwardTo(nodes[0]!.url);
  }, 180_000);

  afterEach((context) => {
    // A failure shows what the nodes said.
    if (context.task.result?.state === 'fail') for (const n of nodes ?? []) console.error(`--- ${n.node.org}\n${n.lines.filter((l) => !l.includes('"route":"/graphql"')).slice(-30).join('\n')}`);
  });

  afterAll(async () => {
    await operator?.close();
    await net?.stop();
    await natsProxy?.stop();
    await peerProxy?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('stops with each peer named while none can serve, tries again, and reaches the same head without a restart', async () => {
    const [a, b, c, late] = nodes as [NetworkNodeProcess, NetworkNodeProcess, NetworkNodeProcess, NetworkNodeProcess];
    const peerUrl = `http://127.0.0.1:${new URL(peerProxy.url).port}`;
    const change = { type: 'node.endpoint', orgId: a.node.org, url: peerUrl, ordering: { natsUser: a.node.natsUser } };
    const proposal = await a.post(RecordKind.PROPOSAL, { change }, { wait: true });
    expect(proposal.status).toBe('accepted');
    for (const approver of [b, c]) expect((await approver.post(RecordKind.APPROVAL, { proposal: proposal.recordHash! }, { wait: true })).status).toBe('accepted');
    const before = (await sameFinalHead(nodes, 1, true))[3]!.finality.finalHeight;
    // Nothing of the fourth node's is left to append when it is cut off.
    await new Promise((r) => setTimeout(r, 1_000));
    const pid = late.pid;
    const lastRead = (await late.status()).finality.lastSequence;

    natsProxy.partition();
    peerProxy.partition();
    let growing = true;
    const grower = (async () => {
      while (growing) {
        await grow();
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    try {
      await eventually('the stream to drop entries the cut-off node has not read', async () => {
        const info = await operator.info(net.plan.consortium);
        return info.firstSequence > lastRead + 1 ? info : undefined;
      });
      expect((await late.status()).finality.finalHeight).toBe(before);
      const from = late.lines.length;
      natsProxy.heal();

      // The only registered peer cannot be reached: the chain stops, says why, and reads are still served.
      const halted = await eventually('the node to report that no peer could serve', async () => {
        const status = await late.status();
        return status.finality.haltedReason?.includes('catch-up over HTTP failed') ? status : undefined;
      });
      expect(halted.finality.haltedReason).toContain(`${a.node.org}: `);
      expect(halted.finality.haltedReason).toContain(peerUrl);
      expect(halted.finality.finalHeight).toBe(before);
      expect(late.lines.slice(from).some((l) => l.includes('catch-up: try 1 failed'))).toBe(true);

      // The peer becomes reachable: a later try catches up, with no operator and no restart.
      peerProxy.heal();
      const grown = (await sameFinalHead([a, b, c], before + 1))[0]!.finality.finalHeight;
      const statuses = await sameFinalHead(nodes, grown + 1);
      expect(statuses[3]!.finality.haltedReason).toBeNull();
      expect(late.lines.slice(from).some((l) => l.includes('catch-up: stored blocks') && l.includes(`from peer ${a.node.org}, each verified`))).toBe(true);
      expect(late.lines.slice(from).some((l) => l.includes('without a restart'))).toBe(true);
    } finally {
      growing = false;
      await grower;
    }
    // The same process went on from the log: it follows new blocks and holds nothing pending.
    await grow();
    const final = await sameFinalHead(nodes, (await a.status()).finality.finalHeight, true);
    expect(final[3]!.finality.haltedReason).toBeNull();
    expect(late.running).toBe(true);
    expect(late.pid).toBe(pid);
  }, 300_000);
});
