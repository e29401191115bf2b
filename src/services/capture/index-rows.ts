/**
 * The index rows of captured events (EpcisEvent, EventIdentifier, Custody, DocumentCitation,
 * EventCorrection), written in the transaction that stores their records. What each event produces
 * is the shared derivation in core/ledger/projections, which `verify` and `rebuild-projections` replay.
 */
import type { CustodyChange } from '../../core/rules/authorisation.js';
import type { JsonObject } from '../../core/capture/envelope.js';
import type { ErrorDeclaration } from '../../core/capture/corrections.js';
import { custodyRowsOf } from '../../core/ledger/projections/custody.js';
import { correctionRowOf, eventRowsOf } from '../../core/ledger/projections/event-rows.js';
import { locationLinksOf, type LocationLinkRow } from '../../core/epcis/query/location-hierarchy.js';
import type { CorrectionRow, CustodyRow, DocumentCitationRow, EventIdentifierRow, EventIndexRows, EventRow } from '../../store/event-index.js';

export { correctionRowOf, custodyIdentifiersOf, eventRowOf, identifierRowsOf } from '../../core/ledger/projections/event-rows.js';

/** Collects the index rows of the events a group commit stores. */
export class IndexRows implements Required<EventIndexRows> {
  readonly events: EventRow[] = [];
  readonly identifiers: EventIdentifierRow[] = [];
  readonly custody: CustodyRow[] = [];
  readonly citations: DocumentCitationRow[] = [];
  readonly corrections: CorrectionRow[] = [];
  readonly locationLinks: (LocationLinkRow & { recordHash: string })[] = [];

  /** The row of a correction record: it adds no event, identifier or custody rows (the corrected event keeps its own). */
  addCorrection(row: CorrectionRow): void {
    this.corrections.push(row);
  }

  /** Rows of one accepted event; `custodyChanges` are the role table's verdict on it. */
  add(event: JsonObject, eventId: string, recordHashHex: string, submitterOrg: string, custodyChanges: readonly CustodyChange[], declaration?: ErrorDeclaration): void {
    const rows = eventRowsOf(event, eventId, recordHashHex, submitterOrg);
    this.events.push(rows.event);
    this.identifiers.push(...rows.identifiers);
    this.custody.push(...custodyRowsOf(custodyChanges, eventId, rows.event.eventTime));
    this.citations.push(...rows.citations);
    // Captured with its declaration: the event is its own correction record.
    if (declaration) this.corrections.push(correctionRowOf(eventId, recordHashHex, recordHashHex, declaration, submitterOrg));
  }

  /** The location hierarchy a stored event's signed header declares (payload format 2), for its signer. */
  addHeader(epcisHeader: unknown, recordHashHex: string, submitterOrg: string): void {
    for (const link of locationLinksOf(epcisHeader, submitterOrg)) this.locationLinks.push({ ...link, recordHash: recordHashHex });
  }
}
