/**
 * Signature checks of a batch of readings, the same code in a worker thread and on the main thread
 * (see reading-verify-pool.ts). Pure: no I/O.
 */
import { toHex, type PublicKey } from '../crypto/index.js';
import { ReadingError, readingDigest, verifyReading, type ReadingMessage } from './reading.js';

export interface ReadingVerifyItem {
  /** The message as received (its shape already checked by parseReadingMessage). */
  text: string;
  /** Index into the batch's keys. */
  key: number;
}

export interface ReadingVerifyBatch {
  items: ReadingVerifyItem[];
  keys: PublicKey[];
}

/** ok: the signature verifies and digest is taggedHash(DEVICE_READING, JCS(reading)) in hex. */
export type ReadingVerifyResult = { ok: true; digest: string } | { ok: false; message: string };

export function verifyReadingBatch(batch: ReadingVerifyBatch): ReadingVerifyResult[] {
  return batch.items.map((item) => {
    const message = JSON.parse(item.text) as ReadingMessage;
    const digest = readingDigest(message.reading);
    try {
      verifyReading(message, batch.keys[item.key]!, digest);
      return { ok: true, digest: toHex(digest) };
    } catch (err) {
      if (err instanceof ReadingError) return { ok: false, message: err.message };
      throw err;
    }
  });
}
