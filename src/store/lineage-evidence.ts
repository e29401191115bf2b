/**
 * The evidence reads of lineage verification (records, blocks, their record hashes, breaches,
 * custody and the index map's leaves), on lineage's read connection. Nothing here is kept between
 * queries: what is verified from these rows is kept by the verification cache, keyed by their text.
 */
import type { BlockEvidence, BreachEvidence, CustodyInfo, RecordEvidence } from '../core/lineage/evidence.js';
import type { MapLeaf } from '../core/ledger/index-map/bucket.js';
import type { EventIdentifierRef } from '../core/lineage/graph.js';
import { BUCKET_LEAVES_SQL, bucketPrefix, groupLeaves } from './index-map-store.js';

type Num = number | bigint;
const num = (v: Num | null): number | null => (v === null ? null : Number(v));

/** One read statement (objects per row), and one whose rows come back as arrays of the selected columns. */
export interface ReadStatements {
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  arrays<T extends unknown[]>(sql: string, ...params: unknown[]): Promise<T[]>;
}

/** Identifiers per statement: one JSON parameter each, so this only bounds statement size. */
export const JSON_CHUNK = 20_000;

export function chunks<T>(items: readonly T[], size = JSON_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class EvidenceReads {
  constructor(
    private readonly read: ReadStatements,
    private readonly consortiumId: string,
  ) {}

  async #all<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    return this.read.all<T>(sql, ...params);
  }

  async #arrays<T extends unknown[]>(sql: string, ...params: unknown[]): Promise<T[]> {
    return this.read.arrays<T>(sql, ...params);
  }

  async records(hashes: string[]): Promise<RecordEvidence[]> {
    const out: RecordEvidence[] = [];
    for (const chunk of chunks([...new Set(hashes)])) {
      const rows = await this.#all<{ hash: string; consortiumId: string; body: string; logIndex: Num; blockHeight: Num | null; indexInBlock: Num | null }>(
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
      const rows = await this.#all<{ height: Num; hash: string; header: string; seals: string }>(
        `SELECT b."height", b."hash", b."header", b."seals" FROM json_each(?) j CROSS JOIN "Block" b
          WHERE b."consortiumId" = ? AND b."height" = CAST(j.value AS INTEGER) ORDER BY b."height"`,
        JSON.stringify(chunk),
        this.consortiumId,
      );
      for (const r of rows) out.push({ height: Number(r.height), hash: r.hash, header: r.header, seals: r.seals });
    }
    return out;
  }

  async blockRange(fromHeight: number, toHeight: number): Promise<BlockEvidence[]> {
    const rows = await this.#all<{ height: Num; hash: string; header: string; seals: string }>(
      `SELECT "height", "hash", "header", "seals" FROM "Block" WHERE "consortiumId" = ? AND "height" >= ? AND "height" <= ? ORDER BY "height"`,
      this.consortiumId,
      fromHeight,
      toHeight,
    );
    return rows.map((r) => ({ height: Number(r.height), hash: r.hash, header: r.header, seals: r.seals }));
  }

  async recordHashesOfBlocks(heights: number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    // One row per block (hashes joined in index order), read from the covering index.
    for (const chunk of chunks([...new Set(heights)], 50)) {
      const rows = await this.#all<{ blockHeight: Num; hashes: string | null }>(
        `SELECT r."blockHeight", group_concat(r."hash", ',' ORDER BY r."indexInBlock") AS "hashes" FROM json_each(?) j CROSS JOIN "LedgerRecord" r
          WHERE r."consortiumId" = ? AND r."blockHeight" = CAST(j.value AS INTEGER) GROUP BY r."blockHeight"`,
        JSON.stringify(chunk),
        this.consortiumId,
      );
      for (const r of rows) out.set(Number(r.blockHeight), r.hashes ? r.hashes.split(',') : []);
    }
    return out;
  }

  async coldChainBreaches(identifiers: string[]): Promise<BreachEvidence[]> {
    const out = new Map<string, BreachEvidence>();
    // Most consortia record few breaches: skip shipping the identifiers when there are none at all.
    const any = await this.#arrays<[number]>(`SELECT 1 FROM "LedgerRecord" r WHERE r."consortiumId" = ? AND r."kind" = 'coldchain.breach' LIMIT 1`, this.consortiumId);
    if (any.length === 0) return [];
    for (const chunk of chunks([...new Set(identifiers)])) {
      const rows = await this.#all<{ hash: string; body: string; logIndex: Num }>(
        `SELECT r."hash", r."body", r."logIndex" FROM "LedgerRecord" r
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
          out.set(r.hash, { recordHash: r.hash, subject: body.payload.subject, containedItems: body.payload.containedItems ?? [], signedAt: body.signedAt, finding: body.payload.finding ?? null, logIndex: Number(r.logIndex) });
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
      const rows = await this.#all<CustodyInfo>(
        `SELECT c."identifier", c."orgId", c."eventId", c."eventTime" FROM json_each(?) j CROSS JOIN "Custody" c
          WHERE c."consortiumId" = ? AND c."identifier" = j.value`,
        JSON.stringify(chunk),
        this.consortiumId,
      );
      for (const r of rows) out.set(r.identifier, r);
    }
    return out;
  }

  /** The last block at or before a log size or a time (the checkpoint an as-of answer is given at). */
  async blockAtOrBefore(at: { logSize: number } | { time: string }): Promise<BlockEvidence | undefined> {
    const [column, value] = 'logSize' in at ? ['logSize', at.logSize] : ['timestamp', at.time];
    const rows = await this.#all<{ height: Num; hash: string; header: string; seals: string }>(
      `SELECT "height", "hash", "header", "seals" FROM "Block" WHERE "consortiumId" = ? AND "${column}" <= ? ORDER BY "height" DESC LIMIT 1`,
      this.consortiumId,
      value,
    );
    const r = rows[0];
    return r ? { height: Number(r.height), hash: r.hash, header: r.header, seals: r.seals } : undefined;
  }

  async indexLeaves(buckets: number[]): Promise<Map<number, MapLeaf[]>> {
    const unique = [...new Set(buckets)];
    const rows: [string, Num, string][] = [];
    for (const chunk of chunks(unique)) rows.push(...(await this.#arrays<[string, Num, string]>(BUCKET_LEAVES_SQL, JSON.stringify(chunk.map(bucketPrefix)), this.consortiumId)));
    return groupLeaves(unique, rows);
  }

  /** The newest EventCorrection row (its rowid; 0: none): a cheap sign that corrections changed. */
  async correctionMark(): Promise<number> {
    const rows = await this.#arrays<[Num | null]>(`SELECT max(rowid) FROM "EventCorrection" WHERE "consortiumId" = ?`, this.consortiumId);
    return Number(rows[0]?.[0] ?? 0);
  }

  /**
   * The records declaring an error in each event (other than the event's own): each is an
   * epcis.event record with the event's hash ID, so it touches the same identifiers in the same
   * roles, and the index map holds an entry for it beside the event's (docs/completeness.md).
   */
  async correctionRecords(eventIds: string[], own: ReadonlyMap<string, [string, number]>): Promise<Map<string, [string, number][]>> {
    const out = new Map<string, [string, number][]>();
    if ((await this.correctionMark()) === 0) return out;
    for (const chunk of chunks(eventIds)) {
      const rows = await this.#arrays<[string, string, Num]>(
        `SELECT c."eventId", c."recordHash", r."logIndex" FROM json_each(?) j CROSS JOIN "EventCorrection" c
           JOIN "LedgerRecord" r ON r."hash" = c."recordHash" AND r."consortiumId" = c."consortiumId"
          WHERE c."consortiumId" = ? AND c."eventId" = j.value`,
        JSON.stringify(chunk),
        this.consortiumId,
      );
      for (const [eventId, recordHash, logIndex] of rows) {
        if (own.get(eventId)?.[0] === recordHash) continue;
        let list = out.get(eventId);
        if (!list) out.set(eventId, (list = []));
        list.push([recordHash, Number(logIndex)]);
      }
    }
    return out;
  }
}

const UNIT = String.fromCharCode(31);
const RECORD = String.fromCharCode(30);

/** The group_concat of eventsById back into rows (a function of the text alone, as the row cache needs). */
export function parseIdentifierRows(ids: string | null, intern: (text: string) => string): EventIdentifierRef[] {
  if (!ids) return [];
  const out: EventIdentifierRef[] = [];
  for (const pair of ids.split(RECORD)) {
    const cut = pair.lastIndexOf(UNIT);
    if (cut >= 0) out.push({ identifier: intern(pair.slice(0, cut)), role: intern(pair.slice(cut + 1)) });
  }
  return out;
}
