import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../../src/crypto/index.js';
import { readingDigestHex, signReading, type Reading } from '../../../src/iot/reading.js';
import { verifyReadingBatch, type ReadingVerifyBatch } from '../../../src/iot/reading-verify.js';
import { ReadingVerifyPool } from '../../../src/iot/reading-verify-pool.js';

function reading(deviceId: string, seq: number): Reading {
  return {
    v: 1,
    consortium: 'uk-red-meat',
    deviceId,
    seq,
    observedAt: new Date(Date.UTC(2026, 10, 21, 8) + seq * 1000).toISOString(),
    type: 'temperature',
    value: 1 + (seq % 9) / 4,
    uom: 'CEL',
  };
}

/** 60 readings from an Ed25519 and a P-256 device; every fifth one is forged or tampered. */
function mixedBatch(): { batch: ReadingVerifyBatch; forged: Set<number>; expectedDigests: string[] } {
  const keys: KeyPair[] = [generateKeyPair('ed25519'), generateKeyPair('p256')];
  const forged = new Set<number>();
  const expectedDigests: string[] = [];
  const items = Array.from({ length: 60 }, (_, i) => {
    const device = i % 2;
    const r = reading(`probe-${device}`, i + 1);
    let message = signReading(r, keys[device]!);
    if (i % 5 === 3) {
      forged.add(i);
      // Alternately: signed by another key, or a value changed after signing.
      message = i % 10 === 3 ? signReading(r, generateKeyPair(device === 0 ? 'ed25519' : 'p256')) : { ...message, reading: { ...r, value: 99 } };
    }
    expectedDigests.push(readingDigestHex(message.reading));
    return { text: JSON.stringify(message), key: device };
  });
  return { batch: { items, keys: keys.map((k) => k.publicKey) }, forged, expectedDigests };
}

describe('reading signature batches', () => {
  const { batch, forged, expectedDigests } = mixedBatch();

  it('accepts exactly the genuine readings and returns their digests, in order', () => {
    const results = verifyReadingBatch(batch);
    expect(results).toHaveLength(60);
    results.forEach((r, i) => {
      if (forged.has(i)) expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/does not verify/) });
      else expect(r).toEqual({ ok: true, digest: expectedDigests[i] });
    });
  });

  it('rejects a signature under the other algorithm', () => {
    const results = verifyReadingBatch({ items: [{ ...batch.items[0]!, key: 1 }], keys: batch.keys });
    expect(results[0]).toMatchObject({ ok: false, message: expect.stringMatching(/algorithm/) });
  });

  const pool = new ReadingVerifyPool({ workers: 2, threshold: 8 });
  afterAll(() => pool.close());

  it('gives the same verdicts in worker threads as on the main thread', async () => {
    await pool.warm();
    const results = await pool.verify(batch);
    expect(pool.lastMode).toBe('pool');
    expect(results).toEqual(verifyReadingBatch(batch));
  });

  it('verifies batches below the threshold on the main thread', async () => {
    const small = { items: batch.items.slice(0, 4), keys: batch.keys };
    const results = await pool.verify(small);
    expect(pool.lastMode).toBe('main');
    expect(results).toEqual(verifyReadingBatch(small));
  });

  it('with no workers, verifies on the main thread', async () => {
    const mainOnly = new ReadingVerifyPool({ workers: 0 });
    await mainOnly.warm();
    expect(await mainOnly.verify(batch)).toEqual(verifyReadingBatch(batch));
    expect(mainOnly.lastMode).toBe('main');
  });
});
