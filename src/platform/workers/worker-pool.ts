/**
 * One small worker_threads pool for the per-item checks that need no node state: capture's record
 * hashes, signatures and event hash IDs, and the readings' shape and signature checks
 * (pool-tasks.ts), and capture's schema validation. A batch is cut into chunks that go to whichever
 * worker is free, so a worker the OS keeps waiting does not hold up the batch. Small work (few items
 * AND few bytes), and any pool failure, runs on the main thread: results never depend on the pool.
 * Work given a deadline (runBounded) that a worker does not finish in time ends that worker: it is
 * replaced, its other chunks go to the queue again, and the caller gets a WorkDeadlineError. Under
 * tsx/vitest the worker is the .ts file, loaded through an eval bootstrap that registers tsx
 * (worker-thread.ts).
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { CodedError } from '../../core/coded-error.js';
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
  /**
   * Work of at least this many bytes (as JSON, task.bytes) goes to the workers even when it has few
   * items: one 3 MB event is as much work as thousands of small ones. Default 64 KiB.
   */
  minBytes?: number;
  /** Tasks each worker prepares before it says ready (pool-worker.ts POOL_WARM_UPS), e.g. compiling the schemas. */
  warmTasks?: readonly string[];
  /** How long a worker may take to say ready before it is ended as failed. Default LOAD_TIMEOUT_MS. */
  loadTimeoutMs?: number;
}

/** Work given to runBounded that its worker did not finish in time; the worker was ended. */
export class WorkDeadlineError extends CodedError<'WORK_DEADLINE_EXCEEDED'> {
  override readonly name = 'WorkDeadlineError';
}

const ANSWER_TIMEOUT_MS = 10_000;
/** A worker not ready this long after it was started (code loaded, schemas compiled) is ended as failed. */
export const LOAD_TIMEOUT_MS = 60_000;

interface QueuedChunk {
  task: string;
  request: unknown;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  /** Counted from when the worker holding the chunk is loaded; past it the worker is ended. */
  deadlineMs?: number;
}

interface Pending {
  chunk: QueuedChunk;
  timer?: NodeJS.Timeout;
}

interface PooledWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Resolves once the worker has loaded its code and warmed up (or failed). */
  loaded: Promise<void>;
  /** Ended for a missed deadline: its exit is expected and says nothing about the pool. */
  retired: boolean;
}

type WorkerMessage = { ready: true } | { id: number; result: unknown } | { id: number; error: string };

export class WorkerPool {
  readonly #size: number;
  readonly #minBatch: number;
  readonly #chunksPerWorker: number;
  readonly #outstanding: number;
  readonly #minBytes: number;
  readonly #warmTasks: readonly string[];
  readonly #loadTimeoutMs: number;
  #workers: PooledWorker[] | null = null;
  #broken = false;
  #nextId = 1;
  readonly #queue: QueuedChunk[] = [];
  /** How the last batch given to run() ran (for tests and diagnostics). */
  lastMode: 'pool' | 'main' | null = null;
  /** Requests run, by task name, wherever they ran (for tests and diagnostics). */
  readonly taskRuns = new Map<string, number>();
  /** How the last request of each task ran. */
  readonly lastModes = new Map<string, 'pool' | 'main'>();

  constructor(options: WorkerPoolOptions = {}) {
    this.#size = Math.max(0, Math.floor(options.workers ?? Math.min(4, os.availableParallelism())));
    this.#minBatch = Math.max(1, options.minBatch ?? 16);
    this.#chunksPerWorker = Math.max(1, Math.floor(options.chunksPerWorker ?? 4));
    this.#outstanding = Math.max(1, options.outstandingPerWorker ?? 2);
    this.#minBytes = Math.max(1, options.minBytes ?? 64 * 1024);
    this.#warmTasks = options.warmTasks ?? [];
    this.#loadTimeoutMs = Math.max(1, options.loadTimeoutMs ?? LOAD_TIMEOUT_MS);
  }

  /** Starts the workers ahead of the first large batch; resolves once they are loaded (or unusable). */
  async warm(): Promise<void> {
    const workers = this.#start();
    if (workers) await Promise.all(workers.map((w) => w.loaded));
  }

  /** The task's result for the whole request, computed in the workers or here. */
  async run<Req, Res>(task: PoolTask<Req, Res>, request: Req): Promise<Res> {
    this.#count(task.name);
    const size = task.size(request);
    const workers = this.#worthWorkers(task, request, size) ? this.#start() : null;
    if (!workers) {
      this.#ran(task.name, 'main');
      return task.run(request);
    }
    const chunk = Math.max(this.#minBatch, Math.ceil(size / (workers.length * this.#chunksPerWorker)));
    try {
      const parts = await Promise.all(
        Array.from({ length: Math.ceil(size / chunk) }, (_, i) => this.#enqueue(task.name, task.slice(request, i * chunk, Math.min(size, (i + 1) * chunk))) as Promise<Res>),
      );
      this.#ran(task.name, 'pool');
      return task.merge(parts);
    } catch {
      // A worker failed: never again for this pool, and this batch runs here.
      this.#broken = true;
      await this.close();
      this.#ran(task.name, 'main');
      return task.run(request);
    }
  }

  /**
   * The task's result for the whole request, in one worker that must answer within `deadlineMs` of
   * taking it (else WorkDeadlineError, and that worker is replaced). Small work runs here, and so
   * does any work when the pool has no workers or they failed.
   */
  async runBounded<Req, Res>(task: PoolTask<Req, Res>, request: Req, deadlineMs: number): Promise<Res> {
    this.#count(task.name);
    const workers = this.#worthWorkers(task, request, task.size(request)) ? this.#start() : null;
    if (workers) {
      try {
        const result = (await this.#enqueue(task.name, request, deadlineMs)) as Res;
        this.lastModes.set(task.name, 'pool');
        return result;
      } catch (err) {
        if (err instanceof WorkDeadlineError) throw err;
        this.#broken = true;
        await this.close();
      }
    }
    this.lastModes.set(task.name, 'main');
    return task.run(request);
  }

  async close(): Promise<void> {
    const workers = this.#workers;
    this.#workers = null;
    for (const q of this.#queue.splice(0)) q.reject(new Error('the worker pool is closed'));
    if (workers) await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  #ran(task: string, mode: 'pool' | 'main'): void {
    this.lastMode = mode;
    this.lastModes.set(task, mode);
  }

  #count(task: string): void {
    this.taskRuns.set(task, (this.taskRuns.get(task) ?? 0) + 1);
  }

  #worthWorkers<Req>(task: PoolTask<Req, unknown>, request: Req, size: number): boolean {
    return size >= this.#minBatch || (task.bytes !== undefined && task.bytes(request, this.#minBytes) >= this.#minBytes);
  }

  #enqueue(task: string, request: unknown, deadlineMs?: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ task, request, resolve, reject, ...(deadlineMs !== undefined ? { deadlineMs } : {}) });
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
        this.#post(w, this.#queue.shift()!);
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
    const worker = startWorker(import.meta.url, 'pool-worker', { warmTasks: [...this.#warmTasks] });
    worker.unref();
    let loaded!: () => void;
    const pooled: PooledWorker = { worker, pending: new Map(), loaded: new Promise((resolve) => (loaded = resolve)), retired: false };
    // A warm-up that hangs would leave every chunk sent to this worker waiting for ever.
    const loadTimer = setTimeout(() => void worker.terminate(), this.#loadTimeoutMs);
    loadTimer.unref();
    worker.on('message', (msg: WorkerMessage) => {
      if ('ready' in msg) {
        clearTimeout(loadTimer);
        return loaded();
      }
      const p = pooled.pending.get(msg.id);
      if (!p) return;
      this.#settle(pooled, msg.id);
      if ('result' in msg) p.chunk.resolve(msg.result);
      else p.chunk.reject(new Error(`pool worker failed: ${msg.error}`));
      this.#dispatch();
    });
    const fail = (err: Error): void => {
      clearTimeout(loadTimer);
      loaded();
      if (pooled.retired) return;
      this.#broken = true;
      for (const id of [...pooled.pending.keys()]) this.#settle(pooled, id)?.chunk.reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`pool worker exited with code ${code}`)));
    return pooled;
  }

  /** Takes a chunk off the worker's pending list and stops its timers. */
  #settle(pooled: PooledWorker, id: number): Pending | undefined {
    const p = pooled.pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    pooled.pending.delete(id);
    if (pooled.pending.size === 0) pooled.worker.unref();
    return p;
  }

  #post(pooled: PooledWorker, chunk: QueuedChunk): void {
    const id = this.#nextId++;
    const entry: Pending = { chunk };
    const expire = (err: Error) => () => {
      if (!pooled.pending.has(id)) return;
      if (chunk.deadlineMs !== undefined) return this.#retire(pooled, id);
      this.#settle(pooled, id);
      chunk.reject(err);
      this.#dispatch();
    };
    // Both limits run from when the worker is ready: its start-up and warm-up (compiling the schemas) are not counted.
    void pooled.loaded.then(() => {
      if (!pooled.pending.has(id)) return;
      const deadline = chunk.deadlineMs !== undefined;
      entry.timer = setTimeout(expire(new Error(deadline ? 'deadline' : 'pool worker did not answer in time')), deadline ? chunk.deadlineMs : ANSWER_TIMEOUT_MS);
      entry.timer.unref();
    });
    pooled.pending.set(id, entry);
    pooled.worker.ref();
    pooled.worker.postMessage({ id, task: chunk.task, request: chunk.request });
  }

  /** Ends a worker that missed a deadline: a fresh one takes its place and its other chunks are queued again. */
  #retire(pooled: PooledWorker, missedId: number): void {
    const workers = this.#workers;
    pooled.retired = true;
    const missed = this.#settle(pooled, missedId)!;
    const others = [...pooled.pending.keys()].map((id) => this.#settle(pooled, id)!.chunk);
    void pooled.worker.terminate();
    if (workers) {
      const at = workers.indexOf(pooled);
      if (at >= 0) workers[at] = this.#spawn();
    }
    this.#queue.unshift(...others);
    missed.chunk.reject(new WorkDeadlineError('WORK_DEADLINE_EXCEEDED', `the work took more than ${missed.chunk.deadlineMs} ms`, { deadlineMs: missed.chunk.deadlineMs, task: missed.chunk.task }));
    this.#dispatch();
  }
}
