/**
 * The lineage reader and change watch on PostgreSQL (change-watch.ts is SQLite's). Reads go through
 * the store's Prisma client. The watch reads, in one statement (one snapshot), two counters kept by
 * triggers in LineageEpoch: "epoch" (every UPDATE or DELETE of a record, event or index row, save a
 * record's sealing: migration 20261121130000_lineage_epoch) and "appended" (every INSERT into those
 * tables: migration 20261207061500_postgres_lineage_appends), and whether all those triggers are in
 * place and enabled. Either counter moving starts a new generation: PostgreSQL has no rowid whose
 * order is commit order, so appends are not sorted out one by one as on SQLite; everything kept is
 * read again instead. Without the triggers, or the counters, nothing is kept. A generation also
 * ends after `maxAgeMs`, which bounds how long a counter written back by hand goes unseen.
 */
import type { Database } from './database.js';
import { LINEAGE_EPOCH_TRIGGERS, MAX_GENERATION_AGE_MS, UNTRUSTED, type WatchResult } from './change-watch.js';

/** The statement-level INSERT triggers that bump "appended". */
export const LINEAGE_APPEND_TRIGGERS: readonly string[] = ['LedgerRecord', 'EpcisEvent', 'EventIdentifier'].map((table) => `${table}_lineage_append`);

const WATCHED_TRIGGERS = [...LINEAGE_EPOCH_TRIGGERS, ...LINEAGE_APPEND_TRIGGERS];

const MARKS_SQL = `SELECT (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgname IN (${WATCHED_TRIGGERS.map((t) => `'${t}'`).join(', ')})) AS "triggers",
       (SELECT coalesce(CAST("epoch" AS text), '') || '/' || coalesce(CAST("appended" AS text), '') FROM "LineageEpoch" WHERE "id" = 1) AS "marks"`;

/** Generations are unique in the process (shared with nothing kept under SQLite's). */
let lastGeneration = 1_000_000_000;

export class PostgresChangeWatch {
  readonly #db: Database;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #marks: string | undefined;
  #generation = UNTRUSTED;
  #generationStarted = 0;

  constructor(db: Database, options: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#db = db;
    this.#maxAgeMs = options.maxAgeMs ?? MAX_GENERATION_AGE_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  async check(): Promise<WatchResult> {
    const marks = await this.#readMarks();
    const previous = this.#marks;
    this.#marks = marks;
    if (marks === undefined) return this.#renew(UNTRUSTED);
    if (this.#generation === UNTRUSTED || marks !== previous || this.#now() - this.#generationStarted > this.#maxAgeMs) return this.#renew(++lastGeneration);
    return { generation: this.#generation, renewed: false };
  }

  #renew(generation: number): WatchResult {
    this.#generation = generation;
    this.#generationStarted = this.#now();
    return { generation, renewed: true };
  }

  async #readMarks(): Promise<string | undefined> {
    try {
      const rows = await this.#db.$queryRawUnsafe<{ triggers: bigint | number; marks: string | null }[]>(MARKS_SQL);
      const row = rows[0];
      if (!row || Number(row.triggers) !== WATCHED_TRIGGERS.length || row.marks === null || row.marks.startsWith('/') || row.marks.endsWith('/')) return undefined;
      return row.marks;
    } catch {
      return undefined;
    }
  }
}

/** Lineage reads on PostgreSQL: the store's client, with the watch above. */
export class PostgresReader {
  readonly watch: PostgresChangeWatch;
  constructor(private readonly db: Database) {
    this.watch = new PostgresChangeWatch(db);
  }

  all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.db.$queryRawUnsafe<T[]>(sql, ...params);
  }

  async raw<T extends unknown[]>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return (await this.db.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params)).map((r) => Object.values(r) as T);
  }

  close(): void {}
}
