/**
 * LineageSource and EvidenceLoader over SQLite. One statement per frontier for the
 * traversal (events, their record rows and their identifier rows), the identifier lists passed as
 * one JSON array (json_each, driven as the outer loop so every lookup uses an index) so a frontier
 * of any size is one round trip; block evidence read by height. Every LineageStore on the same
 * database and consortium shares one VerificationCache and one cache of parsed rows, reused only
 * when every stored column read is byte-identical (verification then still checks that text).
 */
import type { Database } from './database.js';
import type { EventRow, JsonObject, KnownEvents, LineageSource } from '../core/lineage/graph.js';
import { INDEXED_EVENT_COLUMNS as EVENT_COLUMNS, indexedEventColumnsOf as indexedColumns } from '../core/ledger/projections/event-rows.js';
import { LineageMemo } from '../core/lineage/lineage-memo.js';
import type { BlockEvidence, BreachEvidence, CustodyInfo, EvidenceLoader, RecordEvidence } from '../core/lineage/evidence.js';
import type { ListedEntry } from '../core/lineage/completeness.js';
import { CompletenessMemo } from '../core/lineage/completeness.js';
import type { MapLeaf } from '../core/ledger/index-map/bucket.js';
import { EvidenceReads, chunks, parseIdentifierRows } from './lineage-evidence.js';
import { Lru, VerificationCache } from '../core/lineage/verify-cache.js';
import { UNTRUSTED } from './change-watch.js';
import { openReader, type LineageReader } from './direct-reader.js';
import { compareCodePoints } from '../core/epcis/event-hash.js';

/** Up to this many already-held events, a frontier's new events come in event-id order (see eventsTouching). */
const KNOWN_INLINE_LIMIT = 1_000;

type Num = number | bigint;
const num = (v: Num | null): number | null => (v === null ? null : Number(v));

/** Event rows as last read: reused only when every stored column read is byte-identical. */
interface CachedRow {
  stored: EventWithRecord;
  row: EventRow;
  /** The ChangeWatch generation it was read under (UNTRUSTED: compare the bytes before reuse). */
  generation: number;
}

/** An identifier's index rows as last read: event id and role, alternating. */
interface CachedTouches {
  touches: readonly string[];
  generation: number;
}

interface Shared {
  verification: VerificationCache;
  /** Index map buckets already checked, and chains already computed (completeness). */
  completeness: CompletenessMemo;
  /** Each identifier's listed entries, per touches list (the same list object while its rows are unchanged). */
  listed: WeakMap<readonly string[], ListedEntry[]>;
  /** The newest correction when `listed` was begun (corrections join the entries of their events). */
  correctionMark: number;
  /** What lineage queries over this store remember between queries (walks, derived edges, identifiers). */
  memo: LineageMemo;
  rows: Lru<string, CachedRow>;
  touches: Lru<string, CachedTouches>;
  /** Bumped whenever a watch check drops something, so reads begun before it are not kept. */
  stamp: number;
  stats: LineageReadStats;
  /** A read-only connection of our own to the same file (undefined: in-memory or not WAL; read through Prisma). */
  reader?: Promise<LineageReader | undefined>;
}

/** How many frontier lookups and event rows were served from what was kept, and how many were read. */
export interface LineageReadStats {
  identifiersKept: number;
  identifiersRead: number;
  rowsKept: number;
  rowsRead: number;
}

/** What reads begun now may be kept under. */
interface Freshness {
  generation: number;
  stamp: number;
}

const NOT_KEPT: Freshness = { generation: UNTRUSTED, stamp: -1 };

/** Body text kept for reused rows (their parsed events cost a few times more). */
const ROW_CACHE_BYTES = 32 * 1024 * 1024;
/** Index rows kept per identifier (cost: one unit per row, ~100 bytes with its strings). */
const TOUCHES_CACHE_ROWS = 500_000;
const NO_TOUCHES: readonly string[] = [];

const shared = new WeakMap<Database, Map<string, Shared>>();

function sharedFor(db: Database, consortiumId: string): Shared {
  let byConsortium = shared.get(db);
  if (!byConsortium) {
    byConsortium = new Map();
    shared.set(db, byConsortium);
  }
  let entry = byConsortium.get(consortiumId);
  if (!entry) {
    entry = { verification: new VerificationCache(), completeness: new CompletenessMemo(), listed: new WeakMap(), correctionMark: 0, memo: new LineageMemo(), rows: new Lru(ROW_CACHE_BYTES), touches: new Lru(TOUCHES_CACHE_ROWS), stamp: 0, stats: { identifiersKept: 0, identifiersRead: 0, rowsKept: 0, rowsRead: 0 } };
    byConsortium.set(consortiumId, entry);
  }
  return entry;
}

export interface LineageStoreOptions {
  /** Read through a read-only connection of our own when the store is a WAL file (default true). */
  directReads?: boolean;
}

/**
 * Closes the read-only connection lineage opened beside this database, if any (it is otherwise
 * closed when the client is garbage-collected). Call before or after the client disconnects.
 */
export async function closeLineageReader(db: Database): Promise<void> {
  const byConsortium = shared.get(db);
  if (!byConsortium) return;
  for (const entry of byConsortium.values()) {
    const reader = await entry.reader;
    entry.reader = undefined;
    reader?.close();
  }
}

/** Counts since the process started, for every reader of this database and consortium. */
export function lineageReadStats(db: Database, consortiumId: string): Readonly<LineageReadStats> {
  return { ...sharedFor(db, consortiumId).stats };
}

/** The verification cache shared by every reader of this database and consortium (cleared when the process ends). */
export function verificationCacheFor(db: Database, consortiumId: string): VerificationCache {
  return sharedFor(db, consortiumId).verification;
}

function sameStored(a: EventWithRecord, b: EventWithRecord): boolean {
  return (
    a.body === b.body &&
    a.ids === b.ids &&
    a.recordHash === b.recordHash &&
    a.eventTime === b.eventTime &&
    a.submitterOrg === b.submitterOrg &&
    a.columns.every((v, i) => v === b.columns[i]) &&
    Number(a.logIndex) === Number(b.logIndex) &&
    num(a.blockHeight) === num(b.blockHeight) &&
    num(a.indexInBlock) === num(b.indexInBlock)
  );
}

interface EventWithRecord {
  eventId: string;
  recordHash: string;
  eventTime: string;
  submitterOrg: string;
  body: string;
  logIndex: Num;
  blockHeight: Num | null;
  indexInBlock: Num | null;
  /** The event's index rows as identifier US role, joined by RS (one round trip for events and their index rows). */
  ids: string | null;
  /** The event row's other columns, in INDEXED_EVENT_COLUMNS order (checked against the record on every read). */
  columns: (string | null)[];
}

export class LineageStore implements LineageSource, EvidenceLoader {
  readonly verificationCache: VerificationCache;
  readonly memo: LineageMemo;
  readonly #rows: Lru<string, CachedRow>;

  readonly #shared: Shared;
  readonly #direct: boolean;
  readonly #evidence: EvidenceReads;

  constructor(
    private readonly db: Database,
    readonly consortiumId: string,
    options: LineageStoreOptions = {},
  ) {
    const s = sharedFor(db, consortiumId);
    this.#shared = s;
    this.verificationCache = s.verification;
    this.memo = s.memo;
    this.#rows = s.rows;
    this.#direct = options.directReads ?? true;
    this.#evidence = new EvidenceReads({ all: (sql, ...p) => this.#all(sql, ...p), arrays: (sql, ...p) => this.#arrays(sql, ...p) }, consortiumId);
  }

  /** The direct read connection, or undefined to read through Prisma. */
  async #reader(): Promise<LineageReader | undefined> {
    return this.#direct ? await (this.#shared.reader ??= openReader(this.db, this.consortiumId)) : undefined;
  }

  /** One read statement, on the direct connection when there is one. */
  async #all<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    const reader = await this.#reader();
    return reader ? reader.all<T>(sql, params) : this.db.$queryRawUnsafe<T[]>(sql, ...params);
  }

  /** One read statement whose rows come back as arrays of the selected columns, in order. */
  async #arrays<T extends unknown[]>(sql: string, ...params: unknown[]): Promise<T[]> {
    const reader = await this.#reader();
    if (reader) return reader.raw<T>(sql, params);
    return (await this.db.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params)).map((r) => Object.values(r) as T);
  }

  /** Asks the watch what changed since the last call and drops what that made stale. */
  async #freshness(): Promise<Freshness> {
    const reader = await this.#reader();
    if (!reader) return NOT_KEPT;
    const shared = this.#shared;
    // SQLite's watch answers synchronously: no await there, so no other query runs in between.
    const checked = reader.watch.check();
    const change = checked instanceof Promise ? await checked : checked;
    if (change.renewed) {
      shared.touches.clear();
      shared.stamp++;
    } else if (change.appended && (change.appended.identifiers.size > 0 || change.appended.eventIds.size > 0)) {
      for (const identifier of change.appended.identifiers) shared.touches.delete(identifier);
      for (const eventId of change.appended.eventIds) shared.rows.delete(eventId);
      shared.stamp++;
    }
    return { generation: change.generation, stamp: shared.stamp };
  }

  /** The generation to keep rows read since `freshness` under (UNTRUSTED once a later check dropped anything). */
  #keepAs(freshness: Freshness): number {
    return freshness.stamp === this.#shared.stamp ? freshness.generation : UNTRUSTED;
  }

  /**
   * The events touching the identifiers (found through the index), with their records and
   * identifier rows, leaving out those the caller already holds (checked here rather than shipped
   * to SQLite as a list). While the caller holds at most KNOWN_INLINE_LIMIT events they come in
   * event-id order, beyond that in the order the index gives (as earlier versions returned them).
   */
  async eventsTouching(identifiers: string[], known?: KnownEvents, skipRoles: readonly string[] = []): Promise<EventRow[]> {
    const unique = [...new Set(identifiers)];
    const ordered = !known || known.size <= KNOWN_INLINE_LIMIT;
    const freshness = await this.#freshness();
    const touches = await this.#touches(unique, freshness);
    const skip = new Set(skipRoles);
    const ids = new Set<string>();
    for (const identifier of unique) {
      const list = touches.get(identifier) ?? NO_TOUCHES;
      for (let i = 0; i < list.length; i += 2) {
        const eventId = list[i]!;
        if (skip.size > 0 && skip.has(list[i + 1]!)) continue;
        if (!known?.has(eventId)) ids.add(eventId);
      }
    }
    const eventIds = [...ids];
    // Event-id order as SQLite's ORDER BY (BINARY: UTF-8 bytes, i.e. code points) gave it.
    if (ordered) eventIds.sort(compareCodePoints);
    return this.#eventsById(eventIds, freshness);
  }

  /** Each identifier's index rows (event id, role; in index order), kept ones first. */
  async #touches(identifiers: string[], freshness: Freshness): Promise<Map<string, readonly string[]>> {
    const out = new Map<string, readonly string[]>();
    const missing: string[] = [];
    for (const identifier of identifiers) {
      const kept = freshness.generation === UNTRUSTED ? undefined : this.#shared.touches.get(identifier);
      if (kept && kept.generation === freshness.generation) out.set(identifier, kept.touches);
      else missing.push(identifier);
    }
    this.#shared.stats.identifiersKept += identifiers.length - missing.length;
    this.#shared.stats.identifiersRead += missing.length;
    for (const chunk of chunks(missing)) {
      const rows = await this.#arrays<[string, string, string]>(
        `SELECT j.value, ei."eventId", ei."role" FROM json_each(?) j CROSS JOIN "EventIdentifier" ei
          WHERE ei."consortiumId" = ? AND ei."identifier" = j.value`,
        JSON.stringify(chunk),
        this.consortiumId,
      );
      const found = new Map<string, string[]>();
      for (const [identifier, eventId, role] of rows) {
        let list = found.get(identifier);
        if (!list) found.set(identifier, (list = []));
        list.push(this.memo.intern(eventId), this.memo.intern(role));
      }
      const generation = this.#keepAs(freshness);
      for (const identifier of chunk) {
        const list = found.get(identifier) ?? NO_TOUCHES;
        out.set(identifier, list);
        if (generation !== UNTRUSTED) this.#shared.touches.set(identifier, { touches: list, generation }, 1 + list.length / 2);
      }
    }
    return out;
  }

  /** Buckets checked and chains computed for completeness, shared by every reader of this database and consortium. */
  get completenessMemo(): CompletenessMemo {
    return this.#shared.completeness;
  }

  /**
   * Every index row of each identifier (whatever its role), with its event's record hash and log
   * index: what completeness compares with the signed index map. An event whose record is not
   * found comes with null record hash and log index.
   */
  async indexEntries(identifiers: string[]): Promise<Map<string, readonly ListedEntry[]>> {
    const unique = [...new Set(identifiers)];
    const freshness = await this.#freshness();
    const touches = await this.#touches(unique, freshness);
    const out = new Map<string, readonly ListedEntry[]>();
    const unresolved = new Map<string, readonly string[]>();
    // Corrections add no index rows, so the lists kept cannot show them: a new one drops them all.
    const mark = await this.#evidence.correctionMark();
    if (mark !== this.#shared.correctionMark) [this.#shared.listed, this.#shared.correctionMark] = [new WeakMap(), mark];
    const needed = new Set<string>();
    for (const id of unique) {
      const list = touches.get(id) ?? NO_TOUCHES;
      const kept = this.#shared.listed.get(list);
      if (kept) out.set(id, kept);
      else {
        unresolved.set(id, list);
        for (let i = 0; i < list.length; i += 2) needed.add(list[i]!);
      }
    }
    if (unresolved.size === 0) return out;
    const records = await this.#recordsOfEvents([...needed], freshness);
    const corrections = await this.#evidence.correctionRecords([...needed], records);
    for (const [id, list] of unresolved) {
      const entries: ListedEntry[] = [];
      for (let i = 0; i < list.length; i += 2) {
        const r = records.get(list[i]!);
        entries.push({ eventId: list[i]!, role: list[i + 1]!, recordHash: r?.[0] ?? null, logIndex: r?.[1] ?? null });
        for (const [hash, logIndex] of corrections.get(list[i]!) ?? []) entries.push({ eventId: list[i]!, role: list[i + 1]!, recordHash: hash, logIndex });
      }
      // Kept with the touches list it came from: a change to these rows gives a new list.
      if (list !== NO_TOUCHES && freshness.generation !== UNTRUSTED) this.#shared.listed.set(list, entries);
      out.set(id, entries);
    }
    return out;
  }

  /** Record hash and log index of each event, from rows read under this generation or from the store. */
  async #recordsOfEvents(eventIds: string[], freshness: Freshness): Promise<Map<string, [string, number]>> {
    const out = new Map<string, [string, number]>();
    const missing: string[] = [];
    for (const eventId of eventIds) {
      const kept = freshness.generation === UNTRUSTED ? undefined : this.#rows.get(eventId);
      if (kept && kept.generation === freshness.generation && kept.row.evidence) out.set(eventId, [kept.row.recordHash, kept.row.evidence.logIndex]);
      else missing.push(eventId);
    }
    for (const chunk of chunks(missing)) {
      const rows = await this.#arrays<[string, string, Num]>(
        `SELECT e."eventId", e."recordHash", r."logIndex" FROM json_each(?) j CROSS JOIN "EpcisEvent" e
           JOIN "LedgerRecord" r ON r."hash" = e."recordHash" AND r."consortiumId" = e."consortiumId"
          WHERE e."consortiumId" = ? AND e."eventId" = j.value`,
        JSON.stringify(chunk),
        this.consortiumId,
      );
      for (const [eventId, recordHash, logIndex] of rows) out.set(eventId, [recordHash, Number(logIndex)]);
    }
    return out;
  }

  /**
   * Events with their record bodies and every identifier row, in the order asked (events without
   * a stored record are left out). Three statements, each one index walk per event: reading the
   * event, record and index rows apart touches fewer pages than one joined statement.
   */
  async eventsById(eventIds: string[]): Promise<EventRow[]> {
    return this.#eventsById(eventIds, await this.#freshness());
  }

  async #eventsById(eventIds: string[], freshness: Freshness): Promise<EventRow[]> {
    const unique = [...new Set(eventIds)];
    const found = new Map<string, EventRow>();
    const missing: string[] = [];
    for (const eventId of unique) {
      // A kept row is reused without a read only once sealed: sealing updates its record row.
      const kept = freshness.generation === UNTRUSTED ? undefined : this.#rows.get(eventId);
      if (kept && kept.generation === freshness.generation && typeof kept.row.evidence?.blockHeight === 'number') found.set(eventId, kept.row);
      else missing.push(eventId);
    }
    this.#shared.stats.rowsKept += unique.length - missing.length;
    this.#shared.stats.rowsRead += missing.length;
    for (const chunk of chunks(missing)) {
      const rows: EventWithRecord[] = [];
      const asked = JSON.stringify(chunk);
      const events = await this.#arrays<[string, string, string, string, ...(string | null)[]]>(
        `SELECT e."eventId", e."recordHash", e."eventTime", e."submitterOrg", ${EVENT_COLUMNS.map((c) => `e."${c}"`).join(', ')}
           FROM json_each(?) j CROSS JOIN "EpcisEvent" e WHERE e."consortiumId" = ? AND e."eventId" = j.value`,
        asked,
        this.consortiumId,
      );
      if (events.length === 0) continue;
      const records = new Map<string, [string, string, Num, Num | null, Num | null]>();
      for (const r of await this.#arrays<[string, string, Num, Num | null, Num | null]>(
        // Only this consortium's records: the watch marks appends in this consortium's log alone.
        `SELECT r."hash", r."body", r."logIndex", r."blockHeight", r."indexInBlock" FROM json_each(?) j CROSS JOIN "LedgerRecord" r
          WHERE r."hash" = j.value AND r."consortiumId" = ?`,
        JSON.stringify(events.map((e) => e[1])),
        this.consortiumId,
      )) {
        records.set(r[0], r);
      }
      const identifierRows = await this.#arrays<[string | null]>(
        `SELECT (SELECT group_concat(i."identifier" || char(31) || i."role", char(30)) FROM "EventIdentifier" i
                  WHERE i."consortiumId" = ? AND i."eventId" = j.value) FROM json_each(?) j`,
        this.consortiumId,
        // Every event found: the same list, in the same order.
        events.length === chunk.length ? asked : JSON.stringify(events.map((e) => e[0])),
      );
      events.forEach(([eventId, recordHash, eventTime, submitterOrg, ...columns], k) => {
        const r = records.get(recordHash);
        if (!r) return;
        rows.push({ eventId, recordHash, eventTime, submitterOrg, body: r[1], logIndex: r[2], blockHeight: r[3], indexInBlock: r[4], ids: identifierRows[k]?.[0] ?? null, columns });
      });
      const generation = this.#keepAs(freshness);
      for (const row of this.#toRows(rows, generation)) found.set(row.eventId, row);
    }
    const out: EventRow[] = [];
    for (const eventId of unique) {
      const row = found.get(eventId);
      if (row) out.push(row);
    }
    return out;
  }

  #toRows(events: EventWithRecord[], generation: number): EventRow[] {
    const seen = new Set<string>();
    const out: EventRow[] = [];
    for (const e of events) {
      if (seen.has(e.eventId)) continue;
      seen.add(e.eventId);
      // The same stored text gives the same row: reuse it (and what lineage derived from it) as is.
      const cached = this.#rows.get(e.eventId);
      if (cached && sameStored(cached.stored, e)) {
        cached.generation = generation;
        out.push(cached.row);
        continue;
      }
      let event: JsonObject;
      let parsed: { kind?: string; payload?: { event?: JsonObject } } | undefined;
      try {
        parsed = JSON.parse(e.body) as { kind?: string; payload?: { event?: JsonObject } };
        event = parsed.payload?.event ?? {};
      } catch {
        event = {};
      }
      // What the event touches, from the signed record itself (never from index rows): a deleted
      // row cannot drop an edge, it can only hide the event from a lookup, which completeness catches.
      const identifiers = parseIdentifierRows(e.ids, (text) => this.memo.intern(text));
      const evidence: RecordEvidence = {
        hash: e.recordHash,
        consortiumId: this.consortiumId,
        body: e.body,
        logIndex: Number(e.logIndex),
        blockHeight: num(e.blockHeight),
        indexInBlock: num(e.indexInBlock),
        parsed,
      };
      const row: EventRow = { eventId: this.memo.intern(e.eventId), recordHash: e.recordHash, eventTime: e.eventTime, event, signerOrg: e.submitterOrg, identifiers, evidence, columns: indexedColumns(e.columns) };
      this.#rows.set(e.eventId, { stored: e, row, generation }, e.body.length + (e.ids?.length ?? 0));
      out.push(row);
    }
    return out;
  }

  records(hashes: string[]): Promise<RecordEvidence[]> {
    return this.#evidence.records(hashes);
  }

  blocks(heights: number[]): Promise<BlockEvidence[]> {
    return this.#evidence.blocks(heights);
  }

  blockRange(fromHeight: number, toHeight: number): Promise<BlockEvidence[]> {
    return this.#evidence.blockRange(fromHeight, toHeight);
  }

  /** Blocks from the height up to the head, in height order. */
  blocksFrom(fromHeight: number): Promise<BlockEvidence[]> {
    return this.#evidence.blockRange(fromHeight, Number.MAX_SAFE_INTEGER);
  }

  recordHashesOfBlocks(heights: number[]): Promise<Map<number, string[]>> {
    return this.#evidence.recordHashesOfBlocks(heights);
  }

  coldChainBreaches(identifiers: string[]): Promise<BreachEvidence[]> {
    return this.#evidence.coldChainBreaches(identifiers);
  }

  custody(identifiers: string[]): Promise<Map<string, CustodyInfo>> {
    return this.#evidence.custody(identifiers);
  }

  blockAtOrBefore(at: { logSize: number } | { time: string }): Promise<BlockEvidence | undefined> {
    return this.#evidence.blockAtOrBefore(at);
  }

  /** Every stored leaf of the index map's buckets (checked by the caller against the trusted map). */
  indexLeaves(buckets: number[]): Promise<Map<number, MapLeaf[]>> {
    return this.#evidence.indexLeaves(buckets);
  }
}
