/**
 * Who calls the document and person routes. With authentication configured (production: API
 * tokens) a caller is a member organisation of one consortium, its token's; without it (tests, a
 * local demo) everything is allowed and a Provenant-Org header may name the organisation.
 */
import type { VisibilityViewer } from '../core/lineage/visibility.js';
import type { LedgerNode } from './node/ledger-node.js';
import { hostedState } from './node-handles.js';

export type Caller =
  /** Named by credentials: an organisation of one consortium. */
  | { kind: 'member'; orgId: string; consortiumId: string }
  /** No authentication configured: the organisation a header names, if any. */
  | { kind: 'open'; orgId: string | null };

export function isActiveMember(node: LedgerNode, consortiumId: string, orgId: string): boolean {
  return hostedState(node, consortiumId)?.orgs.get(orgId)?.status === 'active';
}

/**
 * The viewer the read policy decides for: a member caller as what its own consortium makes it
 * (null when it is not an active member there); an open caller naming an organisation as that
 * organisation in `consortiumId`.
 */
export function viewerOfCaller(node: LedgerNode, caller: Caller, consortiumId: string): VisibilityViewer | null {
  const home = caller.kind === 'member' ? caller.consortiumId : consortiumId;
  if (caller.orgId === null) return null;
  const org = hostedState(node, home)?.orgs.get(caller.orgId);
  if (!org || org.status !== 'active') return null;
  return { orgId: caller.orgId, consortiumId: home, roles: new Set(org.roles) };
}
