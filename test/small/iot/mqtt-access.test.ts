import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeSignature, generateKeyPair, sign, type KeyPair } from '../../../src/core/crypto/index.js';
import {
  MAX_CREDENTIAL_LIFETIME_S,
  authenticateDevice,
  authorisePublish,
  authoriseSubscribe,
  credentialMessage,
  deviceMqttCredentials,
  mayReceive,
  sessionStanding,
  type DeviceLookup,
  type MqttDeviceIdentity,
} from '../../../src/core/readings/mqtt-access.js';
import { readingsTopic, statusTopic } from '../../../src/core/readings/topics.js';

const C = 'uk-red-meat';
const NOW_MS = Date.parse('2026-12-07T04:00:00.000Z');
const NOW_S = NOW_MS / 1000;
const probe = generateKeyPair('ed25519');
const door = generateKeyPair('p256');
const retired = generateKeyPair('ed25519');

const lookup: DeviceLookup = (consortium, deviceId) => {
  if (consortium !== C) return undefined;
  if (deviceId === 'reefer-7/probe-1') return { publicKey: probe.publicKey, status: 'active' };
  if (deviceId === 'reefer-7/door') return { publicKey: door.publicKey, status: 'active' };
  if (deviceId === 'reefer-7/old') return { publicKey: retired.publicKey, status: 'revoked' };
  return undefined;
};

function login(deviceId: string, key: KeyPair, over: { consortium?: string; expiresAt?: number } = {}): { username: string; password: string } {
  const { username, password } = deviceMqttCredentials({ consortium: over.consortium ?? C, deviceId, key, expiresAt: over.expiresAt ?? NOW_S + 600 });
  return { username, password };
}

function check(username: string | undefined, password: string | Uint8Array | undefined) {
  return authenticateDevice(username, password, lookup, { nowMs: NOW_MS });
}

describe('device MQTT credentials', () => {
  it('signs exactly provenant-mqtt|<consortium>|<deviceId>|<expiresAt> and names the consortium and expiry in the password', () => {
    expect(credentialMessage(C, 'reefer-7/probe-1', 1796616000)).toBe('provenant-mqtt|uk-red-meat|reefer-7/probe-1|1796616000');
    const { username, password, expiresAt } = deviceMqttCredentials({ consortium: C, deviceId: 'reefer-7/probe-1', key: probe, nowMs: NOW_MS });
    expect(username).toBe('reefer-7/probe-1');
    expect(expiresAt).toBe(NOW_S + 3600);
    expect(password).toMatch(/^uk-red-meat\|\d+\|ed25519:[A-Za-z0-9_-]{86}$/);
    // The signature is an ordinary signature of the documented string, so any device library can make it.
    const byHand = `${C}|${expiresAt}|${encodeSignature(sign(probe.privateKey, new TextEncoder().encode(credentialMessage(C, username, expiresAt))))}`;
    expect(check(username, byHand)).toMatchObject({ ok: true });
  });

  it('authenticates registered active devices of either key algorithm, as bytes or text', () => {
    const a = login('reefer-7/probe-1', probe);
    expect(check(a.username, Buffer.from(a.password))).toEqual({ ok: true, identity: { consortium: C, deviceId: 'reefer-7/probe-1' } });
    const b = login('reefer-7/door', door);
    expect(check(b.username, b.password)).toEqual({ ok: true, identity: { consortium: C, deviceId: 'reefer-7/door' } });
  });

  it('refuses anonymous, malformed, expired, too long-lived, unknown, revoked and forged credentials', () => {
    const ok = login('reefer-7/probe-1', probe);
    const reason = (username: string | undefined, password: string | undefined) => {
      const d = check(username, password);
      return d.ok ? 'ok' : d.reason;
    };
    expect(reason(undefined, undefined)).toBe('no_credentials');
    expect(reason('reefer-7/probe-1', undefined)).toBe('no_credentials');
    expect(reason('reefer-7/probe-1', '')).toBe('no_credentials');
    expect(reason('reefer-7/probe-1', 'secret')).toBe('malformed_credentials');
    expect(reason('reefer-7/probe-1', `${ok.password}|x`)).toBe('malformed_credentials');
    expect(reason('reefer-7/probe-1', ok.password.replace(/\|\d+\|/, '|0123|'))).toBe('malformed_credentials');
    expect(reason('reefer-7/probe-1', 'x'.repeat(600))).toBe('malformed_credentials');
    expect(reason('#', ok.password)).toBe('malformed_credentials');
    expect(reason(...Object.values(login('reefer-7/probe-1', probe, { expiresAt: NOW_S })) as [string, string])).toBe('expired');
    expect(reason(...Object.values(login('reefer-7/probe-1', probe, { expiresAt: NOW_S + MAX_CREDENTIAL_LIFETIME_S + 1 })) as [string, string])).toBe('lifetime_too_long');
    expect(reason(...Object.values(login('reefer-7/ghost', probe)) as [string, string])).toBe('unknown_device');
    expect(reason(...Object.values(login('reefer-7/probe-1', probe, { consortium: 'other-chain' })) as [string, string])).toBe('unknown_device');
    expect(reason(...Object.values(login('reefer-7/old', retired)) as [string, string])).toBe('revoked_device');
    // Another device's key, another device's credential, a changed expiry, a wrong algorithm.
    expect(reason('reefer-7/probe-1', login('reefer-7/probe-1', generateKeyPair('ed25519')).password)).toBe('bad_signature');
    expect(reason('reefer-7/probe-1', login('reefer-7/door', door).password)).toBe('bad_signature');
    expect(reason('reefer-7/probe-1', ok.password.replace(`|${NOW_S + 600}|`, `|${NOW_S + 601}|`))).toBe('bad_signature');
    expect(reason('reefer-7/probe-1', login('reefer-7/probe-1', generateKeyPair('p256')).password)).toBe('bad_signature');
    expect(reason('reefer-7/probe-1', ok.password.replace(/ed25519:.*/, 'ed25519:AAAA'))).toBe('bad_signature');
  });

  it('never throws and never authenticates arbitrary usernames and passwords', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), fc.option(fc.oneof(fc.string(), fc.uint8Array()), { nil: undefined }), (username, password) => {
        expect(check(username, password).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('topic permissions', () => {
  const me: MqttDeviceIdentity = { consortium: C, deviceId: 'reefer-7/probe-1' };

  it('a device publishes only its own readings topic, never retained', () => {
    const reason = (identity: MqttDeviceIdentity | undefined, topic: string, retain = false) => {
      const d = authorisePublish(identity, topic, retain);
      return d.ok ? 'ok' : d.reason;
    };
    expect(reason(me, readingsTopic(C, 'reefer-7/probe-1'))).toBe('ok');
    expect(reason(undefined, readingsTopic(C, 'reefer-7/probe-1'))).toBe('not_authenticated');
    expect(reason(me, readingsTopic(C, 'reefer-7/probe-1'), true)).toBe('retained');
    for (const topic of [
      readingsTopic(C, 'reefer-7/door'),
      readingsTopic('other-chain', 'reefer-7/probe-1'),
      readingsTopic(C, 'reefer-7'),
      readingsTopic(C, 'reefer-7/probe-1/x'),
      statusTopic(C, 'reefer-7/probe-1'),
      '$SYS/broker/uptime',
      'anything/else',
    ]) {
      expect(reason(me, topic), topic).toBe('not_own_readings_topic');
    }
  });

  it('a device subscribes only to its own status topic, spelled out', () => {
    const reason = (identity: MqttDeviceIdentity | undefined, filter: string) => {
      const d = authoriseSubscribe(identity, filter);
      return d.ok ? 'ok' : d.reason;
    };
    expect(reason(me, statusTopic(C, 'reefer-7/probe-1'))).toBe('ok');
    expect(reason(undefined, statusTopic(C, 'reefer-7/probe-1'))).toBe('not_authenticated');
    expect(reason(me, '#')).toBe('wildcard');
    expect(reason(me, '$SYS/#')).toBe('system_topic');
    expect(reason(me, '$share/g/provenant/uk-red-meat/devices/reefer-7/probe-1/status')).toBe('system_topic');
    expect(reason(me, 'provenant/+/devices/#')).toBe('wildcard');
    expect(reason(me, 'provenant/uk-red-meat/devices/+/status')).toBe('wildcard');
    expect(reason(me, 'provenant/uk-red-meat/devices/reefer-7/probe-1/+')).toBe('wildcard');
    expect(reason(me, statusTopic(C, 'reefer-7/door'))).toBe('not_own_status_topic');
    expect(reason(me, readingsTopic(C, 'reefer-7/probe-1'))).toBe('not_own_status_topic');
    expect(reason(me, statusTopic('other-chain', 'reefer-7/probe-1'))).toBe('not_own_status_topic');
  });

  it('a client receives only its own status topic: no readings, accepted or rejected, and nothing of other devices', () => {
    expect(mayReceive(me, statusTopic(C, 'reefer-7/probe-1'))).toBe(true);
    expect(mayReceive(undefined, statusTopic(C, 'reefer-7/probe-1'))).toBe(false);
    expect(mayReceive(me, readingsTopic(C, 'reefer-7/probe-1'))).toBe(false);
    expect(mayReceive(me, statusTopic(C, 'reefer-7/door'))).toBe(false);
    expect(mayReceive(me, '$SYS/aedes/heartbeat')).toBe(false);
  });
});

describe('session standing (checked again when a block is final)', () => {
  it('keeps an active device, ends a revoked or no longer registered one with its reason', () => {
    expect(sessionStanding({ consortium: C, deviceId: 'reefer-7/probe-1' }, lookup)).toEqual({ ok: true });
    expect(sessionStanding({ consortium: C, deviceId: 'reefer-7/old' }, lookup)).toMatchObject({ ok: false, reason: 'revoked_device' });
    expect(sessionStanding({ consortium: C, deviceId: 'reefer-7/ghost' }, lookup)).toMatchObject({ ok: false, reason: 'unknown_device' });
    expect(sessionStanding({ consortium: 'other-chain', deviceId: 'reefer-7/probe-1' }, lookup)).toMatchObject({ ok: false, reason: 'unknown_device' });
  });
});
