/** Typed capture errors; src/transport/http/errors.ts maps their codes to HTTP statuses. */
export type CaptureErrorCode =
  | 'MALFORMED_ENVELOPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_EVENTS'
  | 'TOO_DEEP'
  | 'STRING_TOO_LONG'
  | 'INVALID_EPCIS'
  | 'VALIDATION_TOO_COSTLY'
  | 'UNSIGNED'
  | 'SIGNATURE_COUNT_MISMATCH'
  | 'STALE_SIGNATURE'
  | 'BAD_SIGNATURE'
  | 'NOT_AUTHORISED'
  | 'NOT_CUSTODIAN'
  | 'NOT_STORED'
  | 'NOT_FOUND';

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly code: CaptureErrorCode | string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface CaptureEventResult {
  index: number;
  eventId: string;
  status: 'accepted' | 'duplicate' | 'rejected';
  recordHash?: string;
  /** Accepted as a correction (an error declaration) of the event whose record has this hash. */
  correctionOf?: string;
  block?: { height: number; hash: string };
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

/** An atomic capture was refused: nothing stored. Carries the per-event results for the response. */
export class CaptureRejectedError extends CaptureError {
  constructor(
    code: string,
    message: string,
    readonly results: CaptureEventResult[],
    details: Record<string, unknown> = {},
  ) {
    super(code, message, details);
  }
}
