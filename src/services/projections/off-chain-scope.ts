/**
 * Which records' off-chain data this node holds. The chain only commits to device readings,
 * documents, personal data and the openings of withheld fields; they stay with the node that
 * received them. On a network node (node.json) that is the node of the organisations it runs and
 * hosts, so the checks that these rows exist apply to the records those organisations signed; a
 * single node holds the off-chain data of every record.
 */
import type { NodeIdentity } from '../node/network-init.js';

/** True when this node holds the off-chain data of the records the organisation signs. */
export type OffChainScope = (orgId: string | undefined) => boolean;

export const EVERY_ORGANISATION: OffChainScope = () => true;

export function offChainScopeOf(identity: NodeIdentity | undefined): OffChainScope {
  if (!identity) return EVERY_ORGANISATION;
  const here = new Set([identity.org, ...identity.hosts]);
  return (orgId) => orgId !== undefined && here.has(orgId);
}
