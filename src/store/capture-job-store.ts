/**
 * Capture jobs of the EPCIS 2.0 REST binding (POST /capture answers 202 with the job's URL).
 * Node state, not chain data: what was stored is in the chain; a job only reports it. Finished
 * jobs are pruned by age and by count, so the table stays bounded.
 */
import type { Database } from './database.js';

export type ErrorBehaviour = 'rollback' | 'proceed';

/** One error of a job, as the capture reported it (the HTTP layer renders it as problem details). */
export interface JobError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  /** The event's position in the document, for an event's own error. */
  index?: number;
  eventId?: string;
}

export interface CaptureJobRow {
  captureId: string;
  consortiumId: string;
  orgId: string;
  createdAt: string;
  finishedAt: string | null;
  running: boolean;
  success: boolean;
  errorBehaviour: ErrorBehaviour;
  eventCount: number;
  errors: JobError[];
  /** Per-event results once finished (as POST /epcis/capture answers them). */
  results: unknown[] | null;
}

export interface JobRetention {
  /** Finished jobs older than this are deleted (default 7 days). */
  maxAgeMs: number;
  /** At most this many finished jobs are kept, newest first (default 10,000). */
  maxJobs: number;
}

export const DEFAULT_JOB_RETENTION: JobRetention = { maxAgeMs: 7 * 24 * 3600_000, maxJobs: 10_000 };

type Stored = Omit<CaptureJobRow, 'errors' | 'results' | 'errorBehaviour'> & { errors: string; results: string | null; errorBehaviour: string };

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function rowOf(stored: Stored): CaptureJobRow {
  return {
    ...stored,
    errorBehaviour: stored.errorBehaviour === 'proceed' ? 'proceed' : 'rollback',
    errors: parseJson<JobError[]>(stored.errors, []),
    results: parseJson<unknown[] | null>(stored.results, null),
  };
}

export class CaptureJobStore {
  constructor(
    private readonly db: Database,
    private readonly retention: JobRetention = DEFAULT_JOB_RETENTION,
  ) {}

  /** Records a new running job, then prunes finished ones beyond the retention. */
  async create(job: Pick<CaptureJobRow, 'captureId' | 'consortiumId' | 'orgId' | 'createdAt' | 'errorBehaviour' | 'eventCount'>): Promise<void> {
    await this.db.captureJob.create({ data: { ...job, running: true, success: true, errors: '[]', results: null, finishedAt: null } });
    await this.prune(new Date(job.createdAt));
  }

  async finish(captureId: string, outcome: { success: boolean; errors: JobError[]; results: unknown[] | null; finishedAt: string }): Promise<void> {
    await this.db.captureJob.update({
      where: { captureId },
      data: { running: false, success: outcome.success, errors: JSON.stringify(outcome.errors), results: outcome.results === null ? null : JSON.stringify(outcome.results), finishedAt: outcome.finishedAt },
    });
  }

  async find(captureId: string): Promise<CaptureJobRow | null> {
    const row = await this.db.captureJob.findUnique({ where: { captureId } });
    return row ? rowOf(row as Stored) : null;
  }

  /** The organisation's jobs, newest first. */
  async list(consortiumId: string, orgId: string, limit: number): Promise<CaptureJobRow[]> {
    const rows = await this.db.captureJob.findMany({ where: { consortiumId, orgId }, orderBy: [{ createdAt: 'desc' }, { captureId: 'asc' }], take: limit });
    return rows.map((r) => rowOf(r as Stored));
  }

  /** Jobs created before `before` and left running by a node that stopped: they end as failed, with the error saying so. */
  async endInterrupted(error: JobError, before: string, finishedAt: string): Promise<number> {
    const result = await this.db.captureJob.updateMany({
      where: { running: true, createdAt: { lt: before } },
      data: { running: false, success: false, errors: JSON.stringify([error]), finishedAt },
    });
    return result.count;
  }

  async prune(now: Date): Promise<void> {
    const cutoff = new Date(now.getTime() - this.retention.maxAgeMs).toISOString();
    await this.db.$executeRawUnsafe(`DELETE FROM "CaptureJob" WHERE NOT "running" AND "createdAt" < ?`, cutoff);
    await this.db.$executeRawUnsafe(
      `DELETE FROM "CaptureJob" WHERE "captureId" IN (SELECT "captureId" FROM "CaptureJob" WHERE NOT "running" ORDER BY "createdAt" DESC LIMIT -1 OFFSET ?)`,
      this.retention.maxJobs,
    );
  }
}
