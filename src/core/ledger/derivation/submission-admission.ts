/**
 * A submission's admission inside the deriver: every record through admitRecord (the one admission
 * rule the chain verifier also applies) plus the log's own rule that a record appears once. The
 * records are admitted together or not at all; a refused submission leaves the state as it was.
 */
import { CodedError } from '../../coded-error.js';
import { admitRecord } from '../admission.js';
import { BatchSignatureCache } from '../batch-signature.js';
import { LedgerError } from '../errors.js';
import { recordHash, type SignedRecord } from '../record.js';
import { recordKindModule } from '../records/index.js';
import type { ConsortiumState } from '../state.js';
import type { AdmittedRecordRef, DerivationFacts, RecordRefusal } from './types.js';

export interface SubmissionResult {
  /** The state to go on with: a refusal of a submission that changed membership replaces it. */
  readonly state: ConsortiumState;
  readonly admitted: readonly AdmittedRecordRef[] | null;
  readonly refusals: readonly RecordRefusal[];
  readonly membershipChanged: boolean;
}

function errorOf(err: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  if (err instanceof CodedError) return { code: err.code, message: err.message, details: err.details };
  // Not a rule the ledger states: a defect, so every node fails the same way rather than decide.
  throw err;
}

function hashOf(record: SignedRecord, facts: DerivationFacts): string {
  return facts.knownHash?.(record) ?? recordHash(record);
}

/**
 * Admits the records in order against `state`. `seen` answers whether a record hash is already in
 * the log (admitted since the deriver's base, or stored in a final block).
 */
export function admitSubmissionRecords(
  state: ConsortiumState,
  records: readonly SignedRecord[],
  seen: (hash: string) => boolean,
  facts: DerivationFacts,
): SubmissionResult {
  const membershipChanged = records.some((r) => recordKindModule(r.kind).changesMembership);
  // Kinds that change nothing but the log size are undone by resetting it; the others need a copy.
  const snapshot = membershipChanged ? state.clone() : undefined;
  const logSizeBefore = state.logSize;
  const inSubmission = new Set<string>();
  // The records of one capture share one batch signature: it is checked once.
  const batchCache = new BatchSignatureCache(64);
  const admitted: AdmittedRecordRef[] = [];
  const verdicts: (RecordRefusal | AdmittedRecordRef)[] = records.map((record) => {
    let hash: string | undefined;
    try {
      hash = hashOf(record, facts);
      if (inSubmission.has(hash) || seen(hash)) {
        throw new LedgerError('DUPLICATE_RECORD', 'the same record is already in the log', { recordHash: hash });
      }
      inSubmission.add(hash);
      const { logIndex } = admitRecord(state, record, { recordHash: hash, verifySignature: !(facts.isVerified?.(record) ?? false), signer: facts.checkedSigner?.(record), batchCache });
      const ref: AdmittedRecordRef = { record, hash, logIndex };
      admitted.push(ref);
      return ref;
    } catch (err) {
      return { status: 'rejected', ...(hash ? { recordHash: hash } : {}), error: errorOf(err) };
    }
  });
  if (admitted.length === records.length) return { state, admitted, refusals: [], membershipChanged };
  const refusals = verdicts.map((v): RecordRefusal =>
    'status' in v ? v : { status: 'not_stored', recordHash: v.hash, reason: 'another record of the submission was rejected' },
  );
  if (snapshot) return { state: snapshot, admitted: null, refusals, membershipChanged };
  state.logSize = logSizeBefore;
  return { state, admitted: null, refusals, membershipChanged };
}
