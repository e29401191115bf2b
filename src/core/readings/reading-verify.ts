/**
 * The per-reading checks that need no node state, for a batch of messages: JSON and shape, the
 * reading's device against its topic's, and the device signature. The same code runs in a worker
 * thread and on the main thread (see reading-verify-pool.ts). Pure: no I/O.
 */
import { HashTag, taggedHash, toHex, type PublicKey } from '../crypto/index.js';
import { ReadingError, canonicalReadingJson, parseReadingMessage, verifyReading } from './reading.js';

/** The device a message's topic names: its registered key and ids. */
export interface ReadingVerifyDevice {
  key: PublicKey;
  consortium: string;
  deviceId: string;
}

export interface ReadingVerifyItem {
  /** The MQTT payload as received. */
  text: string;
  /** Index into the batch's devices: the device of the message's topic. */
  device: number;
}

export interface ReadingVerifyBatch {
  items: ReadingVerifyItem[];
  devices: ReadingVerifyDevice[];
}

/**
 * ok: the message is well formed, is the topic device's reading, and its signature verifies.
 * body is JCS(reading) (what the signature covers, and what is stored); digest is
 * taggedHash(DEVICE_READING, body) in hex; signature is the message's, as sent. Otherwise reason says which check failed.
 */
export type ReadingVerifyResult =
  | { ok: true; digest: string; body: string; signature: string; seq: number; observedAt: string; type: string }
  | { ok: false; reason: 'malformed' | 'bad_signature'; message: string; seq?: number };

const encoder = new TextEncoder();

export function verifyReadingItem(item: ReadingVerifyItem, device: ReadingVerifyDevice): ReadingVerifyResult {
  let message;
  try {
    message = parseReadingMessage(item.text);
  } catch (err) {
    if (err instanceof ReadingError) return { ok: false, reason: 'malformed', message: err.message };
    throw err;
  }
  const { reading } = message;
  if (reading.consortium !== device.consortium || reading.deviceId !== device.deviceId) {
    return {
      ok: false,
      reason: 'malformed',
      message: `reading is for ${reading.consortium}/${reading.deviceId} but was published on the topic of ${device.consortium}/${device.deviceId}`,
      seq: reading.seq,
    };
  }
  let body: string;
  try {
    body = canonicalReadingJson(reading);
  } catch (err) {
    // A value JCS refuses (an integer beyond 2^53): no device could have signed it faithfully.
    return { ok: false, reason: 'malformed', message: `malformed reading: ${(err as Error).message}`, seq: reading.seq };
  }
  const digest = taggedHash(HashTag.DEVICE_READING, encoder.encode(body));
  try {
    verifyReading(message, device.key, digest);
  } catch (err) {
    if (err instanceof ReadingError) return { ok: false, reason: 'bad_signature', message: err.message, seq: reading.seq };
    throw err;
  }
  return { ok: true, digest: toHex(digest), body, signature: message.signature, seq: reading.seq, observedAt: reading.observedAt, type: reading.type };
}

export function verifyReadingBatch(batch: ReadingVerifyBatch): ReadingVerifyResult[] {
  return batch.items.map((item) => verifyReadingItem(item, batch.devices[item.device]!));
}
