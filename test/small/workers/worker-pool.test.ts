/** One worker pool for capture and readings: the same results as on the main thread, whichever task, and the main thread when workers fail. */
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair, encodePublicKey } from '../../../src/core/crypto/index.js';
import { RecordKind, signRecord, type SignedRecord } from '../../../src/core/ledger/record.js';
import { signReading } from '../../../src/core/readings/reading.js';
import type { ReadingVerifyBatch } from '../../../src/core/readings/reading-verify.js';
import type { VerifyRequest } from '../../../src/core/capture/verify-core.js';
import { captureVerifyTask, readingVerifyTask } from '../../../src/platform/workers/pool-tasks.js';
import { WorkerPool } from '../../../src/platform/workers/worker-pool.js';

const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'];

function captureRequest(count: number): VerifyRequest {
  const key = generateKeyPair('ed25519');
  const records: SignedRecord[] = Array.from({ length: count }, (_, i) =>
    signRecord(
      {
        consortium: 'uk-red-meat',
        kind: RecordKind.EPCIS_EVENT,
        payload: { event: { type: 'ObjectEvent', eventTime: '2026-11-21T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE', epcList: [`urn:epc:id:sgtin:0614141.812345.${i}`] } },
      },
      key,
    ),
  );
  // Every seventh signature belongs to another record.
  for (let i = 6; i < count; i += 7) records[i] = { ...records[i]!, signature: records[i - 1]!.signature };
  return { publicKey: encodePublicKey(key.publicKey), records, events: { context: CONTEXT } };
}

function readingBatch(count: number): ReadingVerifyBatch {
  const key = generateKeyPair('p256');
  const items = Array.from({ length: count }, (_, i) => {
    const reading = { v: 1 as const, consortium: 'uk-red-meat', deviceId: 'probe', seq: i + 1, observedAt: '2026-11-21T08:00:00.000Z', type: 'temperature', value: i };
    const message = signReading(reading, key);
    return { text: JSON.stringify(i % 5 === 4 ? { ...message, reading: { ...reading, value: -1 } } : message), device: 0 };
  });
  return { items, devices: [{ key: key.publicKey, consortium: 'uk-red-meat', deviceId: 'probe' }] };
}

describe('worker pool', () => {
  const pool = new WorkerPool({ workers: 2, minBatch: 8 });
  afterAll(() => pool.close());

  it('runs capture and reading batches at once, each with the main thread results', async () => {
    const capture = captureRequest(60);
    const readings = readingBatch(50);
    await pool.warm();
    const [captured, read] = await Promise.all([pool.run(captureVerifyTask, capture), pool.run(readingVerifyTask, readings)]);
    expect(pool.lastMode).toBe('pool');
    expect(captured).toEqual(captureVerifyTask.run(capture));
    expect(captured.outcomes.filter((o) => o !== null)).toHaveLength(8);
    expect(captured.eventIds.every((id) => id?.startsWith('ni:///'))).toBe(true);
    expect(read).toEqual(readingVerifyTask.run(readings));
    expect(read.filter((r) => !r.ok)).toHaveLength(10);
  });

  it('falls back to the main thread when a worker fails, and stays there', async () => {
    const request = captureRequest(20);
    const broken = new WorkerPool({ workers: 1, minBatch: 2 });
    try {
      const result = await broken.run({ ...captureVerifyTask, name: 'no-such-task' }, request);
      expect(broken.lastMode).toBe('main');
      expect(result).toEqual(captureVerifyTask.run(request));
      await broken.run(captureVerifyTask, request);
      expect(broken.lastMode).toBe('main');
    } finally {
      await broken.close();
    }
  });

  it('ends a worker that is not ready in time: warm() resolves, and the work runs on the main thread', async () => {
    const request = captureRequest(20);
    // No worker loads its code in 1 ms: each is ended as if its warm-up had hung.
    const slow = new WorkerPool({ workers: 1, minBatch: 2, loadTimeoutMs: 1 });
    try {
      await slow.warm();
      const result = await slow.run(captureVerifyTask, request);
      expect(slow.lastMode).toBe('main');
      expect(result).toEqual(captureVerifyTask.run(request));
    } finally {
      await slow.close();
    }
  }, 30_000);
});
