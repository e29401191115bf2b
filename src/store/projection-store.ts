/**
 * Reads of the projected tables by the keys a replay derives, for `verify`, the start-up check and
 * the rebuild (docs/projections.md). Every read is bounded (an IN list, a page, a count), so a
 * replay of any length holds only what it compares.
 */
import type { CorrectionRow, CustodyRow, DocumentCitationRow, EpcisEventRow, EventIdentifierRow } from '../core/ledger/projections/rows.js';
import type { ReadingRowInput } from '../core/ledger/projections/readings-check.js';
import type { Database } from './database.js';
import { engineOf } from './engine.js';
import { selectWhereIn } from './write-batch.js';

type Num = number | bigint;
const num = (v: Num | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));

/** A DeviceReading row as stored: the shape the projection check compares. */
export type StoredReadingRow = ReadingRowInput;

export interface StoredPersonRow {
  commitment: string;
  orgId: string;
  data: string | null;
  salt: string | null;
  erasedAt: string | null;
  erasureRecordHash: string | null;
}

/** A LocationLink row as stored (the vocabulary is any text in a tampered store). */
export interface StoredLocationLinkRow {
  vocabulary: string;
  parentId: string;
  orgId: string;
  childId: string;
  recordHash: string;
}

export interface StoredCheckpointRow {
  logSize: number;
  logRoot: string;
  blockHeight: number;
  blockHash: string;
  timestamp: string;
  signatures: string;
}

/** Tables whose rows the replay derives, with the consortium column every query filters on. */
export const PROJECTED_TABLES = ['EpcisEvent', 'EventIdentifier', 'DocumentCitation', 'EventCorrection', 'Custody', 'Organisation', 'OrgIdentifier', 'OrgKey', 'Device'] as const;
export type ProjectedTable = (typeof PROJECTED_TABLES)[number];

const EVENT_COLUMNS = '"eventId", "recordHash", "eventType", "eventTime", "action", "bizStep", "disposition", "readPoint", "bizLocation", "submitterOrg", "declaredEventId"';
const CORRECTION_COLUMNS = '"eventId", "recordHash", "correctedRecordHash", "declarationTime", "reason", "correctiveEventIds", "declaration", "signerOrg"';

/** An EventCorrection row as stored (correctiveEventIds is JSON text). */
export type StoredCorrectionRow = Omit<CorrectionRow, 'correctiveEventIds'> & { correctiveEventIds: string };
const READING_COLUMNS = '"deviceId", "seq", "observedAt", "type", "body", "signature", "digest", "gapFrom", "windowRecordHash"';

function readingRow(r: Record<string, unknown>): StoredReadingRow {
  return { ...(r as unknown as StoredReadingRow), seq: Number(r.seq), gapFrom: num(r.gapFrom as Num | null) };
}

const RECORD_POSITION_MISMATCHES = `SELECT r."hash", r."logIndex", r."blockHeight", r."indexInBlock",
        json_extract(b."header", '$.logSize') AS "logSize", json_extract(b."header", '$.recordCount') AS "recordCount"
   FROM "LedgerRecord" r JOIN "Block" b ON b."consortiumId" = r."consortiumId" AND b."height" = r."blockHeight"
  WHERE r."consortiumId" = ? AND json_valid(b."header")
    AND (r."indexInBlock" IS NULL OR r."indexInBlock" < 0 OR r."indexInBlock" >= json_extract(b."header", '$.recordCount')
         OR r."logIndex" <> json_extract(b."header", '$.logSize') - json_extract(b."header", '$.recordCount') + r."indexInBlock")
  LIMIT ?`;

/**
 * The same on PostgreSQL, where a JSON member is text until cast: provenant_header_counts (migration
 * 20261121000001_postgres_functions) gives NULLs for a header that is no JSON or whose members are
 * no numbers, as SQLite's json_valid guard and its type order leave such rows out.
 */
const RECORD_POSITION_MISMATCHES_POSTGRES = `SELECT r."hash", r."logIndex", r."blockHeight", r."indexInBlock", h."logSize", h."recordCount"
   FROM "LedgerRecord" r JOIN "Block" b ON b."consortiumId" = r."consortiumId" AND b."height" = r."blockHeight"
  CROSS JOIN LATERAL provenant_header_counts(b."header") h
  WHERE r."consortiumId" = ? AND h."recordCount" IS NOT NULL AND h."logSize" IS NOT NULL
    AND (r."indexInBlock" IS NULL OR r."indexInBlock" < 0 OR r."indexInBlock" >= h."recordCount"
         OR r."logIndex" <> h."logSize" - h."recordCount" + r."indexInBlock")
  LIMIT ?`;

export class ProjectionStore {
  constructor(
    readonly db: Database,
    readonly consortiumId: string,
  ) {}

  async eventsByRecordHashes(hashes: readonly string[]): Promise<EpcisEventRow[]> {
    return selectWhereIn<EpcisEventRow>(this.db, { before: `SELECT ${EVENT_COLUMNS} FROM "EpcisEvent" WHERE "consortiumId" = ? AND "recordHash"` }, [this.consortiumId], hashes);
  }

  async identifiersByEventIds(eventIds: readonly string[]): Promise<EventIdentifierRow[]> {
    return selectWhereIn<EventIdentifierRow>(
      this.db,
      { before: `SELECT "identifier", "eventId", "role", "eventTime" FROM "EventIdentifier" WHERE "consortiumId" = ? AND "eventId"` },
      [this.consortiumId],
      eventIds,
    );
  }

  async citationsByEventIds(eventIds: readonly string[]): Promise<DocumentCitationRow[]> {
    return selectWhereIn<DocumentCitationRow>(this.db, { before: `SELECT "sha256", "eventId" FROM "DocumentCitation" WHERE "consortiumId" = ? AND "eventId"` }, [this.consortiumId], eventIds);
  }

  async correctionsByRecordHashes(hashes: readonly string[]): Promise<StoredCorrectionRow[]> {
    return selectWhereIn<StoredCorrectionRow>(this.db, { before: `SELECT ${CORRECTION_COLUMNS} FROM "EventCorrection" WHERE "consortiumId" = ? AND "recordHash"` }, [this.consortiumId], hashes);
  }

  /** EventCorrection rows whose record is not an epcis.event record of the consortium. */
  async orphanCorrections(limit: number): Promise<StoredCorrectionRow[]> {
    return this.db.$queryRawUnsafe<StoredCorrectionRow[]>(
      `SELECT ${CORRECTION_COLUMNS} FROM "EventCorrection" c WHERE c."consortiumId" = ?
         AND NOT EXISTS (SELECT 1 FROM "LedgerRecord" r WHERE r."hash" = c."recordHash" AND r."consortiumId" = c."consortiumId" AND r."kind" = 'epcis.event')
       LIMIT ?`,
      this.consortiumId,
      limit,
    );
  }

  /**
   * Sealed records whose log index is not their place in their block as its signed header states it
   * (the block's first log index, logSize - recordCount, plus indexInBlock), or whose index in the
   * block is beyond its record count.
   */
  async recordPositionMismatches(limit: number): Promise<{ hash: string; logIndex: number; blockHeight: number; indexInBlock: number; expected: number }[]> {
    const rows = await this.db.$queryRawUnsafe<{ hash: string; logIndex: Num; blockHeight: Num; indexInBlock: Num; logSize: Num; recordCount: Num }[]>(
      engineOf(this.db) === 'postgres' ? RECORD_POSITION_MISMATCHES_POSTGRES : RECORD_POSITION_MISMATCHES,
      this.consortiumId,
      limit,
    );
    return rows.map((r) => ({
      hash: r.hash,
      logIndex: Number(r.logIndex),
      blockHeight: Number(r.blockHeight),
      indexInBlock: Number(r.indexInBlock),
      expected: Number(r.logSize) - Number(r.recordCount) + Number(r.indexInBlock),
    }));
  }

  /** Which of these records have an EpcisEvent row. */
  async recordsWithEventRows(hashes: readonly string[]): Promise<Set<string>> {
    const rows = await selectWhereIn<{ recordHash: string }>(this.db, { before: `SELECT "recordHash" FROM "EpcisEvent" WHERE "consortiumId" = ? AND "recordHash"` }, [this.consortiumId], hashes);
    return new Set(rows.map((r) => r.recordHash));
  }

  async custodyOf(identifiers: readonly string[]): Promise<CustodyRow[]> {
    return selectWhereIn<CustodyRow>(
      this.db,
      { before: `SELECT "identifier", "orgId", "eventId", "eventTime" FROM "Custody" WHERE "consortiumId" = ? AND "identifier"` },
      [this.consortiumId],
      identifiers,
    );
  }

  /** Custody rows whose event is not a captured event of the consortium. */
  async custodyWithoutEvent(limit: number): Promise<CustodyRow[]> {
    return this.db.$queryRawUnsafe<CustodyRow[]>(
      `SELECT "identifier", "orgId", "eventId", "eventTime" FROM "Custody" c WHERE c."consortiumId" = ?
         AND NOT EXISTS (SELECT 1 FROM "EpcisEvent" e WHERE e."consortiumId" = c."consortiumId" AND e."eventId" = c."eventId")
       LIMIT ?`,
      this.consortiumId,
      limit,
    );
  }

  /** Custody rows in identifier order, after `after` (exclusive). */
  async custodyPage(after: string | null, limit: number): Promise<CustodyRow[]> {
    return this.db.$queryRawUnsafe<CustodyRow[]>(
      `SELECT "identifier", "orgId", "eventId", "eventTime" FROM "Custody" WHERE "consortiumId" = ? AND "identifier" > ? ORDER BY "identifier" LIMIT ?`,
      this.consortiumId,
      after ?? '',
      limit,
    );
  }

  /** Row count of each projected table for the consortium. */
  async counts(): Promise<Record<ProjectedTable, number>> {
    const out = {} as Record<ProjectedTable, number>;
    for (const table of PROJECTED_TABLES) {
      const rows = await this.db.$queryRawUnsafe<{ n: Num }[]>(`SELECT count(*) AS n FROM "${table}" WHERE "consortiumId" = ?`, this.consortiumId);
      out[table] = Number(rows[0]?.n ?? 0);
    }
    return out;
  }

  /** EpcisEvent rows whose record is not an epcis.event record of the consortium. */
  async orphanEvents(limit: number): Promise<EpcisEventRow[]> {
    return this.db.$queryRawUnsafe<EpcisEventRow[]>(
      `SELECT ${EVENT_COLUMNS} FROM "EpcisEvent" e WHERE e."consortiumId" = ?
         AND NOT EXISTS (SELECT 1 FROM "LedgerRecord" r WHERE r."hash" = e."recordHash" AND r."consortiumId" = e."consortiumId" AND r."kind" = 'epcis.event')
       LIMIT ?`,
      this.consortiumId,
      limit,
    );
  }

  /** Rows of an event-keyed table whose event is not a stored event of an epcis.event record. */
  async orphansByEvent<T>(table: 'EventIdentifier' | 'DocumentCitation', columns: string, limit: number): Promise<T[]> {
    return this.db.$queryRawUnsafe<T[]>(
      `SELECT ${columns} FROM "${table}" t WHERE t."consortiumId" = ?
         AND NOT EXISTS (SELECT 1 FROM "EpcisEvent" e JOIN "LedgerRecord" r ON r."hash" = e."recordHash" AND r."consortiumId" = e."consortiumId" AND r."kind" = 'epcis.event'
                          WHERE e."consortiumId" = t."consortiumId" AND e."eventId" = t."eventId")
       LIMIT ?`,
      this.consortiumId,
      limit,
    );
  }

  async consortiumRow(): Promise<Record<string, unknown> | undefined> {
    const rows = await this.db.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT "id", "name", "genesisHash", "quorumNumerator", "quorumDenominator", "createdAt" FROM "Consortium" WHERE "id" = ?`,
      this.consortiumId,
    );
    return rows[0];
  }

  async orgIdentifiers(): Promise<{ scheme: string; value: string; orgId: string }[]> {
    return this.db.$queryRawUnsafe(`SELECT "scheme", "value", "orgId" FROM "OrgIdentifier" WHERE "consortiumId" = ?`, this.consortiumId);
  }

  async checkpoints(): Promise<StoredCheckpointRow[]> {
    const rows = await this.db.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT "logSize", "logRoot", "blockHeight", "blockHash", "timestamp", "signatures" FROM "Checkpoint" WHERE "consortiumId" = ? ORDER BY "logSize"`,
      this.consortiumId,
    );
    return rows.map((r) => ({ ...(r as unknown as StoredCheckpointRow), logSize: Number(r.logSize), blockHeight: Number(r.blockHeight) }));
  }

  /** A device's readings with seq in [first, last]. */
  async readingsInRange(deviceId: string, first: number, last: number): Promise<StoredReadingRow[]> {
    const rows = await this.db.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT ${READING_COLUMNS} FROM "DeviceReading" WHERE "consortiumId" = ? AND "deviceId" = ? AND "seq" BETWEEN ? AND ? ORDER BY "seq"`,
      this.consortiumId,
      deviceId,
      first,
      last,
    );
    return rows.map(readingRow);
  }

  /** Readings pointing at any of these window records. */
  async readingsOfWindows(hashes: readonly string[]): Promise<StoredReadingRow[]> {
    const rows = await selectWhereIn<Record<string, unknown>>(
      this.db,
      { before: `SELECT ${READING_COLUMNS} FROM "DeviceReading" WHERE "consortiumId" = ? AND "windowRecordHash"` },
      [this.consortiumId],
      hashes,
    );
    return rows.map(readingRow);
  }

  async windowedReadingCount(): Promise<number> {
    const rows = await this.db.$queryRawUnsafe<{ n: Num }[]>(`SELECT count(*) AS n FROM "DeviceReading" WHERE "consortiumId" = ? AND "windowRecordHash" IS NOT NULL`, this.consortiumId);
    return Number(rows[0]?.n ?? 0);
  }

  /** Readings that point at a record that is not a sensor.window record of the consortium. */
  async orphanWindowedReadings(limit: number): Promise<StoredReadingRow[]> {
    const rows = await this.db.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT ${READING_COLUMNS} FROM "DeviceReading" d WHERE d."consortiumId" = ? AND d."windowRecordHash" IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM "LedgerRecord" r WHERE r."hash" = d."windowRecordHash" AND r."consortiumId" = d."consortiumId" AND r."kind" = 'sensor.window')
       LIMIT ?`,
      this.consortiumId,
      limit,
    );
    return rows.map(readingRow);
  }

  async persons(commitments: readonly string[]): Promise<StoredPersonRow[]> {
    return selectWhereIn<StoredPersonRow>(
      this.db,
      { before: `SELECT "commitment", "orgId", "data", "salt", "erasedAt", "erasureRecordHash" FROM "PersonData" WHERE "consortiumId" = ? AND "commitment"` },
      [this.consortiumId],
      commitments,
    );
  }

  /** PersonData rows in commitment order after `after`. */
  async personPage(after: string | null, limit: number): Promise<StoredPersonRow[]> {
    return this.db.$queryRawUnsafe<StoredPersonRow[]>(
      `SELECT "commitment", "orgId", "data", "salt", "erasedAt", "erasureRecordHash" FROM "PersonData" WHERE "consortiumId" = ? AND "commitment" > ? ORDER BY "commitment" LIMIT ?`,
      this.consortiumId,
      after ?? '',
      limit,
    );
  }

  /** Documents in address order after `after`, with their bytes. */
  async documentPage(after: string | null, limit: number): Promise<{ sha256: string; size: number; mediaType: string; bytes: Uint8Array }[]> {
    const rows = await this.db.$queryRawUnsafe<{ sha256: string; size: Num; mediaType: string; bytes: Uint8Array }[]>(
      `SELECT "sha256", "size", "mediaType", "bytes" FROM "Document" WHERE "consortiumId" = ? AND "sha256" > ? ORDER BY "sha256" LIMIT ?`,
      this.consortiumId,
      after ?? '',
      limit,
    );
    return rows.map((r) => ({ ...r, size: Number(r.size) }));
  }

  /** LocationLink rows in key order after `after` (vocabulary, parentId, orgId, childId). */
  async locationLinkPage(after: StoredLocationLinkRow | null, limit: number): Promise<StoredLocationLinkRow[]> {
    const from = after ? [after.vocabulary, after.parentId, after.orgId, after.childId] : ['', '', '', ''];
    return this.db.$queryRawUnsafe<StoredLocationLinkRow[]>(
      `SELECT "vocabulary", "parentId", "orgId", "childId", "recordHash" FROM "LocationLink" WHERE "consortiumId" = ?
         AND ("vocabulary", "parentId", "orgId", "childId") > (?, ?, ?, ?) ORDER BY "vocabulary", "parentId", "orgId", "childId" LIMIT ?`,
      this.consortiumId,
      ...from,
      limit,
    );
  }

  /** Which of these document addresses are stored for the consortium. */
  async storedDocuments(hashes: readonly string[]): Promise<Set<string>> {
    const rows = await selectWhereIn<{ sha256: string }>(this.db, { before: `SELECT "sha256" FROM "Document" WHERE "consortiumId" = ? AND "sha256"` }, [this.consortiumId], hashes);
    return new Set(rows.map((r) => r.sha256));
  }
}

/** Consortia with stored blocks but no Consortium row. */
export async function chainsWithoutConsortium(db: Database): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<{ id: string }[]>(
    `SELECT DISTINCT b."consortiumId" AS "id" FROM "Block" b WHERE NOT EXISTS (SELECT 1 FROM "Consortium" c WHERE c."id" = b."consortiumId") ORDER BY 1`,
  );
  return rows.map((r) => r.id);
}
