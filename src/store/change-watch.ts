/**
 * Whether what a read-only connection read earlier is still what the database file holds (issue
 * #4: lineage may keep frontier rows between queries only while re-reading them would give the
 * same bytes, so a tampered row is still caught on the next query).
 *
 * Three marks, read in one snapshot:
 * - SQLite's `data_version` changes whenever another connection commits (cheap, checked per call);
 * - the `LineageEpoch` counter, bumped by triggers on every UPDATE or DELETE of a record, event or
 *   index row, save a record's sealing (migration 20261121130000_lineage_epoch);
 * - the highest `EventIdentifier` rowid: rows past the last mark are what was appended since.
 * A change of epoch or schema (a trigger dropped, say) starts a new generation: nothing kept
 * before it is trusted. Appends name the identifiers and events whose lookups are stale.
 */
import type BetterSqlite3 from 'better-sqlite3';

/** The triggers that bump LineageEpoch; without every one of them nothing is kept. */
export const LINEAGE_EPOCH_TRIGGERS = [
  'LedgerRecord_lineage_epoch_update',
  'LedgerRecord_lineage_epoch_delete',
  'EpcisEvent_lineage_epoch_update',
  'EpcisEvent_lineage_epoch_delete',
  'EventIdentifier_lineage_epoch_update',
  'EventIdentifier_lineage_epoch_delete',
] as const;

/** Index rows appended between two checks past which a new generation is cheaper than sorting through them. */
export const APPEND_LIMIT = 200_000;

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
  epoch: number;
  identifierRowid: number;
}

/** Generations are unique in the process, so a reopened connection never vouches for older rows. */
let lastGeneration = 0;

export class ChangeWatch {
  readonly #client: BetterSqlite3.Database;
  readonly #consortiumId: string;
  readonly #dataVersion: BetterSqlite3.Statement;
  #version: number | undefined;
  #marks: Marks | undefined;
  readonly #appendLimit: number;
  #generation = UNTRUSTED;

  constructor(client: BetterSqlite3.Database, consortiumId: string, options: { appendLimit?: number } = {}) {
    if (!client.readonly) throw new TypeError('ChangeWatch needs a read-only connection: its own commits would not change data_version');
    if (typeof consortiumId !== 'string' || consortiumId.length === 0) throw new TypeError('ChangeWatch needs a consortium id');
    this.#client = client;
    this.#consortiumId = consortiumId;
    this.#appendLimit = options.appendLimit ?? APPEND_LIMIT;
    this.#dataVersion = client.prepare('PRAGMA data_version').pluck();
  }

  check(): WatchResult {
    const version = Number(this.#dataVersion.get());
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
        marks.schema !== previous.schema ||
        marks.epoch !== previous.epoch ||
        marks.identifierRowid < previous.identifierRowid ||
        marks.identifierRowid - previous.identifierRowid > this.#appendLimit
      ) {
        return this.#renew(++lastGeneration);
      }
      if (marks.identifierRowid === previous.identifierRowid) return { generation: this.#generation, renewed: false };
      const identifiers = new Set<string>();
      const eventIds = new Set<string>();
      const rows = this.#client
        .prepare(`SELECT "identifier", "eventId" FROM "EventIdentifier" WHERE rowid > ? AND rowid <= ? AND "consortiumId" = ?`)
        .raw(true)
        .all(previous.identifierRowid, marks.identifierRowid, this.#consortiumId) as [string, string][];
      for (const [identifier, eventId] of rows) {
        identifiers.add(identifier);
        eventIds.add(eventId);
      }
      return { generation: this.#generation, renewed: false, appended: { identifiers, eventIds } };
    })();
    this.#version = version;
    return result;
  }

  #renew(generation: number): WatchResult {
    this.#generation = generation;
    return { generation, renewed: true };
  }

  /** The marks, or undefined when the epoch table or any of its triggers is missing. */
  #readMarks(): Marks | undefined {
    const schema = Number(this.#client.pragma('schema_version', { simple: true }));
    const triggers = this.#client
      .prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (${LINEAGE_EPOCH_TRIGGERS.map(() => '?').join(', ')})`)
      .pluck()
      .get(...LINEAGE_EPOCH_TRIGGERS);
    if (Number(triggers) !== LINEAGE_EPOCH_TRIGGERS.length) return undefined;
    const epoch = this.#client.prepare(`SELECT "epoch" FROM "LineageEpoch" WHERE "id" = 1`).pluck().get();
    if (epoch === undefined) return undefined;
    const identifierRowid = this.#client.prepare(`SELECT coalesce(max(rowid), 0) FROM "EventIdentifier"`).pluck().get();
    return { schema, epoch: Number(epoch), identifierRowid: Number(identifierRowid) };
  }
}
