import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { coldChainBreachRecord } from '../../../../src/core/ledger/records/coldchain-breach.js';
import { DEFAULT_RULESET, ruleSetRef } from '../../../../src/core/rules/index.js';
import { DemoChain, codeOf, expectRejected } from './helpers.js';

const breach = {
  subject: 'urn:epc:id:sscc:5012345.0000000001',
  containedItems: ['urn:epc:id:sgtin:5012345.000001.1'],
  ruleSet: ruleSetRef(DEFAULT_RULESET),
  finding: { code: 'COLD_CHAIN_LIMIT', severity: 'breach' },
  sensorWindow: 'cd'.repeat(32),
};

describe('coldchain.breach', () => {
  it('parses a breach citing its rule set and sensor window', () => {
    expect(coldChainBreachRecord.payload.parse(breach)).toEqual(breach);
  });

  it('refuses a missing sensor window, an empty subject and a rule set without a hash', () => {
    const { sensorWindow: _omit, ...noWindow } = breach;
    expect(codeOf(() => coldChainBreachRecord.payload.parse(noWindow))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => coldChainBreachRecord.payload.parse({ ...breach, subject: '' }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => coldChainBreachRecord.payload.parse({ ...breach, ruleSet: { id: 'x', version: 1 } }))).toBe('MALFORMED_RECORD');
  });

  it('is admitted from an authority', () => {
    const demo = new DemoChain();
    expect(demo.submit(demo.sign('hmrc', RecordKind.COLD_CHAIN_BREACH, breach)).effects).toEqual(['cold-chain breach recorded by hmrc']);
  });

  it('refuses a member that is not an authority', () => {
    const demo = new DemoChain();
    expectRejected(demo.state, demo.sign('swift-haulage', RecordKind.COLD_CHAIN_BREACH, breach), 'NOT_AN_AUTHORITY');
  });
});
