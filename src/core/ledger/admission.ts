/**
 * Record admission. One deterministic function (admitRecord) decides whether a record may join the
 * log and applies its effect; the live node, the chain verifier and the proof bundle replay all use
 * it, so they cannot disagree. What each kind checks and changes is in its module (records/).
 */
import { LedgerError } from './errors.js';
import type { BatchSignatureCache } from './batch-signature.js';
import { RecordKind, assertRecordShape, recordHash, verifyRecordSignature, type SignedRecord } from './record.js';
import { admitKind, precheckKind, recordKindModule } from './records/index.js';
import type { ConsortiumState } from './state.js';
import type { ResolvedSigner } from './state-types.js';

export interface AdmitOptions {
  /** The record's hash if the caller already computed it (trusted: not recomputed). */
  recordHash?: string;
  /** Default true. Only skip when the signature was verified already. */
  verifySignature?: boolean;
  /** The record's signer as checked before (checkSigner); checked again only if signers changed since. */
  signer?: CheckedSigner;
  /** Batch signatures already checked in this verification run (docs/batch-signatures.md). */
  batchCache?: BatchSignatureCache;
}

/** A signer that passed requireActiveSigner for one kind, and the state's signer mark at the time. */
export interface CheckedSigner {
  readonly keyId: string;
  readonly kind: RecordKind;
  readonly signer: ResolvedSigner;
  readonly mark: object;
}

export interface AdmissionResult {
  recordHash: string;
  logIndex: number;
  signer: ResolvedSigner;
  effects: string[];
}

/** Throws unless keyId may sign a record of this kind now; returns the resolved signer. */
export function requireActiveSigner(state: ConsortiumState, keyId: string, kind: RecordKind): ResolvedSigner {
  const signer = state.resolveSigner(keyId);
  if (!signer) throw new LedgerError('UNKNOWN_SIGNER', `signer key ${keyId.slice(0, 16)} is not registered in consortium "${state.id}"`, { keyId });
  if (signer.org.status !== 'active') {
    throw new LedgerError('SIGNER_NOT_ACTIVE', `signer's org "${signer.org.id}" has been removed from the consortium`, { keyId, orgId: signer.org.id });
  }
  if (signer.type === 'org') {
    if (signer.key.status === 'revoked') {
      throw new LedgerError('SIGNER_REVOKED', `key ${keyId.slice(0, 16)} of "${signer.org.id}" was revoked at log index ${signer.key.endedAtLogIndex}`, {
        keyId,
        orgId: signer.org.id,
        endedAtLogIndex: signer.key.endedAtLogIndex,
      });
    }
    if (signer.key.status !== 'active') {
      throw new LedgerError('SIGNER_NOT_ACTIVE', `key ${keyId.slice(0, 16)} of "${signer.org.id}" was ${signer.key.status} at log index ${signer.key.endedAtLogIndex}`, {
        keyId,
        orgId: signer.org.id,
        status: signer.key.status,
        endedAtLogIndex: signer.key.endedAtLogIndex,
      });
    }
    return signer;
  }
  if (signer.device.status !== 'active' || state.devices.get(signer.device.deviceId) !== signer.device) {
    throw new LedgerError('DEVICE_REVOKED', `device "${signer.device.deviceId}" key was revoked at log index ${signer.device.revokedAtLogIndex}`, {
      keyId,
      deviceId: signer.device.deviceId,
    });
  }
  if (recordKindModule(kind).signers !== 'organisation-or-device') {
    throw new LedgerError('NOT_AUTHORISED', `device keys may only sign ${RecordKind.SENSOR_WINDOW} records, not ${kind}`, { keyId, deviceId: signer.device.deviceId, kind });
  }
  return signer;
}

/** requireActiveSigner, kept with the state's signer mark so admission need not check it again. */
export function checkSigner(state: ConsortiumState, keyId: string, kind: RecordKind): CheckedSigner {
  return { keyId, kind, signer: requireActiveSigner(state, keyId, kind), mark: state.signerMark };
}

/** The checked signer while nothing that decides signers has changed since (same state, same mark); else checked now. */
export function currentSigner(state: ConsortiumState, keyId: string, kind: RecordKind, checked?: CheckedSigner): CheckedSigner {
  if (checked && checked.mark === state.signerMark && checked.keyId === keyId && checked.kind === kind) return checked;
  return checkSigner(state, keyId, kind);
}

/**
 * Admits one record: either throws a typed LedgerError leaving the state untouched, or applies
 * the record's effect and increments logSize. All checks happen before the first mutation.
 */
export function admitRecord(state: ConsortiumState, record: SignedRecord, opts: AdmitOptions = {}): AdmissionResult {
  assertRecordShape(record);
  if (record.consortium !== state.id) {
    throw new LedgerError('WRONG_CONSORTIUM', `record is for consortium "${record.consortium}", this ledger is "${state.id}"`, {
      expected: state.id,
      computed: record.consortium,
    });
  }
  precheckKind(state, record);
  const hash = opts.recordHash ?? recordHash(record);
  const { signer } = currentSigner(state, record.signer, record.kind, opts.signer);
  const publicKey = signer.type === 'org' ? signer.key.publicKey : signer.device.publicKey;
  if (opts.verifySignature !== false) verifyRecordSignature(record, publicKey, hash, opts.batchCache);
  const logIndex = state.logSize;
  const effects = admitKind(state, record, { recordHash: hash, logIndex, signer });
  if (recordKindModule(record.kind).changesMembership) state.signersChanged();
  state.logSize = logIndex + 1;
  return { recordHash: hash, logIndex, signer, effects };
}
