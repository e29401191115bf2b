/** rules.publish and coldchain.breach are the consortium's verdicts: authority keys only, hashes checked. */
import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../src/core/ledger/index.js';
import { DEFAULT_RULESET, ruleSetPublishPayload, ruleSetRef } from '../../../src/core/rules/index.js';
import { DemoChain, expectRejected } from './demo-consortium.js';

const breachPayload = () => ({
  subject: 'urn:epc:id:sscc:5012345.0000000001',
  containedItems: [],
  ruleSet: ruleSetRef(DEFAULT_RULESET),
  finding: { code: 'COLD_CHAIN_LIMIT', severity: 'breach' },
});

describe('rule records', () => {
  it('an authority publishes a rule set whose hash matches it', () => {
    const demo = new DemoChain();
    const result = demo.submit(demo.sign('fsa', RecordKind.RULESET_PUBLISH, ruleSetPublishPayload(DEFAULT_RULESET)));
    expect(result.effects.join('\n')).toMatch(new RegExp(`rule set ${DEFAULT_RULESET.id} v${DEFAULT_RULESET.version} published by fsa`));
  });

  it('refuses a rule set from a member that is not an authority', () => {
    const demo = new DemoChain();
    expectRejected(demo.state, demo.sign('swift-haulage', RecordKind.RULESET_PUBLISH, ruleSetPublishPayload(DEFAULT_RULESET)), 'NOT_AN_AUTHORITY');
  });

  it('refuses a rule set whose hash is not its own, or with extra fields', () => {
    const demo = new DemoChain();
    const payload = ruleSetPublishPayload(DEFAULT_RULESET);
    expectRejected(demo.state, demo.sign('fsa', RecordKind.RULESET_PUBLISH, { ...payload, hash: 'b'.repeat(64) }), 'INVALID_CHANGE');
    expectRejected(demo.state, demo.sign('fsa', RecordKind.RULESET_PUBLISH, { ...payload, note: 'x' }), 'INVALID_CHANGE');
  });

  it('only an authority records a cold-chain breach', () => {
    const demo = new DemoChain();
    expectRejected(demo.state, demo.sign('swift-haulage', RecordKind.COLD_CHAIN_BREACH, breachPayload()), 'NOT_AN_AUTHORITY');
    expect(demo.submit(demo.sign('hmrc', RecordKind.COLD_CHAIN_BREACH, breachPayload())).effects).toEqual(['cold-chain breach recorded by hmrc']);
  });
});
