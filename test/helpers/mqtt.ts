/** MQTT for tests: devices (register, sign and publish readings), waiting, free ports, and a Mosquitto broker. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { encodePublicKey, generateKeyPair, type KeyAlgorithm, type KeyPair } from '../../src/core/crypto/index.js';
import { RecordKind, signRecord } from '../../src/core/ledger/record.js';
import { deviceMqttCredentials, readingsTopic, signReading, type Reading, type ReadingMessage } from '../../src/transport/mqtt/index.js';
import type { TestNode } from './test-node.js';

export const CONSORTIUM = 'uk-red-meat';

export async function registerDevice(temp: TestNode, deviceId: string, alg: KeyAlgorithm, owner = 'swift-haulage'): Promise<KeyPair> {
  const key = generateKeyPair(alg);
  const record = signRecord(
    { consortium: CONSORTIUM, kind: RecordKind.DEVICE_REGISTER, payload: { deviceId, publicKey: encodePublicKey(key.publicKey), kind: 'sensor', attributes: { container: 'MSKU1234565' } } },
    temp.demo.orgKeys.get(owner)!,
  );
  const [outcome] = await temp.node.submit(CONSORTIUM, [record]);
  if (outcome?.status !== 'accepted') throw new Error(`device.register failed: ${JSON.stringify(outcome)}`);
  await temp.node.sealNow(CONSORTIUM);
  return key;
}

export async function revokeDevice(temp: TestNode, deviceId: string, owner = 'swift-haulage'): Promise<void> {
  const record = signRecord({ consortium: CONSORTIUM, kind: RecordKind.DEVICE_REVOKE, payload: { deviceId, reason: 'probe replaced' } }, temp.demo.orgKeys.get(owner)!);
  const [outcome] = await temp.node.submit(CONSORTIUM, [record]);
  if (outcome?.status !== 'accepted') throw new Error(`device.revoke failed: ${JSON.stringify(outcome)}`);
  await temp.node.sealNow(CONSORTIUM);
}

const BASE = Date.parse('2026-11-21T06:00:00.000Z');

export function reading(deviceId: string, seq: number, over: Partial<Reading> = {}): Reading {
  return {
    v: 1,
    consortium: CONSORTIUM,
    deviceId,
    seq,
    observedAt: new Date(BASE + seq * 1000).toISOString(),
    type: 'temperature',
    value: 1 + (seq % 7) / 2,
    uom: 'CEL',
    subject: 'urn:epc:id:sscc:5012345.0000000017',
    ...over,
  };
}

export function signed(deviceId: string, seq: number, key: KeyPair, over: Partial<Reading> = {}): ReadingMessage {
  // JSON round trip drops fields set to undefined (JCS has no undefined).
  return signReading(JSON.parse(JSON.stringify(reading(deviceId, seq, over))) as Reading, key);
}

/** A device's MQTT username and password (docs/mqtt.md), signed by its key for an hour. */
export function deviceLogin(deviceId: string, key: KeyPair, consortium = CONSORTIUM): { username: string; password: string } {
  const { username, password } = deviceMqttCredentials({ consortium, deviceId, key });
  return { username, password };
}

/** An MQTT 3.1.1 device connection with a persistent session, logged in as the device given. */
export async function connectDevice(url: string, clientId: string, device?: { deviceId: string; key: KeyPair }): Promise<MqttClient> {
  const login = device ? deviceLogin(device.deviceId, device.key) : {};
  return mqtt.connectAsync(url, { clientId, clean: false, reconnectPeriod: 100, protocolVersion: 4, ...login });
}

export function publishReading(client: MqttClient, message: ReadingMessage, topic = readingsTopic(message.reading.consortium, message.reading.deviceId)): Promise<unknown> {
  return client.publishAsync(topic, JSON.stringify(message), { qos: 1 });
}

export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Device access as docs/mqtt.md configures it: a password file (users and passwords given here,
 * hashed by mosquitto_passwd), an ACL file and no retained messages. Without it, anyone may connect.
 */
export interface MosquittoAccess {
  users: Record<string, string>;
  acl: string;
}

/** Mosquitto with on-disk persistence (docs/mqtt.md), on a free port, restartable on the same store. */
export class Mosquitto {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-mosquitto-'));
  readonly conf = path.join(this.dir, 'mosquitto.conf');
  #proc?: ChildProcess;
  private constructor(
    readonly binary: string,
    readonly port: number,
    access?: MosquittoAccess,
  ) {
    writeFileSync(
      this.conf,
      [
        `listener ${port} 127.0.0.1`,
        ...(access ? this.#accessConfig(access) : ['allow_anonymous true']),
        // Run as root, mosquitto drops to user "mosquitto", which cannot write our temp dir.
        `user ${os.userInfo().username}`,
        'persistence true',
        `persistence_location ${this.dir}/`,
        'autosave_interval 1',
        'autosave_on_changes false',
        'max_queued_messages 100000',
        'max_inflight_messages 100',
        'log_dest stderr',
        'log_type error',
        '',
      ].join('\n'),
    );
  }

  #accessConfig(access: MosquittoAccess): string[] {
    const passwords = path.join(this.dir, 'passwords');
    const acl = path.join(this.dir, 'acl');
    writeFileSync(passwords, '', { mode: 0o600 });
    for (const [user, password] of Object.entries(access.users)) {
      const run = spawnSync('mosquitto_passwd', ['-b', passwords, user, password]);
      if (run.error || run.status !== 0) throw new Error(`mosquitto_passwd failed for ${user}: ${run.error?.message ?? run.stderr.toString()}`);
    }
    writeFileSync(acl, access.acl);
    return ['allow_anonymous false', `password_file ${passwords}`, `acl_file ${acl}`, 'retain_available false'];
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** The running broker's process id (for CPU accounting in the bench). */
  get pid(): number | undefined {
    return this.#proc?.exitCode === null ? this.#proc.pid : undefined;
  }

  static async start(access?: MosquittoAccess): Promise<Mosquitto> {
    const binary = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => spawnSync(p, ['-h']).error === undefined);
    if (!binary) {
      throw new Error('mosquitto is not installed: the MQTT e2e tests need it (apt-get install -y mosquitto); .ci/run installs it');
    }
    const m = new Mosquitto(binary, await freePort(), access);
    await m.startProcess();
    return m;
  }

  async startProcess(): Promise<void> {
    const proc = spawn(this.binary, ['-c', this.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    this.#proc = proc;
    await waitFor(
      `mosquitto on port ${this.port}`,
      () =>
        new Promise<boolean>((resolve) => {
          if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}): ${stderr}`);
          const socket = net.connect(this.port, '127.0.0.1');
          socket.once('connect', () => (socket.destroy(), resolve(true)));
          socket.once('error', () => resolve(false));
        }),
      5000,
    );
  }

  /** SIGTERM: mosquitto writes its persistence file, then exits. */
  async stopProcess(): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  }

  async destroy(): Promise<void> {
    await this.stopProcess();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
