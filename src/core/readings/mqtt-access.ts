/**
 * Who may connect to the embedded MQTT broker and what each client may publish, subscribe to and
 * receive (docs/mqtt.md, "Device authentication and topic permissions"). Pure: the broker adapter
 * supplies the device lookup and the clock; no MQTT library types here.
 *
 * Credential: username = device id; password = `<consortium>|<expiresAt>|<signature>`, where the
 * signature is the device key's `alg:base64url` over the UTF-8 bytes of
 * `provenant-mqtt|<consortium>|<deviceId>|<expiresAt>` and expiresAt is Unix time in seconds. The
 * node checks it against the key the device.register record put in the consortium state, so no
 * secret is stored anywhere but on the device.
 */
import { encodeSignature, parseSignature, sign, verifySignature, type KeyPair, type PublicKey } from '../crypto/index.js';
import type { DeviceEntry } from '../ledger/state-types.js';
import { isDeviceId } from '../ledger/membership.js';
import { isConsortiumId } from '../ledger/record.js';
import { readingsTopic, statusTopic } from './topics.js';

export const MQTT_CREDENTIAL_PREFIX = 'provenant-mqtt';
/** Longest a credential may still be valid for when presented: a leaked one is useless after this. */
export const MAX_CREDENTIAL_LIFETIME_S = 24 * 3600;
/** What deviceMqttCredentials signs for unless told otherwise. */
export const DEFAULT_CREDENTIAL_TTL_S = 3600;
const MAX_PASSWORD_BYTES = 512;
const EXPIRY = /^[1-9][0-9]{0,11}$/;

/** An authenticated device: what its credential was signed for. */
export interface MqttDeviceIdentity {
  readonly consortium: string;
  readonly deviceId: string;
}

/** The standing of a registered device, as the consortium state holds it. */
export type DeviceLookup = (consortium: string, deviceId: string) => Pick<DeviceEntry, 'publicKey' | 'status'> | undefined;

export type ConnectRefusal = 'no_credentials' | 'malformed_credentials' | 'expired' | 'lifetime_too_long' | 'unknown_device' | 'revoked_device' | 'bad_signature';
export type PublishRefusal = 'not_authenticated' | 'not_own_readings_topic' | 'retained';
export type SubscribeRefusal = 'not_authenticated' | 'system_topic' | 'wildcard' | 'not_own_status_topic';
/** Why a connected device loses its session. */
export type SessionEnd = 'unknown_device' | 'revoked_device';

export type Decision<Reason extends string, Ok = object> = ({ ok: true } & Ok) | { ok: false; reason: Reason; message: string };

/** The exact string a device signs to connect. */
export function credentialMessage(consortium: string, deviceId: string, expiresAt: number): string {
  return `${MQTT_CREDENTIAL_PREFIX}|${consortium}|${deviceId}|${expiresAt}`;
}

/** MQTT username and password for a device, signed by its registered key, valid until expiresAt (Unix seconds). */
export function deviceMqttCredentials(input: {
  consortium: string;
  deviceId: string;
  key: KeyPair;
  /** Default now + DEFAULT_CREDENTIAL_TTL_S. */
  expiresAt?: number;
  nowMs?: number;
}): { username: string; password: string; expiresAt: number } {
  const expiresAt = input.expiresAt ?? Math.floor((input.nowMs ?? Date.now()) / 1000) + DEFAULT_CREDENTIAL_TTL_S;
  if (!isConsortiumId(input.consortium) || !isDeviceId(input.deviceId) || !EXPIRY.test(String(expiresAt))) {
    throw new RangeError('deviceMqttCredentials needs a consortium id, a device id and a positive integer expiresAt');
  }
  const signature = encodeSignature(sign(input.key.privateKey, new TextEncoder().encode(credentialMessage(input.consortium, input.deviceId, expiresAt))));
  return { username: input.deviceId, password: `${input.consortium}|${expiresAt}|${signature}`, expiresAt };
}

/** Checks a CONNECT's username and password against the device's registered key and standing. */
export function authenticateDevice(
  username: string | undefined,
  password: Uint8Array | string | undefined,
  lookup: DeviceLookup,
  options: { nowMs: number; maxLifetimeS?: number },
): Decision<ConnectRefusal, { identity: MqttDeviceIdentity }> {
  const refuse = (reason: ConnectRefusal, message: string) => ({ ok: false as const, reason, message });
  if (!username || password === undefined || password.length === 0) return refuse('no_credentials', 'a device id and a signed credential are required');
  if (password.length > MAX_PASSWORD_BYTES) return refuse('malformed_credentials', 'the password is too long to be a device credential');
  const text = typeof password === 'string' ? password : new TextDecoder().decode(password);
  const parts = text.split('|');
  const [consortium, expiry, encoded] = parts;
  if (parts.length !== 3 || !isDeviceId(username) || !isConsortiumId(consortium) || !EXPIRY.test(expiry!)) {
    return refuse('malformed_credentials', 'expected username <deviceId> and password <consortium>|<expiresAt>|<alg>:<base64url>');
  }
  const expiresAt = Number(expiry);
  const now = options.nowMs / 1000;
  if (expiresAt <= now) return refuse('expired', `the credential expired at ${expiresAt}`);
  if (expiresAt > now + (options.maxLifetimeS ?? MAX_CREDENTIAL_LIFETIME_S)) return refuse('lifetime_too_long', 'the credential is valid for longer than the node allows');
  const device = lookup(consortium!, username);
  if (!device) return refuse('unknown_device', 'no such device is registered');
  if (device.status !== 'active') return refuse('revoked_device', 'the device is revoked');
  if (!credentialVerifies(device.publicKey, credentialMessage(consortium!, username, expiresAt), encoded!)) return refuse('bad_signature', 'the credential is not signed by the registered device key');
  return { ok: true, identity: Object.freeze({ consortium: consortium!, deviceId: username }) };
}

/**
 * Whether an authenticated device may keep its session: it is still registered and active (a
 * device.revoke, or its owner leaving the consortium, ends it). Checked again whenever a block is final.
 */
export function sessionStanding(identity: MqttDeviceIdentity, lookup: DeviceLookup): Decision<SessionEnd> {
  const device = lookup(identity.consortium, identity.deviceId);
  if (!device) return { ok: false, reason: 'unknown_device', message: `device ${identity.deviceId} is no longer registered` };
  if (device.status !== 'active') return { ok: false, reason: 'revoked_device', message: `device ${identity.deviceId} is revoked` };
  return { ok: true };
}

/** A malformed signature, or one of another algorithm than the key, is simply not valid here. */
function credentialVerifies(publicKey: PublicKey, message: string, encoded: string): boolean {
  try {
    return verifySignature(publicKey, new TextEncoder().encode(message), parseSignature(encoded));
  } catch {
    return false;
  }
}

/** A device publishes only its own readings, never retained (readings are not state to replay). */
export function authorisePublish(identity: MqttDeviceIdentity | undefined, topic: string, retain: boolean): Decision<PublishRefusal> {
  if (!identity) return { ok: false, reason: 'not_authenticated', message: 'only authenticated devices publish' };
  if (topic !== readingsTopic(identity.consortium, identity.deviceId)) {
    return { ok: false, reason: 'not_own_readings_topic', message: `device ${identity.deviceId} publishes only to ${readingsTopic(identity.consortium, identity.deviceId)}` };
  }
  if (retain) return { ok: false, reason: 'retained', message: 'retained publishes on readings topics are refused' };
  return { ok: true };
}

/** A device subscribes only to its own status topic, spelled out: no wildcards, no $SYS. */
export function authoriseSubscribe(identity: MqttDeviceIdentity | undefined, filter: string): Decision<SubscribeRefusal> {
  if (!identity) return { ok: false, reason: 'not_authenticated', message: 'only authenticated devices subscribe' };
  if (filter.startsWith('$')) return { ok: false, reason: 'system_topic', message: 'system topics are not available to devices' };
  if (filter.includes('#') || filter.includes('+')) return { ok: false, reason: 'wildcard', message: 'wildcard subscriptions are refused' };
  if (filter !== statusTopic(identity.consortium, identity.deviceId)) {
    return { ok: false, reason: 'not_own_status_topic', message: `device ${identity.deviceId} subscribes only to ${statusTopic(identity.consortium, identity.deviceId)}` };
  }
  return { ok: true };
}

/**
 * Whether a message on `topic` may be delivered to the client: only its own status topic. Readings
 * are never relayed (the node is their only consumer), so neither are rejected ones.
 */
export function mayReceive(identity: MqttDeviceIdentity | undefined, topic: string): boolean {
  return identity !== undefined && topic === statusTopic(identity.consortium, identity.deviceId);
}
