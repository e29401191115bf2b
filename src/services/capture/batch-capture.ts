/**
 * A batch-signed capture (docs/batch-signatures.md): the node rebuilds the batch header from the
 * record hashes the workers computed, checks the one signature, and gives each record its `batch`
 * (signature, size, index, path into the tree of every event of the document).
 */
import { fromHex, type PublicKey } from '../../core/crypto/index.js';
import { batchAuthenticators, batchHeaderFor, verifyBatchHeaderSignature } from '../../core/ledger/batch-signature.js';
import type { SignedRecord } from '../../core/ledger/record.js';
import type { CaptureEnvelope } from '../../core/capture/envelope.js';

export type BatchOutcome = { records: SignedRecord[] } | { error: { code: 'BAD_SIGNATURE'; message: string; details: Record<string, unknown> } };

/**
 * The records with their batch authenticators, or the error that rejects every event (the one
 * signature covers them all). `recordHashes` has one entry per record.
 */
export function applyBatchSignature(
  envelope: CaptureEnvelope & { batchSignature: string },
  records: readonly SignedRecord[],
  recordHashes: readonly (string | undefined)[],
  publicKey: PublicKey,
): BatchOutcome {
  const refuse = (message: string, details: Record<string, unknown>): BatchOutcome => ({ error: { code: 'BAD_SIGNATURE', message, details } });
  if (recordHashes.some((h) => h === undefined)) return refuse('an event of the batch could not be hashed, so the batch root cannot be rebuilt', { reason: 'UNHASHABLE_EVENT' });
  const hashes = recordHashes.map((h) => fromHex(h!, 32));
  const header = batchHeaderFor(envelope, hashes);
  if (!verifyBatchHeaderSignature(header, envelope.batchSignature, publicKey)) {
    return refuse('batch signature does not verify over the batch header of these events', { reason: 'BATCH_SIGNATURE', root: header.root, size: header.size });
  }
  const batch = batchAuthenticators(hashes, envelope.batchSignature);
  return { records: records.map((record, i) => ({ ...record, batch: batch[i]! })) };
}
