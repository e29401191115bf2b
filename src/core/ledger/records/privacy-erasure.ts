/**
 * privacy.erasure: signed by the organisation that registered a person, it asks every node to
 * delete the data and salt behind a commitment (UK GDPR art. 17). It holds only the commitment and a
 * reason, so it is safe to keep forever. The privacy routes check it before erasing; the ledger
 * admits any organisation-signed payload.
 */
import { PrivacyError, isCommitment } from '../../privacy/commitment.js';
import { eventUnderPayload, type RecordKindModule } from './kind.js';
import { RecordKind } from './kinds.js';

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

export const erasureRecord: RecordKindModule<ErasurePayload> = {
  kind: RecordKind.PERSONAL_DATA_ERASURE,
  payload: { version: 1, parse: parseErasurePayload },
  signers: 'organisation',
  changesMembership: false,
  admit: () => [],
  // Admission leaves the payload as signed: an event it states is held to that event's rule.
  statedEvent: eventUnderPayload,
};
