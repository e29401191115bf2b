/**
 * Signed device readings. A reading is a small JSON object signed by the device key
 * over signingMessage(DEVICE_READING, taggedHash(DEVICE_READING, JCS(reading))). Pure: no I/O.
 */
import {
  HashTag,
  canonicalBytes,
  canonicalize,
  encodeSignature,
  parseSignature,
  sign,
  signingMessage,
  taggedHash,
  toHex,
  verifyFast,
  type KeyPair,
  type PublicKey,
} from '../crypto/index.js';
import { isDeviceId } from '../ledger/membership.js';
import { isConsortiumId, isTimestamp } from '../ledger/record.js';
import { leafHash } from '../ledger/merkle-hash.js';
import { CodedError } from '../coded-error.js';

export const READING_VERSION = 1;

export type ReadingValue = number | boolean | { lat: number; lon: number };

export interface Reading {
  v: typeof READING_VERSION;
  consortium: string;
  deviceId: string;
  /** Positive integer, strictly increasing per device. */
  seq: number;
  /** RFC 3339 UTC with milliseconds. */
  observedAt: string;
  /** 'temperature' | 'humidity' | 'door' | 'gps' | other lower-case names. */
  type: string;
  value: ReadingValue;
  uom?: string;
  /** Container, lot or other identifier the reading is about (an EPC URI or GS1 Digital Link). */
  subject?: string;
}

export interface ReadingMessage {
  reading: Reading;
  /** `<alg>:<base64url>` */
  signature: string;
}

export class ReadingError extends CodedError<'MALFORMED_READING' | 'BAD_SIGNATURE'> {
  override readonly name = 'ReadingError';
}

const READING_TYPE = /^[a-z][a-z0-9_.-]{0,63}$/;
const READING_FIELDS: ReadonlySet<string> = new Set(['v', 'consortium', 'deviceId', 'seq', 'observedAt', 'type', 'value', 'uom', 'subject']);
const MAX_TEXT = 200;

function malformed(message: string, details: Record<string, unknown> = {}): never {
  throw new ReadingError('MALFORMED_READING', `malformed reading: ${message}`, details);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertValue(type: string, value: unknown): asserts value is ReadingValue {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) malformed('value must be a finite number', { field: 'value' });
    return;
  }
  if (typeof value === 'boolean') return;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort().join(',');
    const { lat, lon } = value;
    if (keys !== 'lat,lon' || typeof lat !== 'number' || typeof lon !== 'number' || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      malformed('a position value must be { lat, lon } in degrees', { field: 'value', type });
    }
    return;
  }
  malformed('value must be a number, a boolean or { lat, lon }', { field: 'value', type });
}

/** Shape check only, safe on untrusted input. */
export function assertReading(value: unknown): asserts value is Reading {
  if (!isPlainObject(value)) malformed('reading is not an object');
  for (const key of Object.keys(value)) if (!READING_FIELDS.has(key)) malformed(`unexpected field "${key}"`, { field: key });
  if (value.v !== READING_VERSION) malformed(`unsupported version ${JSON.stringify(value.v)}`, { expected: READING_VERSION, actual: value.v });
  if (!isConsortiumId(value.consortium)) malformed('consortium must be a lower-case slug', { field: 'consortium' });
  if (!isDeviceId(value.deviceId)) malformed('deviceId is malformed', { field: 'deviceId' });
  if (typeof value.seq !== 'number' || !Number.isSafeInteger(value.seq) || value.seq < 1) {
    malformed('seq must be a positive integer', { field: 'seq', actual: value.seq });
  }
  if (!isTimestamp(value.observedAt)) malformed('observedAt must be RFC 3339 UTC with milliseconds', { field: 'observedAt' });
  if (typeof value.type !== 'string' || !READING_TYPE.test(value.type)) malformed('type must be a lower-case name', { field: 'type' });
  assertValue(value.type, value.value);
  for (const field of ['uom', 'subject'] as const) {
    const text = value[field];
    if (text !== undefined && (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT)) {
      malformed(`${field} must be a non-empty string of at most ${MAX_TEXT} characters`, { field });
    }
  }
}

/** Parses an MQTT payload into a message; throws MALFORMED_READING on anything else. */
export function parseReadingMessage(payload: Uint8Array | string): ReadingMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (err) {
    malformed(`payload is not JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(parsed)) malformed('message is not an object');
  for (const key of Object.keys(parsed)) if (key !== 'reading' && key !== 'signature') malformed(`unexpected message field "${key}"`, { field: key });
  assertReading(parsed.reading);
  if (typeof parsed.signature !== 'string') malformed('signature is missing', { field: 'signature' });
  return { reading: parsed.reading, signature: parsed.signature };
}

/** RFC 8785 number form (ECMAScript Number toString); the generic serialiser decides (and refuses) unusual integers. */
function jcsNumber(value: number): string {
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) return canonicalize(value);
  return Object.is(value, -0) ? '0' : String(value);
}

/**
 * JCS of a reading that passed assertReading, written directly: its keys are known, so they need
 * no sorting, and this is the hot path of every reading's check. Equal to canonicalize(reading)
 * (a property test holds the two together); anything else goes through the generic serialiser.
 */
export function canonicalReadingJson(reading: Reading): string {
  const { value } = reading;
  let valueJson: string;
  if (typeof value === 'number') valueJson = jcsNumber(value);
  else if (typeof value === 'boolean') valueJson = value ? 'true' : 'false';
  else if (typeof value === 'object' && value !== null && typeof value.lat === 'number' && typeof value.lon === 'number' && Object.keys(value).length === 2) {
    valueJson = `{"lat":${jcsNumber(value.lat)},"lon":${jcsNumber(value.lon)}}`;
  } else return canonicalize(reading);
  // Keys in UTF-16 order: consortium, deviceId, observedAt, seq, subject, type, uom, v, value.
  let out = `{"consortium":${JSON.stringify(reading.consortium)},"deviceId":${JSON.stringify(reading.deviceId)},"observedAt":${JSON.stringify(reading.observedAt)},"seq":${jcsNumber(reading.seq)}`;
  if (reading.subject !== undefined) out += `,"subject":${JSON.stringify(reading.subject)}`;
  out += `,"type":${JSON.stringify(reading.type)}`;
  if (reading.uom !== undefined) out += `,"uom":${JSON.stringify(reading.uom)}`;
  return `${out},"v":${jcsNumber(reading.v)},"value":${valueJson}}`;
}

/** taggedHash(DEVICE_READING, JCS(reading)): the reading's identity and what the signature covers. */
export function readingDigest(reading: Reading): Uint8Array {
  return taggedHash(HashTag.DEVICE_READING, canonicalBytes(reading));
}

export function readingDigestHex(reading: Reading): string {
  return toHex(readingDigest(reading));
}

/** RFC 6962 leaf of a reading in its window's readingsRoot. */
export function readingLeafHash(reading: Reading): Uint8Array {
  return leafHash(readingDigest(reading));
}

export function signReading(reading: Reading, deviceKey: KeyPair): ReadingMessage {
  assertReading(reading);
  const signature = sign(deviceKey.privateKey, signingMessage(HashTag.DEVICE_READING, readingDigest(reading)));
  return { reading, signature: encodeSignature(signature) };
}

/** Throws BAD_SIGNATURE naming the device unless the signature verifies under the device key. */
export function verifyReading(message: ReadingMessage, devicePublicKey: PublicKey, digest = readingDigest(message.reading)): void {
  let sig;
  try {
    sig = parseSignature(message.signature);
  } catch (err) {
    throw new ReadingError('BAD_SIGNATURE', `reading signature is malformed: ${(err as Error).message}`, { deviceId: message.reading.deviceId });
  }
  if (sig.alg !== devicePublicKey.alg) {
    throw new ReadingError('BAD_SIGNATURE', 'reading signature algorithm does not match the device key', {
      deviceId: message.reading.deviceId,
      expected: devicePublicKey.alg,
      actual: sig.alg,
    });
  }
  if (!verifyFast(sig.alg, devicePublicKey.bytes, signingMessage(HashTag.DEVICE_READING, digest), sig.bytes)) {
    throw new ReadingError('BAD_SIGNATURE', 'reading signature does not verify', { deviceId: message.reading.deviceId, seq: message.reading.seq });
  }
}
