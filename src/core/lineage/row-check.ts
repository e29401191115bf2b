/**
 * A hop's stored rows against its signed record, on every read (as the record row itself is):
 * the EpcisEvent row (every column, event ID included) must be exactly what the shared derivation
 * (ledger/projections) makes of the signed record, and every EventIdentifier row it derives must be
 * there. A difference fails each hop of the event with reason `projection`, naming the table, the
 * column and both values. (A row the record does not state fails the hop it makes: `index`.)
 */
import { eventIdOfPayload, eventOfPayload, eventRowsOf } from '../ledger/projections/event-rows.js';
import type { EpcisEventRow, IndexedEventColumns } from '../ledger/projections/rows.js';
import type { BlockHeader } from '../ledger/block.js';
import type { RecordEvidence } from './evidence.js';
import type { EventRow } from './graph.js';
import type { HopReason } from './semantics.js';

/** What a record body derives, kept with the body's verification memo (it depends on the body and the stored event ID only). */
export interface DerivedEventRows {
  storedEventId: string;
  submitterOrg: string;
  /** Undefined: the body states no event, so no row should exist. */
  row?: EpcisEventRow;
  /** The event ID differs from what the signed record fixes. */
  eventIdForged: boolean;
  /** "identifier US role" of each derived index row. */
  identifiers: Set<string>;
}

const US = '\u001f';

export function deriveEventRows(payload: unknown, recordHash: string, submitterOrg: string, storedEventId: string): DerivedEventRows {
  const event = eventOfPayload(payload);
  const id = eventIdOfPayload(payload, storedEventId);
  if (!event || !id) return { storedEventId, submitterOrg, eventIdForged: false, identifiers: new Set() };
  // A v1 record under an unsigned @context does not fix its ID: the stored one stands.
  const eventIdForged = !id.checked && id.determined;
  const eventId = id.checked || !id.determined ? storedEventId : id.eventId;
  const rows = eventRowsOf(event, eventId, recordHash, submitterOrg);
  return { storedEventId, submitterOrg, row: rows.event, eventIdForged, identifiers: new Set(rows.identifiers.map((r) => `${r.identifier}${US}${r.role}`)) };
}

function reason(table: string, column: string, message: string, details: Record<string, unknown>): HopReason {
  return { code: 'projection', message, details: { table, column, ...details } };
}

/**
 * Failures of the hop's event row: `derived` from the signed record (deriveEventRows), `row` as the
 * source read it, `columns` the other EpcisEvent columns when the source read them.
 */
export function eventRowFailures(row: EventRow, derived: DerivedEventRows): HopReason[] {
  const columns: IndexedEventColumns | undefined = row.columns;
  const out: HopReason[] = [];
  const expected = derived.row;
  const key = { eventId: row.eventId, recordHash: row.recordHash };
  if (!expected) return [reason('EpcisEvent', 'recordHash', `EpcisEvent row ${row.eventId} names record ${row.recordHash.slice(0, 16)}…, which states no EPCIS event`, key)];
  if (derived.eventIdForged) {
    out.push(reason('EpcisEvent', 'eventId', `EpcisEvent.eventId is ${row.eventId}, the signed event's hash ID is ${expected.eventId}`, { ...key, expected: expected.eventId, stored: row.eventId }));
  }
  const stored: Partial<EpcisEventRow> = { eventTime: row.eventTime, submitterOrg: row.signerOrg, ...(columns ?? {}) };
  for (const [column, value] of Object.entries(stored)) {
    const want = expected[column as keyof EpcisEventRow];
    if ((value ?? null) !== (want ?? null)) {
      out.push(reason('EpcisEvent', column, `EpcisEvent.${column} of event ${row.eventId} is ${JSON.stringify(value ?? null)}, the signed record says ${JSON.stringify(want ?? null)}`, { ...key, expected: want ?? null, stored: value ?? null }));
    }
  }
  // An index row the record does not state fails the hop it makes (verify-hop's `index` check);
  // a row the record states that is missing fails every hop of the event.
  const seen = new Set<string>();
  for (const i of row.identifiers) seen.add(`${i.identifier}${US}${i.role}`);
  for (const k of derived.identifiers) {
    if (seen.has(k)) continue;
    const [identifier, role] = k.split(US);
    out.push(reason('EventIdentifier', 'identifier', `EventIdentifier row (${identifier}, ${role}) of event ${row.eventId} is missing; the signed record states it`, { ...key, identifier, role, stored: null }));
  }
  return out;
}

/**
 * The record row's log index against its place in its block: the block's first log index
 * (logSize - recordCount) plus its index in the block. Roles and key windows are judged at the
 * log index, so a stored one that is not the record's place would judge it at another time.
 */
export function recordPositionFailure(rec: RecordEvidence, header: BlockHeader | undefined): HopReason | undefined {
  if (!header || rec.indexInBlock === null) return undefined;
  const expected = header.logSize - header.recordCount + rec.indexInBlock;
  if (rec.logIndex === expected) return undefined;
  return reason('LedgerRecord', 'logIndex', `LedgerRecord.logIndex of record ${rec.hash.slice(0, 16)}… is ${rec.logIndex}, its place in block ${rec.blockHeight} is log index ${expected}`, {
    recordHash: rec.hash,
    expected,
    stored: rec.logIndex,
  });
}
