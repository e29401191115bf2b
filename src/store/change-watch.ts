/**
 * Whether what a read-only connection read earlier is still what the database file holds (issue
 * #4: lineage may keep frontier rows between queries only while re-reading them would give the
 * same bytes, so a tampered row is still caught on the next query).
 *
 * The marks, read in one snapshot:
 * - SQLite's `data_version` changes whenever another connection commits (cheap, checked per call);
 * - the `LineageEpoch` counter, bumped by triggers on every UPDATE or DELETE of a record, event or
 *   index row, save a record's sealing (migration 20261121130000_lineage_epoch);
 * - the highest rowid of `LedgerRecord`, `EpcisEvent` and `EventIdentifier`, and the consortium's
 *   highest log index: rows past the last marks are what was appended since.
 * A change of epoch or schema (a trigger dropped, VACUUM) starts a new generation: nothing kept
 * before it is trusted. So does an appended record that is no plain append, as INSERT OR REPLACE
 * leaves (its delete fires no trigger): a record whose hash an older event already cites, or one
 * at a log position already taken. Other appends name the identifiers and events to read again.
 * A generation also ends after `maxAgeMs` (a minute), which bounds how long a change the marks
 * cannot show goes unseen: an insert over an existing rowid (INSERT OR REPLACE naming the rowid),
 * or the counter written back by hand. Kept rows were verified when read, so such a change can
 * delay a FAILED verdict by that long, never make altered bytes pass.
 */
import type BetterSqlite3 from 'better-sqlite3';

/** The triggers that bump LineageEpoch; without every one of them nothing is kept. */
export const LINEAGE_EPOCH_TRIGGERS: readonly string[] = ['LedgerRecord', 'EpcisEvent', 'EventIdentifier'].flatMap((table) =>
  ['update', 'delete'].map((change) => `${table}_lineage_epoch_${change}`),
);

/** Rows appended between two checks past which a new generation is cheaper than sorting through them. */
export const APPEND_LIMIT = 200_000;

/** The longest a generation lasts (everything is read again, and compared, after it). */
export const MAX_GENERATION_AGE_MS = 60 * 1000;

/** No generation: rows read now must not be kept as trusted. */
export const UNTRUSTED = -1;

export interface WatchResult {
  /** Rows read now may be kept under this generation (UNTRUSTED: keep nothing). */
  generation: number;
  /** Set when this check started a new generation: everything kept under older ones is stale. */
  renewed: boolean;
  /** Identifiers and events that gained index rows since the last check (within one generation). */
  appended?: { identifiers: Set<string>; eventIds: Set<string> };
}

interface Marks {
  schema: number;
  epoch: unknown;
  recordRowid: number;
  eventRowid: number;
  identifierRowid: number;
  /** The consortium's highest log index (-1: none yet). */
  logIndex: number;
}

/**
 * The consortium's rows of a table with rowids in (?, ?]. `+` keeps SQLite on the rowid range: it
 * would otherwise walk the consortium's index, every row the consortium has, at each check.
 */
export function appendedRowsSql(table: 'EpcisEvent' | 'EventIdentifier', columns: string): string {
  return `SELECT ${columns} FROM "${table}" WHERE rowid > ? AND rowid <= ? AND +"consortiumId" = ?`;
}

/** A record appended in the rowid range (?, ?] of the consortium (?) at a log index at or below ?. */
export const TAKEN_POSITION_SQL = `SELECT 1 FROM "LedgerRecord" WHERE rowid > ? AND rowid <= ? AND +"consortiumId" = ? AND +"logIndex" <= ? LIMIT 1`;

/** Generations are unique in the process, so a reopened connection never vouches for older rows. */
let lastGeneration = 0;

export class ChangeWatch {
  readonly #client: BetterSqlite3.Database;
  readonly #consortiumId: string;
  readonly #dataVersion: BetterSqlite3.Statement;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  #version: number | undefined;
  #marks: Marks | undefined;
  readonly #appendLimit: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #generation = UNTRUSTED;
  #generationStarted = 0;

  constructor(client: BetterSqlite3.Database, consortiumId: string, options: { appendLimit?: number; maxAgeMs?: number; now?: () => number } = {}) {
    if (!client.readonly) throw new TypeError('ChangeWatch needs a read-only connection: its own commits would not change data_version');
    if (typeof consortiumId !== 'string' || consortiumId.length === 0) throw new TypeError('ChangeWatch needs a consortium id');
    this.#client = client;
    this.#consortiumId = consortiumId;
    this.#appendLimit = options.appendLimit ?? APPEND_LIMIT;
    this.#maxAgeMs = options.maxAgeMs ?? MAX_GENERATION_AGE_MS;
    // A monotonic clock: a wall clock set back would stretch a generation.
    this.#now = options.now ?? (() => performance.now());
    this.#dataVersion = client.prepare('PRAGMA data_version').pluck();
  }

  check(): WatchResult {
    const version = Number(this.#dataVersion.get());
    if (this.#generation !== UNTRUSTED && this.#now() - this.#generationStarted > this.#maxAgeMs) this.#version = undefined;
    if (version === this.#version) return { generation: this.#generation, renewed: false };
    // One read transaction: the marks and the appended rows come from the same snapshot.
    const result = this.#client.transaction((): WatchResult => {
      const previous = this.#marks;
      const marks = this.#readMarks();
      this.#marks = marks;
      if (!marks) return this.#renew(UNTRUSTED);
      if (
        !previous ||
        this.#generation === UNTRUSTED ||
        this.#now() - this.#generationStarted > this.#maxAgeMs ||
        marks.schema !== previous.schema ||
        marks.epoch !== previous.epoch
      ) {
        return this.#renew(++lastGeneration);
      }
      const grown = [marks.recordRowid - previous.recordRowid, marks.eventRowid - previous.eventRowid, marks.identifierRowid - previous.identifierRowid];
      if (grown.some((n) => n < 0) || grown[0]! + grown[1]! + grown[2]! > this.#appendLimit) return this.#renew(++lastGeneration);
      if (grown.every((n) => n === 0)) return { generation: this.#generation, renewed: false };
      if (this.#replacedRecord(previous, marks)) return this.#renew(++lastGeneration);
      const identifiers = new Set<string>();
      const eventIds = new Set<string>();
      for (const [eventId] of this.#appended<[string]>('EpcisEvent', '"eventId"', previous.eventRowid, marks.eventRowid)) eventIds.add(eventId);
      for (const [identifier, eventId] of this.#appended<[string, string]>('EventIdentifier', '"identifier", "eventId"', previous.identifierRowid, marks.identifierRowid)) {
        identifiers.add(identifier);
        eventIds.add(eventId);
      }
      return { generation: this.#generation, renewed: false, appended: { identifiers, eventIds } };
    })();
    this.#version = version;
    return result;
  }

  /** The consortium's rows of the table with rowids in (from, to]. */
  #appended<T extends unknown[]>(table: 'EpcisEvent' | 'EventIdentifier', columns: string, from: number, to: number): T[] {
    if (to <= from) return [];
    return this.#statement(appendedRowsSql(table, columns), 'raw').all(from, to, this.#consortiumId) as T[];
  }

  /**
   * Whether a record appended since `previous` took the place of one already there (INSERT OR
   * REPLACE): its hash is cited by an event older than the appends (any consortium: hashes are
   * unique across the table), or its log position in this consortium was already taken.
   */
  #replacedRecord(previous: Marks, marks: Marks): boolean {
    if (marks.recordRowid === previous.recordRowid) return false;
    const cited = this.#statement(`SELECT 1 FROM "LedgerRecord" r JOIN "EpcisEvent" e ON e."recordHash" = r."hash" WHERE r.rowid > ? AND r.rowid <= ? AND e.rowid <= ? LIMIT 1`).get(previous.recordRowid, marks.recordRowid, previous.eventRowid);
    if (cited !== undefined) return true;
    const taken = this.#statement(TAKEN_POSITION_SQL).get(previous.recordRowid, marks.recordRowid, this.#consortiumId, previous.logIndex);
    return taken !== undefined;
  }

  #renew(generation: number): WatchResult {
    this.#generation = generation;
    this.#generationStarted = this.#now();
    return { generation, renewed: true };
  }

  /** Statements prepared once per connection (a check runs a handful, often). */
  #statement(sql: string, mode: 'pluck' | 'raw' = 'pluck'): BetterSqlite3.Statement {
    const key = `${mode}:${sql}`;
    let statement = this.#statements.get(key);
    if (!statement) {
      statement = mode === 'raw' ? this.#client.prepare(sql).raw(true) : this.#client.prepare(sql).pluck();
      this.#statements.set(key, statement);
    }
    return statement;
  }

  /** The marks, or undefined when the epoch table or any of its triggers is missing (or unreadable). */
  #readMarks(): Marks | undefined {
    try {
      const schema = Number(this.#client.pragma('schema_version', { simple: true }));
      const triggers = this.#statement(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (${LINEAGE_EPOCH_TRIGGERS.map(() => '?').join(', ')})`).get(...LINEAGE_EPOCH_TRIGGERS);
      if (Number(triggers) !== LINEAGE_EPOCH_TRIGGERS.length) return undefined;
      const epoch: unknown = this.#statement(`SELECT "epoch" FROM "LineageEpoch" WHERE "id" = 1`).get();
      if (epoch === undefined) return undefined;
      const maxRowid = (table: string) => Number(this.#statement(`SELECT coalesce(max(rowid), 0) FROM "${table}"`).get());
      return {
        schema,
        epoch,
        recordRowid: maxRowid('LedgerRecord'),
        eventRowid: maxRowid('EpcisEvent'),
        identifierRowid: maxRowid('EventIdentifier'),
        logIndex: Number(this.#statement(`SELECT coalesce(max("logIndex"), -1) FROM "LedgerRecord" WHERE "consortiumId" = ?`).get(this.#consortiumId)),
      };
    } catch {
      // A table dropped or renamed under us: trust nothing until the marks read again.
      this.#statements.clear();
      return undefined;
    }
  }
}
