import { describe, expect, it } from 'vitest';
import { RecordKind, recordHash } from '../../../../src/core/ledger/index.js';
import { parseRuleSetRecord, ruleSetPublishRecord } from '../../../../src/core/ledger/records/ruleset-publish.js';
import { DEFAULT_RULESET, ruleSetPublishPayload } from '../../../../src/core/rules/index.js';
import { DemoChain, codeOf, expectRejected } from './helpers.js';

describe('rules.publish', () => {
  const payload = ruleSetPublishPayload(DEFAULT_RULESET);

  it('parses a rule set whose hash is its own', () => {
    expect(ruleSetPublishRecord.payload.parse(payload).hash).toBe(payload.hash);
  });

  it('refuses a hash that is not the rule set\'s, and an extra field', () => {
    expect(codeOf(() => ruleSetPublishRecord.payload.parse({ ...payload, hash: 'b'.repeat(64) }))).toBe('INVALID_CHANGE');
    expect(codeOf(() => ruleSetPublishRecord.payload.parse({ ...payload, note: 'x' }))).toBe('INVALID_CHANGE');
  });

  it('is admitted from an authority, and the breach monitor reads it back', () => {
    const demo = new DemoChain();
    const record = demo.sign('fsa', RecordKind.RULESET_PUBLISH, payload);
    const { logIndex } = demo.submit(record);
    expect(parseRuleSetRecord(record, recordHash(record), logIndex)).toMatchObject({ ref: { id: DEFAULT_RULESET.id, version: DEFAULT_RULESET.version, hash: payload.hash } });
  });

  it('refuses a member that is not an authority', () => {
    const demo = new DemoChain();
    expectRejected(demo.state, demo.sign('acme-abattoir', RecordKind.RULESET_PUBLISH, payload), 'NOT_AN_AUTHORITY');
  });
});
