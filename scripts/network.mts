/**
 * `npm run network`: a consortium of 4 organisations on this machine, one node process each, over
 * a 3-server NATS JetStream cluster (nats-server must be installed). Each node has its own data
 * directory, ports, keys and NATS user (`provenant network init`); a few events are posted at
 * different nodes and become final at all of them. Each organisation's node URL is registered on
 * chain (node.endpoint, approved by a quorum), so a node that falls behind the stream's retention
 * catches up from the others over HTTP. Prints each node's URL and API token; Ctrl-C
 * stops everything. `--dir D` keeps the data directories in D (default: a temporary directory).
 * The NATS cluster and node processes come from the tests' loopback harness (test/helpers).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { postCapture, waitForCaptureJob } from '../src/client/binding-client.js';
import { encodePublicKey, generateKeyPair } from '../src/core/crypto/index.js';
import { findNatsServer, NATS_SERVER_MISSING } from '../test/helpers/nats-server-binary.js';
import { registerNodeUrls, startLocalNetwork, type NetworkNodeProcess } from '../test/helpers/network-nodes.js';

const dirArg = process.argv.indexOf('--dir');
const dir = dirArg > 0 ? path.resolve(process.argv[dirArg + 1] ?? '') : path.join(mkdtempSync(path.join(os.tmpdir(), 'provenant-network-')), 'consortium');
if (!findNatsServer()) {
  console.error(NATS_SERVER_MISSING);
  process.exit(2);
}

/** EPCIS events each organisation may post without holding goods (the role table: docs/authorisation.md). */
const DEMO_EVENTS: Record<string, { bizStep: string; epc: string }> = {
  fsa: { bizStep: 'urn:provenant:bizstep:official_inspection', epc: 'urn:epc:id:sgtin:5098765.033333.MINCE-A-1' },
  hmrc: { bizStep: 'urn:provenant:bizstep:customs_clearance', epc: 'urn:epc:id:sscc:5012345.0000000001' },
};

function epcisDocument(org: string): Record<string, unknown> | undefined {
  const spec = DEMO_EVENTS[org];
  if (!spec) return undefined;
  const now = new Date().toISOString();
  return {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: now,
    epcisBody: { eventList: [{ type: 'ObjectEvent', eventTime: now, eventTimeZoneOffset: '+00:00', action: 'OBSERVE', epcList: [spec.epc], bizStep: spec.bizStep }] },
  };
}

async function postDemo(node: NetworkNodeProcess): Promise<string> {
  const document = epcisDocument(node.node.org);
  if (document) {
    const { location } = await postCapture(node.url, document as never, { token: node.token });
    const job = await waitForCaptureJob(node.url, location, { token: node.token, timeoutMs: 60_000 });
    return `EPCIS event at ${node.node.org}'s node: capture job ${job.running ? 'running' : job.success ? 'succeeded' : 'failed'}`;
  }
  const result = await node.registerDevice(`${node.node.org}-sensor-1`, encodePublicKey(generateKeyPair('ed25519').publicKey), { wait: true });
  return `device registration at ${node.node.org}'s node: ${result.status}`;
}

console.log(`initialising a 4-organisation consortium in ${dir} and starting 3 nats-servers and 4 nodes (this takes a minute)…`);
// The node URLs are loopback http: peers may fetch blocks from them (PEER_ALLOW_HTTP).
const net = await startLocalNetwork({ dir, orgs: 4, env: { PEER_ALLOW_HTTP: '1' } });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping the nodes and the NATS servers…');
  await net.stop();
  console.log(`stopped; the data directories stay in ${dir}`);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  console.log('registering each node URL on chain (node.endpoint: proposed by its organisation, approved by a quorum)…');
  for (const n of await registerNodeUrls(net)) console.log(`  ${n.org.padEnd(17)} ${n.url}  (${n.ordering})`);
  for (const line of await Promise.all(net.nodes.map(postDemo))) console.log(`  ${line}`);
  // Every node derives the same blocks; one that lags a little catches up from the stream.
  for (let deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    const heads = new Set((await Promise.all(net.nodes.map((n) => n.status()))).map((s) => s.finality.finalHash));
    if (heads.size === 1) break;
  }
  console.log(`\nconsortium ${net.plan.consortium} (genesis ${net.plan.genesisHash.slice(0, 16)}…) on NATS ${net.cluster.urls.join(',')}`);
  for (const node of net.nodes) {
    const status = await node.status();
    console.log(`\n  ${node.node.org.padEnd(17)} ${node.url}   final height ${status.finality.finalHeight} (${status.finality.finalHash.slice(0, 16)}…)`);
    console.log(`  ${''.padEnd(17)} token ${node.token}`);
    console.log(`  ${''.padEnd(17)} data  ${node.node.dataDir}${node.node.hosts.length > 0 ? `  (hosts ${node.node.hosts.join(', ')})` : ''}`);
  }
  console.log('\nEvery node shows the same final head: { chainStatus(consortium: "uk-red-meat") { __typename ... on ChainStatus { height headHash finality { finalHeight } } } }');
  console.log('Ctrl-C stops everything.');
} catch (err) {
  console.error(`the local network failed: ${(err as Error).message}`);
  await stop();
}
