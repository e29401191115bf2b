/**
 * What "touches" an identifier: the one pure derivation of an event's (identifier, role) pairs.
 * Capture writes exactly these as EventIdentifier rows, lineage walks them, the sealer chains them
 * into the index map and every verifier recomputes them from the signed record.
 */
import { identifiersOf } from '../../epcis/epcis-model.js';
import { canonicalIdentifier } from '../../rules/authorisation.js';
import { RecordKind } from '../records/kinds.js';
import { MEMBERSHIP_KINDS } from '../records/index.js';
import { MEMBERSHIP_KEY_HEX, MEMBERSHIP_SUBJECT } from './hashing.js';
import type { SignedRecord } from '../record.js';

/** The event field naming an animal's dam (a birth event): the dam's identifier finds its calves. */
export const DAM_FIELD = 'provenant:dam';

/** One identifier an event touches, canonical, in one role. */
export interface EventTouch {
  identifier: string;
  role: string;
}

function locationId(value: unknown): string | null {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : null;
}

/**
 * The identifiers an EPCIS event touches, canonical where parseable, each (identifier, role) once,
 * in this order: epcList (epc), parentID (parent), childEPCs (child), inputEPCList (input),
 * outputEPCList (output), the quantity lists (quantity, child, input, output), provenant:dam (dam),
 * sourceList (source), destinationList (destination), readPoint.id (readPoint),
 * bizLocation.id (bizLocation). `canonical` defaults to canonicalIdentifier (callers may pass a
 * remembering one: the result must be the same).
 */
export function eventTouches(event: unknown, canonical: (text: string) => string = canonicalIdentifier): EventTouch[] {
  const e = typeof event === 'object' && event !== null && !Array.isArray(event) ? (event as Record<string, unknown>) : {};
  const ids = identifiersOf(e);
  const out: EventTouch[] = [];
  const seen = new Set<string>();
  const add = (text: string, role: string) => {
    const identifier = canonical(text);
    const k = `${identifier}\u0000${role}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ identifier, role });
  };
  ids.epcs.forEach((id) => add(id, 'epc'));
  if (ids.parentID) add(ids.parentID, 'parent');
  ids.childEPCs.forEach((id) => add(id, 'child'));
  ids.inputEPCs.forEach((id) => add(id, 'input'));
  ids.outputEPCs.forEach((id) => add(id, 'output'));
  for (const q of ids.quantities) add(q.epcClass, q.role);
  const dam = e[DAM_FIELD];
  if (typeof dam === 'string' && dam.trim() !== '') add(dam, 'dam');
  const list = (key: string, field: string, role: string) => {
    const v = e[key];
    if (Array.isArray(v)) for (const item of v) if (item && typeof item[field] === 'string') add(item[field], role);
  };
  list('sourceList', 'source', 'source');
  list('destinationList', 'destination', 'destination');
  const rp = locationId(e['readPoint']);
  if (rp) add(rp, 'readPoint');
  const bl = locationId(e['bizLocation']);
  if (bl) add(bl, 'bizLocation');
  return out;
}

/** The event a record puts in the lineage index: epcis.event records only (their payload.event). */
export function indexedEventOf(record: Pick<SignedRecord, 'kind' | 'payload'>): unknown {
  if (record.kind !== RecordKind.EPCIS_EVENT) return undefined;
  const payload = record.payload as unknown;
  if (typeof payload !== 'object' || payload === null) return undefined;
  const event = (payload as { event?: unknown }).event;
  return typeof event === 'object' && event !== null && !Array.isArray(event) ? event : undefined;
}

/** The (identifier, role) pairs a record adds to the index: none for kinds other than epcis.event. */
export function recordTouches(record: Pick<SignedRecord, 'kind' | 'payload'>, canonical?: (text: string) => string): EventTouch[] {
  const event = indexedEventOf(record);
  return event === undefined ? [] : eventTouches(event, canonical);
}

/**
 * The additions a record makes to the map at its log index, in chain order: by role within the
 * record (an identifier it touches in two roles gets two entries, role order), identifiers in the
 * order eventTouches lists them. A membership record other than genesis adds one entry to the
 * membership chain (its kind as the role; `key` is MEMBERSHIP_KEY_HEX).
 */
export function recordAdditions(
  record: Pick<SignedRecord, 'kind' | 'payload'>,
  recordHash: string,
  logIndex: number,
  canonical?: (text: string) => string,
): { identifier: string; key?: string; entry: { recordHash: string; role: string; logIndex: number } }[] {
  if (record.kind === RecordKind.GENESIS) return []; // fixed by the genesis hash every verifier anchors to
  if ((MEMBERSHIP_KINDS as readonly string[]).includes(record.kind)) return [{ identifier: MEMBERSHIP_SUBJECT, key: MEMBERSHIP_KEY_HEX, entry: { recordHash, role: record.kind, logIndex } }];
  const touches = recordTouches(record, canonical);
  const ordered = touches.length > 1 ? [...touches].sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0)) : touches;
  return ordered.map((t) => ({ identifier: t.identifier, entry: { recordHash, role: t.role, logIndex } }));
}
