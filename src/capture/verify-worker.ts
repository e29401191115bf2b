/** Worker entry: verifies record signatures off the main thread (see verify-pool.ts). */
import { parentPort } from 'node:worker_threads';
import { parsePublicKey } from '../crypto/index.js';
import { verifyRecordSignature, type SignedRecord } from '../ledger/record.js';

export interface VerifyRequest {
  id: number;
  publicKey: string;
  records: SignedRecord[];
}

export type VerifyOutcome = null | { code: string; message: string; details?: Record<string, unknown> };

parentPort?.on('message', (req: VerifyRequest) => {
  const outcomes: VerifyOutcome[] = req.records.map((record) => {
    try {
      verifyRecordSignature(record, parsePublicKey(req.publicKey));
      return null;
    } catch (err) {
      const e = err as { code?: string; message: string; details?: Record<string, unknown> };
      return { code: e.code ?? 'BAD_SIGNATURE', message: e.message, details: e.details };
    }
  });
  parentPort!.postMessage({ id: req.id, outcomes });
});
