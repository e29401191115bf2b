/**
 * Custody of an item replayed from its signed history: the custody changes the role table
 * (authorisation.ts) gives each event that touches the item, in log order. Capture admits an event
 * against this, never against the Custody table alone, so a custody row moved in the database
 * cannot let another organisation ship the item. Pure.
 */
import { authoriseEvent, type SignerOrg } from './authorisation.js';

export interface HistoryEvent {
  event: unknown;
  /** The signer's organisation as it stood at the record's log index (undefined: not a member then). */
  signer: SignerOrg | undefined;
}

/**
 * The holder of the identifier after the events (log order): an organisation id, null when the
 * last change released it (in transit, consumed, sold), undefined when no event ever gave it to
 * anyone. Each event's custody check is made on this identifier's own history (others it names
 * were checked when it was admitted); an event the role table refuses changes nothing, as it would
 * not have been captured.
 */
export function custodyFromHistory(identifier: string, events: readonly HistoryEvent[]): string | null | undefined {
  let holder: string | null | undefined;
  for (const { event, signer } of events) {
    if (!signer) continue;
    const decision = authoriseEvent(event, signer, (id) => (id === identifier ? (holder ?? undefined) : undefined));
    if (!decision.ok) continue;
    for (const c of decision.custodyChanges) if (c.identifier === identifier) holder = c.orgId;
  }
  return holder;
}
