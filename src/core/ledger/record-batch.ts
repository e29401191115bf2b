/**
 * Signing many records at once (docs/batch-signatures.md): one signature over the batch header of
 * their record hashes; each record gets its inclusion path. Verification is in record.ts
 * (verifyRecordSignature) and batch-signature.ts.
 */
import { encodeSignature, sign, type KeyPair } from '../crypto/index.js';
import { batchAuthenticators, batchHeaderFor, batchSigningMessage, type BatchSigner } from './batch-signature.js';
import { LedgerError } from './errors.js';
import { RECORD_VERSION, assertRecordShape, formatTimestamp, recordHashBytes, type RecordBody, type RecordDraft, type SignedRecord } from './record.js';

/** The batch signature over these record hashes (in batch order), by the signer's key. */
export function signBatchHeader(fields: Omit<BatchSigner, 'signer'>, recordHashes: readonly Uint8Array[], signer: KeyPair): string {
  const header = batchHeaderFor({ ...fields, signer: signer.keyId }, recordHashes);
  return encodeSignature(sign(signer.privateKey, batchSigningMessage(header)));
}

/** Signs the drafts as one batch: same consortium, one signedAt, records in the drafts' order. */
export function signRecordBatch(drafts: readonly Omit<RecordDraft, 'signedAt'>[], signer: KeyPair, signedAt: string = formatTimestamp(new Date())): SignedRecord[] {
  const consortium = drafts[0]?.consortium;
  if (consortium === undefined || drafts.some((d) => d.consortium !== consortium)) {
    throw new LedgerError('MALFORMED_RECORD', 'a batch holds at least one record, all of one consortium', { size: drafts.length });
  }
  const bodies: RecordBody[] = drafts.map((d) => ({ v: RECORD_VERSION, consortium, kind: d.kind, payload: d.payload, signer: signer.keyId, signedAt }));
  const hashes = bodies.map((b) => recordHashBytes(b));
  const batch = batchAuthenticators(hashes, signBatchHeader({ consortium, signedAt }, hashes, signer));
  return bodies.map((body, i) => {
    const record: SignedRecord = { ...body, batch: batch[i]! };
    assertRecordShape(record);
    return record;
  });
}
