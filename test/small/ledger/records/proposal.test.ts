import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { proposalRecord } from '../../../../src/core/ledger/records/proposal.js';
import { DemoChain, codeOf, expectRejected, withDevice } from './helpers.js';

describe('governance.proposal', () => {
  it('parses a change and its reason', () => {
    const parsed = proposalRecord.payload.parse({ change: { type: 'role.grant', orgId: 'swift-haulage', role: 'CARRIER' }, reason: 'new fleet' });
    expect(parsed).toEqual({ change: { type: 'role.grant', orgId: 'swift-haulage', role: 'CARRIER' }, reason: 'new fleet' });
  });

  it('refuses an unknown change type, an unknown role and an over-long reason', () => {
    expect(codeOf(() => proposalRecord.payload.parse({ change: { type: 'org.rename', orgId: 'fsa' } }))).toBe('INVALID_CHANGE');
    expect(codeOf(() => proposalRecord.payload.parse({ change: { type: 'role.grant', orgId: 'fsa', role: 'PIRATE' } }))).toBe('INVALID_CHANGE');
    expect(codeOf(() => proposalRecord.payload.parse({ change: { type: 'org.remove', orgId: 'fsa' }, reason: 'x'.repeat(2001) }))).toBe('INVALID_CHANGE');
  });

  it('admits a member proposal as pending; a proposing authority counts as approving', () => {
    const demo = new DemoChain();
    const byMember = demo.propose('swift-haulage', { type: 'role.grant', orgId: 'swift-haulage', role: 'CARRIER' });
    expect(demo.state.proposals.get(byMember.recordHash)).toMatchObject({ status: 'pending', proposerOrgId: 'swift-haulage' });
    expect(demo.state.proposals.get(byMember.recordHash)!.approvals.size).toBe(0);
    const byAuthority = demo.propose('fsa', { type: 'role.grant', orgId: 'acme-abattoir', role: 'HAULIER' });
    expect([...demo.state.proposals.get(byAuthority.recordHash)!.approvals]).toEqual(['fsa']);
  });

  it('refuses a change the state cannot take, and a device signer', () => {
    const { demo, device } = withDevice();
    expectRejected(demo.state, demo.sign('fsa', RecordKind.PROPOSAL, { change: { type: 'role.grant', orgId: 'fsa', role: 'REGULATOR' } }), 'INVALID_CHANGE');
    expectRejected(demo.state, demo.sign(device, RecordKind.PROPOSAL, { change: { type: 'org.remove', orgId: 'swift-haulage' } }), 'NOT_AUTHORISED');
  });
});
