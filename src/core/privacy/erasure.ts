/**
 * The `privacy.erasure` ledger record: signed by the organisation that registered the
 * person, it asks every node to delete the data and salt behind a commitment. It holds only the
 * commitment and a reason, so it is safe to keep forever. Pure: no I/O.
 */
import type { KeyPair } from '../crypto/index.js';
import { RecordKind, signRecord, type SignedRecord } from '../ledger/record.js';
import { PrivacyError, isCommitment } from './commitment.js';

export interface ErasurePayload {
  commitment: string;
  reason: string;
}

export const MAX_REASON_LENGTH = 500;

export function parseErasurePayload(payload: unknown): ErasurePayload {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new PrivacyError('MALFORMED_ERASURE', 'erasure payload must be an object { commitment, reason }', { field: 'payload' });
  }
  const p = payload as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (key !== 'commitment' && key !== 'reason') throw new PrivacyError('MALFORMED_ERASURE', `unexpected field "${key}" in erasure payload`, { field: key });
  }
  if (!isCommitment(p.commitment)) throw new PrivacyError('MALFORMED_ERASURE', 'commitment must be 64 lower-case hex characters', { field: 'commitment' });
  if (typeof p.reason !== 'string' || p.reason.length > MAX_REASON_LENGTH) {
    throw new PrivacyError('MALFORMED_ERASURE', `reason must be a string of at most ${MAX_REASON_LENGTH} characters`, { field: 'reason' });
  }
  return { commitment: p.commitment, reason: p.reason };
}

export function signErasure(payload: ErasurePayload, options: { consortium: string; key: KeyPair; signedAt?: string }): SignedRecord {
  const checked = parseErasurePayload(payload);
  return signRecord(
    { consortium: options.consortium, kind: RecordKind.PERSONAL_DATA_ERASURE, payload: { commitment: checked.commitment, reason: checked.reason }, signedAt: options.signedAt },
    options.key,
  );
}
