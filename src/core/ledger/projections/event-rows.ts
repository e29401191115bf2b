/**
 * The rows a captured EPCIS event produces (EpcisEvent, EventIdentifier, DocumentCitation): one
 * implementation for capture's index writer, the verifier's replay, the start-up check, the
 * rebuild and the per-hop row check, so they cannot drift apart.
 */
import { eventTouches } from '../index-map/entries.js';
import { bizStepOf, dispositionOf, eventType, identifiersOf } from '../../epcis/epcis-model.js';
import { eventHashId } from '../../epcis/event-hash.js';
import { statedClearEventId } from '../../privacy/withheld-identity.js';
import { canonicalIdentifier } from '../../rules/authorisation.js';
import { documentRefsOfEvent, PROVENANT_NAMESPACE } from '../../capture/documents.js';
import { declaredEventIdOf, type ErrorDeclaration } from '../../capture/corrections.js';
import type { CorrectionRow, DocumentCitationRow, EpcisEventRow, EventIdentifierRow, EventRows, IndexedEventColumns } from './rows.js';

type JsonObject = Record<string, unknown>;

function locationId(value: unknown): string | null {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : null;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The canonical form of an identifier's text (canonicalIdentifier, or a memo of it). */
export type Canonical = (text: string) => string;

/**
 * canonicalIdentifier remembered for up to `limit` texts: a replay meets the same locations and
 * items in many events. Owned by the caller (one per replay), so nothing is kept process-wide.
 */
export function canonicalMemo(limit = 200_000): Canonical {
  const memo = new Map<string, string>();
  return (text) => {
    let out = memo.get(text);
    if (out === undefined) {
      out = canonicalIdentifier(text);
      if (memo.size >= limit) memo.clear();
      memo.set(text, out);
    }
    return out;
  };
}

/** Identifier rows of an event: what it touches (eventTouches, the one derivation the index map and its verifiers use). */
export function identifierRowsOf(event: JsonObject, eventId: string, eventTime: string, canonical: Canonical = canonicalIdentifier): EventIdentifierRow[] {
  return eventTouches(event, canonical).map((t) => ({ identifier: t.identifier, eventId, role: t.role, eventTime }));
}

/** The EpcisEvent row of a captured event. */
export function eventRowOf(event: JsonObject, eventId: string, recordHashHex: string, submitterOrg: string): EpcisEventRow {
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

/** The EpcisEvent columns beyond event ID, record, time and submitter, in the order a reader selects them. */
export const INDEXED_EVENT_COLUMNS = ['eventType', 'action', 'bizStep', 'disposition', 'readPoint', 'bizLocation'] as const;

/** Those columns from the values selected in INDEXED_EVENT_COLUMNS order. */
export function indexedEventColumnsOf(values: readonly (string | null)[]): IndexedEventColumns {
  const [eventType, action, bizStep, disposition, readPoint, bizLocation] = values;
  return { eventType: eventType ?? '', action: action ?? null, bizStep: bizStep ?? null, disposition: disposition ?? null, readPoint: readPoint ?? null, bizLocation: bizLocation ?? null };
}

/** Citation rows of an event, one per document; none when the field is malformed (capture refuses such events). */
export function citationRowsOf(event: JsonObject, eventId: string): DocumentCitationRow[] {
  let refs: { sha256: string }[];
  try {
    refs = documentRefsOfEvent(event);
  } catch {
    return [];
  }
  return [...new Set(refs.map((r) => r.sha256))].map((sha256) => ({ sha256, eventId }));
}

/** Every row the event produces. */
export function eventRowsOf(event: JsonObject, eventId: string, recordHashHex: string, submitterOrg: string, canonical: Canonical = canonicalIdentifier): EventRows {
  const row = eventRowOf(event, eventId, recordHashHex, submitterOrg);
  return { event: row, identifiers: identifierRowsOf(event, eventId, row.eventTime, canonical), citations: citationRowsOf(event, eventId) };
}

/** The identifiers whose custody the role table may ask about, canonical. */
export function custodyIdentifiersOf(event: JsonObject): string[] {
  const ids = identifiersOf(event);
  return [...ids.epcs, ...ids.childEPCs, ...ids.inputEPCs, ...ids.outputEPCs, ...(ids.parentID ? [ids.parentID] : [])].map(canonicalIdentifier);
}

/** The EPCIS event an epcis.event payload states (undefined: the payload holds none, so it is not indexed). */
export function eventOfPayload(payload: unknown): JsonObject | undefined {
  const event = isObject(payload) ? payload['event'] : undefined;
  return isObject(event) ? event : undefined;
}

/**
 * The @context the event's hash ID was computed under, when the payload carries it; otherwise the
 * contexts capture is known to have used. A v1 payload holds the event alone: the document's
 * @context is not signed, and an extension prefix it declared can change the hash ID (CBV 2.0
 * event hash, rules 19-20), so such an ID can be checked only under a context that is tried here.
 */
function contextCandidates(payload: unknown): unknown[] {
  if (isObject(payload)) {
    for (const key of ['@context', 'context']) if (payload[key] !== undefined) return [payload[key]];
  }
  return [undefined, [{ provenant: PROVENANT_NAMESPACE }]];
}

/** Prefixes the standard EPCIS 2.0 context declares: keys under them hash the same in any document. */
const STANDARD_PREFIXES = new Set(['epcis', 'cbv', 'cbvmda', 'gs1']);

/** True when some key of the event (at any depth) is a compact IRI under a prefix only a document's @context can declare. */
function usesDocumentPrefixes(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(usesDocumentPrefixes);
  if (!isObject(value)) return false;
  for (const [key, item] of Object.entries(value)) {
    const cut = key.indexOf(':');
    if (cut > 0 && !key.startsWith('//', cut + 1) && !STANDARD_PREFIXES.has(key.slice(0, cut))) return true;
    if (usesDocumentPrefixes(item)) return true;
  }
  return false;
}

/**
 * The event hash ID of an epcis.event payload. With `stored`, the first candidate context giving
 * that ID confirms it (checked: true); when none does, the ID under the first candidate comes back
 * with checked: false. `determined` says whether the signed record fixes the ID (its context is
 * signed, or no key depends on one): then a stored ID that differs is a forgery; otherwise it may
 * be the ID under a document @context the v1 record does not hold. With nothing stored and an open
 * ID, `known` picks the candidate naming an event already captured (what a correction repeats).
 */
export function eventIdOfPayload(payload: unknown, stored?: string, known?: (eventId: string) => boolean): { eventId: string; checked: boolean; determined: boolean } | undefined {
  const event = eventOfPayload(payload);
  if (!event) return undefined;
  const stated = statedClearEventId(event);
  if (stated) return { eventId: stated, checked: stored === stated, determined: true };
  const candidates = contextCandidates(payload);
  const determined = candidates.length === 1 || !usesDocumentPrefixes(event);
  let first: string | undefined;
  let recognised: string | undefined;
  for (const context of candidates) {
    let id: string;
    try {
      id = eventHashId(event, context);
    } catch {
      continue;
    }
    first ??= id;
    if (id === stored || (stored === undefined && (determined || !known))) return { eventId: id, checked: stored !== undefined, determined };
    // With nothing stored (a correction has no event row), an ID the replay already knows is the one the record repeats.
    if (stored === undefined && recognised === undefined && known?.(id)) recognised = id;
  }
  const eventId = recognised ?? first;
  return eventId === undefined ? undefined : { eventId, checked: false, determined };
}
