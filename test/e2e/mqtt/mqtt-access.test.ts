/**
 * Device authentication and topic permissions on the embedded broker, with real mqtt.js clients:
 * anonymous and impostor clients are refused at CONNECT, a device publishes only its own readings
 * (never retained), subscribes only to its own status topic, and nothing else is delivered to it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { encodePrivateKey, generateKeyPair, type JsonValue, type KeyPair } from '../../../src/core/crypto/index.js';
import { runCliCaptured } from '../../helpers/cli-run.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { deviceMqttCredentials, readingsTopic, statusTopic } from '../../../src/transport/mqtt/index.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';
import { CONSORTIUM, connectDevice, deviceLogin, publishReading, registerDevice, revokeDevice, signed, waitFor } from '../../helpers/mqtt.js';

let temp: TestNode;
let clients: MqttClient[];
let probe: KeyPair;
let door: KeyPair;

beforeEach(async () => {
  temp = await startTestNode({ mqtt: { flushIntervalMs: 0, verifyWorkers: 0 } });
  clients = [];
  probe = await registerDevice(temp, 'reefer-7/probe-1', 'ed25519');
  door = await registerDevice(temp, 'reefer-7/door', 'p256');
});

afterEach(async () => {
  for (const c of clients) await c.endAsync(true);
  await temp.destroy();
});

/** 'connected', or the CONNACK return code (reason code on MQTT 5) the broker refused with. */
async function tryConnect(options: IClientOptions): Promise<'connected' | number> {
  try {
    const client = await mqtt.connectAsync(temp.mqttUrl, { reconnectPeriod: 0, connectTimeout: 5_000, protocolVersion: 4, ...options });
    clients.push(client);
    return 'connected';
  } catch (err) {
    return (err as { code: number }).code;
  }
}

async function device(clientId: string, deviceId: string, key: KeyPair): Promise<MqttClient> {
  const client = await connectDevice(temp.mqttUrl, clientId, { deviceId, key });
  clients.push(client);
  return client;
}

/** Every message a client receives, by topic. */
function inbox(client: MqttClient): { topic: string; payload: string; retain: boolean }[] {
  const got: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}

/** The QoS the broker granted, or its failure code (0x80: refused). */
async function subscribe(client: MqttClient, filter: string): Promise<number> {
  try {
    const [granted] = await client.subscribeAsync(filter, { qos: 0 });
    return granted!.qos;
  } catch (err) {
    // mqtt.js rejects a refused subscription with the SUBACK packet.
    return (err as { packet: { granted: number[] } }).packet.granted[0]!;
  }
}

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

/** The promise, or a failure naming what did not happen within ms. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))]);
}

async function storedSeqs(deviceId: string): Promise<number[]> {
  const rows = await temp.db.deviceReading.findMany({ where: { deviceId }, select: { seq: true }, orderBy: { seq: 'asc' } });
  return rows.map((r) => r.seq);
}

describe('embedded broker: who may connect', () => {
  it('refuses anonymous clients, impostors, forged, expired, unknown and revoked devices with CONNACK 5, and admits the registered device', async () => {
    const login = deviceLogin('reefer-7/probe-1', probe);
    expect(await tryConnect({ clientId: 'anonymous' })).toBe(5);
    expect(await tryConnect({ clientId: 'no-password', username: 'reefer-7/probe-1' })).toBe(5);
    expect(await tryConnect({ clientId: 'guess', username: 'reefer-7/probe-1', password: 'secret' })).toBe(5);
    // The door unit's own valid credential presented under the probe's name, and a key nobody registered.
    expect(await tryConnect({ clientId: 'impostor', username: 'reefer-7/probe-1', password: deviceLogin('reefer-7/door', door).password })).toBe(5);
    expect(await tryConnect({ clientId: 'forger', ...deviceLogin('reefer-7/probe-1', generateKeyPair('ed25519')) })).toBe(5);
    expect(await tryConnect({ clientId: 'ghost', ...deviceLogin('reefer-7/ghost', generateKeyPair('ed25519')) })).toBe(5);
    const expired = deviceMqttCredentials({ consortium: CONSORTIUM, deviceId: 'reefer-7/probe-1', key: probe, expiresAt: Math.floor(Date.now() / 1000) - 1 });
    expect(await tryConnect({ clientId: 'expired', username: expired.username, password: expired.password })).toBe(5);
    expect(await tryConnect({ clientId: 'probe', ...login })).toBe('connected');

    const retired = await registerDevice(temp, 'reefer-7/old', 'ed25519');
    await revokeDevice(temp, 'reefer-7/old');
    expect(await tryConnect({ clientId: 'revoked', ...deviceLogin('reefer-7/old', retired) })).toBe(5);
    expect(temp.iot!.refusals().connect).toEqual({
      no_credentials: 2,
      malformed_credentials: 1,
      bad_signature: 2,
      unknown_device: 1,
      expired: 1,
      revoked_device: 1,
    });
  });

  it('admits a device with the credential `provenant device-credential` prints from its key file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-device-'));
    try {
      const keyFile = path.join(dir, 'probe.key.json');
      writeFileSync(keyFile, JSON.stringify({ privateKey: encodePrivateKey(probe.privateKey) }));
      const run = await runCliCaptured(['device-credential', '--key', keyFile, '--consortium', CONSORTIUM, '--device', 'reefer-7/probe-1', '--json']);
      expect(run.exitCode).toBe(0);
      const { username, password } = JSON.parse(run.stdout) as { username: string; password: string };
      expect(await tryConnect({ clientId: 'cli-probe', username, password })).toBe('connected');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses MQTT 5 clients (aedes speaks MQTT 3.1.1): CONNACK 1, unacceptable protocol version, before any credential is read', async () => {
    expect(await tryConnect({ clientId: 'v5-probe', protocolVersion: 5, ...deviceLogin('reefer-7/probe-1', probe) })).toBe(1);
    expect(await tryConnect({ clientId: 'v311-probe', protocolVersion: 4, ...deviceLogin('reefer-7/probe-1', probe) })).toBe('connected');
  });
});

describe('embedded broker: topic permissions', () => {
  it("a device posing as another on the other's readings topic is disconnected without PUBACK and nothing is stored", async () => {
    const unit = await device('probe-unit', 'reefer-7/probe-1', probe);
    const gone = closed(unit);
    // A genuinely signed door reading, even: the probe's connection may not carry it.
    unit.publishAsync(readingsTopic(CONSORTIUM, 'reefer-7/door'), JSON.stringify(signed('reefer-7/door', 1, door)), { qos: 1 }).catch(() => undefined);
    await gone;
    expect(await storedSeqs('reefer-7/door')).toEqual([]);
    expect(temp.iot!.stats().accepted + Object.values(temp.iot!.stats().rejected).reduce((a, b) => a + b, 0)).toBe(0);
    expect(temp.iot!.refusals().publish).toEqual({ not_own_readings_topic: 1 });
    // On its own topic it is stored as usual.
    const again = await device('probe-unit-2', 'reefer-7/probe-1', probe);
    await publishReading(again, signed('reefer-7/probe-1', 1, probe));
    expect(await storedSeqs('reefer-7/probe-1')).toEqual([1]);
  });

  it('a device may not publish on status topics, its own included', async () => {
    const unit = await device('probe-unit', 'reefer-7/probe-1', probe);
    const gone = closed(unit);
    unit.publishAsync(statusTopic(CONSORTIUM, 'reefer-7/probe-1'), '{"status":"rejected","reason":"forged"}', { qos: 1 }).catch(() => undefined);
    await gone;
    expect(temp.iot!.refusals().publish).toEqual({ not_own_readings_topic: 1 });
  });

  it('retained publishes on readings topics are refused: not stored as a reading, not kept, not replayed', async () => {
    const unit = await device('probe-unit', 'reefer-7/probe-1', probe);
    const gone = closed(unit);
    unit.publishAsync(readingsTopic(CONSORTIUM, 'reefer-7/probe-1'), JSON.stringify(signed('reefer-7/probe-1', 1, probe)), { qos: 1, retain: true }).catch(() => undefined);
    await gone;
    expect(await storedSeqs('reefer-7/probe-1')).toEqual([]);
    expect(temp.iot!.refusals().publish).toEqual({ retained: 1 });
    // A device connecting afterwards and subscribing to everything it may is sent nothing retained.
    const later = await device('probe-unit-later', 'reefer-7/probe-1', probe);
    const got = inbox(later);
    expect(await subscribe(later, statusTopic(CONSORTIUM, 'reefer-7/probe-1'))).toBe(0);
    expect(await subscribe(later, readingsTopic(CONSORTIUM, 'reefer-7/probe-1'))).toBe(128);
    await publishReading(later, signed('reefer-7/probe-1', 2, probe));
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([]);
  });

  it("refuses subscriptions to other devices' topics, wildcards and $SYS (SUBACK 0x80), and delivers a device only its own status", async () => {
    const snoop = await device('snooping-probe', 'reefer-7/probe-1', probe);
    const seen = inbox(snoop);
    const filters = ['#', '$SYS/#', 'provenant/+/devices/#', `provenant/${CONSORTIUM}/devices/+/status`, statusTopic(CONSORTIUM, 'reefer-7/door'), readingsTopic(CONSORTIUM, 'reefer-7/door')];
    for (const filter of filters) expect(await subscribe(snoop, filter), filter).toBe(128);
    expect(await subscribe(snoop, statusTopic(CONSORTIUM, 'reefer-7/probe-1'))).toBe(0);

    // The door unit publishes a good and a forged reading, and is told about the forged one; a new
    // client connecting makes aedes publish on $SYS.
    const doorUnit = await device('door-unit', 'reefer-7/door', door);
    const doorSeen = inbox(doorUnit);
    await doorUnit.subscribeAsync(statusTopic(CONSORTIUM, 'reefer-7/door'), { qos: 0 });
    await publishReading(doorUnit, signed('reefer-7/door', 1, door, { type: 'door', value: true, uom: undefined }));
    await publishReading(doorUnit, signed('reefer-7/door', 2, generateKeyPair('p256'), { type: 'door', value: false, uom: undefined }));
    // The probe's own forged reading: it hears the verdict, never the reading.
    await publishReading(snoop, signed('reefer-7/probe-1', 1, generateKeyPair('ed25519')));
    await waitFor('both verdicts', () => doorSeen.length >= 1 && seen.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.map((m) => [m.topic, (JSON.parse(m.payload) as { reason: string }).reason])).toEqual([[statusTopic(CONSORTIUM, 'reefer-7/probe-1'), 'bad_signature']]);
    expect(doorSeen.map((m) => [m.topic, (JSON.parse(m.payload) as { reason: string }).reason])).toEqual([[statusTopic(CONSORTIUM, 'reefer-7/door'), 'bad_signature']]);
    expect(temp.iot!.refusals().subscribe).toEqual({ wildcard: 3, system_topic: 1, not_own_status_topic: 2 });
  });
});

/** Governance: the demo's authorities propose and approve removing an organisation from the consortium. */
async function removeOrg(orgId: string): Promise<void> {
  const sign = (by: string, kind: RecordKind, payload: JsonValue) => signRecord({ consortium: CONSORTIUM, kind, payload }, temp.demo.orgKeys.get(by)!);
  const [proposed] = await temp.node.submit(CONSORTIUM, [sign('fsa', RecordKind.PROPOSAL, { change: { type: 'org.remove', orgId } })]);
  if (proposed?.status !== 'accepted') throw new Error(`proposal failed: ${JSON.stringify(proposed)}`);
  for (const by of ['hmrc', 'riverside-retail', 'port-felixstowe']) {
    if (temp.node.state(CONSORTIUM).orgs.get(orgId)?.status !== 'active') break;
    const [approved] = await temp.node.submit(CONSORTIUM, [sign(by, RecordKind.APPROVAL, { proposal: proposed.recordHash })]);
    if (approved?.status !== 'accepted') throw new Error(`approval failed: ${JSON.stringify(approved)}`);
  }
  await temp.node.sealNow(CONSORTIUM);
}

describe('embedded broker: a device losing its standing while connected', () => {
  it('a device revoked while connected is disconnected once the revocation is final, and its reconnection is refused', async () => {
    const unit = await connectDevice(temp.mqttUrl, 'probe-unit', { deviceId: 'reefer-7/probe-1', key: probe });
    clients.push(unit);
    const doorUnit = await device('door-unit', 'reefer-7/door', door);
    const refusedAgain = new Promise<number>((resolve) => unit.once('error', (err) => resolve((err as { code: number }).code)));
    await publishReading(unit, signed('reefer-7/probe-1', 1, probe));
    const gone = closed(unit);
    await revokeDevice(temp, 'reefer-7/probe-1');
    await within(5_000, 'the revoked device being disconnected', gone);
    // mqtt.js reconnects on its own (reconnectPeriod 100 ms) with the same, still unexpired credential: CONNACK 5.
    expect(await within(5_000, 'the reconnection being refused', refusedAgain)).toBe(5);
    expect(await tryConnect({ clientId: 'probe-again', ...deviceLogin('reefer-7/probe-1', probe) })).toBe(5);
    expect(temp.iot!.refusals().session).toEqual({ revoked_device: 1 });
    // The other device of the same owner keeps its session and is still heard.
    expect(doorUnit.connected).toBe(true);
    await publishReading(doorUnit, signed('reefer-7/door', 1, door, { type: 'door', value: true, uom: undefined }));
    expect(await storedSeqs('reefer-7/door')).toEqual([1]);
    expect(await storedSeqs('reefer-7/probe-1')).toEqual([1]);
  });

  it("every device of an organisation that leaves the consortium is disconnected and refused, and its readings are rejected", async () => {
    const unit = await device('probe-unit', 'reefer-7/probe-1', probe);
    const doorUnit = await device('door-unit', 'reefer-7/door', door);
    const both = Promise.all([closed(unit), closed(doorUnit)]);
    await removeOrg('swift-haulage');
    await within(5_000, "the leaving organisation's devices being disconnected", both);
    expect(temp.iot!.refusals().session).toEqual({ revoked_device: 2 });
    expect(await tryConnect({ clientId: 'probe-again', ...deviceLogin('reefer-7/probe-1', probe) })).toBe(5);
    expect(temp.iot!.refusals().connect).toEqual({ revoked_device: 1 });
    // Readings reaching the node some other way (an external broker) are rejected as well.
    const outcome = await temp.iot!.ingestor.ingest(readingsTopic(CONSORTIUM, 'reefer-7/door'), Buffer.from(JSON.stringify(signed('reefer-7/door', 1, door))));
    expect(outcome).toMatchObject({ status: 'rejected', reason: 'revoked_device' });
    expect(await storedSeqs('reefer-7/door')).toEqual([]);
  });
});
