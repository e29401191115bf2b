/**
 * The registry of record kinds: one module per kind, one line each. Admission, the signer rules,
 * the proof bundle's membership records and the verifiers' event rule all read it from here.
 */
import { LedgerError } from '../errors.js';
import type { SignedRecord } from '../record.js';
import type { AdmissionState } from '../state-types.js';
import { approvalRecord } from './approval.js';
import { coldChainBreachRecord } from './coldchain-breach.js';
import { deviceRegisterRecord } from './device-register.js';
import { deviceRevokeRecord } from './device-revoke.js';
import { epcisEventRecord } from './epcis-event.js';
import { genesisRecord } from './genesis.js';
import type { AdmissionContext, RecordKindModule } from './kind.js';
import { RecordKind, isRecordKind } from './kinds.js';
import { equivocationRecord } from './evidence-equivocation.js';
import { erasureRecord } from './privacy-erasure.js';
import { proposalRecord } from './proposal.js';
import { ruleSetPublishRecord } from './ruleset-publish.js';
import { sensorWindowRecord } from './sensor-window.js';

export type { AdmissionContext, PayloadSchema, RecordKindModule } from './kind.js';

const REGISTRY: { readonly [K in RecordKind]: RecordKindModule } = {
  [RecordKind.GENESIS]: genesisRecord,
  [RecordKind.PROPOSAL]: proposalRecord,
  [RecordKind.APPROVAL]: approvalRecord,
  [RecordKind.DEVICE_REGISTER]: deviceRegisterRecord,
  [RecordKind.DEVICE_REVOKE]: deviceRevokeRecord,
  [RecordKind.EPCIS_EVENT]: epcisEventRecord,
  [RecordKind.SENSOR_WINDOW]: sensorWindowRecord,
  [RecordKind.RULESET_PUBLISH]: ruleSetPublishRecord,
  [RecordKind.COLD_CHAIN_BREACH]: coldChainBreachRecord,
  [RecordKind.PERSONAL_DATA_ERASURE]: erasureRecord,
  [RecordKind.EQUIVOCATION_EVIDENCE]: equivocationRecord,
};

/** The module of a kind; MALFORMED_RECORD for a kind the ledger does not know. */
export function recordKindModule(kind: string): RecordKindModule {
  if (!isRecordKind(kind)) throw new LedgerError('MALFORMED_RECORD', `malformed record: unknown kind ${JSON.stringify(kind)}`, { field: 'kind' });
  return REGISTRY[kind];
}

/** Every kind's module, in RecordKind order. */
export function recordKindModules(): readonly RecordKindModule[] {
  return Object.values(REGISTRY);
}

/** Kinds that change membership, keys or authorities (RecordKind order). */
export const MEMBERSHIP_KINDS: readonly RecordKind[] = Object.freeze(recordKindModules().filter((m) => m.changesMembership).map((m) => m.kind));

/** Runs the kind's checks that need neither signer nor signature. */
export function precheckKind(state: AdmissionState, record: SignedRecord): void {
  recordKindModule(record.kind).precheck?.(state, record);
}

/** Admits the record by its kind's rules (signer and signature already checked). */
export function admitKind(state: AdmissionState, record: SignedRecord, context: AdmissionContext): string[] {
  return recordKindModule(record.kind).admit(state, record, context);
}

/** The EPCIS event a record states, whose role rule the signer's organisation must meet (undefined: none). */
export function statedEventOf(record: SignedRecord): unknown {
  const module = isRecordKind(record.kind) ? REGISTRY[record.kind] : undefined;
  return module?.statedEvent?.(record.payload);
}
