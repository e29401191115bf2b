/**
 * coldchain.breach: the consortium's verdict that a rule (cold chain, door, route) was breached,
 * citing the rule set {id, version, hash} and the sensor.window whose readings established it.
 * Rule verdicts are evaluated alike on every node, so only authority keys sign them.
 */
import type { BreachRecordPayload } from '../../rules/index.js';
import { isHash } from '../record.js';
import { eventUnderPayload, requireAuthoritySigner, requireOrgSigner, type RecordKindModule } from './kind.js';
import { RecordKind } from './kinds.js';
import { isObject, malformedPayload, requireKeys } from './shape.js';

export interface BreachPayload extends BreachRecordPayload {
  /** The sensor.window record whose readings established the breach. */
  sensorWindow: string;
}

const KIND = RecordKind.COLD_CHAIN_BREACH;

export function parseBreachPayload(value: unknown): BreachPayload {
  const p = requireKeys(KIND, value, ['subject', 'containedItems', 'ruleSet', 'finding', 'sensorWindow']);
  if (typeof p.subject !== 'string' || p.subject.length === 0) throw malformedPayload(KIND, 'subject must be a non-empty identifier', 'subject');
  const items = p.containedItems;
  if (!Array.isArray(items) || items.some((x) => typeof x !== 'string' || x.length === 0)) {
    throw malformedPayload(KIND, 'containedItems must be an array of non-empty identifiers', 'containedItems');
  }
  const r = requireKeys(KIND, p.ruleSet, ['id', 'version', 'hash']);
  if (typeof r.id !== 'string' || !Number.isSafeInteger(r.version) || !isHash(r.hash)) {
    throw malformedPayload(KIND, 'ruleSet must be { id, version, hash } with a 64-hex hash', 'ruleSet');
  }
  if (!isObject(p.finding)) throw malformedPayload(KIND, 'finding must be an object', 'finding');
  if (!isHash(p.sensorWindow)) throw malformedPayload(KIND, 'sensorWindow must be a 64-hex record hash', 'sensorWindow');
  return {
    subject: p.subject,
    containedItems: [...(items as string[])],
    ruleSet: { id: r.id, version: r.version as number, hash: r.hash },
    finding: p.finding as BreachPayload['finding'],
    sensorWindow: p.sensorWindow,
  };
}

export const coldChainBreachRecord: RecordKindModule<BreachPayload> = {
  kind: RecordKind.COLD_CHAIN_BREACH,
  payload: { version: 1, parse: parseBreachPayload },
  signers: 'organisation',
  changesMembership: false,
  admit(state, record, { signer: resolved }) {
    const signer = requireOrgSigner(record.kind, resolved);
    requireAuthoritySigner(state, record, signer);
    return [`cold-chain breach recorded by ${signer.org.id}`];
  },
  // Admission leaves the payload as signed: an event it states is held to that event's rule.
  statedEvent: eventUnderPayload,
};
