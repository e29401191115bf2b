/**
 * The index rows of captured events (EpcisEvent, EventIdentifier, Custody, DocumentCitation),
 * written in the transaction that stores their records.
 */
import { bizStepOf, dispositionOf, eventType, identifiersOf } from '../../core/epcis/epcis-model.js';
import { canonicalIdentifier, type CustodyChange } from '../../core/rules/authorisation.js';
import { eventTouches } from '../../core/ledger/index-map/entries.js';
import type { JsonObject } from '../../core/capture/envelope.js';
import { documentRefsOfEvent } from '../../core/capture/documents.js';
import { declaredEventIdOf, type ErrorDeclaration } from '../../core/capture/corrections.js';
import type { CorrectionRow, CustodyRow, DocumentCitationRow, EventIdentifierRow, EventIndexRows, EventRow } from '../../store/event-index.js';

function locationId(value: unknown): string | null {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : null;
}

/** Identifier rows of an event: what it touches (eventTouches, the one derivation the index map and its verifiers use). */
export function identifierRowsOf(event: JsonObject, eventId: string, eventTime: string): EventIdentifierRow[] {
  return eventTouches(event).map((t) => ({ identifier: t.identifier, eventId, role: t.role, eventTime }));
}

/** The EpcisEvent index row of a captured event. */
export function eventRowOf(event: JsonObject, eventId: string, recordHashHex: string, submitterOrg: string): EventRow {
  const action = event['action'];
  return {
    eventId,
    recordHash: recordHashHex,
    eventType: eventType(event) ?? String(event['type']),
    eventTime: String(event['eventTime'] ?? ''),
    action: typeof action === 'string' ? action : null,
    bizStep: bizStepOf(event) ?? null,
    disposition: dispositionOf(event) ?? null,
    readPoint: locationId(event['readPoint']),
    bizLocation: locationId(event['bizLocation']),
    submitterOrg,
    declaredEventId: declaredEventIdOf(event),
  };
}

/** The EventCorrection row of a record declaring an error in the event whose record is `correctedRecordHash`. */
export function correctionRowOf(eventId: string, recordHashHex: string, correctedRecordHash: string, declaration: ErrorDeclaration, signerOrg: string): CorrectionRow {
  return {
    eventId,
    recordHash: recordHashHex,
    correctedRecordHash,
    declarationTime: declaration.declarationTime,
    reason: declaration.reason,
    correctiveEventIds: declaration.correctiveEventIds,
    declaration: declaration.canonical,
    signerOrg,
  };
}

/** The identifiers whose custody the role table may ask about, canonical. */
export function custodyIdentifiersOf(event: JsonObject): string[] {
  const ids = identifiersOf(event);
  return [...ids.epcs, ...ids.childEPCs, ...ids.inputEPCs, ...ids.outputEPCs, ...(ids.parentID ? [ids.parentID] : [])].map(canonicalIdentifier);
}

/** Collects the index rows of the events a group commit stores. */
export class IndexRows implements Required<EventIndexRows> {
  readonly events: EventRow[] = [];
  readonly identifiers: EventIdentifierRow[] = [];
  readonly custody: CustodyRow[] = [];
  readonly citations: DocumentCitationRow[] = [];
  readonly corrections: CorrectionRow[] = [];

  /** The row of a correction record: it adds no event, identifier or custody rows (the corrected event keeps its own). */
  addCorrection(row: CorrectionRow): void {
    this.corrections.push(row);
  }

  /** Rows of one accepted event; `custodyChanges` are the role table's verdict on it. */
  add(event: JsonObject, eventId: string, recordHashHex: string, submitterOrg: string, custodyChanges: readonly CustodyChange[], declaration?: ErrorDeclaration): void {
    const eventTime = String(event['eventTime'] ?? '');
    this.events.push(eventRowOf(event, eventId, recordHashHex, submitterOrg));
    this.identifiers.push(...identifierRowsOf(event, eventId, eventTime));
    for (const c of custodyChanges) this.custody.push({ identifier: c.identifier, orgId: c.orgId, eventId, eventTime });
    // Checked at capture (citations of accepted events are well-formed and present).
    for (const d of documentRefsOfEvent(event)) this.citations.push({ sha256: d.sha256, eventId });
    // Captured with its declaration: the event is its own correction record.
    if (declaration) this.corrections.push(correctionRowOf(eventId, recordHashHex, recordHashHex, declaration, submitterOrg));
  }
}
