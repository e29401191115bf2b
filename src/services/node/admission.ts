/**
 * Admission of a group commit's submissions against the live consortium state. The ledger's own
 * rules (admitRecord: consortium, signer standing, signature, kind) run once per record here,
 * save what the preparer checked already (signatures it verified; a signer it checked, while
 * signers stay as they were); everything else a use case requires was checked by the preparer.
 */
import { ConsortiumState, admitRecord, currentSigner, type CheckedSigner } from '../../core/ledger/consortium.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { assertRecordShape, recordHash, type SignedRecord } from '../../core/ledger/record.js';
import type { WriteBatch } from '../../store/write-batch.js';
import type { OutcomeError, PreparedSubmission, RefusedRecord, SubmitOutcome } from './submission.js';

/** One position of a submission: a record to admit, or its outcome already (a shape error, a duplicate). */
export type AdmissionItem = { record: SignedRecord; hash: string; writes?: WriteBatch } | { outcome: SubmitOutcome };

export interface AdmittedItem {
  record: SignedRecord;
  hash: string;
  logIndex: number;
  writes?: WriteBatch;
}

export interface SignerOrgRule {
  orgId: string;
  /** Why only this organisation may sign (the NOT_AUTHORISED message). */
  message: string;
}

export interface AdmissionOptions {
  atomic: boolean;
  verifySignatures: boolean;
  signerOrg?: SignerOrgRule;
}

/** A typed error as an outcome; anything else is a fault and propagates. */
export function errorOf(err: unknown): OutcomeError {
  if (err instanceof LedgerError || (err instanceof Error && 'code' in err && typeof (err as { code: unknown }).code === 'string')) {
    const e = err as LedgerError;
    return { code: e.code, message: e.message, details: e.details };
  }
  throw err;
}

/** Admits one record; its signer is checked once, here or (`checked`) by whoever prepared it, while signers stay as they were. */
function admitOne(state: ConsortiumState, record: SignedRecord, hash: string, options: AdmissionOptions, checked?: CheckedSigner): number {
  let signer = checked;
  if (options.signerOrg) {
    signer = currentSigner(state, record.signer, record.kind, checked);
    if (signer.signer.org.id !== options.signerOrg.orgId) {
      throw new LedgerError('NOT_AUTHORISED', options.signerOrg.message, { expected: options.signerOrg.orgId, actual: signer.signer.org.id });
    }
  }
  return admitRecord(state, record, { recordHash: hash, verifySignature: options.verifySignatures, signer }).logIndex;
}

/**
 * Admits one submission; an atomic one with any rejection is rolled back whole (its accepted
 * records become not_stored). Returns the state to go on with: a rollback replaces it.
 */
export function admitSubmission(state: ConsortiumState, items: readonly AdmissionItem[], options: AdmissionOptions): { state: ConsortiumState; outcomes: SubmitOutcome[]; admitted: AdmittedItem[] } {
  const snapshot = options.atomic ? state.clone() : undefined;
  const admitted: AdmittedItem[] = [];
  const outcomes = items.map((item): SubmitOutcome => {
    if ('outcome' in item) return item.outcome;
    try {
      const logIndex = admitOne(state, item.record, item.hash, options);
      admitted.push({ ...item, logIndex });
      return { status: 'accepted', recordHash: item.hash, logIndex };
    } catch (err) {
      return { status: 'rejected', recordHash: item.hash, error: errorOf(err) };
    }
  });
  if (snapshot && outcomes.some((o) => o.status === 'rejected')) {
    const notStored = outcomes.map((o): SubmitOutcome =>
      o.status === 'accepted' ? { status: 'not_stored', recordHash: o.recordHash, reason: 'another record in the atomic batch was rejected' } : o,
    );
    return { state: snapshot, outcomes: notStored, admitted: [] };
  }
  return { state, outcomes, admitted };
}

/**
 * Admits prepared submissions in order, all or none: when the ledger refuses any record, the
 * state goes back to what it was and the refusals are returned instead.
 */
export function admitPrepared(
  state: ConsortiumState,
  submissions: readonly PreparedSubmission[],
): { state: ConsortiumState; admitted: AdmittedItem[][]; refused: RefusedRecord[] } {
  const snapshot = state.clone();
  const refused: RefusedRecord[] = [];
  const admitted = submissions.map((submission, s) => {
    const options: AdmissionOptions = { atomic: false, verifySignatures: !submission.signaturesVerified };
    const list: AdmittedItem[] = [];
    submission.records.forEach((prepared, index) => {
      try {
        list.push({ ...prepared, logIndex: admitOne(state, prepared.record, prepared.hash, options, submission.signer) });
      } catch (err) {
        refused.push({ submission: s, index, recordHash: prepared.hash, error: errorOf(err) });
      }
    });
    return list;
  });
  if (refused.length > 0) return { state: snapshot, admitted: [], refused };
  return { state, admitted, refused };
}

/** Record hash per position, or the outcome of a record that is not even well-formed. */
export function hashesOf(records: readonly unknown[]): (string | SubmitOutcome)[] {
  return records.map((r) => {
    try {
      assertRecordShape(r);
      return recordHash(r);
    } catch (err) {
      return { status: 'rejected', error: errorOf(err) };
    }
  });
}
