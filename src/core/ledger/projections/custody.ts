/**
 * Custody as the role table leaves it (rules/authorisation.ts): capture applies the custody
 * changes of each event it accepts, in log order; the replay applies them the same way, so the
 * Custody table is a function of the chain. An event the role table refuses changes no custody
 * (capture never stores one; a record a faulty node let in is named by the replay instead).
 */
import { authoriseEvent, type AuthorisationResult, type CustodyChange, type SignerOrg } from '../../rules/authorisation.js';
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

  /** The current holder (undefined: nobody, or never seen), as the role table asks it. */
  holder(identifier: string): string | undefined {
    return this.#rows.get(identifier)?.orgId ?? undefined;
  }

  get(identifier: string): CustodyRow | undefined {
    return this.#rows.get(identifier);
  }

  /** Decides the event as capture did and applies its custody changes when it is allowed. */
  authorise(event: unknown, org: SignerOrg, eventId: string, eventTime: string): { decision: AuthorisationResult; rows: CustodyRow[] } {
    const decision = authoriseEvent(event, org, (id) => this.holder(id));
    if (!decision.ok) return { decision, rows: [] };
    const rows = custodyRowsOf(decision.custodyChanges, eventId, eventTime);
    for (const row of rows) this.#rows.set(row.identifier, row);
    return { decision, rows };
  }

  get size(): number {
    return this.#rows.size;
  }

  rows(): IterableIterator<CustodyRow> {
    return this.#rows.values();
  }
}
