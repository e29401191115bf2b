/**
 * Custody as the role table leaves it (rules/authorisation.ts): capture applies the custody
 * changes of each event it accepts, in log order; the replay applies them the same way, so the
 * Custody table is a function of the chain. An event the role table refuses changes no custody
 * (capture never stores one; a record a faulty node let in is named by the replay instead).
 */
import { authoriseEvent, custodyStateOfChange, type AuthorisationResult, type CustodyChange, type SignerOrg } from '../../rules/authorisation.js';
import type { CustodyRulesVersion, CustodyState } from '../../rules/custody-state.js';
import type { CustodyRow } from './rows.js';

/** The rows the changes of one event write (later changes of the same identifier win). */
export function custodyRowsOf(changes: readonly CustodyChange[], eventId: string, eventTime: string): CustodyRow[] {
  const latest = new Map<string, CustodyRow>();
  for (const c of changes) latest.set(c.identifier, { identifier: c.identifier, orgId: c.orgId, eventId, eventTime });
  return [...latest.values()];
}

/** Who holds what, replayed from the chain: the Custody table as it must be after the records applied so far. */
export class CustodyReplay {
  readonly #rows = new Map<string, CustodyRow>();
  /** The state each change left (in transit to whom, or released): the rows only say who holds what. */
  readonly #states = new Map<string, CustodyState>();

  /** The current holder (undefined: nobody, or never seen). */
  holder(identifier: string): string | undefined {
    return this.#rows.get(identifier)?.orgId ?? undefined;
  }

  /** The custody state as the role table asks it (undefined: never seen). */
  state(identifier: string): CustodyState | undefined {
    return this.#states.get(identifier);
  }

  get(identifier: string): CustodyRow | undefined {
    return this.#rows.get(identifier);
  }

  /** Decides the event as capture did, under the custody rule set of its log position, and applies its custody changes when it is allowed. */
  authorise(event: unknown, org: SignerOrg, eventId: string, eventTime: string, rules?: CustodyRulesVersion): { decision: AuthorisationResult; rows: CustodyRow[] } {
    const decision = authoriseEvent(event, org, (id) => this.state(id), rules);
    if (!decision.ok) return { decision, rows: [] };
    const rows = custodyRowsOf(decision.custodyChanges, eventId, eventTime);
    for (const row of rows) this.#rows.set(row.identifier, row);
    for (const c of decision.custodyChanges) this.#states.set(c.identifier, custodyStateOfChange(c));
    return { decision, rows };
  }

  get size(): number {
    return this.#rows.size;
  }

  rows(): IterableIterator<CustodyRow> {
    return this.#rows.values();
  }
}
