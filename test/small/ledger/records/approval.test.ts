import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { approvalRecord } from '../../../../src/core/ledger/records/approval.js';
import { DemoChain, codeOf, expectRejected } from './helpers.js';

describe('governance.approval', () => {
  it('parses exactly { proposal: <record hash> }', () => {
    expect(approvalRecord.payload.parse({ proposal: 'ab'.repeat(32) })).toEqual({ proposal: 'ab'.repeat(32) });
  });

  it('refuses a short hash or an extra field', () => {
    expect(codeOf(() => approvalRecord.payload.parse({ proposal: 'ab' }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => approvalRecord.payload.parse({ proposal: 'ab'.repeat(32), note: 1 }))).toBe('MALFORMED_RECORD');
  });

  it('applies the change once the quorum of authority organisations approved', () => {
    const demo = new DemoChain();
    const proposal = demo.propose('fsa', { type: 'role.grant', orgId: 'swift-haulage', role: 'CARRIER' }).recordHash;
    expect(demo.approve('hmrc', proposal).effects).toEqual([expect.stringMatching(/approved by hmrc \(2\/3\)/)]);
    expect(demo.approve('big-retail', proposal).effects[1]).toMatch(/change applied: role.grant CARRIER to swift-haulage/);
    expect(demo.state.hasRole('swift-haulage', 'CARRIER')).toBe(true);
  });

  it('refuses an approval by a member that is not an authority, and one for an unknown proposal', () => {
    const demo = new DemoChain();
    const proposal = demo.propose('fsa', { type: 'role.grant', orgId: 'swift-haulage', role: 'CARRIER' }).recordHash;
    expectRejected(demo.state, demo.sign('swift-haulage', RecordKind.APPROVAL, { proposal }), 'NOT_AN_AUTHORITY');
    expectRejected(demo.state, demo.sign('hmrc', RecordKind.APPROVAL, { proposal: 'cd'.repeat(32) }), 'UNKNOWN_PROPOSAL');
  });
});
