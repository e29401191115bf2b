/**
 * governance.proposal: an organisation proposes one membership change. It takes effect once
 * strictly more than the quorum share of the authority organisations in force approved it; a
 * proposing authority counts as approving.
 */
import { LedgerError } from '../errors.js';
import { applyChange, validateChange } from '../membership-change.js';
import { MAX_REASON, describeChange, invalidChange, parseMembershipChange, requireFields, type MembershipChange } from '../membership.js';
import type { AdmissionState, ProposalEntry } from '../state-types.js';
import { requireOrgSigner, type RecordKindModule } from './kind.js';
import { RecordKind } from './kinds.js';

export interface ProposalPayload {
  change: MembershipChange;
  reason?: string;
}

export function parseProposalPayload(value: unknown): ProposalPayload {
  const p = requireFields('proposal payload', value, ['change'], ['reason']);
  if (p.reason !== undefined && (typeof p.reason !== 'string' || p.reason.length > MAX_REASON)) {
    throw invalidChange(`proposal reason must be a string of at most ${MAX_REASON} characters`);
  }
  const change = parseMembershipChange(p.change);
  return p.reason === undefined ? { change } : { change, reason: p.reason as string };
}

/** Approvals that count: those of organisations that are authorities in force now. */
export function countApprovals(state: AdmissionState, proposal: ProposalEntry): number {
  let n = 0;
  for (const orgId of proposal.approvals) if (state.isAuthorityOrg(orgId)) n += 1;
  return n;
}

export function approvalEffect(state: AdmissionState, proposal: ProposalEntry, orgId: string): string {
  return `proposal ${proposal.hash.slice(0, 12)} approved by ${orgId} (${countApprovals(state, proposal)}/${state.requiredQuorum()})`;
}

/** Applies the change once the approvals reach the quorum; returns the change's effects. */
export function applyIfQuorum(state: AdmissionState, proposal: ProposalEntry, logIndex: number): string[] {
  if (countApprovals(state, proposal) < state.requiredQuorum()) return [];
  const effects = applyChange(state, proposal.change, logIndex);
  proposal.status = 'applied';
  proposal.appliedAtLogIndex = logIndex;
  return effects;
}

export const proposalRecord: RecordKindModule<ProposalPayload> = {
  kind: RecordKind.PROPOSAL,
  payload: { version: 1, parse: parseProposalPayload },
  signers: 'organisation',
  changesMembership: true,
  admit(state, record, { recordHash: hash, logIndex, signer }) {
    const proposer = requireOrgSigner(record.kind, signer);
    const payload = parseProposalPayload(record.payload);
    validateChange(state, payload.change);
    if (state.proposals.has(hash)) throw new LedgerError('DUPLICATE_RECORD', `proposal ${hash} is already in the log`, { recordHash: hash });
    const proposal: ProposalEntry = {
      hash,
      change: payload.change,
      proposerOrgId: proposer.org.id,
      approvals: new Set(),
      status: 'pending',
      proposedAtLogIndex: logIndex,
    };
    if (payload.reason !== undefined) proposal.reason = payload.reason;
    const effects = [`proposal ${hash.slice(0, 12)} by ${proposer.org.id}: ${describeChange(payload.change)}`];
    if (state.isAuthorityKey(proposer.key.keyId)) proposal.approvals.add(proposer.org.id);
    state.proposals.set(hash, proposal);
    if (proposal.approvals.size > 0) effects.push(approvalEffect(state, proposal, proposer.org.id));
    return [...effects, ...applyIfQuorum(state, proposal, logIndex)];
  },
};
