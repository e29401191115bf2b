/** Worker entry: verifies record signatures off the main thread (see verify-pool.ts). */
import { parentPort } from 'node:worker_threads';
import { verifyAndHash, type VerifyRequest } from '../../core/capture/verify-core.js';

export type { VerifyOutcome, VerifyRequest, VerifyResult } from '../../core/capture/verify-core.js';

parentPort?.on('message', (req: VerifyRequest) => {
  parentPort!.postMessage({ id: req.id, result: verifyAndHash(req) });
});
