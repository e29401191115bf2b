/**
 * Access log: who (organisation) read whose data, what and when. Writes are buffered and flushed
 * in batches off the request path, so recording never slows a query.
 */
import type { Database } from './database.js';
import { processLogger } from '../platform/logger.js';

export interface AccessEntry {
  consortiumId: string;
  viewerOrgId: string;
  ownerOrgId: string;
  subjectType: string;
  subjectId: string;
  accessedAt: string;
}

export interface AccessLogRow extends AccessEntry {
  id: number;
}

const COLUMNS = ['consortiumId', 'viewerOrgId', 'ownerOrgId', 'subjectType', 'subjectId', 'accessedAt'] as const;
/** SQLite allows 32766 bound parameters; stay well below. */
const ROWS_PER_STATEMENT = 1000;

export class AccessLogWriter {
  #buffer: AccessEntry[] = [];
  #timer?: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    readonly db: Database,
    readonly options: { flushAfterMs?: number; maxBuffered?: number; onError?: (err: unknown) => void } = {},
  ) {}

  add(entry: AccessEntry): void {
    this.#buffer.push(entry);
    if (this.#buffer.length >= (this.options.maxBuffered ?? 500)) {
      void this.flush();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.options.flushAfterMs ?? 100);
      this.#timer.unref();
    }
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  /** Writes everything buffered so far; resolves once it is on disk. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#flushing = this.#flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await insertAccessEntries(this.db, batch);
      } catch (err) {
        (this.options.onError ?? ((e) => processLogger().error({ err: e }, 'access log write failed')))(err);
      }
    });
    return this.#flushing;
  }
}

export async function insertAccessEntries(db: Database, entries: readonly AccessEntry[]): Promise<void> {
  const tuple = `(${COLUMNS.map(() => '?').join(', ')})`;
  for (let start = 0; start < entries.length; start += ROWS_PER_STATEMENT) {
    const chunk = entries.slice(start, start + ROWS_PER_STATEMENT);
    await db.$executeRawUnsafe(
      `INSERT INTO "AccessLog" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`,
      ...chunk.flatMap((e) => COLUMNS.map((c) => e[c])),
    );
  }
}

/** One writer per database connection, shared by every request. */
const writers = new WeakMap<Database, AccessLogWriter>();
export function accessLogWriter(db: Database): AccessLogWriter {
  let writer = writers.get(db);
  if (!writer) {
    writer = new AccessLogWriter(db);
    writers.set(db, writer);
  }
  return writer;
}

/**
 * A page of the owner's access log, newest first. `beforeId`/`afterId` bound the id range
 * (exclusive); `newestFirst: false` walks oldest first (for Relay `last`/`before`).
 */
export async function readAccessLog(
  db: Database,
  query: { consortiumId: string; ownerOrgId: string; beforeId?: number; afterId?: number; limit: number; newestFirst: boolean },
): Promise<AccessLogRow[]> {
  return db.accessLog.findMany({
    where: {
      consortiumId: query.consortiumId,
      ownerOrgId: query.ownerOrgId,
      id: { ...(query.beforeId !== undefined ? { lt: query.beforeId } : {}), ...(query.afterId !== undefined ? { gt: query.afterId } : {}) },
    },
    orderBy: { id: query.newestFirst ? 'desc' : 'asc' },
    take: query.limit,
  });
}
