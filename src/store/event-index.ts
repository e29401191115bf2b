/**
 * Captured-event indexes: EpcisEvent (one row per event hash ID), EventIdentifier (lineage index)
 * and Custody (who holds each item now). Written in the same transaction as the event's record.
 */
import { correctionKey } from '../core/capture/corrections.js';
import type { CorrectionRow, CustodyRow, DocumentCitationRow, EpcisEventRow, EventIdentifierRow } from '../core/ledger/projections/rows.js';
import type { KnownCustody } from '../core/rules/custody-state.js';
import type { LocationLinkRow } from '../core/epcis/query/location-hierarchy.js';
import type { Database } from './database.js';
import { selectWhereIn, type WriteBatch } from './write-batch.js';

type Tx = Parameters<Parameters<Database['$transaction']>[0]>[0];
export type Executor = Pick<Database, '$executeRawUnsafe' | '$queryRawUnsafe'> | Tx;

export type { CorrectionRow, CustodyRow, DocumentCitationRow, EventIdentifierRow } from '../core/ledger/projections/rows.js';
/** The EpcisEvent row of a captured event. */
export type EventRow = EpcisEventRow;

/** Everything indexed for a batch of captured events. */
export interface EventIndexRows {
  events: EventRow[];
  identifiers: EventIdentifierRow[];
  custody: CustodyRow[];
  citations?: DocumentCitationRow[];
  corrections?: CorrectionRow[];
  /** Location hierarchy links of the events' signed headers, with the record that declared each. */
  locationLinks?: (LocationLinkRow & { recordHash: string })[];
}

/** Values of `column` in `table` that exist for the consortium, among those asked. */
async function existingValues(db: Database, table: string, column: string, consortiumId: string, values: readonly string[], where = ''): Promise<Set<string>> {
  const rows = await selectWhereIn<{ v: string }>(db, { before: `SELECT "${column}" AS v FROM "${table}" WHERE "consortiumId" = ? AND "${column}"`, after: where }, [consortiumId], values);
  return new Set(rows.map((r) => r.v));
}

/** Event hash IDs of the list already captured in the consortium. */
export function existingEventIds(db: Database, consortiumId: string, eventIds: readonly string[]): Promise<Set<string>> {
  return existingValues(db, 'EpcisEvent', 'eventId', consortiumId, eventIds);
}

/** Document addresses (SHA-256) of the list stored for the consortium. */
export function existingDocuments(db: Database, consortiumId: string, hashes: readonly string[]): Promise<Set<string>> {
  return existingValues(db, 'Document', 'sha256', consortiumId, hashes);
}

/** Person commitments of the list registered in the consortium and not erased. */
export function livePersonCommitments(db: Database, consortiumId: string, commitments: readonly string[]): Promise<Set<string>> {
  return existingValues(db, 'PersonData', 'commitment', consortiumId, commitments, ' AND "erasedAt" IS NULL');
}

/** Current custodian per identifier (null: nobody holds it); identifiers never seen are absent. */
export async function custodyOf(db: Database, consortiumId: string, identifiers: readonly string[]): Promise<Map<string, string | null>> {
  const rows = await selectWhereIn<{ identifier: string; orgId: string | null }>(
    db,
    { before: `SELECT "identifier", "orgId" FROM "Custody" WHERE "consortiumId" = ? AND "identifier"` },
    [consortiumId],
    identifiers,
  );
  return new Map(rows.map((r) => [r.identifier, r.orgId]));
}

/** The records among these whose query-table rows are stored: an event row, or a correction row, names them. */
export async function projectedRecordHashes(db: Database, consortiumId: string, hashes: readonly string[]): Promise<Set<string>> {
  const events = await selectWhereIn<{ recordHash: string }>(db, { before: `SELECT "recordHash" FROM "EpcisEvent" WHERE "consortiumId" = ? AND "recordHash"` }, [consortiumId], hashes);
  const corrections = await selectWhereIn<{ recordHash: string }>(db, { before: `SELECT "recordHash" FROM "EventCorrection" WHERE "consortiumId" = ? AND "recordHash"` }, [consortiumId], hashes);
  return new Set([...events, ...corrections].map((r) => r.recordHash));
}

/** One stored event touching an identifier: its record (body as stored) and log position. */
export interface IdentifierHistoryEntry {
  recordHash: string;
  logIndex: number;
  body: string;
}

/** Every stored event touching each identifier, in log order (one entry per record, whatever its roles). */
export async function identifierHistories(db: Database, consortiumId: string, identifiers: readonly string[]): Promise<Map<string, IdentifierHistoryEntry[]>> {
  const rows = await selectWhereIn<{ identifier: string; recordHash: string; logIndex: number | bigint; body: string }>(
    db,
    {
      before: `SELECT DISTINCT i."identifier", e."recordHash", r."logIndex", r."body"
                 FROM "EventIdentifier" i
                 JOIN "EpcisEvent" e ON e."consortiumId" = i."consortiumId" AND e."eventId" = i."eventId"
                 JOIN "LedgerRecord" r ON r."hash" = e."recordHash"
                WHERE i."consortiumId" = ? AND i."identifier"`,
    },
    [consortiumId],
    identifiers,
  );
  const out = new Map<string, IdentifierHistoryEntry[]>();
  for (const r of rows) {
    const list = out.get(r.identifier) ?? [];
    list.push({ recordHash: r.recordHash, logIndex: Number(r.logIndex), body: r.body });
    out.set(r.identifier, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.logIndex - b.logIndex);
  return out;
}

/** A stored event as a capture group's checks see it. */
export interface StoredEventRef {
  recordHash: string;
  submitterOrg: string;
}

/** What a capture group's checks read of the stored state, once for the whole group. */
export interface CaptureView {
  /** Event hash IDs and record hashes among those asked that are stored (they do not collide: one is a URI, the other hex). */
  stored: Set<string>;
  /** The stored events among those asked, by event hash ID. */
  events: Map<string, StoredEventRef>;
  /** Client-supplied event IDs among those asked that a stored event declared, to that event's hash ID. */
  declared: Map<string, string>;
  /** Error declarations stored for the events asked, as correctionKey(eventId, declaration). */
  corrections: Set<string>;
  /** Custody per item: its state, or (from the Custody table alone) its holder, null for nobody; items never seen are absent. */
  custody: Map<string, KnownCustody>;
  /** Cited document addresses that are stored for the consortium. */
  documents: Set<string>;
  /** Cited person commitments registered in the consortium and not erased. */
  persons: Set<string>;
}

export interface CaptureViewKeys {
  eventIds: readonly string[];
  recordHashes: readonly string[];
  identifiers: readonly string[];
  documents: readonly string[];
  persons: readonly string[];
  /** Client-supplied event IDs of the group's events. */
  declaredIds?: readonly string[];
}

export async function captureViewOf(db: Database, consortiumId: string, keys: CaptureViewKeys): Promise<CaptureView> {
  const eventRows = await selectWhereIn<{ eventId: string; recordHash: string; submitterOrg: string }>(
    db,
    { before: `SELECT "eventId", "recordHash", "submitterOrg" FROM "EpcisEvent" WHERE "consortiumId" = ? AND "eventId"` },
    [consortiumId],
    [...keys.eventIds, ...(keys.declaredIds ?? [])],
  );
  const declaredRows = await selectWhereIn<{ declaredEventId: string; eventId: string }>(
    db,
    { before: `SELECT "declaredEventId", "eventId" FROM "EpcisEvent" WHERE "consortiumId" = ? AND "declaredEventId"` },
    [consortiumId],
    keys.declaredIds ?? [],
  );
  const correctionRows = await selectWhereIn<{ eventId: string; declaration: string }>(
    db,
    { before: `SELECT "eventId", "declaration" FROM "EventCorrection" WHERE "consortiumId" = ? AND "eventId"` },
    [consortiumId],
    keys.eventIds,
  );
  const records = await existingValues(db, 'LedgerRecord', 'hash', consortiumId, keys.recordHashes);
  const events = new Map(eventRows.map((r) => [r.eventId, { recordHash: r.recordHash, submitterOrg: r.submitterOrg }]));
  return {
    stored: new Set([...events.keys(), ...records]),
    events,
    declared: new Map(declaredRows.map((r) => [r.declaredEventId, r.eventId])),
    corrections: new Set(correctionRows.map((r) => correctionKey(r.eventId, r.declaration))),
    custody: await custodyOf(db, consortiumId, keys.identifiers),
    documents: await existingDocuments(db, consortiumId, keys.documents),
    persons: await livePersonCommitments(db, consortiumId, keys.persons),
  };
}

/** Adds the index rows to the batch that commits their records. */
export function writeEventIndex(
  batch: WriteBatch,
  consortiumId: string,
  input: EventIndexRows,
): void {
  batch.insert(
    'EpcisEvent',
    ['consortiumId', 'eventId', 'recordHash', 'eventType', 'eventTime', 'action', 'bizStep', 'disposition', 'readPoint', 'bizLocation', 'submitterOrg', 'declaredEventId'],
    input.events.map((e) => [consortiumId, e.eventId, e.recordHash, e.eventType, e.eventTime, e.action, e.bizStep, e.disposition, e.readPoint, e.bizLocation, e.submitterOrg, e.declaredEventId ?? null]),
  );
  batch.insert(
    'EventIdentifier',
    ['consortiumId', 'identifier', 'eventId', 'role', 'eventTime'],
    input.identifiers.map((r) => [consortiumId, r.identifier, r.eventId, r.role, r.eventTime]),
    'OR IGNORE',
  );
  // Later events in the batch win: rows are applied in document order.
  const latest = new Map<string, CustodyRow>();
  for (const c of input.custody) latest.set(c.identifier, c);
  batch.insert(
    'Custody',
    ['consortiumId', 'identifier', 'orgId', 'eventId', 'eventTime'],
    [...latest.values()].map((c) => [consortiumId, c.identifier, c.orgId, c.eventId, c.eventTime]),
    'OR REPLACE',
  );
  batch.insert('DocumentCitation', ['consortiumId', 'sha256', 'eventId'], (input.citations ?? []).map((c) => [consortiumId, c.sha256, c.eventId]), 'OR IGNORE');
  batch.insert(
    'EventCorrection',
    ['consortiumId', 'eventId', 'recordHash', 'correctedRecordHash', 'declarationTime', 'reason', 'correctiveEventIds', 'declaration', 'signerOrg'],
    (input.corrections ?? []).map((c) => [consortiumId, c.eventId, c.recordHash, c.correctedRecordHash, c.declarationTime, c.reason, JSON.stringify(c.correctiveEventIds), c.declaration, c.signerOrg]),
  );
  // Every event of a document repeats its header: the first record declaring a link is kept.
  batch.insert(
    'LocationLink',
    ['consortiumId', 'vocabulary', 'parentId', 'orgId', 'childId', 'recordHash'],
    (input.locationLinks ?? []).map((l) => [consortiumId, l.vocabulary, l.parentId, l.orgId, l.childId, l.recordHash]),
    'OR IGNORE',
  );
}

/** Events of the consortium that cite the document. */
export async function eventsCitingDocument(db: Executor, consortiumId: string, sha256: string): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<{ eventId: string }[]>(
    `SELECT "eventId" FROM "DocumentCitation" WHERE "consortiumId" = ? AND "sha256" = ? ORDER BY "eventId"`,
    consortiumId,
    sha256,
  );
  return rows.map((r) => r.eventId);
}

export interface StoredEvent {
  consortiumId: string;
  eventId: string;
  recordHash: string;
  submitterOrg: string;
  /** JCS text of the signed record. */
  recordBody: string;
  /** When this node stored the record: the event's recordTime (EPCIS 2.0 section 7.4.1), whatever the client put in the event. */
  recordTime: string;
  block: { height: number; hash: string } | null;
}

/** The captured event by hash ID or by the event ID its client supplied (in one consortium, or the first found in any). */
export async function findEvent(db: Executor, eventId: string, consortiumId?: string): Promise<StoredEvent | null> {
  const rows = await db.$queryRawUnsafe<
    { consortiumId: string; eventId: string; recordHash: string; submitterOrg: string; body: string; receivedAt: string; blockHeight: number | bigint | null; blockHash: string | null }[]
  >(
    `SELECT e."consortiumId", e."eventId", e."recordHash", e."submitterOrg", r."body", r."receivedAt", r."blockHeight", b."hash" AS "blockHash"
       FROM "EpcisEvent" e
       JOIN "LedgerRecord" r ON r."hash" = e."recordHash"
       LEFT JOIN "Block" b ON b."consortiumId" = r."consortiumId" AND b."height" = r."blockHeight"
      WHERE (e."eventId" = ? OR e."declaredEventId" = ?) ${consortiumId !== undefined ? 'AND e."consortiumId" = ?' : ''}
      ORDER BY e."eventId" = ? DESC, e."consortiumId" LIMIT 1`,
    eventId,
    eventId,
    ...(consortiumId !== undefined ? [consortiumId] : []),
    eventId,
  );
  const row = rows[0];
  if (!row) return null;
  return {
    consortiumId: row.consortiumId,
    eventId: row.eventId,
    recordHash: row.recordHash,
    submitterOrg: row.submitterOrg,
    recordBody: row.body,
    recordTime: row.receivedAt,
    block: row.blockHeight !== null && row.blockHash !== null ? { height: Number(row.blockHeight), hash: row.blockHash } : null,
  };
}
