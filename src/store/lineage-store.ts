/**
 * LineageSource and EvidenceLoader over SQLite (issue #4 §2-3): raw SQL with IN-lists, one query
 * per frontier for the traversal, and batched evidence reads for verification.
 */
import type { Database } from './database.js';
import type { EventIdentifierRef, EventRow, JsonObject, LineageSource } from '../lineage/graph.js';
import type { BlockEvidence, BreachEvidence, CustodyInfo, EvidenceLoader, RecordEvidence } from '../lineage/evidence.js';

const IN_CHUNK = 400;

type Num = number | bigint;
const num = (v: Num | null): number | null => (v === null ? null : Number(v));

function chunks<T>(items: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

export class LineageStore implements LineageSource, EvidenceLoader {
  constructor(
    private readonly db: Database,
    readonly consortiumId: string,
  ) {}

  async eventsTouching(identifiers: string[]): Promise<EventRow[]> {
    const unique = [...new Set(identifiers)];
    const eventIds = new Set<string>();
    for (const chunk of chunks(unique)) {
      const rows = await this.db.$queryRawUnsafe<{ eventId: string }[]>(
        `SELECT DISTINCT "eventId" FROM "EventIdentifier" WHERE "consortiumId" = ? AND "identifier" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      for (const r of rows) eventIds.add(r.eventId);
    }
    return this.eventsById([...eventIds]);
  }

  /** Events with their record bodies and every identifier row. */
  async eventsById(eventIds: string[]): Promise<EventRow[]> {
    const out: EventRow[] = [];
    for (const chunk of chunks([...new Set(eventIds)])) {
      const events = await this.db.$queryRawUnsafe<{ eventId: string; recordHash: string; eventTime: string; submitterOrg: string; body: string }[]>(
        `SELECT e."eventId", e."recordHash", e."eventTime", e."submitterOrg", r."body"
           FROM "EpcisEvent" e JOIN "LedgerRecord" r ON r."hash" = e."recordHash"
          WHERE e."consortiumId" = ? AND e."eventId" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      const ids = await this.db.$queryRawUnsafe<{ eventId: string; identifier: string; role: string }[]>(
        `SELECT "eventId", "identifier", "role" FROM "EventIdentifier" WHERE "consortiumId" = ? AND "eventId" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      const byEvent = new Map<string, EventIdentifierRef[]>();
      for (const r of ids) byEvent.set(r.eventId, [...(byEvent.get(r.eventId) ?? []), { identifier: r.identifier, role: r.role }]);
      for (const e of events) {
        let event: JsonObject = {};
        try {
          const parsed = JSON.parse(e.body) as { payload?: { event?: JsonObject } };
          event = parsed.payload?.event ?? {};
        } catch {
          event = {};
        }
        out.push({ eventId: e.eventId, recordHash: e.recordHash, eventTime: e.eventTime, event, signerOrg: e.submitterOrg, identifiers: byEvent.get(e.eventId) ?? [] });
      }
    }
    return out;
  }

  async records(hashes: string[]): Promise<RecordEvidence[]> {
    const out: RecordEvidence[] = [];
    for (const chunk of chunks([...new Set(hashes)])) {
      const rows = await this.db.$queryRawUnsafe<{ hash: string; consortiumId: string; body: string; logIndex: Num; blockHeight: Num | null; indexInBlock: Num | null }[]>(
        `SELECT "hash", "consortiumId", "body", "logIndex", "blockHeight", "indexInBlock" FROM "LedgerRecord" WHERE "consortiumId" = ? AND "hash" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      for (const r of rows) out.push({ hash: r.hash, consortiumId: r.consortiumId, body: r.body, logIndex: Number(r.logIndex), blockHeight: num(r.blockHeight), indexInBlock: num(r.indexInBlock) });
    }
    return out;
  }

  async blocksFrom(fromHeight: number): Promise<BlockEvidence[]> {
    const rows = await this.db.$queryRawUnsafe<{ height: Num; hash: string; header: string; seals: string }[]>(
      `SELECT "height", "hash", "header", "seals" FROM "Block" WHERE "consortiumId" = ? AND "height" >= ? ORDER BY "height"`,
      this.consortiumId,
      fromHeight,
    );
    return rows.map((r) => ({ height: Number(r.height), hash: r.hash, header: r.header, seals: r.seals }));
  }

  async recordHashesOfBlocks(heights: number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    for (const chunk of chunks([...new Set(heights)])) {
      const rows = await this.db.$queryRawUnsafe<{ hash: string; blockHeight: Num }[]>(
        `SELECT "hash", "blockHeight" FROM "LedgerRecord" WHERE "consortiumId" = ? AND "blockHeight" IN (${marks(chunk.length)}) ORDER BY "blockHeight", "indexInBlock"`,
        this.consortiumId,
        ...chunk,
      );
      for (const r of rows) {
        const h = Number(r.blockHeight);
        out.set(h, [...(out.get(h) ?? []), r.hash]);
      }
    }
    return out;
  }

  async coldChainBreaches(identifiers: string[]): Promise<BreachEvidence[]> {
    const out = new Map<string, BreachEvidence>();
    for (const chunk of chunks([...new Set(identifiers)], 200)) {
      const rows = await this.db.$queryRawUnsafe<{ hash: string; body: string }[]>(
        `SELECT r."hash", r."body" FROM "LedgerRecord" r
          WHERE r."consortiumId" = ? AND r."kind" = 'coldchain.breach'
            AND (json_extract(r."body", '$.payload.subject') IN (${marks(chunk.length)})
                 OR EXISTS (SELECT 1 FROM json_each(r."body", '$.payload.containedItems') j WHERE j.value IN (${marks(chunk.length)})))`,
        this.consortiumId,
        ...chunk,
        ...chunk,
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
        `SELECT "identifier", "orgId", "eventId", "eventTime" FROM "Custody" WHERE "consortiumId" = ? AND "identifier" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      for (const r of rows) out.set(r.identifier, r);
    }
    return out;
  }
}
