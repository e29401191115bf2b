/**
 * The record kinds a ledger knows. Each has its module in this folder (payload schema, parsing,
 * admission, verification) and a line in the registry (index.ts); the registry's type makes a kind
 * listed here without a module a compile error.
 */
export const RecordKind = {
  GENESIS: 'consortium.genesis',
  PROPOSAL: 'governance.proposal',
  APPROVAL: 'governance.approval',
  DEVICE_REGISTER: 'device.register',
  DEVICE_REVOKE: 'device.revoke',
  EPCIS_EVENT: 'epcis.event',
  SENSOR_WINDOW: 'sensor.window',
  RULESET_PUBLISH: 'rules.publish',
  COLD_CHAIN_BREACH: 'coldchain.breach',
  PERSONAL_DATA_ERASURE: 'privacy.erasure',
  EQUIVOCATION_EVIDENCE: 'evidence.equivocation',
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

const KNOWN = new Set<string>(Object.values(RecordKind));

export function isRecordKind(value: unknown): value is RecordKind {
  return typeof value === 'string' && KNOWN.has(value);
}
