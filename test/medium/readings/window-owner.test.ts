/**
 * Sensor windows belong to the organisation that registered the device (docs/access.md,
 * docs/record-kinds.md): on a node holding several organisations' keys (the owner's not first),
 * the window is signed by the owner; on a node without the owner's key, by an authority naming the
 * owner. Either way the owner reads the windows and the track, other members are refused as any
 * not-entitled read is, the regulator sees them, and admission refuses anyone else's window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodePublicKey, generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import type { GenesisSpec } from '../../../src/core/ledger/consortium.js';
import { RecordKind, signRecord, type SignedRecord } from '../../../src/core/ledger/record.js';
import { buildWindowPayload } from '../../../src/core/readings/window.js';
import { ensureRuleSetPublished } from '../../../src/services/readings/breach-monitor.js';
import { accessLogWriter, readAccessLog } from '../../../src/store/access-log.js';
import { keystoreWindowSigner, readingsTopic, signReading, type Reading } from '../../../src/transport/mqtt/index.js';
import type { ConsortiumFixture } from '../../helpers/consortia.js';
import { waitFor } from '../../helpers/mqtt.js';
import { SKIP_ROLE_CHECK, startTestNode, type TestNode } from '../../helpers/test-node.js';

const C = 'window-owners';
const CONTAINER = 'MSKU1234565';
const BASE = Date.parse('2026-11-21T06:00:00.000Z');
/** Key store order: alpha, charlie, bravo (the owner), then the regulator; only the regulator is an authority. */
const ORGS = [
  { id: 'alpha-haulage', roles: ['HAULIER'] },
  { id: 'charlie-haulage', roles: ['HAULIER'] },
  { id: 'bravo-haulage', roles: ['HAULIER'] },
  { id: 'regulator', roles: ['REGULATOR'] },
] as const;
const OWNER = 'bravo-haulage';

function fixture(): ConsortiumFixture {
  const orgKeys = new Map<string, KeyPair>();
  const members = ORGS.map((o) => {
    const key = generateKeyPair('ed25519');
    orgKeys.set(o.id, key);
    return { id: o.id, name: o.id, roles: [...o.roles], keys: [encodePublicKey(key.publicKey)], identifiers: {} };
  });
  const authority = orgKeys.get('regulator')!;
  const spec: GenesisSpec = { consortiumId: C, name: 'Window owners', members, authorities: [{ orgId: 'regulator', keyId: authority.keyId }] };
  return { spec, orgKeys, authorityKeys: [authority] };
}

async function registerDevice(t: TestNode, deviceId: string): Promise<KeyPair> {
  const key = generateKeyPair('ed25519');
  const payload = { deviceId, publicKey: encodePublicKey(key.publicKey), kind: 'sensor', attributes: { container: CONTAINER, category: 'chilled-red-meat' } };
  await t.submitSealed([signRecord({ consortium: C, kind: RecordKind.DEVICE_REGISTER, payload }, t.key(OWNER))]);
  return key;
}

/**
 * Readings 1..n of the device through the ingestor (as the broker hands them over), a minute apart,
 * windowed and sealed. `excursion`: at 9.5 °C, above the chilled-meat limit for longer than it allows.
 */
async function readingsFlow(t: TestNode, deviceId: string, key: KeyPair, n = 6, excursion = false): Promise<SignedRecord[]> {
  for (let seq = 1; seq <= n; seq++) {
    const value = excursion ? 9.5 : 3 + seq / 10;
    const reading: Reading = { v: 1, consortium: C, deviceId, seq, observedAt: new Date(BASE + seq * 60_000).toISOString(), type: 'temperature', value, uom: 'CEL', subject: CONTAINER };
    const outcome = await t.iot!.ingestor.ingest(readingsTopic(C, deviceId), Buffer.from(JSON.stringify(signReading(reading, key))));
    expect(outcome).toMatchObject({ status: 'accepted' });
  }
  const windows = await t.iot!.flush(true);
  expect(windows.length).toBeGreaterThan(0);
  await t.seal();
  return windows;
}

async function gql(t: TestNode, org: string, query: string): Promise<any> {
  const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens[org]}` }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { data?: any; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

/** record(hash) as the organisation gets it: 'LedgerRecord', or the refusal's type and code. */
async function recordAs(t: TestNode, org: string, hash: string): Promise<string> {
  const data = await gql(t, org, `{ record(hash: "${hash}") { __typename ... on Error { code } } }`);
  return data.record.__typename === 'LedgerRecord' ? 'LedgerRecord' : `${data.record.__typename}:${data.record.code}`;
}

/** The device's leg of the container as the organisation gets it (undefined when not listed). */
type Leg = { deviceId: string; points: unknown[]; readingsWithheld: boolean; ownerOrg: string; breaches: { recordHash: string }[] };

async function legAs(t: TestNode, org: string, deviceId: string): Promise<Leg | undefined> {
  const res = await fetch(`${t.url}/explorer/api/temperature-legs?subject=${CONTAINER}`, { headers: { authorization: `Bearer ${t.tokens[org]}` } });
  expect(res.status).toBe(200);
  const { legs } = (await res.json()) as { legs: Leg[] };
  return legs.find((l) => l.deviceId === deviceId);
}

/** What any other organisation gets for a record it is not entitled to: here the owner's own event. */
async function notEntitledRefusal(t: TestNode): Promise<string> {
  const event = { type: 'ObjectEvent', eventTime: '2026-11-21T06:00:00.000Z', eventTimeZoneOffset: '+00:00', epcList: ['urn:epc:id:sscc:5012345.0000000099'], action: 'OBSERVE', bizStep: 'inspecting' };
  const hash = await t.captureSealed(OWNER, [event]);
  return recordAs(t, 'alpha-haulage', hash);
}

describe('sensor windows follow the device owner', () => {
  let t: TestNode | undefined;
  afterEach(async () => {
    await t?.destroy();
    t = undefined;
  });

  async function start(options: { breachMonitor?: boolean } = {}): Promise<TestNode> {
    t = await startTestNode({ demo: false, consortia: [fixture()], http: true, tokens: true, authorise: SKIP_ROLE_CHECK, ...options });
    await ensureRuleSetPublished(t.node, t.db, C, t.key('regulator'));
    return t;
  }

  async function expectOwnerReads(node: TestNode, deviceId: string, windows: SignedRecord[], hashes: string[]): Promise<void> {
    const refused = await notEntitledRefusal(node);
    expect(refused).toBe('Forbidden:FORBIDDEN');
    for (const hash of hashes) {
      expect(await recordAs(node, OWNER, hash)).toBe('LedgerRecord');
      expect(await recordAs(node, 'regulator', hash)).toBe('LedgerRecord');
      expect(await recordAs(node, 'alpha-haulage', hash)).toBe(refused);
      expect(await recordAs(node, 'charlie-haulage', hash)).toBe(refused);
    }
    const total = windows.reduce((n, w) => n + (w.payload as { count: number }).count, 0);
    expect(await legAs(node, OWNER, deviceId)).toMatchObject({ ownerOrg: OWNER, readingsWithheld: false, points: expect.toSatisfy((p: unknown[]) => p.length === total) });
    expect((await legAs(node, 'regulator', deviceId))?.points).toHaveLength(total);
    expect(await legAs(node, 'alpha-haulage', deviceId)).toBeUndefined();
    expect(await legAs(node, 'charlie-haulage', deviceId)).toBeUndefined();
  }

  it("a node holding three organisations' keys signs with the owner's, though it is not first; the owner reads, the others are refused, the regulator sees", async () => {
    const node = await start({ breachMonitor: true });
    await node.startMqtt({ windowMs: 600_000, windowMaxReadings: 100, flushIntervalMs: 0 });
    const device = await registerDevice(node, 'reefer-b/probe');
    const windows = await readingsFlow(node, 'reefer-b/probe', device, 40, true);
    for (const w of windows) {
      expect(w.signer).toBe(node.key(OWNER).keyId);
      expect(w.payload).not.toHaveProperty('owner');
    }
    const hashes = (await node.db.ledgerRecord.findMany({ where: { consortiumId: C, kind: RecordKind.SENSOR_WINDOW } })).map((r) => r.hash);
    expect(hashes).toHaveLength(windows.length);
    await expectOwnerReads(node, 'reefer-b/probe', windows, hashes);

    // The breach the consortium seals on the owner's readings: the owner sees it (it holds nothing the breach names), as does the regulator.
    await waitFor('the monitor to judge every window', () => node.monitor!.stats().windows >= windows.length, 20_000);
    await node.monitor!.idle();
    await waitFor('a breach record', async () => (await node.db.ledgerRecord.count({ where: { consortiumId: C, kind: RecordKind.COLD_CHAIN_BREACH } })) > 0, 10_000);
    // The monitor may have sealed it itself; otherwise seal now.
    await node.node.sealNow(C);
    const [breach] = await node.db.ledgerRecord.findMany({ where: { consortiumId: C, kind: RecordKind.COLD_CHAIN_BREACH } });
    expect(breach!.blockHeight).not.toBeNull();
    expect(JSON.parse(breach!.body).signer).toBe(node.key('regulator').keyId);
    expect(await recordAs(node, OWNER, breach!.hash)).toBe('LedgerRecord');
    expect(await recordAs(node, 'regulator', breach!.hash)).toBe('LedgerRecord');
    expect(await recordAs(node, 'alpha-haulage', breach!.hash)).toBe('Forbidden:FORBIDDEN');
    expect((await legAs(node, OWNER, 'reefer-b/probe'))?.breaches.map((b) => b.recordHash)).toEqual([breach!.hash]);
    expect(await legAs(node, 'charlie-haulage', 'reefer-b/probe')).toBeUndefined();
  }, 90_000);

  it("a node without the owner's key has an authority sign, naming the owner; the owner reads it and the regulator's read is in the owner's log", async () => {
    const node = await start();
    const held = ['alpha-haulage', 'charlie-haulage', 'regulator'].map((org) => node.key(org));
    await node.startMqtt({ windowMs: 60_000, windowMaxReadings: 10, flushIntervalMs: 0, windowSigner: keystoreWindowSigner(node.node, held) });
    const device = await registerDevice(node, 'reefer-b/probe');
    const windows = await readingsFlow(node, 'reefer-b/probe', device);
    for (const w of windows) {
      expect(w.signer).toBe(node.key('regulator').keyId);
      expect(w.payload).toMatchObject({ format: 2, owner: OWNER, deviceId: 'reefer-b/probe' });
    }
    const hashes = (await node.db.ledgerRecord.findMany({ where: { consortiumId: C, kind: RecordKind.SENSOR_WINDOW } })).map((r) => r.hash);
    await expectOwnerReads(node, 'reefer-b/probe', windows, hashes);
    await accessLogWriter(node.db).flush();
    const log = await readAccessLog(node.db, { consortiumId: C, ownerOrgId: OWNER, limit: 100, newestFirst: false });
    expect(log.filter((e) => hashes.includes(e.subjectId)).map((e) => e.viewerOrgId)).toContain('regulator');
    expect(await readAccessLog(node.db, { consortiumId: C, ownerOrgId: 'regulator', limit: 100, newestFirst: false })).toEqual([]);
  }, 60_000);

  it("admission refuses another organisation's window and an authority's naming a different owner; takes the authority's naming the owner", async () => {
    const node = await start();
    await registerDevice(node, 'reefer-b/probe');
    const payload = (owner?: string) =>
      buildWindowPayload({
        deviceId: 'reefer-b/probe',
        windowStart: '2026-11-21T06:00:00.000Z',
        windowEnd: '2026-11-21T06:01:00.000Z',
        readings: [{ v: 1, consortium: C, deviceId: 'reefer-b/probe', seq: 1, observedAt: '2026-11-21T06:00:01.000Z', type: 'temperature', value: 3, uom: 'CEL' }],
        gaps: [],
        ...(owner ? { owner } : {}),
      }) as unknown as SignedRecord['payload'];
    const sign = (org: string, owner?: string) => signRecord({ consortium: C, kind: RecordKind.SENSOR_WINDOW, payload: payload(owner) }, node.key(org));
    const outcomes = await node.submit([sign('alpha-haulage'), sign('alpha-haulage', OWNER), sign('regulator'), sign('regulator', 'charlie-haulage'), sign('regulator', OWNER)], { atomic: false });
    expect(outcomes.map((o) => (o.status === 'accepted' ? 'accepted' : o.status === 'rejected' ? o.error.code : o.status))).toEqual([
      'WINDOW_NOT_OWNER',
      'WINDOW_NOT_OWNER',
      'WINDOW_OWNER_NOT_NAMED',
      'WINDOW_OWNER_MISMATCH',
      'accepted',
    ]);
    await node.seal();
    const accepted = (outcomes[4] as { recordHash: string }).recordHash;
    expect(await recordAs(node, OWNER, accepted)).toBe('LedgerRecord');
    expect(await recordAs(node, 'alpha-haulage', accepted)).toBe('Forbidden:FORBIDDEN');
  }, 60_000);
});
