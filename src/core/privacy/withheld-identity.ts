/**
 * The identity of an event that carries withheld-field commitments (docs/redaction.md). Its signed
 * form differs from the event the member captured (random salts), so the committer states the clear
 * form's event hash ID beside the commitments, as `provenant:clearEventId`, and that is the event's
 * ID; capture checks it against the opened event. Every other event is its hash ID. Pure.
 */
import { eventHashId } from '../epcis/event-hash.js';
import { carriesWithheld, CLEAR_EVENT_ID_KEY } from './withheld.js';

const HASH_ID = /^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/;

/** The clear-form hash ID a committed event states, when it states one. */
export function statedClearEventId(event: Record<string, unknown>): string | undefined {
  const id = event[CLEAR_EVENT_ID_KEY];
  return carriesWithheld(event) && typeof id === 'string' && HASH_ID.test(id) ? id : undefined;
}

/** The ID the node gives the event: the stated clear-form hash ID of a committed event, else its event hash ID. */
export function eventIdentityOf(event: Record<string, unknown>, context?: unknown): string {
  return statedClearEventId(event) ?? eventHashId(event, context);
}
