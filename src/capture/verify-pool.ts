/**
 * Signature verification for large documents in a small worker_threads pool. Under tsx/vitest the
 * worker is the .ts file loaded with `--import tsx`; if the pool cannot start, verification falls
 * back to the main thread, so results never depend on the pool.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { parsePublicKey } from '../crypto/index.js';
import { verifyRecordSignature, type SignedRecord } from '../ledger/record.js';
import type { VerifyOutcome, VerifyRequest } from './verify-worker.js';

/** Documents with more events than this are verified in the pool. */
export const POOL_THRESHOLD = 32;
const POOL_SIZE = 2;
const START_TIMEOUT_MS = 10_000;

export function verifyOnMainThread(records: readonly SignedRecord[], publicKeyEncoded: string): VerifyOutcome[] {
  const publicKey = parsePublicKey(publicKeyEncoded);
  return records.map((record) => {
    try {
      verifyRecordSignature(record, publicKey);
      return null;
    } catch (err) {
      const e = err as { code?: string; message: string; details?: Record<string, unknown> };
      return { code: e.code ?? 'BAD_SIGNATURE', message: e.message, details: e.details };
    }
  });
}

interface PooledWorker {
  worker: Worker;
  pending: Map<number, { resolve: (o: VerifyOutcome[]) => void; reject: (e: Error) => void }>;
}

function tsxApiSpecifier(): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return 'tsx/esm/api';
  }
}

export class VerifyPool {
  #workers: PooledWorker[] | null = null;
  #broken = false;
  #nextId = 1;
  /** How the last batch was verified (for tests and diagnostics). */
  lastMode: 'pool' | 'main' | null = null;

  #start(): PooledWorker[] | null {
    if (this.#broken) return null;
    if (this.#workers) return this.#workers;
    try {
      const isTs = import.meta.url.endsWith('.ts');
      const entry = new URL(isTs ? './verify-worker.ts' : './verify-worker.js', import.meta.url);
      this.#workers = Array.from({ length: POOL_SIZE }, () => {
        // A .ts entry cannot be the worker's main module even with `--import tsx` (Node 20 resolves
        // it first), so an eval bootstrap registers tsx and then imports it.
        const worker = isTs
          ? new Worker(`import(${JSON.stringify(tsxApiSpecifier())}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true })
          : new Worker(fileURLToPath(entry));
        worker.unref();
        const pooled: PooledWorker = { worker, pending: new Map() };
        worker.on('message', (msg: { id: number; outcomes: VerifyOutcome[] }) => {
          const p = pooled.pending.get(msg.id);
          if (p) {
            pooled.pending.delete(msg.id);
            p.resolve(msg.outcomes);
          }
        });
        const fail = (err: Error) => {
          this.#broken = true;
          for (const p of pooled.pending.values()) p.reject(err);
          pooled.pending.clear();
        };
        worker.on('error', fail);
        worker.on('exit', (code) => fail(new Error(`verify worker exited with code ${code}`)));
        return pooled;
      });
      return this.#workers;
    } catch {
      this.#broken = true;
      return null;
    }
  }

  #run(pooled: PooledWorker, records: SignedRecord[], publicKey: string): Promise<VerifyOutcome[]> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      const timer = setTimeout(() => {
        pooled.pending.delete(id);
        this.#broken = true;
        reject(new Error('verify worker did not answer in time'));
      }, START_TIMEOUT_MS);
      timer.unref();
      pooled.pending.set(id, {
        resolve: (o) => {
          clearTimeout(timer);
          resolve(o);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      pooled.worker.ref();
      const req: VerifyRequest = { id, publicKey, records };
      pooled.worker.postMessage(req);
    }).finally(() => {
      if (pooled.pending.size === 0) pooled.worker.unref();
    }) as Promise<VerifyOutcome[]>;
  }

  /** One outcome per record, in order: null when the signature verifies. */
  async verify(records: SignedRecord[], publicKeyEncoded: string): Promise<VerifyOutcome[]> {
    const workers = records.length > POOL_THRESHOLD ? this.#start() : null;
    if (!workers) {
      this.lastMode = 'main';
      return verifyOnMainThread(records, publicKeyEncoded);
    }
    const per = Math.ceil(records.length / workers.length);
    const chunks = workers.map((_, i) => records.slice(i * per, (i + 1) * per));
    try {
      const parts = await Promise.all(chunks.map((chunk, i) => (chunk.length === 0 ? [] : this.#run(workers[i]!, chunk, publicKeyEncoded))));
      this.lastMode = 'pool';
      return parts.flat();
    } catch {
      this.lastMode = 'main';
      await this.close();
      this.#broken = true;
      return verifyOnMainThread(records, publicKeyEncoded);
    }
  }

  async close(): Promise<void> {
    const workers = this.#workers;
    this.#workers = null;
    if (workers) await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
