/**
 * LineageSource and EvidenceLoader over SQLite (issue #4 §2-3). One statement per frontier for the
 * traversal (events, their record rows and their identifier rows), the identifier lists passed as
 * one JSON array (json_each, driven as the outer loop so every lookup uses an index) so a frontier
 * of any size is one round trip; block evidence read by height. Every LineageStore on the same
 * database and consortium shares one VerificationCache and one cache of parsed rows, reused only
 * when every stored column read is byte-identical (verification then still checks that text).
 */
import type { Database } from './database.js';
import type { EventIdentifierRef, EventRow, JsonObject, KnownEvents, LineageSource } from '../lineage/graph.js';
import type { BlockEvidence, BreachEvidence, CustodyInfo, EvidenceLoader, RecordEvidence } from '../lineage/evidence.js';
import { Lru, VerificationCache } from '../lineage/verify-cache.js';

/** Identifiers per statement: one JSON parameter each, so this only bounds statement size. */
const JSON_CHUNK = 20_000;
/** Up to this many already-held events are excluded inside the frontier statement; beyond, in a second step. */
const KNOWN_INLINE_LIMIT = 1_000;

type Num = number | bigint;
const num = (v: Num | null): number | null => (v === null ? null : Number(v));

/** push(...items) without the argument-count limit of a spread. */
function append<T>(into: T[], items: readonly T[]): void {
  for (const item of items) into.push(item);
}

function chunks<T>(items: readonly T[], size = JSON_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Event rows as last read: reused only when every stored column read is byte-identical. */
interface CachedRow {
  stored: EventWithRecord;
  row: EventRow;
}

interface Shared {
  verification: VerificationCache;
  rows: Lru<string, CachedRow>;
}

/** Body text kept for reused rows (their parsed events cost a few times more). */
const ROW_CACHE_BYTES = 32 * 1024 * 1024;

const shared = new WeakMap<Database, Map<string, Shared>>();

function sharedFor(db: Database, consortiumId: string): Shared {
  let byConsortium = shared.get(db);
  if (!byConsortium) {
    byConsortium = new Map();
    shared.set(db, byConsortium);
  }
  let entry = byConsortium.get(consortiumId);
  if (!entry) {
    entry = { verification: new VerificationCache(), rows: new Lru(ROW_CACHE_BYTES) };
    byConsortium.set(consortiumId, entry);
  }
  return entry;
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
  /** JSON array of [identifier, role] (one round trip for events and their index rows). */
  ids: string | null;
}

const EVENT_COLUMNS = `e."eventId", e."recordHash", e."eventTime", e."submitterOrg", r."body", r."logIndex", r."blockHeight", r."indexInBlock",
  (SELECT json_group_array(json_array(i."identifier", i."role")) FROM "EventIdentifier" i
    WHERE i."consortiumId" = e."consortiumId" AND i."eventId" = e."eventId") AS "ids"`;

export class LineageStore implements LineageSource, EvidenceLoader {
  readonly verificationCache: VerificationCache;
  readonly #rows: Lru<string, CachedRow>;

  constructor(
    private readonly db: Database,
    readonly consortiumId: string,
  ) {
    const s = sharedFor(db, consortiumId);
    this.verificationCache = s.verification;
    this.#rows = s.rows;
  }

  /**
   * The events touching the identifiers (found through the index), with their records and
   * identifier rows, leaving out those the caller already holds: in one statement while that list
   * is short, else ids first and then only the new events' rows (cheaper than shipping a long list).
   */
  async eventsTouching(identifiers: string[], known?: KnownEvents, skipRoles: readonly string[] = []): Promise<EventRow[]> {
    const unique = [...new Set(identifiers)];
    if (known && known.size > KNOWN_INLINE_LIMIT) {
      const ids = new Set<string>();
      for (const chunk of chunks(unique)) {
        const rows = await this.db.$queryRawUnsafe<{ eventId: string }[]>(
          `SELECT DISTINCT ei."eventId" FROM json_each(?) j CROSS JOIN "EventIdentifier" ei
            WHERE ei."consortiumId" = ? AND ei."identifier" = j.value AND ei."role" NOT IN (SELECT value FROM json_each(?))`,
          JSON.stringify(chunk),
          this.consortiumId,
          JSON.stringify(skipRoles),
        );
        for (const r of rows) if (!known.has(r.eventId)) ids.add(r.eventId);
      }
      return this.eventsById([...ids]);
    }
    const skip = JSON.stringify(known ? [...known.keys()] : []);
    const rows: EventWithRecord[] = [];
    for (const chunk of chunks(unique)) {
      append(
        rows,
        await this.db.$queryRawUnsafe<EventWithRecord[]>(
          `SELECT ${EVENT_COLUMNS}
             FROM "EpcisEvent" e CROSS JOIN "LedgerRecord" r
            WHERE e."consortiumId" = ?
              AND e."eventId" IN (SELECT ei."eventId" FROM json_each(?) j CROSS JOIN "EventIdentifier" ei
                                   WHERE ei."consortiumId" = ? AND ei."identifier" = j.value
                                     AND ei."role" NOT IN (SELECT value FROM json_each(?)))
              AND e."eventId" NOT IN (SELECT value FROM json_each(?))
              AND r."hash" = e."recordHash"`,
          this.consortiumId,
          JSON.stringify(chunk),
          this.consortiumId,
          JSON.stringify(skipRoles),
          skip,
        ),
      );
    }
    return this.#toRows(rows);
  }

  /** Events with their record bodies and every identifier row. */
  async eventsById(eventIds: string[]): Promise<EventRow[]> {
    const rows: EventWithRecord[] = [];
    for (const chunk of chunks([...new Set(eventIds)])) {
      append(
        rows,
        await this.db.$queryRawUnsafe<EventWithRecord[]>(
          `SELECT ${EVENT_COLUMNS}
             FROM json_each(?) j CROSS JOIN "EpcisEvent" e CROSS JOIN "LedgerRecord" r
            WHERE e."consortiumId" = ? AND e."eventId" = j.value AND r."hash" = e."recordHash"`,
          JSON.stringify(chunk),
          this.consortiumId,
        ),
      );
    }
    return this.#toRows(rows);
  }

  #toRows(events: EventWithRecord[]): EventRow[] {
    const seen = new Set<string>();
    const out: EventRow[] = [];
    for (const e of events) {
      if (seen.has(e.eventId)) continue;
      seen.add(e.eventId);
      // The same stored text gives the same row: reuse it (and what lineage derived from it) as is.
      const cached = this.#rows.get(e.eventId);
      if (cached && sameStored(cached.stored, e)) {
        out.push(cached.row);
        continue;
      }
      let event: JsonObject = {};
      let parsed: { payload?: { event?: JsonObject } } | undefined;
      try {
        parsed = JSON.parse(e.body) as { payload?: { event?: JsonObject } };
        event = parsed.payload?.event ?? {};
      } catch {
        event = {};
      }
      let identifiers: EventIdentifierRef[] = [];
      try {
        identifiers = (JSON.parse(e.ids ?? '[]') as [string, string][]).map(([identifier, role]) => ({ identifier, role }));
      } catch {
        identifiers = [];
      }
      const evidence: RecordEvidence = {
        hash: e.recordHash,
        consortiumId: this.consortiumId,
        body: e.body,
        logIndex: Number(e.logIndex),
        blockHeight: num(e.blockHeight),
        indexInBlock: num(e.indexInBlock),
        parsed,
      };
      const row: EventRow = { eventId: e.eventId, recordHash: e.recordHash, eventTime: e.eventTime, event, signerOrg: e.submitterOrg, identifiers, evidence };
      this.#rows.set(e.eventId, { stored: e, row }, e.body.length + (e.ids?.length ?? 0));
      out.push(row);
    }
    return out;
  }

  async records(hashes: string[]): Promise<RecordEvidence[]> {
    const out: RecordEvidence[] = [];
    for (const chunk of chunks([...new Set(hashes)])) {
      const rows = await this.db.$queryRawUnsafe<{ hash: string; consortiumId: string; body: string; logIndex: Num; blockHeight: Num | null; indexInBlock: Num | null }[]>(
        `SELECT r."hash", r."consortiumId", r."body", r."logIndex", r."blockHeight", r."indexInBlock" FROM json_each(?) j CROSS JOIN "LedgerRecord" r
          WHERE r."hash" = j.value AND r."consortiumId" = ?`,
        JSON.stringify(chunk),
        this.consortiumId,
      );
      for (const r of rows) out.push({ hash: r.hash, consortiumId: r.consortiumId, body: r.body, logIndex: Number(r.logIndex), blockHeight: num(r.blockHeight), indexInBlock: num(r.indexInBlock) });
    }
    return out;
  }

  async blocks(heights: number[]): Promise<BlockEvidence[]> {
    const out: BlockEvidence[] = [];
    for (const chunk of chunks([...new Set(heights)])) {
      const rows = await this.db.$queryRawUnsafe<{ height: Num; hash: string; header: string; seals: string }[]>(
        `SELECT b."height", b."hash", b."header", b."seals" FROM json_each(?) j CROSS JOIN "Block" b
          WHERE b."consortiumId" = ? AND b."height" = j.value ORDER BY b."height"`,
        JSON.stringify(chunk),
        this.consortiumId,
      );
      for (const r of rows) out.push({ height: Number(r.height), hash: r.hash, header: r.header, seals: r.seals });
    }
    return out;
  }

  async blockRange(fromHeight: number, toHeight: number): Promise<BlockEvidence[]> {
    const rows = await this.db.$queryRawUnsafe<{ height: Num; hash: string; header: string; seals: string }[]>(
      `SELECT "height", "hash", "header", "seals" FROM "Block" WHERE "consortiumId" = ? AND "height" >= ? AND "height" <= ? ORDER BY "height"`,
      this.consortiumId,
      fromHeight,
      toHeight,
    );
    return rows.map((r) => ({ height: Number(r.height), hash: r.hash, header: r.header, seals: r.seals }));
  }

  /** Blocks from the height up to the head, in height order. */
  async blocksFrom(fromHeight: number): Promise<BlockEvidence[]> {
    return this.blockRange(fromHeight, Number.MAX_SAFE_INTEGER);
  }

  async recordHashesOfBlocks(heights: number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    // One row per block (hashes joined in index order), read from the covering index.
    for (const chunk of chunks([...new Set(heights)], 50)) {
      const rows = await this.db.$queryRawUnsafe<{ blockHeight: Num; hashes: string | null }[]>(
        `SELECT r."blockHeight", group_concat(r."hash", ',' ORDER BY r."indexInBlock") AS "hashes" FROM json_each(?) j CROSS JOIN "LedgerRecord" r
          WHERE r."consortiumId" = ? AND r."blockHeight" = j.value GROUP BY r."blockHeight"`,
        JSON.stringify(chunk),
        this.consortiumId,
      );
      for (const r of rows) out.set(Number(r.blockHeight), r.hashes ? r.hashes.split(',') : []);
    }
    return out;
  }

  async coldChainBreaches(identifiers: string[]): Promise<BreachEvidence[]> {
    const out = new Map<string, BreachEvidence>();
    for (const chunk of chunks([...new Set(identifiers)])) {
      const rows = await this.db.$queryRawUnsafe<{ hash: string; body: string }[]>(
        `SELECT r."hash", r."body" FROM "LedgerRecord" r
          WHERE r."consortiumId" = ? AND r."kind" = 'coldchain.breach'
            AND (json_extract(r."body", '$.payload.subject') IN (SELECT value FROM json_each(?))
                 OR EXISTS (SELECT 1 FROM json_each(r."body", '$.payload.containedItems') j WHERE j.value IN (SELECT value FROM json_each(?))))`,
        this.consortiumId,
        JSON.stringify(chunk),
        JSON.stringify(chunk),
      );
      for (const r of rows) {
        try {
          const body = JSON.parse(r.body) as { signedAt: string; payload: { subject: string; containedItems?: string[]; finding?: unknown } };
          out.set(r.hash, { recordHash: r.hash, subject: body.payload.subject, containedItems: body.payload.containedItems ?? [], signedAt: body.signedAt, finding: body.payload.finding ?? null });
        } catch {
          // A malformed body is reported by record verification, not here.
        }
      }
    }
    return [...out.values()];
  }

  async custody(identifiers: string[]): Promise<Map<string, CustodyInfo>> {
    const out = new Map<string, CustodyInfo>();
    for (const chunk of chunks([...new Set(identifiers)])) {
      const rows = await this.db.$queryRawUnsafe<CustodyInfo[]>(
        `SELECT c."identifier", c."orgId", c."eventId", c."eventTime" FROM json_each(?) j CROSS JOIN "Custody" c
          WHERE c."consortiumId" = ? AND c."identifier" = j.value`,
        JSON.stringify(chunk),
        this.consortiumId,
      );
      for (const r of rows) out.set(r.identifier, r);
    }
    return out;
  }
}
