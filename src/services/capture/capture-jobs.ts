/**
 * Capture jobs (EPCIS 2.0 REST binding, capture interface): a document accepted for capture runs
 * as a job the client polls. Rollback ("all or nothing") is the atomic capture; proceed ("greedy")
 * the partial one. Jobs are kept in the store (capture-job-store.ts) and end with what the capture
 * reported: success, and the errors of the document or of each rejected event.
 */
import { randomUUID } from 'node:crypto';
import { CaptureRejectedError, type CaptureEventResult } from '../../core/capture/errors.js';
import { isCodedError } from '../../core/coded-error.js';
import type { CaptureEnvelope } from '../../core/capture/envelope.js';
import type { Database } from '../../store/database.js';
import { CaptureJobStore, type CaptureJobRow, type ErrorBehaviour, type JobError, type JobRetention } from '../../store/capture-job-store.js';
import { ReadError } from '../read-errors.js';
import type { CaptureOptions } from './draft.js';
import { processLogger } from '../../platform/logger.js';

const logJobError = (err: unknown) => processLogger().error({ err }, 'capture job failed unexpectedly');

export type { CaptureJobRow, ErrorBehaviour, JobError } from '../../store/capture-job-store.js';

export interface CaptureJobsDeps {
  db: Database;
  /** The capture itself (CaptureService.capture). */
  capture: (envelope: CaptureEnvelope, options: CaptureOptions) => Promise<{ results: CaptureEventResult[] }>;
  retention?: JobRetention;
  now?: () => Date;
  /** Where unexpected failures are logged (their detail never reaches the client). */
  log?: (err: unknown) => void;
}

/** Whose jobs a caller may read: its own organisation's, in its consortium. */
export interface JobOwner {
  consortiumId: string;
  orgId: string;
}

interface Outcome {
  success: boolean;
  errors: JobError[];
  results: CaptureEventResult[] | null;
}


/** The job's errors: each rejected event's own (not the NOT_STORED of its atomic companions). */
function outcomeOf(results: CaptureEventResult[]): Outcome {
  const errors: JobError[] = results
    .filter((r) => r.status === 'rejected' && r.error && r.error.code !== 'NOT_STORED')
    .map((r) => ({ code: r.error!.code, message: r.error!.message, ...(r.error!.details ? { details: r.error!.details } : {}), index: r.index, eventId: r.eventId }));
  return { success: errors.length === 0, errors, results };
}

export class CaptureJobs {
  readonly #store: CaptureJobStore;
  readonly #running = new Set<Promise<void>>();
  readonly #startedAt: Date;
  #recovered?: Promise<unknown>;

  constructor(private readonly deps: CaptureJobsDeps) {
    this.#store = new CaptureJobStore(deps.db, deps.retention);
    this.#startedAt = this.#now();
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Jobs a node left running when it stopped end as failed (once per start, before the first new job). */
  #recover(): Promise<unknown> {
    this.#recovered ??= this.#store.endInterrupted(
      { code: 'CAPTURE_INTERRUPTED', message: 'the node stopped while this job ran; read the events by their IDs to see which were stored' },
      this.#startedAt.toISOString(),
      this.#startedAt.toISOString(),
    );
    return this.#recovered;
  }

  /** Records the job and starts the capture; resolves once the job is recorded (the capture runs on). */
  async start(envelope: CaptureEnvelope, owner: JobOwner, behaviour: ErrorBehaviour, eventCount: number, options: Pick<CaptureOptions, 'xsdChecked'> = {}): Promise<CaptureJobRow> {
    await this.#recover();
    const captureId = randomUUID();
    const createdAt = this.#now().toISOString();
    await this.#store.create({ captureId, consortiumId: owner.consortiumId, orgId: owner.orgId, createdAt, errorBehaviour: behaviour, eventCount });
    const run: Promise<void> = this.#run(captureId, envelope, { ...options, mode: behaviour === 'rollback' ? 'atomic' : 'partial' }).finally(() => this.#running.delete(run));
    this.#running.add(run);
    return { captureId, consortiumId: owner.consortiumId, orgId: owner.orgId, createdAt, finishedAt: null, running: true, success: true, errorBehaviour: behaviour, eventCount, errors: [], results: null };
  }

  async #run(captureId: string, envelope: CaptureEnvelope, options: CaptureOptions): Promise<void> {
    let outcome: Outcome;
    try {
      const { results } = await this.deps.capture(envelope, options);
      outcome = outcomeOf(results);
    } catch (err) {
      if (err instanceof CaptureRejectedError) outcome = outcomeOf(err.results);
      else if (isCodedError(err)) outcome = { success: false, errors: [{ code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }], results: null };
      else {
        (this.deps.log ?? logJobError)(err);
        outcome = { success: false, errors: [{ code: 'INTERNAL', message: 'unexpected error; it has been logged' }], results: null };
      }
    }
    try {
      await this.#store.finish(captureId, { ...outcome, finishedAt: this.#now().toISOString() });
    } catch (err) {
      (this.deps.log ?? logJobError)(err);
    }
  }

  /** The caller's own job; another organisation's reads as absent (capture IDs cannot be probed). */
  async get(owner: JobOwner, captureId: string): Promise<CaptureJobRow> {
    const job = await this.#store.find(captureId);
    if (!job || job.consortiumId !== owner.consortiumId || job.orgId !== owner.orgId) throw new ReadError('NOT_FOUND', `no capture job ${captureId}`, { captureID: captureId });
    return job;
  }

  /** The caller's jobs, newest first. */
  async list(owner: JobOwner, limit = 100): Promise<CaptureJobRow[]> {
    return this.#store.list(owner.consortiumId, owner.orgId, Math.max(1, Math.min(limit, 1000)));
  }

  /** Waits for the jobs still running (their results are recorded before the store closes). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#running]);
  }
}
