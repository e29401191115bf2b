/**
 * Signature verification for large documents in a small worker_threads pool. Under tsx/vitest the
 * worker is the .ts file loaded with `--import tsx`; if the pool cannot start, verification falls
 * back to the main thread, so results never depend on the pool.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from './worker-thread.js';
import type { SignedRecord } from '../../core/ledger/record.js';
import { verifyAndHash, type VerifyOutcome, type VerifyRequest, type VerifyResult } from '../../core/capture/verify-core.js';

/** Documents with more events than this are verified in the pool. */
export const POOL_THRESHOLD = 32;
const POOL_SIZE = 2;
const START_TIMEOUT_MS = 10_000;

export function verifyOnMainThread(records: readonly SignedRecord[], publicKeyEncoded: string): VerifyOutcome[] {
  return verifyAndHash({ publicKey: publicKeyEncoded, records: [...records] }).outcomes;
}

interface PooledWorker {
  worker: Worker;
  pending: Map<number, { resolve: (o: VerifyResult) => void; reject: (e: Error) => void }>;
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
      this.#workers = Array.from({ length: POOL_SIZE }, () => {
        const worker = startWorker(import.meta.url, 'verify-worker');
        worker.unref();
        const pooled: PooledWorker = { worker, pending: new Map() };
        worker.on('message', (msg: { id: number; result: VerifyResult }) => {
          const p = pooled.pending.get(msg.id);
          if (p) {
            pooled.pending.delete(msg.id);
            p.resolve(msg.result);
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

  #run(pooled: PooledWorker, request: Omit<VerifyRequest, 'id'>): Promise<VerifyResult> {
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
      const req: VerifyRequest = { id, ...request };
      pooled.worker.postMessage(req);
    }).finally(() => {
      if (pooled.pending.size === 0) pooled.worker.unref();
    }) as Promise<VerifyResult>;
  }

  /** One outcome per record, in order: null when the signature verifies. */
  async verify(records: SignedRecord[], publicKeyEncoded: string): Promise<VerifyOutcome[]> {
    return (await this.verifyAndHash(records, publicKeyEncoded)).outcomes;
  }

  /** Outcomes plus each record's hash (and, with `events`, event hash ID), computed where the signatures are checked. */
  async verifyAndHash(records: SignedRecord[], publicKeyEncoded: string, events?: { context: unknown }): Promise<VerifyResult> {
    const request = { publicKey: publicKeyEncoded, events };
    const workers = records.length > POOL_THRESHOLD ? this.#start() : null;
    if (!workers) {
      this.lastMode = 'main';
      return verifyAndHash({ ...request, records });
    }
    const per = Math.ceil(records.length / workers.length);
    const chunks = workers.map((_, i) => records.slice(i * per, (i + 1) * per));
    try {
      const parts = await Promise.all(chunks.map((chunk, i) => (chunk.length === 0 ? null : this.#run(workers[i]!, { ...request, records: chunk }))));
      this.lastMode = 'pool';
      const merged: VerifyResult = { outcomes: [], recordHashes: [], eventIds: [] };
      for (const part of parts) {
        if (!part) continue;
        merged.outcomes.push(...part.outcomes);
        merged.recordHashes.push(...part.recordHashes);
        merged.eventIds.push(...part.eventIds);
      }
      return merged;
    } catch {
      this.lastMode = 'main';
      await this.close();
      this.#broken = true;
      return verifyAndHash({ ...request, records });
    }
  }

  /** Starts the workers now, so the first large document does not wait for them to load. */
  warmUp(): void {
    this.#start();
  }

  async close(): Promise<void> {
    const workers = this.#workers;
    this.#workers = null;
    if (workers) await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
