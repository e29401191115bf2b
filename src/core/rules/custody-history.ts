/**
 * Custody of an item replayed from its signed history: the custody changes the role table
 * (authorisation.ts) gives each event that touches the item, in log order. Capture admits an event
 * against this, never against the Custody table alone, so a custody row moved in the database
 * cannot let another organisation ship the item. Pure.
 */
import { authoriseEvent, custodyStateOfChange, type SignerOrg } from './authorisation.js';
import type { CustodyRulesVersion, CustodyState } from './custody-state.js';

export interface HistoryEvent {
  event: unknown;
  /** The signer's organisation as it stood at the record's log index (undefined: not a member then). */
  signer: SignerOrg | undefined;
  /** The custody rule set in force at the record's log index (absent: rule set 1). */
  rules?: CustodyRulesVersion;
}

/**
 * The custody state of the identifier after the events (log order): held, in transit or released;
 * undefined when no event ever changed it (never seen). Each event is decided under its own rule
 * set, its custody check made on this identifier's own history (others it names were checked when
 * it was admitted); an event the role table refuses changes nothing, as it would not have been
 * captured.
 */
export function custodyFromHistory(identifier: string, events: readonly HistoryEvent[]): CustodyState | undefined {
  let state: CustodyState | undefined;
  for (const { event, signer, rules } of events) {
    if (!signer) continue;
    const decision = authoriseEvent(event, signer, (id) => (id === identifier ? state : undefined), rules);
    if (!decision.ok) continue;
    for (const c of decision.custodyChanges) if (c.identifier === identifier) state = custodyStateOfChange(c);
  }
  return state;
}
