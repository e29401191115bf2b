/** Worker entry: verifies reading signatures off the main thread (see reading-verify-pool.ts). */
import { parentPort } from 'node:worker_threads';
import { generateKeyPair } from '../../core/crypto/index.js';
import { signReading } from '../../core/readings/reading.js';
import { verifyReadingBatch, type ReadingVerifyBatch } from '../../core/readings/reading-verify.js';

parentPort?.on('message', (req: { id: number; batch: ReadingVerifyBatch }) => {
  try {
    parentPort!.postMessage({ id: req.id, results: verifyReadingBatch(req.batch) });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: (err as Error).message });
  }
});

/** One reading through the whole path before saying ready: the first real batch then runs warm. */
function warmUp(): void {
  const key = generateKeyPair('ed25519');
  const reading = { v: 1 as const, consortium: 'warm-up', deviceId: 'warm-up', seq: 1, observedAt: '2026-01-01T00:00:00.000Z', type: 'temperature', value: 1 };
  const [result] = verifyReadingBatch({
    items: [{ text: JSON.stringify(signReading(reading, key)), device: 0 }],
    devices: [{ key: key.publicKey, consortium: reading.consortium, deviceId: reading.deviceId }],
  });
  if (!result?.ok) throw new Error('reading verify worker failed its warm-up check');
}

warmUp();
parentPort?.postMessage({ ready: true });
