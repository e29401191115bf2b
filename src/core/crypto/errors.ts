/** Typed crypto errors: each names what failed so callers can map it to a clear API response. */
import { CodedError } from '../coded-error.js';
export type CryptoErrorCode =
  | 'NON_CANONICAL_VALUE'
  | 'MALFORMED_KEY'
  | 'MALFORMED_SIGNATURE'
  | 'ALGORITHM_MISMATCH'
  | 'UNSUPPORTED_ALGORITHM'
  | 'MALFORMED_HASH';

export class CryptoError extends CodedError<CryptoErrorCode> {
  override readonly name = 'CryptoError';
}
