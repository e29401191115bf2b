/**
 * Real MQTT: devices publish signed readings with QoS 1 over the embedded aedes broker
 * and over Mosquitto; readings are stored, windowed into sealed sensor.window records and provable.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { generateKeyPair } from '../../../src/core/crypto/index.js';
import { RecordKind, type SignedRecord } from '../../../src/core/ledger/record.js';
import {
  readingsTopic,
  statusTopic,
  readingsRoot,
  verifyReading,
  verifyReadingProof,
  type IotHandle,
  type Reading,
  type ReadingMessage,
  type SensorWindowPayload,
} from '../../../src/transport/mqtt/index.js';
import { startTestNode, type MqttOptions, type TestNode } from '../../helpers/test-node.js';
import { CONSORTIUM, Mosquitto, connectDevice, publishReading, registerDevice, revokeDevice, signed, waitFor } from '../../helpers/mqtt.js';


interface Rig {
  temp: TestNode;
  iot: IotHandle;
  url: string;
  mosquitto?: Mosquitto;
  clients: MqttClient[];
}

/** Ingestion as these tests run it: ten readings a window, flushed by the tests; on Mosquitto when given, else the embedded broker on `port`. */
function ingestion(mosquitto?: Mosquitto, port = 0): MqttOptions {
  return { brokerUrl: mosquitto?.url, embeddedPort: port, clientId: 'provenant-node-e2e', windowMs: 60_000, windowMaxReadings: 10, flushIntervalMs: 0 };
}

function processed(iot: IotHandle): number {
  const { accepted, rejected } = iot.stats();
  return accepted + Object.values(rejected).reduce((a, b) => a + b, 0);
}

async function sealedWindows(temp: TestNode): Promise<{ hash: string; blockHeight: number | null; record: SignedRecord }[]> {
  const rows = await temp.db.ledgerRecord.findMany({ where: { consortiumId: CONSORTIUM, kind: RecordKind.SENSOR_WINDOW }, orderBy: { logIndex: 'asc' } });
  return rows.map((r) => ({ hash: r.hash, blockHeight: r.blockHeight, record: JSON.parse(r.body) as SignedRecord }));
}

/**
 * Each window record covers exactly the stored readings that point at it: same count and seq
 * range, and its readingsRoot recomputed from their stored bodies (the flusher builds windows from
 * memory, so this checks the memory against the store). Returns the readings windowed.
 */
async function expectWindowsMatchStore(temp: TestNode): Promise<number> {
  let windowed = 0;
  for (const w of await sealedWindows(temp)) {
    const payload = w.record.payload as unknown as SensorWindowPayload;
    const rows = await temp.db.deviceReading.findMany({ where: { windowRecordHash: w.hash }, orderBy: { seq: 'asc' } });
    expect(rows.map((r) => r.deviceId)).toEqual(rows.map(() => payload.deviceId));
    expect([rows.length, rows[0]?.seq, rows[rows.length - 1]?.seq]).toEqual([payload.count, payload.firstSeq, payload.lastSeq]);
    expect(Buffer.from(readingsRoot(rows.map((r) => JSON.parse(r.body) as Reading))).toString('hex')).toBe(payload.readingsRoot);
    windowed += rows.length;
  }
  return windowed;
}

/** A fresh node, broker and ingestion per test; the returned getter gives the current rig. */
function useFreshRig(transport: 'embedded' | 'mosquitto'): () => Rig {
  let rig: Rig;
  beforeEach(async () => {
    const mosquitto = transport === 'mosquitto' ? await Mosquitto.start() : undefined;
    const temp = await startTestNode({ mqtt: ingestion(mosquitto) });
    rig = { temp, iot: temp.iot!, url: temp.mqttUrl, mosquitto, clients: [] };
  });
  afterEach(async () => {
    for (const c of rig.clients) await c.endAsync(true);
    await rig.temp.destroy();
    await rig.mosquitto?.destroy();
  });
  return () => rig;
}

describe.each(['embedded', 'mosquitto'] as const)('MQTT ingestion over %s', (transport) => {
  const current = useFreshRig(transport);
  let rig: Rig;
  beforeEach(() => {
    rig = current();
  });

  it('stores signed readings, seals sensor.window records and proves each reading', async () => {
    const probe = await registerDevice(rig.temp, 'reefer-7/probe-1', 'ed25519');
    const door = await registerDevice(rig.temp, 'reefer-7/door', 'p256');
    const device = await connectDevice(rig.url, `dev-${transport}-1`, { deviceId: 'reefer-7/probe-1', key: probe });
    const doorUnit = await connectDevice(rig.url, `dev-${transport}-1-door`, { deviceId: 'reefer-7/door', key: door });
    rig.clients.push(device, doorUnit);
    // 25 temperature readings with seq 13 never sent (a gap), and 4 p256 door readings.
    const seqs = Array.from({ length: 25 }, (_, i) => i + 1).filter((s) => s !== 13);
    await Promise.all(seqs.map((s) => publishReading(device, signed('reefer-7/probe-1', s, probe))));
    await Promise.all([1, 2, 3, 4].map((s) => publishReading(doorUnit, signed('reefer-7/door', s, door, { type: 'door', value: s === 2, uom: undefined }))));

    // Embedded: the device's PUBACK means stored. Mosquitto acknowledges on receipt and the node
    // stores when the broker delivers, so there we wait.
    if (transport === 'mosquitto') await waitFor('28 readings stored', async () => (await rig.iot.ingestor.store.count(CONSORTIUM)) === 28);
    expect(await rig.iot.ingestor.store.count(CONSORTIUM)).toBe(28);
    expect(rig.iot.stats()).toMatchObject({ accepted: 28, gaps: 1 });

    // Full windows were already submitted during ingestion (and, on a slow machine, the timed flush
    // may have closed partial ones too); force closes whatever is left, so every reading is windowed.
    await rig.iot.flush(true);
    await rig.temp.node.sealNow(CONSORTIUM);
    const windows = await sealedWindows(rig.temp);
    expect(windows.length).toBe(rig.iot.stats().windows);
    expect(windows.every((w) => w.blockHeight !== null)).toBe(true);
    const payloads = windows.map((w) => w.record.payload as unknown as SensorWindowPayload);
    expect(payloads.reduce((n, p) => n + p.count, 0)).toBe(28);
    const probeWindows = payloads.filter((p) => p.deviceId === 'reefer-7/probe-1');
    // windowMaxReadings 10: no window is larger, together they cover every reading once, in seq order.
    expect(probeWindows.every((p) => p.count <= 10)).toBe(true);
    expect(probeWindows.reduce((n, p) => n + p.count, 0)).toBe(24);
    probeWindows.slice(1).forEach((p, i) => expect(p.firstSeq).toBeGreaterThan(probeWindows[i]!.lastSeq));
    expect(probeWindows[0]!.firstSeq).toBe(1);
    expect(probeWindows[probeWindows.length - 1]!.lastSeq).toBe(25);
    expect(probeWindows.flatMap((p) => p.gaps)).toEqual([{ from: 13, to: 13 }]);
    expect(probeWindows.find((p) => p.gaps.length > 0)!.firstSeq).toBeLessThanOrEqual(14);
    expect(windows[0]!.record.signer).toBe(rig.temp.demo.orgKeys.get('swift-haulage')!.keyId);
    const doorWindow = payloads.find((p) => p.deviceId === 'reefer-7/door')!;
    const event = doorWindow.event as { action: string; sensorElementList: { sensorReport: { booleanValue?: boolean }[] }[] };
    expect(event.action).toBe('OBSERVE');
    expect(event.sensorElementList[0]!.sensorReport[0]!.booleanValue).toBe(true);

    for (const [deviceId, seq, key] of [['reefer-7/probe-1', 14, probe], ['reefer-7/probe-1', 25, probe], ['reefer-7/door', 3, door]] as const) {
      const proof = await rig.iot.readingProof(deviceId, seq);
      const window = windows.find((w) => w.hash === proof.windowRecordHash)!;
      const root = (window.record.payload as unknown as SensorWindowPayload).readingsRoot;
      expect(proof.readingsRoot).toBe(root);
      expect(proof.blockHeight).toBe(window.blockHeight);
      expect(() => verifyReadingProof(proof, root)).not.toThrow();
      expect(() => verifyReading({ reading: proof.reading, signature: proof.signature }, key.publicKey)).not.toThrow();
      // A different value under the same proof does not verify.
      expect(() => verifyReadingProof({ ...proof, reading: { ...proof.reading, value: 99 } }, root)).toThrow();
    }
    await expect(rig.iot.readingProof('reefer-7/probe-1', 13)).rejects.toMatchObject({ code: 'READING_NOT_FOUND' });
  });

  it('rejects and counts forged, replayed, out-of-order, unknown, revoked and malformed readings', async () => {
    const probe = await registerDevice(rig.temp, 'reefer-9/probe', 'p256');
    const retired = await registerDevice(rig.temp, 'reefer-9/old-probe', 'ed25519');
    const device = await connectDevice(rig.url, `dev-${transport}-2`, { deviceId: 'reefer-9/probe', key: probe });
    // Connected before its revocation: the broker checks credentials at CONNECT, the ingestor every reading.
    const oldUnit = await connectDevice(rig.url, `dev-${transport}-2-old`, { deviceId: 'reefer-9/old-probe', key: retired });
    rig.clients.push(device, oldUnit);
    const statuses: { reason: string; seq: number | null }[] = [];
    device.on('message', (_topic, payload) => statuses.push(JSON.parse(payload.toString()) as { reason: string; seq: number | null }));
    await device.subscribeAsync(statusTopic(CONSORTIUM, 'reefer-9/probe'), { qos: 0 });

    for (const s of [1, 2, 3, 10]) await publishReading(device, signed('reefer-9/probe', s, probe));
    await publishReading(oldUnit, signed('reefer-9/old-probe', 1, retired));
    await waitFor('5 readings stored', () => rig.iot.stats().accepted === 5);
    await revokeDevice(rig.temp, 'reefer-9/old-probe');

    await publishReading(device, signed('reefer-9/probe', 11, generateKeyPair('p256'))); // forged
    const tampered = signed('reefer-9/probe', 12, probe);
    await publishReading(device, { ...tampered, reading: { ...tampered.reading, value: -40 } }); // forged by tampering
    await publishReading(device, signed('reefer-9/probe', 2, probe)); // replay
    await publishReading(device, signed('reefer-9/probe', 10, probe)); // duplicate
    await publishReading(device, signed('reefer-9/probe', 7, probe)); // out of order (inside the gap)
    const ghost = signed('reefer-9/ghost', 1, generateKeyPair('ed25519')); // unknown
    // The embedded broker refuses an unregistered device at CONNECT (mqtt-access.test.ts), so there
    // the ingestor is handed the message as the broker hands it readings.
    if (transport === 'embedded') await rig.iot.ingestor.ingest(readingsTopic(CONSORTIUM, 'reefer-9/ghost'), Buffer.from(JSON.stringify(ghost)));
    else await publishReading(device, ghost);
    // The embedded broker disconnects a revoked device once its revocation is final (mqtt-access.test.ts),
    // so there its late messages are handed to the ingestor as the broker hands it readings.
    const fromOldUnit = (message: ReadingMessage, topic = readingsTopic(CONSORTIUM, message.reading.deviceId)) =>
      transport === 'embedded' ? rig.iot.ingestor.ingest(topic, Buffer.from(JSON.stringify(message))) : publishReading(oldUnit, message, topic);
    await fromOldUnit(signed('reefer-9/old-probe', 2, retired)); // revoked
    await device.publishAsync(readingsTopic(CONSORTIUM, 'reefer-9/probe'), '{"reading":', { qos: 1 }); // malformed
    await fromOldUnit(signed('reefer-9/probe', 13, probe), readingsTopic(CONSORTIUM, 'reefer-9/old-probe')); // wrong topic

    await waitFor('14 readings judged', () => processed(rig.iot) === 14);
    expect(rig.iot.stats()).toEqual({
      accepted: 5,
      rejected: { unknown_device: 1, revoked_device: 1, bad_signature: 2, replay: 3, malformed: 2 },
      gaps: 1,
      clockAhead: 0,
      windows: 0,
      windowErrors: 0,
    });
    const stored = await rig.temp.db.deviceReading.findMany({ where: { deviceId: 'reefer-9/probe' }, orderBy: { seq: 'asc' } });
    expect(stored.map((r) => [r.seq, r.gapFrom])).toEqual([
      [1, null],
      [2, null],
      [3, null],
      [10, 4],
    ]);
    await waitFor('status messages', () => statuses.length >= 6);
    expect(statuses.map((s) => s.reason).sort()).toEqual(['bad_signature', 'bad_signature', 'malformed', 'replay', 'replay', 'replay']);
  });
});

describe.each(['embedded', 'mosquitto'] as const)('group commit over %s', (transport) => {
  const current = useFreshRig(transport);
  let rig: Rig;
  beforeEach(() => {
    rig = current();
  });

  /**
   * Wraps the store's insert: a slower disk (for the first delayCalls calls, default all), failures
   * on the first failFirst calls, and when each reading was committed.
   */
  function instrumentStore(options: { delayMs: number; failFirst: number; delayCalls?: number }): Map<string, number> {
    const store = rig.iot.ingestor.store;
    const insert = store.insert.bind(store);
    const committedAt = new Map<string, number>();
    let calls = 0;
    store.insert = async (rows) => {
      calls += 1;
      if (calls <= (options.delayCalls ?? Infinity)) await new Promise((r) => setTimeout(r, options.delayMs));
      if (calls <= options.failFirst) throw new Error('simulated disk failure');
      const inserted = await insert(rows);
      const now = performance.now();
      for (const row of rows) committedAt.set(`${row.deviceId}#${row.seq}`, now);
      return inserted;
    };
    return committedAt;
  }

  it('stores readings of many devices in shared transactions, and acknowledges each only after its commit', async () => {
    const devices = await Promise.all(Array.from({ length: 6 }, (_, i) => `reefer-${20 + i}/probe`).map(async (id) => ({ id, key: await registerDevice(rig.temp, id, 'ed25519') })));
    const committedAt = instrumentStore({ delayMs: 100, failFirst: 0 });
    const perDevice = 25;
    const acks: { key: string; at: number }[] = [];
    await Promise.all(
      devices.map(async (d, i) => {
        const client = await connectDevice(rig.url, `dev-${transport}-group-${i}`, { deviceId: d.id, key: d.key });
        rig.clients.push(client);
        await Promise.all(
          Array.from({ length: perDevice }, (_, s) =>
            publishReading(client, signed(d.id, s + 1, d.key)).then(() => acks.push({ key: `${d.id}#${s + 1}`, at: performance.now() })),
          ),
        );
      }),
    );
    const total = devices.length * perDevice;
    await waitFor(`${total} readings stored`, () => rig.iot.stats().accepted === total);
    expect(await rig.iot.ingestor.store.count(CONSORTIUM)).toBe(total);
    const { batches, largestBatch } = rig.iot.ingestor.commitStats();
    // A 100 ms commit makes arrivals queue up: far fewer transactions than readings.
    expect(batches).toBeLessThan(total / 5);
    expect(largestBatch).toBeGreaterThan(perDevice);
    if (transport === 'embedded') {
      // The device's PUBACK comes from the node itself: never before the reading's commit.
      expect(acks).toHaveLength(total);
      for (const ack of acks) expect(ack.at).toBeGreaterThanOrEqual(committedAt.get(ack.key)!);
    }
    await rig.iot.flush(true);
    await rig.temp.node.sealNow(CONSORTIUM);
    const payloads = (await sealedWindows(rig.temp)).map((w) => w.record.payload as unknown as SensorWindowPayload);
    expect(payloads.reduce((n, p) => n + p.count, 0)).toBe(total);
    expect(await expectWindowsMatchStore(rig.temp)).toBe(total);
  });

  it('acknowledges nothing of a failed commit: the readings come again and are stored once', async () => {
    const key = await registerDevice(rig.temp, 'reefer-30/probe', 'p256');
    instrumentStore({ delayMs: 20, failFirst: 2 });
    const device = await connectDevice(rig.url, `dev-${transport}-fail`, { deviceId: 'reefer-30/probe', key });
    rig.clients.push(device);
    const n = 40;
    await Promise.all(Array.from({ length: n }, (_, i) => publishReading(device, signed('reefer-30/probe', i + 1, key))));
    const count = (): Promise<number> => rig.temp.db.deviceReading.count({ where: { deviceId: 'reefer-30/probe' } });
    await waitFor(`${n} readings stored`, async () => (await count()) === n, 20_000);
    const rows = await rig.temp.db.deviceReading.findMany({ where: { deviceId: 'reefer-30/probe' }, select: { seq: true, gapFrom: true } });
    expect(new Set(rows.map((r) => r.seq)).size).toBe(n);
    expect(rows.every((r) => r.gapFrom === null)).toBe(true);
    expect(rig.iot.stats().accepted).toBe(n);
    // Windows made after the failures (the flusher read the store again) cover every reading once.
    await rig.iot.flush(true);
    await rig.temp.node.sealNow(CONSORTIUM);
    expect(await expectWindowsMatchStore(rig.temp)).toBe(n);
  });

  it('after a failed commit, later batches already in flight do not skip the lost readings as a gap', async () => {
    const key = await registerDevice(rig.temp, 'reefer-31/probe', 'ed25519');
    // Only the first transaction fails, while later batches of the same device are already verified.
    // (Devices resend unacknowledged readings one at a time, so later commits are not slowed.)
    instrumentStore({ delayMs: 200, failFirst: 1, delayCalls: 1 });
    const device = await connectDevice(rig.url, `dev-${transport}-fail-pipeline`, { deviceId: 'reefer-31/probe', key });
    rig.clients.push(device);
    const n = 1500;
    await Promise.all(Array.from({ length: n }, (_, i) => publishReading(device, signed('reefer-31/probe', i + 1, key))));
    const count = (): Promise<number> => rig.temp.db.deviceReading.count({ where: { deviceId: 'reefer-31/probe' } });
    await waitFor(`${n} readings stored`, async () => (await count()) === n, 60_000);
    expect(await rig.temp.db.deviceReading.count({ where: { deviceId: 'reefer-31/probe', gapFrom: { not: null } } })).toBe(0);
    expect(rig.iot.stats().gaps).toBe(0);
  }, 90_000);
});

/**
 * Publishes one reading every 2 ms without waiting for acks; the second half waits until the test
 * says the restart has begun (restarting()), so the restart lands mid-stream however loaded the
 * machine is.
 */
function produce(n: number, publish: (i: number) => Promise<unknown>): { acked: Promise<unknown>[]; producing: Promise<void>; restarting: () => void } {
  const acked: Promise<unknown>[] = [];
  let restarting!: () => void;
  const restartBegun = new Promise<void>((resolve) => (restarting = resolve));
  const producing = (async () => {
    for (let i = 0; i < n; i++) {
      if (i === n / 2) await restartBegun;
      acked.push(publish(i));
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return { acked, producing, restarting };
}

describe('restarts with readings in flight', () => {
  const N = 300;

  it('embedded broker: node restart loses nothing and doubles nothing', async () => {
    let temp = await startTestNode();
    const key = await registerDevice(temp, 'truck-3/chiller', 'ed25519');
    let iot = await temp.startMqtt(ingestion());
    const url = temp.mqttUrl;
    const port = iot.port!;
    const device = await connectDevice(url, 'dev-restart-embedded', { deviceId: 'truck-3/chiller', key });
    try {
      const { acked, producing, restarting } = produce(N, (i) => publishReading(device, signed('truck-3/chiller', i + 1, key)));
      await waitFor('some readings stored', () => iot.stats().accepted >= 40);
      const stopping = iot.stop();
      restarting();
      await stopping;
      // The restart really happened with readings in flight.
      expect(iot.stats().accepted).toBeLessThan(N);
      temp = await temp.reopen({ mqtt: ingestion(undefined, port) });
      iot = temp.iot!;
      await producing;
      await Promise.all(acked);
      const rows = await temp.db.deviceReading.findMany({ where: { deviceId: 'truck-3/chiller' }, select: { seq: true } });
      expect(rows.length).toBe(N);
      expect(new Set(rows.map((r) => r.seq)).size).toBe(N);
      await iot.flush(true);
      await temp.node.sealNow(CONSORTIUM);
      expect(iot.stats().windowErrors).toBe(0);
      const payloads = (await sealedWindows(temp)).map((w) => w.record.payload as unknown as SensorWindowPayload);
      expect(payloads.reduce((n, p) => n + p.count, 0)).toBe(N);
      expect(payloads.flatMap((p) => p.gaps)).toEqual([]);
      expect(await expectWindowsMatchStore(temp)).toBe(N);
    } finally {
      await device.endAsync(true);
      await temp.destroy();
    }
  });

  it('mosquitto: node and broker restarts lose nothing and double nothing', async () => {
    const mosquitto = await Mosquitto.start();
    let temp = await startTestNode();
    const key = await registerDevice(temp, 'reefer-12/probe', 'p256');
    let iot = await temp.startMqtt(ingestion(mosquitto));
    const device = await connectDevice(mosquitto.url, 'dev-restart-mosquitto', { deviceId: 'reefer-12/probe', key });
    try {
      const { acked, producing, restarting } = produce(N, (i) => publishReading(device, signed('reefer-12/probe', i + 1, key)));
      await waitFor('some readings stored', () => iot.stats().accepted >= 40);
      // Node goes down mid-stream; the broker acknowledges the rest and queues them for the node's session.
      const stopping = iot.stop();
      restarting();
      await stopping;
      expect(iot.stats().accepted).toBeLessThan(N);
      temp = await temp.reopen();
      await producing;
      await Promise.all(acked);
      // Then the broker restarts from its persistence file.
      await mosquitto.stopProcess();
      await mosquitto.startProcess();
      iot = await temp.startMqtt(ingestion(mosquitto));
      const count = (): Promise<number> => temp.db.deviceReading.count({ where: { deviceId: 'reefer-12/probe' } });
      await waitFor('every reading stored', async () => (await count()) === N, 15_000);
      const rows = await temp.db.deviceReading.findMany({ where: { deviceId: 'reefer-12/probe' }, select: { seq: true } });
      expect(new Set(rows.map((r) => r.seq)).size).toBe(N);
      expect(iot.stats().gaps).toBe(0);
      await iot.flush(true);
      await temp.node.sealNow(CONSORTIUM);
      expect(await expectWindowsMatchStore(temp)).toBe(N);
    } finally {
      await device.endAsync(true);
      await temp.destroy();
      await mosquitto.destroy();
    }
  });
});

