/**
 * Custody assigned by an authority (custody rule set 2, docs/authorisation.md "Custody assigned by
 * an authority"): a REGULATOR or CUSTOMS decision event puts the items it names in transit to the
 * member organisations its destinationList names, whatever their state (goods seized from their
 * holder, an abandoned container handed to a carrier, an item released in error). The named member
 * then takes custody by receiving it. Pure.
 */
import type { Role } from '../ledger/membership.js';
import type { CustodyState } from './custody-state.js';

export const CUSTODY_ASSIGNMENT_BIZSTEP = 'urn:provenant:bizstep:custody_assignment';
export const CUSTODY_ASSIGNMENT_RULE = 'authority.custody_assignment';
export const CUSTODY_ASSIGNMENT_ROLES: readonly Role[] = ['REGULATOR', 'CUSTOMS'];

export type AssignmentDecision =
  | { ok: true; changes: { identifier: string; state: CustodyState }[] }
  | { ok: false; code: 'NOT_AUTHORISED'; message: string; details: Record<string, unknown> };

/**
 * Decides an assignment event: `identifiers` are the canonical items it names (epcList, parentID,
 * childEPCs), `destinations` its party destinations (custody-state.ts, partyDestinationsOf).
 */
export function assignCustody(what: string, signer: { id: string; roles: ReadonlySet<Role> }, identifiers: readonly string[], destinations: readonly string[]): AssignmentDecision {
  const refuse = (why: string, details: Record<string, unknown>): AssignmentDecision => ({ ok: false, code: 'NOT_AUTHORISED', message: `${what} (assign custody by an authority's decision): ${why}`, details: { rule: CUSTODY_ASSIGNMENT_RULE, orgId: signer.id, ...details } });
  if (!CUSTODY_ASSIGNMENT_ROLES.some((r) => signer.roles.has(r))) {
    return refuse(`needs role ${CUSTODY_ASSIGNMENT_ROLES.join(' or ')}; organisation ${signer.id} has ${[...signer.roles].join(', ') || 'no roles'}`, { required: [...CUSTODY_ASSIGNMENT_ROLES], actual: [...signer.roles] });
  }
  if (identifiers.length === 0) return refuse('names no item (epcList, parentID or childEPCs)', {});
  // An assignment to nobody named would open the items to any receiver: it must name the new custodian.
  if (destinations.length === 0) return refuse('names no owning_party or possessing_party destination', {});
  const state: CustodyState = { kind: 'in_transit', destinations: [...destinations], by: signer.id, rule: CUSTODY_ASSIGNMENT_RULE };
  return { ok: true, changes: [...new Set(identifiers)].map((identifier) => ({ identifier, state })) };
}
