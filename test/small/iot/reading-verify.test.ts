import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalize, generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import { canonicalReadingJson, readingDigestHex, signReading, type Reading } from '../../../src/core/readings/reading.js';
import { verifyReadingBatch, type ReadingVerifyBatch } from '../../../src/core/readings/reading-verify.js';
import { WorkerPool } from '../../../src/platform/workers/worker-pool.js';
import { readingVerifyTask } from '../../../src/platform/workers/pool-tasks.js';

const CONSORTIUM = 'uk-red-meat';

function reading(deviceId: string, seq: number): Reading {
  return {
    v: 1,
    consortium: CONSORTIUM,
    deviceId,
    seq,
    observedAt: new Date(Date.UTC(2026, 10, 21, 8) + seq * 1000).toISOString(),
    type: 'temperature',
    value: 1 + (seq % 9) / 4,
    uom: 'CEL',
  };
}

/** 60 readings from an Ed25519 and a P-256 device; every fifth one is forged or tampered. */
function mixedBatch(): { batch: ReadingVerifyBatch; forged: Set<number>; expected: { digest: string; body: string; seq: number }[] } {
  const keys: KeyPair[] = [generateKeyPair('ed25519'), generateKeyPair('p256')];
  const forged = new Set<number>();
  const expected: { digest: string; body: string; seq: number }[] = [];
  const items = Array.from({ length: 60 }, (_, i) => {
    const device = i % 2;
    const r = reading(`probe-${device}`, i + 1);
    let message = signReading(r, keys[device]!);
    if (i % 5 === 3) {
      forged.add(i);
      // Alternately: signed by another key, or a value changed after signing.
      message = i % 10 === 3 ? signReading(r, generateKeyPair(device === 0 ? 'ed25519' : 'p256')) : { ...message, reading: { ...r, value: 99 } };
    }
    expected.push({ digest: readingDigestHex(message.reading), body: canonicalize(message.reading), seq: r.seq });
    return { text: JSON.stringify(message), device };
  });
  const devices = keys.map((k, d) => ({ key: k.publicKey, consortium: CONSORTIUM, deviceId: `probe-${d}` }));
  return { batch: { items, devices }, forged, expected };
}

describe('reading checks in batches', () => {
  const { batch, forged, expected } = mixedBatch();

  it('accepts exactly the genuine readings and returns their JCS bodies and digests, in order', () => {
    const results = verifyReadingBatch(batch);
    expect(results).toHaveLength(60);
    results.forEach((r, i) => {
      if (forged.has(i)) expect(r).toMatchObject({ ok: false, reason: 'bad_signature', message: expect.stringMatching(/does not verify/), seq: i + 1 });
      else expect(r).toMatchObject({ ok: true, ...expected[i], observedAt: reading('x', i + 1).observedAt, type: 'temperature' });
    });
  });

  it('rejects a signature under the other algorithm', () => {
    const results = verifyReadingBatch({ items: [{ ...batch.items[0]!, device: 1 }], devices: [batch.devices[0]!, { ...batch.devices[1]!, deviceId: 'probe-0' }] });
    expect(results[0]).toMatchObject({ ok: false, reason: 'bad_signature', message: expect.stringMatching(/algorithm/) });
  });

  it('calls malformed what is not a reading, and a reading published on another device topic', () => {
    const results = verifyReadingBatch({
      items: [
        { text: '{"reading":', device: 0 },
        { text: JSON.stringify({ reading: { ...reading('probe-0', 1), extra: 1 }, signature: 'ed25519:AA' }), device: 0 },
        { ...batch.items[1]!, device: 0 }, // probe-1's reading on probe-0's topic
      ],
      devices: batch.devices,
    });
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['malformed', 'malformed', 'malformed']);
    expect(results[2]).toMatchObject({ message: expect.stringMatching(/probe-1 but was published on the topic of uk-red-meat\/probe-0/), seq: 2 });
  });

  const pool = new WorkerPool({ workers: 2, minBatch: 8 });
  afterAll(() => pool.close());

  it('gives the same verdicts in worker threads as on the main thread', async () => {
    await pool.warm();
    const results = await pool.run(readingVerifyTask, batch);
    expect(pool.lastMode).toBe('pool');
    expect(results).toEqual(verifyReadingBatch(batch));
  });

  it('verifies batches below the threshold on the main thread', async () => {
    const small = { items: batch.items.slice(0, 4), devices: batch.devices };
    const results = await pool.run(readingVerifyTask, small);
    expect(pool.lastMode).toBe('main');
    expect(results).toEqual(verifyReadingBatch(small));
  });

  it('with no workers, verifies on the main thread', async () => {
    const mainOnly = new WorkerPool({ workers: 0 });
    await mainOnly.warm();
    expect(await mainOnly.run(readingVerifyTask, batch)).toEqual(verifyReadingBatch(batch));
    expect(mainOnly.lastMode).toBe('main');
  });
});

describe('canonicalReadingJson', () => {
  const text = fc.string({ minLength: 1, maxLength: 40, unit: 'binary' });
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
  const value = fc.oneof(finite, fc.integer(), fc.boolean(), fc.record({ lat: fc.double({ min: -90, max: 90, noNaN: true }), lon: fc.double({ min: -180, max: 180, noNaN: true }) }));
  const readingArb = fc.record(
    {
      v: fc.constant(1 as const),
      consortium: fc.constant(CONSORTIUM),
      deviceId: fc.constantFrom('reefer-7/probe-1', 'a', 'truck.9:door'),
      seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      observedAt: fc.date({ min: new Date(0), max: new Date(Date.UTC(2100, 0)), noInvalidDate: true }).map((d) => d.toISOString()),
      type: fc.constantFrom('temperature', 'door', 'gps', 'x.y-z_1'),
      value,
      uom: text,
      subject: text,
    },
    { requiredKeys: ['v', 'consortium', 'deviceId', 'seq', 'observedAt', 'type', 'value'] },
  );

  it('equals the generic RFC 8785 serialiser on every reading', () => {
    fc.assert(
      fc.property(readingArb, (r) => {
        // As a reading arrives: parsed from JSON, keys in any order.
        const parsed = JSON.parse(JSON.stringify(r)) as Reading;
        const outcome = (f: () => string): string => {
          try {
            return f();
          } catch (err) {
            return `throws ${(err as { code?: string }).code}`;
          }
        };
        // Both give the same text, or both refuse (an integer JCS cannot represent exactly).
        expect(outcome(() => canonicalReadingJson(parsed))).toBe(outcome(() => canonicalize(parsed)));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses, as JCS does, an integer value beyond 2^53', () => {
    expect(() => canonicalReadingJson({ ...reading('a', 1), value: 2 ** 60 })).toThrow(/2\^53/);
  });
});
