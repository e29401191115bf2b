/**
 * Openings sent with a capture envelope (docs/redaction.md): for each event that carries withheld-
 * field commitments, the value and salt of every commitment. The node stores them off-chain with
 * the record; the signed record holds only the commitments. Pure.
 */
import type { JsonValue } from '../crypto/index.js';
import { eventHashId } from '../epcis/event-hash.js';
import { PrivacyError } from '../privacy/commitment.js';
import { carriesWithheld, checkOpening, CLEAR_EVENT_ID_KEY, commitEventFields, openEvent, withheldOf, withoutCommitments, type WithheldOpening } from '../privacy/withheld.js';
import { statedClearEventId } from '../privacy/withheld-identity.js';
import { withheldPathsOf } from '../privacy/withheld-policy.js';
import { CaptureError } from './errors.js';

/** One opening in the envelope's `openings` list: `event` is the event's index in the document. */
export interface EnvelopeOpening extends WithheldOpening {
  event: number;
}

const KEYS = ['event', 'path', 'commitment', 'value', 'salt'];

function malformed(message: string, index: number): CaptureError {
  return new CaptureError('MALFORMED_ENVELOPE', `openings[${index}]: ${message}`, { field: 'openings', index });
}

/** Shape only: each entry exactly {event, path, commitment, value, salt}, `event` an index into the document's events. */
export function parseEnvelopeOpenings(value: unknown, eventCount: number): EnvelopeOpening[] {
  if (!Array.isArray(value)) throw new CaptureError('MALFORMED_ENVELOPE', 'openings must be an array', { field: 'openings' });
  return value.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw malformed('must be an object', i);
    const e = entry as Record<string, unknown>;
    if (Object.keys(e).length !== KEYS.length || KEYS.some((k) => !(k in e))) throw malformed(`needs exactly ${KEYS.join(', ')}`, i);
    if (!Number.isSafeInteger(e['event']) || (e['event'] as number) < 0 || (e['event'] as number) >= eventCount) throw malformed('event must index an event of the document', i);
    if (typeof e['path'] !== 'string' || typeof e['commitment'] !== 'string' || typeof e['salt'] !== 'string') throw malformed('path, commitment and salt must be strings', i);
    return { event: e['event'] as number, path: e['path'], commitment: e['commitment'], value: e['value'] as JsonValue, salt: e['salt'] };
  });
}

/** The openings of each event, in document order (commitment order within an event). */
export function openingsByEvent(openings: readonly EnvelopeOpening[] | undefined, eventCount: number): WithheldOpening[][] {
  const out: WithheldOpening[][] = Array.from({ length: eventCount }, () => []);
  for (const { event, ...opening } of openings ?? []) out[event]?.push(opening);
  return out;
}

/**
 * Null when the openings open exactly the event's commitments (each one once, at its path);
 * otherwise the refusal: MALFORMED_WITHHELD, WITHHELD_OPENING_MISSING, WITHHELD_OPENING_INVALID.
 */
export function checkEventOpenings(event: unknown, openings: readonly WithheldOpening[]): CaptureError | null {
  let committed;
  try {
    committed = withheldOf(event);
  } catch (err) {
    if (err instanceof PrivacyError) return new CaptureError('MALFORMED_WITHHELD', err.message, err.details);
    throw err;
  }
  const byCommitment = new Map(openings.map((o) => [o.commitment, o]));
  if (byCommitment.size !== openings.length) return new CaptureError('WITHHELD_OPENING_INVALID', 'an opening is sent twice', {});
  for (const c of committed) {
    const o = byCommitment.get(c.commitment);
    if (!o) return new CaptureError('WITHHELD_OPENING_MISSING', `no opening for the commitment of "${c.path}": the node keeps the value and salt of every withheld field`, { path: c.path, commitment: c.commitment });
    if (o.path !== c.path || !checkOpening(o)) return new CaptureError('WITHHELD_OPENING_INVALID', `the opening of "${c.path}" does not open its commitment`, { path: c.path, commitment: c.commitment });
    byCommitment.delete(c.commitment);
  }
  const extra = [...byCommitment.values()][0];
  if (extra) return new CaptureError('WITHHELD_OPENING_INVALID', `an opening names a commitment the event does not carry`, { path: extra.path, commitment: extra.commitment });
  return null;
}

/**
 * Null unless the event states a clear-form event hash ID (withheld-identity.ts) that is not the
 * hash ID of the event its openings restore: WITHHELD_EVENT_ID_MISMATCH. Call after checkEventOpenings.
 */
export function checkStatedEventId(event: Record<string, unknown>, openings: readonly WithheldOpening[], context: unknown): CaptureError | null {
  const stated = statedClearEventId(event);
  if (!stated) return null;
  const actual = eventHashId(withoutCommitments(openEvent(event, openings)), context);
  if (actual === stated) return null;
  return new CaptureError('WITHHELD_EVENT_ID_MISMATCH', `eventID ${stated} is not the event hash ID of the event its openings restore (${actual})`, { stated, actual });
}

/**
 * The document with each event's sensitive fields (withheldPathsOf) moved into salted commitments,
 * and the openings to send with it. Events with none are left as they are; a committed event states
 * its clear form's event hash ID (withheld-identity.ts), so its ID does not depend on the salts.
 */
export function commitDocumentFields(document: Record<string, unknown>, paths: (event: unknown) => string[] = withheldPathsOf): { document: Record<string, unknown>; openings: EnvelopeOpening[] } {
  const body = document['epcisBody'];
  const list = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['eventList'] : undefined;
  if (!Array.isArray(list)) return { document, openings: [] };
  const openings: EnvelopeOpening[] = [];
  const eventList = list.map((event: unknown, i) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event) || carriesWithheld(event)) return event;
    const committed = commitEventFields(event as Record<string, unknown>, paths(event));
    for (const o of committed.openings) openings.push({ event: i, ...o });
    // The event keeps the identity of its clear form, whatever the salts.
    if (committed.openings.length === 0) return committed.event;
    return { ...committed.event, [CLEAR_EVENT_ID_KEY]: eventHashId(event as Record<string, unknown>, document['@context']) };
  });
  if (openings.length === 0) return { document, openings };
  return { document: { ...document, epcisBody: { ...(body as Record<string, unknown>), eventList } }, openings };
}
