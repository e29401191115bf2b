/**
 * The one place that maps errors to API responses (HTTP status + JSON body). Typed errors carry a
 * stable code; anything unexpected becomes a masked 500 with no stack trace or internals.
 */
import type { ErrorRequestHandler } from 'express';

export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** An error raised by the API layer itself, with the status to answer with. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const STATUS_BY_CODE: Record<string, number> = {
  // authentication: who is this?
  UNSIGNED: 401,
  BAD_SIGNATURE: 401,
  STALE_SIGNATURE: 401,
  REPLAY: 401,
  SIGNER_REVOKED: 401,
  DEVICE_REVOKED: 401,
  UNAUTHENTICATED: 401,
  MALFORMED_SIGNATURE: 401,
  ALGORITHM_MISMATCH: 401,
  // authorisation: may they?
  UNKNOWN_SIGNER: 403,
  SIGNER_NOT_ACTIVE: 403,
  NOT_AUTHORISED: 403,
  NOT_AN_AUTHORITY: 403,
  FORBIDDEN: 403,
  NOT_CUSTODIAN: 403,
  // the stored index disagrees with the signed history: custody cannot be established
  CUSTODY_UNVERIFIED: 409,
  // an answer bundle whose identifiers' histories the stored index cannot prove complete
  INCOMPLETE: 409,
  // missing things
  UNKNOWN_CONSORTIUM: 404,
  NOT_FOUND: 404,
  DOCUMENT_NOT_FOUND: 404,
  PERSON_NOT_FOUND: 404,
  PERSON_ERASED: 410,
  // conflicts
  DUPLICATE_GENESIS: 409,
  DOCUMENT_EXISTS: 409,
  ALREADY_ERASED: 409,
  // integrity: stored off-chain bytes no longer match their hash (never served; logged)
  DOCUMENT_TAMPERED: 500,
  // size limits
  PAYLOAD_TOO_LARGE: 413,
};

export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 400;
}

/** Our typed errors use SCREAMING_SNAKE codes; Node's own (ERR_*, ENOENT...) are not for callers. */
export function isTypedError(err: unknown): err is Error & { code: string; details?: Record<string, unknown> } {
  if (!(err instanceof Error)) return false;
  const code: unknown = (err as unknown as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) && !code.startsWith('ERR_') && !/^E[A-Z]+$/.test(code);
}

export function errorBody(err: unknown): { status: number; body: ApiErrorBody } {
  if (err instanceof ApiError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } } };
  }
  if (isTypedError(err)) {
    return { status: statusForCode(err.code), body: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } } };
  }
  // body-parser errors (malformed JSON, too large) carry a status and a type.
  const e = err as { status?: number; type?: string; message?: string };
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    const code = e.type === 'entity.too.large' ? 'PAYLOAD_TOO_LARGE' : e.type === 'entity.parse.failed' ? 'MALFORMED_JSON' : 'BAD_REQUEST';
    return { status: e.status, body: { error: { code, message: code === 'MALFORMED_JSON' ? 'request body is not valid JSON' : (e.message ?? 'bad request') } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'unexpected error; it has been logged' } } };
}

export function errorHandler(log: (err: unknown) => void = (err) => console.error(err)): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const { status, body } = errorBody(err);
    if (status >= 500) log(err);
    res.status(status).json(body);
  };
}
