/**
 * Reading checks (JSON, shape, topic match, JCS digest, signature: reading-verify.ts) in a small
 * worker_threads pool, so the main thread (MQTT, SQLite) is not the bottleneck at high rates. Small batches, and any pool failure, fall back to the main
 * thread: the verdicts never depend on the pool. Under tsx/vitest the worker is the .ts file,
 * loaded through an eval bootstrap that registers tsx (as src/capture/verify-pool.ts does).
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from './worker-thread.js';
import { verifyReadingBatch, type ReadingVerifyBatch, type ReadingVerifyResult } from '../../core/readings/reading-verify.js';

export interface ReadingVerifyPoolOptions {
  /** Worker threads; 0 verifies on the main thread. Default: the machine's parallelism, at most 4. */
  workers?: number;
  /** Batches smaller than this are verified on the main thread (a round trip costs more). Default 16. */
  threshold?: number;
}

const START_TIMEOUT_MS = 10_000;
/** A batch is cut into about this many chunks per worker. */
const CHUNKS_PER_WORKER = 4;

interface Pending {
  resolve: (results: ReadingVerifyResult[]) => void;
  reject: (err: Error) => void;
}

interface PooledWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Resolves once the worker has loaded its code (or failed). */
  loaded: Promise<void>;
}

export class ReadingVerifyPool {
  readonly #size: number;
  readonly #threshold: number;
  #workers: PooledWorker[] | null = null;
  #broken = false;
  #nextId = 1;
  readonly #queue: { chunk: ReadingVerifyBatch; resolve: (r: ReadingVerifyResult[]) => void; reject: (e: Error) => void }[] = [];
  /** How the last batch was verified (for tests and diagnostics). */
  lastMode: 'pool' | 'main' | null = null;

  constructor(options: ReadingVerifyPoolOptions = {}) {
    this.#size = Math.max(0, Math.floor(options.workers ?? Math.min(4, os.availableParallelism())));
    this.#threshold = Math.max(1, options.threshold ?? 16);
  }

  /** Starts the workers ahead of the first large batch; resolves once they are loaded (or unusable). */
  async warm(): Promise<void> {
    const workers = this.#start();
    if (workers) await Promise.all(workers.map((w) => w.loaded));
  }

  /** One result per item, in order. */
  async verify(batch: ReadingVerifyBatch): Promise<ReadingVerifyResult[]> {
    const workers = batch.items.length >= this.#threshold ? this.#start() : null;
    if (!workers) {
      this.lastMode = 'main';
      return verifyReadingBatch(batch);
    }
    // Chunks go to whichever worker is free, so a worker the OS keeps waiting does not hold up the batch.
    const size = Math.max(this.#threshold, Math.ceil(batch.items.length / (workers.length * CHUNKS_PER_WORKER)));
    try {
      const parts = await Promise.all(
        Array.from({ length: Math.ceil(batch.items.length / size) }, (_, i) =>
          this.#enqueue({ items: batch.items.slice(i * size, (i + 1) * size), devices: batch.devices }),
        ),
      );
      this.lastMode = 'pool';
      return parts.flat();
    } catch {
      // A worker failed: never again for this pool, and this batch is verified here.
      this.#broken = true;
      await this.close();
      this.lastMode = 'main';
      return verifyReadingBatch(batch);
    }
  }

  async close(): Promise<void> {
    const workers = this.#workers;
    this.#workers = null;
    const queued = this.#queue.splice(0);
    for (const q of queued) q.reject(new Error('the reading verify pool is closed'));
    if (workers) await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  #enqueue(chunk: ReadingVerifyBatch): Promise<ReadingVerifyResult[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ chunk, resolve, reject });
      this.#dispatch();
    });
  }

  /** Gives queued chunks to workers with fewer than two chunks outstanding. */
  #dispatch(): void {
    const workers = this.#workers;
    if (!workers) {
      for (const q of this.#queue.splice(0)) q.reject(new Error('the reading verify pool is not running'));
      return;
    }
    for (let progress = true; progress && this.#queue.length > 0; ) {
      progress = false;
      for (const w of workers) {
        if (w.pending.size >= 2 || this.#queue.length === 0) continue;
        const q = this.#queue.shift()!;
        this.#run(w, q.chunk).then(q.resolve, q.reject).finally(() => this.#dispatch());
        progress = true;
      }
    }
  }

  #start(): PooledWorker[] | null {
    if (this.#broken || this.#size === 0) return null;
    if (this.#workers) return this.#workers;
    try {
      this.#workers = Array.from({ length: this.#size }, () => {
        const worker = startWorker(import.meta.url, 'reading-verify-worker');
        worker.unref();
        let loaded!: () => void;
        const pooled: PooledWorker = { worker, pending: new Map(), loaded: new Promise((resolve) => (loaded = resolve)) };
        worker.on('message', (msg: { id: number; results?: ReadingVerifyResult[]; error?: string } | { ready: true }) => {
          if ('ready' in msg) return loaded();
          const p = pooled.pending.get(msg.id);
          if (!p) return;
          pooled.pending.delete(msg.id);
          if (msg.results) p.resolve(msg.results);
          else p.reject(new Error(`reading verify worker failed: ${msg.error}`));
        });
        const fail = (err: Error): void => {
          loaded();
          this.#broken = true;
          for (const p of pooled.pending.values()) p.reject(err);
          pooled.pending.clear();
        };
        worker.on('error', fail);
        worker.on('exit', (code) => fail(new Error(`reading verify worker exited with code ${code}`)));
        return pooled;
      });
      return this.#workers;
    } catch {
      this.#broken = true;
      return null;
    }
  }

  #run(pooled: PooledWorker, batch: ReadingVerifyBatch): Promise<ReadingVerifyResult[]> {
    const id = this.#nextId++;
    return new Promise<ReadingVerifyResult[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        pooled.pending.delete(id);
        reject(new Error('reading verify worker did not answer in time'));
      }, START_TIMEOUT_MS);
      timer.unref();
      pooled.pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      pooled.worker.ref();
      pooled.worker.postMessage({ id, batch });
    }).finally(() => {
      if (pooled.pending.size === 0) pooled.worker.unref();
    });
  }
}
