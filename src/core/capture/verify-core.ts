/**
 * The per-record work of a capture that needs no shared state, so it can run in worker threads:
 * record hash (JCS + SHA-256), signature check against that hash, and the CBV event hash ID.
 */
import type { PublicKey } from '../crypto/index.js';
import { eventIdentityOf } from '../privacy/withheld-identity.js';
import { recordHash, verifyRecordSignature, type SignedRecord } from '../ledger/record.js';

export interface VerifyRequest {
  /** The signer's key, encoded (what the envelope names). */
  publicKey: string;
  records: SignedRecord[];
  /** Hashes only: the records are batch-signed, and the one batch signature is checked by the caller. */
  hashOnly?: boolean;
  /** With this, each record's payload.event also gets its event hash ID under the document's @context. */
  events?: { context: unknown };
}

export type VerifyOutcome = null | { code: string; message: string; details?: Record<string, unknown> };

export interface VerifyResult {
  outcomes: VerifyOutcome[];
  /** Record hash per record; undefined where the record could not be hashed. */
  recordHashes: (string | undefined)[];
  /** Event hash ID per record (with `events`); undefined where it could not be computed. */
  eventIds: (string | undefined)[];
}

/** `publicKey` is `req.publicKey` parsed (the caller may keep parsed keys). */
export function verifyAndHash(req: VerifyRequest, publicKey: PublicKey): VerifyResult {
  const result: VerifyResult = { outcomes: [], recordHashes: [], eventIds: [] };
  for (const record of req.records) {
    let hash: string | undefined;
    try {
      hash = recordHash(record);
      if (!req.hashOnly) verifyRecordSignature(record, publicKey, hash);
      result.outcomes.push(null);
    } catch (err) {
      const e = err as { code?: string; message: string; details?: Record<string, unknown> };
      result.outcomes.push({ code: e.code ?? 'BAD_SIGNATURE', message: e.message, details: e.details });
    }
    result.recordHashes.push(hash);
    let eventId: string | undefined;
    if (req.events) {
      try {
        eventId = eventIdentityOf((record.payload as { event: Record<string, unknown> }).event, req.events.context);
      } catch {
        eventId = undefined; // the caller recomputes it and reports the error in its own terms
      }
    }
    result.eventIds.push(eventId);
  }
  return result;
}
