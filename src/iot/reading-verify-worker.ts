/** Worker entry: verifies reading signatures off the main thread (see reading-verify-pool.ts). */
import { parentPort } from 'node:worker_threads';
import { verifyReadingBatch, type ReadingVerifyBatch } from './reading-verify.js';

parentPort?.on('message', (req: { id: number; batch: ReadingVerifyBatch }) => {
  try {
    parentPort!.postMessage({ id: req.id, results: verifyReadingBatch(req.batch) });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: (err as Error).message });
  }
});

parentPort?.postMessage({ ready: true });
