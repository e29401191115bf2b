/**
 * The reliability suite's abuse section, MQTT: clients without credentials, with a wrong password,
 * another device's credential, a forged or a revoked device's key; a device publishing on another
 * device's topic (its genuinely signed readings, even) or on a status topic; subscriptions to `#`,
 * `$SYS/#` and other devices' topics; retained publishes on reading topics. Every one refused (CONNACK
 * 5, SUBACK 0x80, or the connection closed without PUBACK), nothing stored, and a second, legitimate
 * device subscribed to its own status topic receives nothing of it. Scale and seed: figures.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { generateKeyPair, type KeyPair } from '../../src/core/crypto/index.js';
import { deviceMqttCredentials, readingsTopic, statusTopic } from '../../src/transport/mqtt/index.js';
import { CONSORTIUM, connectDevice, deviceLogin, publishReading, registerDevice, revokeDevice, signed, waitFor } from '../helpers/mqtt.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { bump, countRows, pickOf } from './abuse-kit.js';
import { CASES, prng, recordFigures, SEED } from './figures.js';

const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

let t: TestNode;
const keys = new Map<string, KeyPair>();
const ATTACKER = 'abuse/attacker';
const VICTIM = 'abuse/victim';
const RETIRED = 'abuse/retired';

beforeAll(async () => {
  process.on('unhandledRejection', onUncaught);
  process.on('uncaughtException', onUncaught);
  t = await startTestNode({ mqtt: { flushIntervalMs: 0, verifyWorkers: 0 } });
  for (const id of [ATTACKER, VICTIM, RETIRED]) keys.set(id, await registerDevice(t, id, 'ed25519'));
  await revokeDevice(t, RETIRED);
}, 120_000);

afterAll(async () => {
  process.off('unhandledRejection', onUncaught);
  process.off('uncaughtException', onUncaught);
  await t?.destroy();
});

/** 'connected' (the client, closed at once), or the CONNACK code the broker refused with. */
async function tryConnect(options: IClientOptions): Promise<'connected' | number> {
  try {
    const client = await mqtt.connectAsync(t.mqttUrl, { reconnectPeriod: 0, connectTimeout: 5_000, protocolVersion: 4, ...options });
    await client.endAsync(true);
    return 'connected';
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

function closed(client: MqttClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (client.disconnected) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

type Attack = 'no credentials' | 'wrong password' | "another device's credential" | 'forged key' | 'revoked device' | "publish on another device's topic" | 'publish on a status topic' | 'forbidden subscription' | 'retained publish';
const ATTACKS: Attack[] = ['no credentials', 'wrong password', "another device's credential", 'forged key', 'revoked device', "publish on another device's topic", 'publish on a status topic', 'forbidden subscription', 'retained publish'];

describe('abuse: MQTT', () => {
  it(`${CASES} connections, publishes and subscriptions a device may not make`, async () => {
    const rand = prng(SEED + 300);
    const pick = pickOf(rand);
    const attacker = keys.get(ATTACKER)!;
    const victim = keys.get(VICTIM)!;
    // The legitimate subscriber: the victim device, on its own status topic (all a device may read).
    const listener = await connectDevice(t.mqttUrl, 'abuse-victim', { deviceId: VICTIM, key: victim });
    const heard: string[] = [];
    listener.on('message', (topic, payload) => heard.push(`${topic} ${payload.toString()}`));
    await listener.subscribeAsync(statusTopic(CONSORTIUM, VICTIM), { qos: 1 });
    const f = { admitted: 0, granted: 0, kept: 0, stored: 0, relayed: 0 };
    const byAttack: Record<string, number> = {};
    const readingsBefore = await countRows(t, 'DeviceReading');
    let seq = 1;
    const started = Date.now();
    for (let i = 0; i < CASES; i++) {
      const kind = ATTACKS[i % ATTACKS.length]!;
      bump(byAttack, kind);
      const clientId = `abuse-${i}`;
      if (kind === 'no credentials') {
        if ((await tryConnect({ clientId, ...(rand() < 0.5 ? { username: pick([VICTIM, ATTACKER, '', '#']) } : {}) })) === 'connected') f.admitted += 1;
      } else if (kind === 'wrong password') {
        const login = deviceLogin(VICTIM, victim);
        const password = rand() < 0.5 ? `${login.password.slice(0, -2)}${login.password.endsWith('AA') ? 'BB' : 'AA'}` : String(Math.floor(rand() * 1e12));
        if ((await tryConnect({ clientId, username: login.username, password })) === 'connected') f.admitted += 1;
      } else if (kind === "another device's credential") {
        if ((await tryConnect({ clientId, username: deviceLogin(VICTIM, victim).username, password: deviceLogin(ATTACKER, attacker).password })) === 'connected') f.admitted += 1;
      } else if (kind === 'forged key') {
        const forged = deviceMqttCredentials({ consortium: CONSORTIUM, deviceId: VICTIM, key: generateKeyPair(rand() < 0.5 ? 'ed25519' : 'p256') });
        if ((await tryConnect({ clientId, username: forged.username, password: forged.password })) === 'connected') f.admitted += 1;
      } else if (kind === 'revoked device') {
        if ((await tryConnect({ clientId, ...deviceLogin(RETIRED, keys.get(RETIRED)!) })) === 'connected') f.admitted += 1;
      } else {
        // An authenticated attacker device: what it may not do on its connection.
        const client = await mqtt.connectAsync(t.mqttUrl, { clientId, reconnectPeriod: 0, protocolVersion: 4, ...deviceLogin(ATTACKER, attacker) });
        try {
          if (kind === 'forbidden subscription') {
            const filter = pick(['#', '$SYS/#', '$SYS/+/clients/connected', 'provenant/#', `provenant/${CONSORTIUM}/devices/+/status`, statusTopic(CONSORTIUM, VICTIM), readingsTopic(CONSORTIUM, VICTIM), `provenant/${CONSORTIUM}/devices/${VICTIM}/#`]);
            const granted = await client.subscribeAsync(filter, { qos: 1 }).then(
              (g) => g[0]!.qos,
              (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0] ?? 128,
            );
            if (granted !== 128) f.granted += 1;
          } else {
            const gone = closed(client, 5_000);
            const reading = signed(VICTIM, seq++, rand() < 0.5 ? victim : attacker);
            const [topic, retain] =
              kind === "publish on another device's topic"
                ? [readingsTopic(CONSORTIUM, VICTIM), false]
                : kind === 'publish on a status topic'
                  ? [statusTopic(CONSORTIUM, pick([VICTIM, ATTACKER])), false]
                  : [readingsTopic(CONSORTIUM, ATTACKER), true];
            const payload = kind === 'publish on a status topic' ? '{"status":"accepted","seq":1}' : JSON.stringify(retain ? signed(ATTACKER, seq++, attacker) : reading);
            client.publishAsync(topic, payload, { qos: 1, retain }).catch(() => undefined);
            if (!(await gone)) f.kept += 1;
          }
        } finally {
          await client.endAsync(true);
        }
      }
    }
    // The victim's own reading is heard on its status topic only if refused: publish one good one to prove the listener listens.
    await publishReading(listener, signed(VICTIM, 1_000_000, generateKeyPair('ed25519')));
    await waitFor('the victim hearing its own refusal', () => heard.length >= 1, 10_000);
    f.relayed = heard.filter((h) => !h.includes('bad_signature')).length;
    f.stored = (await countRows(t, 'DeviceReading')) - readingsBefore;
    const refusals = t.iot!.refusals();
    const counted = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    await listener.endAsync(true);
    const mustBeZero = { ...f, crashes: uncaught.length };
    recordFigures({
      section: 'abuse',
      surface: 'MQTT (embedded broker)',
      cases: CASES,
      mustBeZero,
      notes: { ...byAttack, 'refused at CONNECT': counted(refusals.connect), 'refused publishes': counted(refusals.publish), 'refused subscriptions': counted(refusals.subscribe), seconds: Math.round((Date.now() - started) / 1000) },
    });
    expect(mustBeZero).toEqual({ admitted: 0, granted: 0, kept: 0, stored: 0, relayed: 0, crashes: 0 });
    // The broker's own counts agree: each attack was refused there, not lost on the way.
    const expectedConnects = ATTACKS.slice(0, 5).reduce((n, a) => n + (byAttack[a] ?? 0), 0);
    expect(counted(refusals.connect)).toBe(expectedConnects);
    expect(counted(refusals.publish)).toBe((byAttack["publish on another device's topic"] ?? 0) + (byAttack['publish on a status topic'] ?? 0) + (byAttack['retained publish'] ?? 0));
    expect(counted(refusals.subscribe)).toBe(byAttack['forbidden subscription'] ?? 0);
  }, 1_800_000);
});
