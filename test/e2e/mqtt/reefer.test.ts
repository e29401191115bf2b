/**
 * The reefer simulator against a real node: HTTP for its registration, the
 * embedded MQTT broker for its signed readings, the breach monitor turning sealed sensor windows
 * into coldchain.breach records, and the lineage verdicts that show them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { issueApiToken } from '../../../src/services/auth.js';
import { RecordKind, recordHash, type SignedRecord } from '../../../src/core/ledger/record.js';
import mqtt from 'mqtt';
import { statusTopic, type IotHandle, type Reading, type SensorWindowPayload } from '../../../src/transport/mqtt/index.js';
import type { BreachMonitor, BreachPayload } from '../../../src/services/readings/breach-monitor.js';
import { canonicalIdentifier, DEFAULT_RULESET, ruleSetHash } from '../../../src/core/rules/index.js';
import { generateKeyPair } from '../../../src/core/crypto/index.js';
import { registerReefer, runReefer, reeferLeg, type ReeferFaults, type ReeferResult } from '../../../simulators/reefer.js';
import { runScenario } from '../../../simulators/scenario.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';
import { CONSORTIUM, deviceLogin, waitFor } from '../../helpers/mqtt.js';

interface Rig {
  temp: TestNode;
  base: string;
  iot: IotHandle;
  monitor: BreachMonitor;
  mqttUrl: string;
}

let rig: Rig | undefined;

/** A node as the reefer meets it: HTTP, the embedded broker (five-minute windows), the breach monitor. */
async function startRig(clockToleranceMs?: number): Promise<Rig> {
  return rigOf(await startTestNode({ autoSeal: true, http: true, mqtt: { windowMs: 5 * 60_000, flushIntervalMs: 100, clockToleranceMs }, breachMonitor: true }));
}

function rigOf(temp: TestNode): Rig {
  return { temp, base: temp.url, iot: temp.iot!, monitor: temp.monitor!, mqttUrl: temp.mqttUrl };
}

afterEach(async () => {
  if (!rig) return;
  await rig.temp.destroy();
  rig = undefined;
});

async function records(temp: TestNode, kind: string): Promise<{ hash: string; blockHeight: number | null; record: SignedRecord }[]> {
  const rows = await temp.db.ledgerRecord.findMany({ where: { consortiumId: CONSORTIUM, kind }, orderBy: { logIndex: 'asc' } });
  return rows.map((r) => ({ hash: r.hash, blockHeight: r.blockHeight, record: JSON.parse(r.body) as SignedRecord }));
}

/** Every reading of the device windowed, every window sealed and evaluated by the monitor. */
async function settle(r: Rig, deviceId: string, readings: number): Promise<void> {
  await waitFor(
    `${readings} readings of ${deviceId} in sealed windows`,
    async () => {
      const rows = await r.temp.db.deviceReading.findMany({ where: { consortiumId: CONSORTIUM, deviceId }, select: { windowRecordHash: true } });
      if (rows.length !== readings || rows.some((x) => x.windowRecordHash === null)) return false;
      const windows = await records(r.temp, RecordKind.SENSOR_WINDOW);
      return windows.every((w) => w.blockHeight !== null);
    },
    20_000,
  );
  await waitFor(
    'the breach monitor to evaluate every window',
    async () => r.monitor.stats().windows >= (await records(r.temp, RecordKind.SENSOR_WINDOW)).length,
    10_000,
  );
  await r.monitor.idle();
}

const CONTAINER = 'urn:provenant:container:CSQU3054383';

function reefer(r: Rig, faults: ReeferFaults, extra: Partial<Parameters<typeof runReefer>[0]> = {}): Promise<ReeferResult> {
  return runReefer({
    baseUrl: r.base,
    mqttUrl: r.mqttUrl,
    consortium: CONSORTIUM,
    owner: { orgId: 'swift-haulage', key: r.temp.demo.orgKeys.get('swift-haulage')! },
    container: CONTAINER,
    start: new Date('2026-03-02T06:00:00.000Z'),
    legMinutes: 120,
    faults,
    ...extra,
  });
}

describe('reefer simulator over real MQTT', () => {
  it('an excursion becomes one sealed breach linked to the packs in the container, shown in lineage, and is not doubled on re-evaluation or restart', async () => {
    rig = await startRig();
    const story = await runScenario({
      baseUrl: rig.base,
      consortium: CONSORTIUM,
      orgKeys: rig.temp.demo.orgKeys,
      reefer: reeferLeg({
        baseUrl: rig.base,
        mqttUrl: rig.mqttUrl,
        consortium: CONSORTIUM,
        owner: { orgId: 'swift-haulage', key: rig.temp.demo.orgKeys.get('swift-haulage')! },
        faults: { excursion: { startMinute: 60, durationMinutes: 55, peakC: 9.5 } },
      }),
    });
    expect(story.reefer?.published).toBe(723);
    await settle(rig, story.reefer!.deviceId, 723);
    await waitFor('the breach sealed', async () => (await records(rig!.temp, RecordKind.COLD_CHAIN_BREACH)).some((b) => b.blockHeight !== null));

    const breaches = await records(rig.temp, RecordKind.COLD_CHAIN_BREACH);
    expect(breaches).toHaveLength(1);
    const breach = breaches[0]!;
    const payload = breach.record.payload as unknown as BreachPayload;
    const finding = payload.finding as { code: string; rule: string; deviceId: string; maxValue: number; limit: number; durationS: number; from: string };
    expect(finding).toMatchObject({ code: 'TEMPERATURE_BREACH', rule: 'cold-chain', deviceId: story.reefer!.deviceId, limit: 7 });
    expect(finding.durationS).toBeGreaterThan(1800);
    expect(payload.subject).toBe(canonicalIdentifier(story.container));
    // Everything inside at the time: the pallet, its cases and every pack.
    for (const id of [story.pallet, ...story.cases, ...story.packs]) expect(payload.containedItems).toContain(canonicalIdentifier(id));
    // Signed by an authority, at the instant the breach was established (not the wall clock).
    const state = rig.temp.node.state(CONSORTIUM);
    expect(state.isAuthorityKey(breach.record.signer)).toBe(true);
    expect(Date.parse(breach.record.signedAt) - Date.parse(finding.from)).toBeGreaterThan(1800_000);
    expect(Date.parse(breach.record.signedAt)).toBeLessThan(Date.now() - 24 * 3600_000);
    // The rule set it cites is on chain.
    const published = await records(rig.temp, RecordKind.RULESET_PUBLISH);
    expect(published.map((p) => (p.record.payload as { hash: string }).hash)).toContain(payload.ruleSet.hash);
    expect(payload.ruleSet).toEqual({ id: DEFAULT_RULESET.id, version: DEFAULT_RULESET.version, hash: ruleSetHash(DEFAULT_RULESET) });

    // Lineage: the pack's trace and the container's cargo lineage carry the breach as a warning.
    const token = (await issueApiToken(rig.temp.db, CONSORTIUM, 'fsa', 'test')).token;
    const gql = async (query: string) => {
      const res = await fetch(`${rig!.base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
      return ((await res.json()) as { data: Record<string, Record<string, unknown>> }).data;
    };
    const traced = await gql(`{ trace(consortium: "${CONSORTIUM}", id: "${story.packs[0]}", direction: UPSTREAM) { __typename ... on LineageTrace { verdict hops { status warnings { code details } } } } }`);
    const trace = traced.trace as { verdict: string; hops: { status: string; warnings: { code: string; details: { recordHash?: string } }[] }[] };
    expect(trace.verdict).toBe('WARNING');
    const flagged = trace.hops.flatMap((h) => h.warnings).filter((w) => w.code === 'COLD_CHAIN_BREACH');
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.every((w) => w.details.recordHash === breach.hash)).toBe(true);
    const cargo = (await gql(`{ cargoLineage(consortium: "${CONSORTIUM}", containerId: "${story.container}") { __typename ... on CargoLineage { verdict temperatureExcursions } } }`)).cargoLineage as {
      verdict: string;
      temperatureExcursions: { recordHash: string }[];
    };
    expect(cargo.verdict).toBe('WARNING');
    expect(cargo.temperatureExcursions.map((e) => e.recordHash)).toEqual([breach.hash]);

    // Re-evaluating the window makes the same record: a duplicate.
    const again = await rig.monitor.evaluateWindow(CONSORTIUM, payload.sensorWindow);
    expect(again.breaches.map((b) => [b.status, b.recordHash])).toEqual([['duplicate', breach.hash]]);

    // Restart: the new monitor's catch-up re-evaluates the sealed windows; still one breach.
    rig = rigOf(await rig.temp.reopen());
    await rig.monitor.idle();
    expect(rig.monitor.stats()).toMatchObject({ breachesRecorded: 0, duplicates: 1, errors: 0 });
    const after = await records(rig.temp, RecordKind.COLD_CHAIN_BREACH);
    expect(after.map((b) => b.hash)).toEqual([breach.hash]);
    expect(recordHash(after[0]!.record)).toBe(breach.hash);
    // The rule set is not published twice either.
    expect(await records(rig.temp, RecordKind.RULESET_PUBLISH)).toHaveLength(1);
  }, 120_000);

  it('with no fault there is no breach', async () => {
    rig = await startRig();
    const run = await reefer(rig, {});
    await settle(rig, run.deviceId, run.published);
    expect(rig.monitor.stats()).toMatchObject({ skipped: 0, errors: 0, breachesRecorded: 0 });
    expect(rig.monitor.stats().windows).toBeGreaterThan(0);
    expect(await records(rig.temp, RecordKind.COLD_CHAIN_BREACH)).toHaveLength(0);
  }, 60_000);

  it('an excursion shorter than the allowed time is not a breach; a door opened on the road is', async () => {
    rig = await startRig();
    const run = await reefer(rig, { excursion: { startMinute: 30, durationMinutes: 20 }, doorOpening: { atMinute: 80, durationMinutes: 4 } });
    await settle(rig, run.deviceId, run.published);
    await waitFor('the breach sealed', async () => (await records(rig!.temp, RecordKind.COLD_CHAIN_BREACH)).every((b) => b.blockHeight !== null));
    const breaches = await records(rig.temp, RecordKind.COLD_CHAIN_BREACH);
    expect(breaches.map((b) => (b.record.payload as { finding: { code: string } }).finding.code)).toEqual(['DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION']);
    expect(breaches[0]!.record.signedAt).toBe('2026-03-02T07:20:00.000Z');
  }, 60_000);

  it('a dropped connection loses no reading: every seq is stored and windowed', async () => {
    rig = await startRig();
    const run = await reefer(rig, { dropConnection: { afterReadings: 100, offlineMs: 700 } }, { legMinutes: 60 });
    expect(run.reconnects).toBeGreaterThanOrEqual(1);
    await settle(rig, run.deviceId, run.published);
    const rows = await rig.temp.db.deviceReading.findMany({ where: { consortiumId: CONSORTIUM, deviceId: run.deviceId }, select: { seq: true }, orderBy: { seq: 'asc' } });
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: run.published }, (_, i) => i + 1));
    expect(rig.iot.stats().gaps).toBe(0);
  }, 60_000);

  it('a device clock running ahead beyond the tolerance is flagged: counted, reported on its status topic and in its window records', async () => {
    const toleranceMs = 8_000;
    rig = await startRig(toleranceMs);
    const statuses: { status: string; reason: string; seq: number; aheadMs: number }[] = [];
    // Only the device itself may read its status topic: register it here, so the watcher can log in as it.
    const deviceKey = generateKeyPair('ed25519');
    const owner = { orgId: 'swift-haulage', key: rig.temp.demo.orgKeys.get('swift-haulage')! };
    await registerReefer({ baseUrl: rig.base, consortium: CONSORTIUM, owner, deviceId: 'reefer-drift/probe-1', deviceKey, attributes: { container: CONTAINER, category: 'chilled-red-meat' } });
    const watcher = await mqtt.connectAsync(rig.mqttUrl, { clientId: 'drift-watcher', protocolVersion: 4, ...deviceLogin('reefer-drift/probe-1', deviceKey) });
    watcher.on('message', (_topic, payload) => statuses.push(JSON.parse(payload.toString()) as (typeof statuses)[number]));
    await watcher.subscribeAsync(statusTopic(CONSORTIUM, 'reefer-drift/probe-1'), { qos: 0 });
    try {
      // Live time, one sample every 25 ms; the unit's clock gains 30 s per real second.
      const run = await reefer(rig, { clockDrift: { msPerHour: 30_000 * 3600 } }, { clock: 'live', legMinutes: 1, sampleEverySeconds: 2, paceMs: 25, deviceId: 'reefer-drift/probe-1', deviceKey, register: false });
      await waitFor('every reading stored', async () => (await rig!.iot.ingestor.store.count(CONSORTIUM, run.deviceId)) === run.published);
      const rows = await rig.temp.db.deviceReading.findMany({ where: { consortiumId: CONSORTIUM, deviceId: run.deviceId }, orderBy: { seq: 'asc' } });
      const skew = rows.map((r) => Date.parse(r.observedAt) - Date.parse(r.receivedAt));
      expect(skew[0]!).toBeLessThan(2_000);
      expect(skew[skew.length - 1]!).toBeGreaterThan(toleranceMs + 5_000);
      const ahead = rows.filter((_, i) => skew[i]! > toleranceMs).map((r) => r.seq);
      expect(ahead.length).toBeGreaterThan(0);
      expect(ahead.length).toBeLessThan(rows.length);
      // Accepted (they are genuinely signed) but not silently: counted, one status message each.
      expect(rig.iot.stats()).toMatchObject({ accepted: rows.length, clockAhead: ahead.length });
      expect(rig.iot.stats().rejected).toEqual({ unknown_device: 0, revoked_device: 0, bad_signature: 0, replay: 0, malformed: 0 });
      await waitFor('a status message per flagged reading', () => statuses.length >= ahead.length);
      expect(statuses.map((m) => [m.status, m.reason, m.seq])).toEqual(ahead.map((seq) => ['flagged', 'clock_ahead', seq]));
      expect(statuses.every((m) => m.aheadMs > toleranceMs)).toBe(true);
      // The window records say which readings were flagged, and nothing more.
      await rig.iot.flush(true);
      const windows = (await records(rig.temp, RecordKind.SENSOR_WINDOW))
        .map((w) => w.record.payload as unknown as SensorWindowPayload)
        .filter((p) => p.deviceId === run.deviceId);
      expect(windows.reduce((n, p) => n + p.count, 0)).toBe(rows.length);
      const flaggedSeqs = windows.flatMap((p) => (p.clockAhead?.seqs ?? []).flatMap((g) => Array.from({ length: g.to - g.from + 1 }, (_, i) => g.from + i)));
      expect(flaggedSeqs).toEqual(ahead);
      expect(windows.reduce((n, p) => n + (p.clockAhead?.count ?? 0), 0)).toBe(ahead.length);
      expect(Math.max(...windows.map((p) => p.clockAhead?.maxAheadMs ?? 0))).toBe(Math.max(...skew));
      // The readings are stored as the device signed them.
      expect((JSON.parse(rows[rows.length - 1]!.body) as Reading).observedAt).toBe(rows[rows.length - 1]!.observedAt);
    } finally {
      await watcher.endAsync();
    }
  }, 60_000);
});
