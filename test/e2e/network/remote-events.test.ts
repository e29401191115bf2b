/**
 * EPCIS events captured at one organisation's node, as every other node holds them: the query
 * tables, custody hand-overs between organisations hosted on different nodes, a restart (the
 * start-up check) and `verify` on the node that did not capture them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signCaptureDocument, submitCapture } from '../../../src/client/capture-client.js';
import { readKeyFile } from '../../../src/services/node/keystore.js';
import { describeWithNatsServer } from '../../helpers/nats-server-binary.js';
import { sameFinalHead, startLocalNetwork, type LocalNetwork } from '../../helpers/network-nodes.js';

const SSCC = 'urn:epc:id:sscc:5012345.0000000777';
const PALLET = 'urn:epc:id:sscc:5098765.3000000077';
let minute = 0;
const at = () => new Date(Date.now() - 3_600_000 + 60_000 * minute++).toISOString();
const obj = (fields: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: at(), eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...fields });

function documentOf(events: Record<string, unknown>[]): Record<string, unknown> {
  return { '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: new Date().toISOString(), epcisBody: { eventList: events } };
}

describeWithNatsServer('EPCIS events captured at another node', () => {
  let dir: string;
  let net: LocalNetwork;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-remote-events-'));
    net = await startLocalNetwork({ dir: path.join(dir, 'consortium'), orgs: 2, natsServers: 1 });
  }, 240_000);

  afterAll(async () => {
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are in the query tables of a node that did not capture them, which restarts and verifies without the documents they cite', async () => {
    const [fsa, hmrc] = net.nodes;
    const { keyPair } = readKeyFile(path.join(hmrc!.node.dataDir, 'keys', 'hmrc.key.json'));
    // A document only hmrc's node holds (off-chain), cited by the event every node holds.
    const uploaded = await fetch(`${hmrc!.url}/documents`, { method: 'POST', headers: { authorization: `Bearer ${hmrc!.token}`, 'content-type': 'text/plain' }, body: 'customs declaration 777' });
    expect(uploaded.status).toBe(201);
    const { sha256 } = (await uploaded.json()) as { sha256: string };
    const now = new Date().toISOString();
    const document = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: now,
      epcisBody: { eventList: [{ type: 'ObjectEvent', eventTime: now, eventTimeZoneOffset: '+00:00', action: 'OBSERVE', epcList: [SSCC], bizStep: 'urn:provenant:bizstep:customs_clearance', 'provenant:documents': [{ sha256, type: 'customs-document', name: 'declaration-777.txt' }] }] },
    };
    const envelope = signCaptureDocument(document, { consortium: net.plan.consortium, key: keyPair });
    const captured = await submitCapture(hmrc!.url, envelope, { token: hmrc!.token, wait: true });
    expect(captured.results.map((r) => r.status)).toEqual(['accepted']);
    const height = (captured.results[0] as { block?: { height: number } }).block!.height;
    await sameFinalHead(net.nodes, height, 60_000);

    const eventsAt = async () => {
      const res = await fetch(`${fsa!.url}/events?MATCH_epc=${encodeURIComponent(SSCC)}`, { headers: { authorization: `Bearer ${fsa!.token}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { epcisBody: { queryResults: { resultsBody: { eventList: unknown[] } } } }).epcisBody.queryResults.resultsBody.eventList;
    };
    expect(await eventsAt()).toHaveLength(1);

    await fsa!.stop('SIGTERM');
    const verify = fsa!.verifyData();
    expect(verify.status, verify.output).toBe(0);
    await fsa!.start();
    expect(await eventsAt()).toHaveLength(1);
  }, 240_000);

  it('carry custody: an item shipped by an organisation hosted on one node is received by one hosted on the other, and nobody else takes it', async () => {
    const [fsa, hmrc] = net.nodes;
    // vale-processors and oceanic-line are hosted by hmrc's node, swift-haulage by fsa's (network init).
    expect(hmrc!.node.hosts).toEqual(expect.arrayContaining(['vale-processors', 'oceanic-line']));
    expect(fsa!.node.hosts).toContain('swift-haulage');
    const capture = async (at: typeof fsa, org: string, events: Record<string, unknown>[]) => {
      const { keyPair } = readKeyFile(path.join(at!.node.dataDir, 'keys', `${org}.key.json`));
      const envelope = signCaptureDocument(documentOf(events), { consortium: net.plan.consortium, key: keyPair });
      return submitCapture(at!.url, envelope, { token: at!.token, wait: true, mode: 'partial' });
    };
    const shipped = await capture(hmrc, 'vale-processors', [
      obj({ action: 'ADD', bizStep: 'commissioning', epcList: [PALLET] }),
      obj({ bizStep: 'shipping', epcList: [PALLET], destinationList: [{ type: 'possessing_party', destination: 'urn:provenant:org:swift-haulage' }] }),
    ]);
    expect(shipped.results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    await sameFinalHead(net.nodes, (shipped.results[1] as { block?: { height: number } }).block!.height, 60_000);
    const received = await capture(fsa, 'swift-haulage', [obj({ bizStep: 'receiving', epcList: [PALLET] })]);
    expect(received.results[0], JSON.stringify(received.results[0])).toMatchObject({ status: 'accepted' });
    await sameFinalHead(net.nodes, (received.results[0] as { block?: { height: number } }).block!.height, 60_000);
    const taken = await capture(hmrc, 'oceanic-line', [obj({ bizStep: 'receiving', epcList: [PALLET] })]);
    expect(taken.results[0]!.error?.code).toBe('NOT_CUSTODIAN');

    for (const node of net.nodes) {
      await node.stop('SIGTERM');
      const verify = node.verifyData();
      expect(verify.status, verify.output).toBe(0);
      await node.start();
    }
  }, 300_000);
});
