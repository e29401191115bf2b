/**
 * The Mosquitto configuration docs/mqtt.md gives (password file, ACL patterns, no retained
 * messages) enforces the embedded broker's device rules when the node runs against Mosquitto.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import { deviceMqttCredentials, readingsTopic, statusTopic } from '../../../src/transport/mqtt/index.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';
import { CONSORTIUM, Mosquitto, publishReading, registerDevice, signed, waitFor } from '../../helpers/mqtt.js';

/** The ACL file of docs/mqtt.md, word for word. */
const ACL = `# the node: reads every device's readings, writes their status
user provenant-node
topic read provenant/+/devices/#
topic write provenant/+/devices/#

# devices (username = device id): own readings out, own status in, nothing else
pattern write provenant/+/devices/%u/readings
pattern read provenant/+/devices/%u/status
`;

let mosquitto: Mosquitto;
let temp: TestNode;
const clients: MqttClient[] = [];
let probe: KeyPair;
let door: KeyPair;
/** The passwords the password file holds, by device. */
const passwords: Record<string, string> = {};

/** A credential the password file can hold: signed by the device, valid for a year. */
function longLived(deviceId: string, key: KeyPair): string {
  return deviceMqttCredentials({ consortium: CONSORTIUM, deviceId, key, expiresAt: Math.floor(Date.now() / 1000) + 365 * 86_400 }).password;
}

beforeAll(async () => {
  temp = await startTestNode();
  probe = await registerDevice(temp, 'reefer-7/probe-1', 'ed25519');
  door = await registerDevice(temp, 'reefer-7/door', 'p256');
  mosquitto = await Mosquitto.start({
    users: {
      'provenant-node': 'node-secret',
      'reefer-7/probe-1': (passwords['reefer-7/probe-1'] = longLived('reefer-7/probe-1', probe)),
      'reefer-7/door': (passwords['reefer-7/door'] = longLived('reefer-7/door', door)),
    },
    acl: ACL,
  });
  // The node's own client logs in through the broker URL.
  const brokerUrl = `mqtt://provenant-node:node-secret@127.0.0.1:${mosquitto.port}`;
  await temp.startMqtt({ brokerUrl, clientId: 'provenant-node-acl', flushIntervalMs: 0, verifyWorkers: 0 });
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  await temp?.destroy();
  await mosquitto?.destroy();
});

async function login(clientId: string, username: string, password: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(mosquitto.url, { clientId, username, password, protocolVersion: 4, reconnectPeriod: 0 });
  clients.push(client);
  return client;
}

describe('Mosquitto with the documented password file and ACL', () => {
  it('refuses anonymous clients and wrong passwords', async () => {
    const refused = async (options: { username?: string; password?: string }) =>
      mqtt.connectAsync(mosquitto.url, { clientId: `refused-${clients.length}`, protocolVersion: 4, reconnectPeriod: 0, ...options }).then(
        (c) => (clients.push(c), 'connected'),
        (err: { code: number }) => err.code,
      );
    expect(await refused({})).toBe(5);
    expect(await refused({ username: 'reefer-7/probe-1', password: longLived('reefer-7/probe-1', generateKeyPair('ed25519')) })).toBe(5);
  });

  it("a device's readings reach the node only from its own login; other topics, wildcards, $SYS and retained publishes get it nothing", async () => {
    const probeKey = probe;
    const probeUnit = await login('probe-unit', 'reefer-7/probe-1', passwords['reefer-7/probe-1']!);
    const doorUnit = await login('door-unit', 'reefer-7/door', passwords['reefer-7/door']!);
    const probeSeen: string[] = [];
    const doorSeen: string[] = [];
    probeUnit.on('message', (topic) => probeSeen.push(topic));
    doorUnit.on('message', (topic) => doorSeen.push(topic));
    await probeUnit.subscribeAsync(statusTopic(CONSORTIUM, 'reefer-7/probe-1'), { qos: 0 });
    // Mosquitto grants these but delivers nothing the ACL does not let the door unit read.
    for (const filter of ['#', '$SYS/#', 'provenant/+/devices/#', statusTopic(CONSORTIUM, 'reefer-7/probe-1')]) await doorUnit.subscribeAsync(filter, { qos: 0 });

    // The door unit publishes the probe's genuinely signed reading on the probe's topic: dropped.
    await publishReading(doorUnit, signed('reefer-7/probe-1', 1, probeKey));
    await publishReading(probeUnit, signed('reefer-7/probe-1', 2, probeKey));
    await publishReading(probeUnit, signed('reefer-7/probe-1', 3, generateKeyPair('ed25519'))); // forged: the probe hears the verdict
    await waitFor('the verdict on the forged reading', () => probeSeen.length >= 1);
    const rows = await temp.db.deviceReading.findMany({ where: { deviceId: 'reefer-7/probe-1' }, select: { seq: true } });
    expect(rows.map((r) => r.seq)).toEqual([2]);
    expect(temp.iot!.stats()).toMatchObject({ accepted: 1, rejected: { bad_signature: 1 } });
    await new Promise((r) => setTimeout(r, 200));
    expect(probeSeen).toEqual([statusTopic(CONSORTIUM, 'reefer-7/probe-1')]);
    expect(doorSeen).toEqual([]);

    // Retained: Mosquitto disconnects the client (retain_available false) and keeps nothing.
    const gone = new Promise<void>((resolve) => probeUnit.once('close', () => resolve()));
    probeUnit.publishAsync(readingsTopic(CONSORTIUM, 'reefer-7/probe-1'), JSON.stringify(signed('reefer-7/probe-1', 4, probeKey)), { qos: 1, retain: true }).catch(() => undefined);
    await gone;
    await login('probe-unit-again', 'reefer-7/probe-1', passwords['reefer-7/probe-1']!);
    await new Promise((r) => setTimeout(r, 200));
    expect((await temp.db.deviceReading.findMany({ where: { deviceId: 'reefer-7/probe-1' }, select: { seq: true } })).map((r) => r.seq)).toEqual([2]);
  });
});
