/**
 * Signing the `privacy.erasure` ledger record; its payload format and parser live with the record
 * kind (ledger/records/privacy-erasure.ts). Pure: no I/O.
 */
import type { KeyPair } from '../crypto/index.js';
import { parseErasurePayload, type ErasurePayload } from '../ledger/records/privacy-erasure.js';
import { RecordKind, signRecord, type SignedRecord } from '../ledger/record.js';

export { MAX_REASON_LENGTH, parseErasurePayload, type ErasurePayload } from '../ledger/records/privacy-erasure.js';

export function signErasure(payload: ErasurePayload, options: { consortium: string; key: KeyPair; signedAt?: string }): SignedRecord {
  const checked = parseErasurePayload(payload);
  return signRecord(
    { consortium: options.consortium, kind: RecordKind.PERSONAL_DATA_ERASURE, payload: { commitment: checked.commitment, reason: checked.reason }, signedAt: options.signedAt },
    options.key,
  );
}
