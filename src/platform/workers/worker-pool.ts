/**
 * One small worker_threads pool for the per-item checks that need no node state: capture's record
 * hashes, signatures and event hash IDs, and the readings' shape and signature checks
 * (pool-tasks.ts). A batch is cut into chunks that go to whichever worker is free, so a worker the
 * OS keeps waiting does not hold up the batch. Small batches, and any pool failure, run on the main
 * thread: results never depend on the pool. Under tsx/vitest the worker is the .ts file, loaded
 * through an eval bootstrap that registers tsx (worker-thread.ts).
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from './worker-thread.js';
import type { PoolTask } from './pool-tasks.js';

export interface WorkerPoolOptions {
  /** Worker threads; 0 runs everything on the main thread. Default: the machine's parallelism, at most 4. */
  workers?: number;
  /** Batches smaller than this run on the main thread (a round trip costs more). Default 16. */
  minBatch?: number;
  /** A batch is cut into about this many chunks per worker (none smaller than minBatch). Default 4. */
  chunksPerWorker?: number;
  /**
   * Chunks a worker holds at once. Default 2 (one running, one waiting): the rest go to whichever
   * worker is free first, so a worker the OS keeps waiting does not hold up the batch. Infinity
   * hands every chunk out at once, so no worker waits for the main thread to hand out the next.
   */
  outstandingPerWorker?: number;
}

const ANSWER_TIMEOUT_MS = 10_000;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

interface PooledWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Resolves once the worker has loaded its code (or failed). */
  loaded: Promise<void>;
}

interface QueuedChunk {
  task: string;
  request: unknown;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

type WorkerMessage = { ready: true } | { id: number; result: unknown } | { id: number; error: string };

export class WorkerPool {
  readonly #size: number;
  readonly #minBatch: number;
  readonly #chunksPerWorker: number;
  readonly #outstanding: number;
  #workers: PooledWorker[] | null = null;
  #broken = false;
  #nextId = 1;
  readonly #queue: QueuedChunk[] = [];
  /** How the last batch ran (for tests and diagnostics). */
  lastMode: 'pool' | 'main' | null = null;

  constructor(options: WorkerPoolOptions = {}) {
    this.#size = Math.max(0, Math.floor(options.workers ?? Math.min(4, os.availableParallelism())));
    this.#minBatch = Math.max(1, options.minBatch ?? 16);
    this.#chunksPerWorker = Math.max(1, Math.floor(options.chunksPerWorker ?? 4));
    this.#outstanding = Math.max(1, options.outstandingPerWorker ?? 2);
  }

  /** Starts the workers ahead of the first large batch; resolves once they are loaded (or unusable). */
  async warm(): Promise<void> {
    const workers = this.#start();
    if (workers) await Promise.all(workers.map((w) => w.loaded));
  }

  /** The task's result for the whole request, computed in the workers or here. */
  async run<Req, Res>(task: PoolTask<Req, Res>, request: Req): Promise<Res> {
    const size = task.size(request);
    const workers = size >= this.#minBatch ? this.#start() : null;
    if (!workers) {
      this.lastMode = 'main';
      return task.run(request);
    }
    const chunk = Math.max(this.#minBatch, Math.ceil(size / (workers.length * this.#chunksPerWorker)));
    try {
      const parts = await Promise.all(
        Array.from({ length: Math.ceil(size / chunk) }, (_, i) => this.#enqueue(task.name, task.slice(request, i * chunk, Math.min(size, (i + 1) * chunk))) as Promise<Res>),
      );
      this.lastMode = 'pool';
      return task.merge(parts);
    } catch {
      // A worker failed: never again for this pool, and this batch runs here.
      this.#broken = true;
      await this.close();
      this.lastMode = 'main';
      return task.run(request);
    }
  }

  async close(): Promise<void> {
    const workers = this.#workers;
    this.#workers = null;
    for (const q of this.#queue.splice(0)) q.reject(new Error('the worker pool is closed'));
    if (workers) await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  #enqueue(task: string, request: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ task, request, resolve, reject });
      this.#dispatch();
    });
  }

  /** Gives queued chunks to workers with room for another. */
  #dispatch(): void {
    const workers = this.#workers;
    if (!workers) {
      for (const q of this.#queue.splice(0)) q.reject(new Error('the worker pool is not running'));
      return;
    }
    for (let progress = true; progress && this.#queue.length > 0; ) {
      progress = false;
      for (const w of workers) {
        if (w.pending.size >= this.#outstanding || this.#queue.length === 0) continue;
        const q = this.#queue.shift()!;
        this.#post(w, q.task, q.request).then(q.resolve, q.reject).finally(() => this.#dispatch());
        progress = true;
      }
    }
  }

  #start(): PooledWorker[] | null {
    if (this.#broken || this.#size === 0) return null;
    if (this.#workers) return this.#workers;
    try {
      this.#workers = Array.from({ length: this.#size }, () => this.#spawn());
      return this.#workers;
    } catch {
      this.#broken = true;
      return null;
    }
  }

  #spawn(): PooledWorker {
    const worker = startWorker(import.meta.url, 'pool-worker');
    worker.unref();
    let loaded!: () => void;
    const pooled: PooledWorker = { worker, pending: new Map(), loaded: new Promise((resolve) => (loaded = resolve)) };
    worker.on('message', (msg: WorkerMessage) => {
      if ('ready' in msg) return loaded();
      const p = pooled.pending.get(msg.id);
      if (!p) return;
      pooled.pending.delete(msg.id);
      if ('result' in msg) p.resolve(msg.result);
      else p.reject(new Error(`pool worker failed: ${msg.error}`));
    });
    const fail = (err: Error): void => {
      loaded();
      this.#broken = true;
      for (const p of pooled.pending.values()) p.reject(err);
      pooled.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`pool worker exited with code ${code}`)));
    return pooled;
  }

  #post(pooled: PooledWorker, task: string, request: unknown): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        pooled.pending.delete(id);
        reject(new Error('pool worker did not answer in time'));
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      pooled.pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      pooled.worker.ref();
      pooled.worker.postMessage({ id, task, request });
    }).finally(() => {
      if (pooled.pending.size === 0) pooled.worker.unref();
    });
  }
}
