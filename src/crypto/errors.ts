/** Typed crypto errors: each names what failed so callers can map it to a clear API response. */
export type CryptoErrorCode =
  | 'NON_CANONICAL_VALUE'
  | 'MALFORMED_KEY'
  | 'MALFORMED_SIGNATURE'
  | 'ALGORITHM_MISMATCH'
  | 'UNSUPPORTED_ALGORITHM'
  | 'MALFORMED_HASH';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
