/**
 * Network benchmark (section `network`): 1, 4 and 7 authority nodes, each a `provenant start`
 * process with its own data directory, on a 3-server nats-server JetStream cluster on loopback.
 * Every node derives, verifies and stores every block, and on one machine the N nodes share its
 * cores, so the ideal rate with N nodes is 1/N of the single node's rate measured in the same run.
 *  - events/s from capture to finality: documents of 100 batch-signed events posted at the nodes of
 *    the organisations that may post without holding goods (regulators, customs), until every node
 *    shows the same final head with nothing pending; printed with the ratio to the ideal;
 *  - time to finality p50/p95: documents of 50 events paced at 500 events/s (4 nodes: the target
 *    is p95 <= 1 s; 1 and 7 nodes run at the lower of 500/s and half their measured rate), each
 *    posted with `wait=seal`, which answers once the block holding its records is final.
 * Needs nats-server (Debian's package); without it the section prints why and is skipped.
 * BENCH_NETWORK_SIZES=1,4 picks the network sizes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signCaptureDocument, submitCapture } from '../../src/client/capture-client.js';
import type { KeyPair } from '../../src/core/crypto/index.js';
import { readKeyFile } from '../../src/services/node/keystore.js';
import { findNatsServer, NATS_SERVER_MISSING } from '../helpers/nats-server-binary.js';
import { sameFinalHead, startLocalNetwork, type LocalNetwork, type NetworkNodeProcess } from '../helpers/network-nodes.js';
import { formatNumber, percentile, type BenchContext } from './harness.js';

type JsonObject = Record<string, unknown>;

const SECTION = 'network';
const THROUGHPUT_DOCUMENT = 100;
const PACED_DOCUMENT = 50;
const IN_FLIGHT_PER_NODE = 2;
const FINAL_TIMEOUT_MS = 600_000;

/** What each organisation that posts in this benchmark may post without holding the goods (docs/authorisation.md). */
const POSTS: Record<string, { bizStep: string; epc: (n: number) => string }> = {
  fsa: { bizStep: 'urn:provenant:bizstep:official_inspection', epc: (n) => `urn:epc:id:sgtin:5098765.033333.NB${n}` },
  apha: { bizStep: 'urn:provenant:bizstep:official_inspection', epc: (n) => `urn:epc:id:sgtin:5098765.033333.NA${n}` },
  'food-standards-scotland': { bizStep: 'urn:provenant:bizstep:official_inspection', epc: (n) => `urn:epc:id:sgtin:5098765.033333.NS${n}` },
  hmrc: { bizStep: 'urn:provenant:bizstep:customs_clearance', epc: (n) => `urn:epc:id:sscc:5012345.${String(n).padStart(10, '0')}` },
};

interface Poster {
  node: NetworkNodeProcess;
  key: KeyPair;
  post: (typeof POSTS)[string];
}

let serial = 0;

function envelopeOf(poster: Poster, consortium: string, events: number): JsonObject {
  const now = new Date().toISOString();
  const eventList = Array.from({ length: events }, () => ({
    type: 'ObjectEvent',
    eventTime: now,
    eventTimeZoneOffset: '+00:00',
    action: 'OBSERVE',
    epcList: [poster.post.epc(++serial)],
    bizStep: poster.post.bizStep,
  }));
  const document = {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: now,
    epcisBody: { eventList },
  };
  return signCaptureDocument(document as JsonObject, { consortium, key: poster.key, batch: true }) as unknown as JsonObject;
}

async function submit(poster: Poster, consortium: string, events: number, wait: boolean): Promise<void> {
  const result = await submitCapture(poster.node.url, envelopeOf(poster, consortium, events) as never, { token: poster.node.token, wait });
  const refused = result.results.find((r) => r.status === 'rejected');
  if (refused) throw new Error(`${poster.node.node.org}'s node refused an event: ${JSON.stringify(refused.error)}`);
}

function postersOf(net: LocalNetwork): Poster[] {
  return net.nodes
    .filter((n) => POSTS[n.node.org])
    .map((n) => ({ node: n, post: POSTS[n.node.org]!, key: readKeyFile(path.join(n.node.dataDir, 'keys', `${n.node.org}.key.json`)).keyPair }));
}

/** Posts `total` events in documents of 100 across the posters, then waits until every node has them all final. */
async function throughput(net: LocalNetwork, posters: Poster[], total: number): Promise<{ eventsPerSecond: number; seconds: number; height: number }> {
  const documents = Math.ceil(total / THROUGHPUT_DOCUMENT);
  let next = 0;
  const started = performance.now();
  const worker = async (poster: Poster) => {
    while (next < documents) {
      next++;
      await submit(poster, net.plan.consortium, THROUGHPUT_DOCUMENT, false);
    }
  };
  await Promise.all(posters.flatMap((p) => Array.from({ length: IN_FLIGHT_PER_NODE }, () => worker(p))));
  // One more event per poster, answered once final: everything each node appended before it is final there.
  await Promise.all(posters.map((p) => submit(p, net.plan.consortium, 1, true)));
  const statuses = await sameFinalHead(net.nodes, 1, FINAL_TIMEOUT_MS);
  const seconds = (performance.now() - started) / 1000;
  return { eventsPerSecond: (documents * THROUGHPUT_DOCUMENT + posters.length) / seconds, seconds, height: statuses[0]!.finality.finalHeight };
}

/** Documents of 50 events paced at `rate` events/s for `seconds`, each answered once final: its latency. */
async function paced(net: LocalNetwork, posters: Poster[], rate: number, seconds: number): Promise<{ latencies: number[]; achieved: number }> {
  const intervalMs = (PACED_DOCUMENT / rate) * 1000;
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; performance.now() - started < seconds * 1000; i++) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const poster = posters[i % posters.length]!;
    const sent = performance.now();
    inFlight.push(submit(poster, net.plan.consortium, PACED_DOCUMENT, true).then(() => void latencies.push(performance.now() - sent)));
  }
  const sentFor = (performance.now() - started) / 1000;
  await Promise.all(inFlight);
  return { latencies: latencies.sort((a, b) => a - b), achieved: (inFlight.length * PACED_DOCUMENT) / sentFor };
}

/** The nodes' logged errors, to print beside a failure. */
function loggedErrors(net: LocalNetwork): string {
  return net.nodes.flatMap((n) => n.lines.filter((l) => /"level":(50|60)|error/i.test(l)).slice(-5).map((l) => `${n.node.org}: ${l}`)).join('\n');
}

async function runNetwork(ctx: BenchContext, size: number, single: number | undefined): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `provenant-bench-network-${size}-`));
  ctx.progress(`network: starting ${size} authority node${size === 1 ? '' : 's'} on 3 nats-servers`);
  const net = await startLocalNetwork({ dir: path.join(dir, 'consortium'), orgs: size, nodeTimeoutMs: 180_000 });
  try {
    return await measureNetwork(ctx, net, size, single);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nthe nodes logged:\n${loggedErrors(net)}`, { cause: err });
  } finally {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureNetwork(ctx: BenchContext, net: LocalNetwork, size: number, single: number | undefined): Promise<number> {
  {
    const posters = postersOf(net);
    const total = ctx.quick ? 2_000 : 10_000;
    ctx.progress(`network: ${size} node(s), ${total.toLocaleString('en-GB')} events in documents of ${THROUGHPUT_DOCUMENT}, posted at ${posters.map((p) => p.node.node.org).join(', ')}`);
    const t = await throughput(net, posters, total);
    const ideal = size === 1 ? t.eventsPerSecond : single === undefined ? undefined : single / size;
    const ofIdeal = ideal === undefined ? 'no 1-node run to compare with' : `${((t.eventsPerSecond / ideal) * 100).toFixed(0)}% of the ideal ${formatNumber(ideal)} (1/${size} of 1 node; target >= 80%)`;
    ctx.report({
      section: SECTION,
      name: `${size} node${size === 1 ? '' : 's'}: events/s, capture to final on every node`,
      value: t.eventsPerSecond,
      unit: 'events/s',
      compareToRaw: true,
      note: `${ofIdeal}; ${t.seconds.toFixed(1)} s, final height ${t.height}`,
    });
    const rate = size === 4 ? 500 : Math.max(50, Math.min(500, Math.floor(t.eventsPerSecond / 2)));
    const seconds = ctx.quick ? 8 : 20;
    ctx.progress(`network: ${size} node(s), ${seconds} s paced at ${rate} events/s, each document answered once final`);
    const p = await paced(net, posters, rate, seconds);
    const target = size === 4 ? ' (target p95 <= 1,000 ms)' : '';
    ctx.report({ section: SECTION, name: `${size} node${size === 1 ? '' : 's'}: time to finality p50, ${rate} events/s`, value: percentile(p.latencies, 50), unit: 'ms', note: `${p.latencies.length} documents of ${PACED_DOCUMENT}, ${formatNumber(p.achieved)} events/s sent` });
    ctx.report({ section: SECTION, name: `${size} node${size === 1 ? '' : 's'}: time to finality p95${target}`, value: percentile(p.latencies, 95), unit: 'ms' });
    return t.eventsPerSecond;
  }
}

export async function networkBench(ctx: BenchContext): Promise<void> {
  if (!findNatsServer()) {
    console.log(`  ${SECTION.padEnd(10)} skipped: ${NATS_SERVER_MISSING}`);
    return;
  }
  const sizes = (process.env.BENCH_NETWORK_SIZES ?? '1,4,7').split(',').map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 7)) throw new Error('BENCH_NETWORK_SIZES: network sizes from 1 to 7, comma-separated');
  let single: number | undefined;
  for (const size of sizes) {
    const rate = await runNetwork(ctx, size, single);
    if (size === 1) single = rate;
  }
}
