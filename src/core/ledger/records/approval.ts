/**
 * governance.approval: an authority in force approves a pending proposal. Approvals get their own
 * hash tag (record.ts), so an approval can never be confused with any other record.
 */
import { isHash } from '../record.js';
import { LedgerError } from '../errors.js';
import { validateChange } from '../membership-change.js';
import { isPlainObject } from '../membership.js';
import type { RecordKindModule } from './kind.js';
import { RecordKind } from './kinds.js';
import { applyIfQuorum, approvalEffect } from './proposal.js';

export interface ApprovalPayload {
  /** Record hash of the governance.proposal record. */
  proposal: string;
}

export function parseApprovalPayload(value: unknown): ApprovalPayload {
  if (!isPlainObject(value) || Object.keys(value).length !== 1 || !isHash(value.proposal)) {
    throw new LedgerError('MALFORMED_RECORD', 'approval payload must be exactly { proposal: <64-hex record hash> }');
  }
  return { proposal: value.proposal };
}

export const approvalRecord: RecordKindModule<ApprovalPayload> = {
  kind: RecordKind.APPROVAL,
  payload: { version: 1, parse: parseApprovalPayload },
  signers: 'organisation',
  changesMembership: true,
  admit(state, record, { logIndex, signer }) {
    if (signer.type !== 'org' || !state.isAuthorityKey(record.signer)) {
      throw new LedgerError('NOT_AN_AUTHORITY', `approval signer "${signer.org.id}" is not an authority in force for this block`, {
        keyId: record.signer,
        orgId: signer.org.id,
      });
    }
    const { proposal: proposalHash } = parseApprovalPayload(record.payload);
    const proposal = state.proposals.get(proposalHash);
    if (!proposal) throw new LedgerError('UNKNOWN_PROPOSAL', `no proposal ${proposalHash} in the log`, { proposal: proposalHash });
    if (proposal.status !== 'pending') {
      throw new LedgerError('UNKNOWN_PROPOSAL', `proposal ${proposalHash} was already applied at log index ${proposal.appliedAtLogIndex}`, { proposal: proposalHash });
    }
    if (proposal.approvals.has(signer.org.id)) {
      throw new LedgerError('DUPLICATE_APPROVAL', `authority "${signer.org.id}" already approved proposal ${proposalHash}`, { proposal: proposalHash, orgId: signer.org.id });
    }
    try {
      validateChange(state, proposal.change);
    } catch (err) {
      if (err instanceof LedgerError) {
        throw new LedgerError('INVALID_CHANGE', `proposal ${proposalHash.slice(0, 12)} can no longer be applied: ${err.message}`, { ...err.details, proposal: proposalHash });
      }
      throw err;
    }
    proposal.approvals.add(signer.org.id);
    return [approvalEffect(state, proposal, signer.org.id), ...applyIfQuorum(state, proposal, logIndex)];
  },
};
