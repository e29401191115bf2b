/** Typed ledger errors. Each names what failed and, where a value was compared, expected vs computed. */
import { CodedError } from '../coded-error.js';
export type LedgerErrorCode =
  | 'MALFORMED_RECORD'
  | 'MALFORMED_BLOCK'
  | 'UNKNOWN_CONSORTIUM'
  | 'WRONG_CONSORTIUM'
  | 'UNKNOWN_SIGNER'
  | 'SIGNER_REVOKED'
  | 'SIGNER_NOT_ACTIVE'
  | 'BAD_SIGNATURE'
  | 'NOT_AUTHORISED'
  | 'NOT_AN_AUTHORITY'
  | 'DUPLICATE_GENESIS'
  | 'DUPLICATE_RECORD'
  | 'WRONG_HEIGHT'
  | 'BROKEN_HASH_LINK'
  | 'MERKLE_ROOT_MISMATCH'
  | 'RECORD_COUNT_MISMATCH'
  | 'LOG_SIZE_MISMATCH'
  | 'AUTHORITY_SET_MISMATCH'
  | 'BAD_SEAL'
  | 'NO_QUORUM'
  | 'TIME_REVERSED'
  | 'INVALID_CHANGE'
  | 'UNKNOWN_DEVICE'
  | 'DEVICE_REVOKED'
  | 'UNKNOWN_PROPOSAL'
  | 'DUPLICATE_APPROVAL'
  | 'INVALID_EVIDENCE'
  // sensor.window: the window belongs to its device's owner (records/sensor-window.ts).
  | 'WINDOW_NOT_OWNER'
  | 'WINDOW_OWNER_NOT_NAMED'
  | 'WINDOW_OWNER_MISMATCH'
  // Chain verification: a stored value differs from the one recomputed from the data.
  | 'BLOCK_HASH_MISMATCH'
  | 'RECORD_HASH_MISMATCH'
  | 'LOG_INDEX_MISMATCH'
  | 'MISSING_GENESIS'
  | 'INVALID_GENESIS'
  // Checkpoints (signed log heads for light clients).
  | 'MALFORMED_CHECKPOINT'
  | 'CHECKPOINT_INCONSISTENT'
  // The identifier index map a version-2 header commits to (docs/completeness.md).
  | 'INDEX_ROOT_MISMATCH';

export class LedgerError extends CodedError<LedgerErrorCode> {
  override readonly name = 'LedgerError';
}
