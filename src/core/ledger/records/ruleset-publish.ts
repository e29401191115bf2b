/**
 * rules.publish: an authority puts a rule set on chain with its hash, so breach verdicts can cite
 * {id, version, hash}. Admission checks the hash; readers (the breach monitor) also validate the
 * rule set itself and skip one that does not validate, the same way on every node.
 */
import { HashTag, hashCanonical, type JsonValue } from '../../crypto/index.js';
import { RuleError, ruleSetHash, validateRuleSet, type RuleSet, type RuleSetRef } from '../../rules/ruleset.js';
import { LedgerError } from '../errors.js';
import { invalidChange, isPlainObject } from '../membership.js';
import { isHash, type SignedRecord } from '../record.js';
import { requireAuthoritySigner, requireOrgSigner, type RecordKindModule } from './kind.js';
import { RecordKind } from './kinds.js';

export interface RuleSetPublishPayload {
  ruleSet: Record<string, unknown>;
  hash: string;
}

/** Exactly { ruleSet, hash } with the hash over the rule set's JCS form; throws INVALID_CHANGE. */
export function parseRuleSetPublishPayload(value: unknown): RuleSetPublishPayload {
  if (!isPlainObject(value) || Object.keys(value).length !== 2 || !isPlainObject(value['ruleSet']) || !isHash(value['hash'])) {
    throw invalidChange('rules.publish payload must be exactly { ruleSet, hash }');
  }
  const computed = hashCanonical(HashTag.RULESET, value['ruleSet'] as JsonValue);
  if (computed !== value['hash']) throw new LedgerError('INVALID_CHANGE', 'rules.publish hash does not match its rule set', { expected: value['hash'], computed });
  return { ruleSet: value['ruleSet'], hash: value['hash'] };
}

export interface PublishedRuleSet {
  recordHash: string;
  logIndex: number;
  signer: string;
  ruleSet: RuleSet;
  ref: RuleSetRef;
}

/** The rule set a 'rules.publish' record carries, checked against its stated hash; undefined if malformed. */
export function parseRuleSetRecord(record: SignedRecord, recordHash: string, logIndex: number): PublishedRuleSet | undefined {
  const payload = record.payload;
  if (record.kind !== RecordKind.RULESET_PUBLISH || typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const { ruleSet, hash } = payload as { ruleSet?: unknown; hash?: unknown };
  try {
    validateRuleSet(ruleSet as RuleSet);
    if (ruleSetHash(ruleSet as RuleSet) !== hash) return undefined;
  } catch (err) {
    if (err instanceof RuleError) return undefined;
    throw err;
  }
  const rs = ruleSet as RuleSet;
  return { recordHash, logIndex, signer: record.signer, ruleSet: rs, ref: { id: rs.id, version: rs.version, hash: hash as string } };
}

export const ruleSetPublishRecord: RecordKindModule<RuleSetPublishPayload> = {
  kind: RecordKind.RULESET_PUBLISH,
  payload: { version: 1, parse: parseRuleSetPublishPayload },
  signers: 'organisation',
  changesMembership: false,
  admit(state, record, { signer: resolved }) {
    const signer = requireOrgSigner(record.kind, resolved);
    requireAuthoritySigner(state, record, signer);
    const { ruleSet } = parseRuleSetPublishPayload(record.payload);
    return [`rule set ${String(ruleSet.id)} v${String(ruleSet.version)} published by ${signer.org.id}`];
  },
};
