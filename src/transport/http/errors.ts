/**
 * The one place that maps errors to API responses (HTTP status + JSON body). Typed errors carry a
 * stable code; anything unexpected becomes a masked 500 with no stack trace or internals. Routes of
 * the EPCIS 2.0 REST binding answer errors as RFC 9457 problem details instead, typed with the
 * binding's exception types (problemOf; a route opts in with useProblemDetails).
 */
import type { ErrorRequestHandler, Response } from 'express';
import { problemXml } from './problem-xml.js';
import { processLogger } from '../../platform/logger.js';
import { isCodedError } from '../../core/coded-error.js';

export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
  /** The request's id (X-Request-Id), to quote when reporting a problem. */
  requestId?: string;
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
  CORRECTION_NOT_PERMITTED: 403,
  NO_HOSTED_KEY: 403,
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
  EVENT_ID_TAKEN: 409,
  // integrity: stored off-chain bytes no longer match their hash (never served; logged)
  DOCUMENT_TAMPERED: 500,
  READING_TAMPERED: 500,
  // size limits
  PAYLOAD_TOO_LARGE: 413,
  HEADER_TOO_LARGE: 413,
  VALIDATION_TOO_COSTLY: 413,
  // request limits (docs/limits.md)
  JSON_TOO_DEEP: 400,
  GRAPHQL_LIMIT_EXCEEDED: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  // input sanity
  EVENT_TIME_IN_FUTURE: 400,
  VOCABULARY_NOT_REGISTERED: 400,
};

export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 400;
}

/** Our typed errors (core/coded-error.ts): the codes of Node, errno and Prisma are not for callers. */
export const isTypedError = isCodedError;

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

/** RFC 9457 problem details, with the stable code (and its details) as extension members. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code?: string;
  details?: Record<string, unknown>;
  [extension: string]: unknown;
}

/** EPCIS 2.0 REST binding exception types by status (GS1 EPCIS 2.0 openapi.json, components/responses). */
const EPCIS_EXCEPTIONS: Record<number, { type: string; title: string }> = {
  400: { type: 'epcisException:ValidationException', title: 'The request is not valid' },
  401: { type: 'epcisException:SecurityException', title: 'Unauthorised request' },
  403: { type: 'epcisException:SecurityException', title: 'Access to resource forbidden' },
  404: { type: 'epcisException:NoSuchNameException', title: 'Resource not found' },
  406: { type: 'epcisException:NotAcceptableException', title: 'Conflicting request and response headers' },
  409: { type: 'epcisException:ResourceAlreadyExistsException', title: 'A resource with the provided identifier already exists' },
  410: { type: 'epcisException:NoSuchNameException', title: 'Resource no longer available' },
  413: { type: 'epcisException:CaptureLimitExceededException', title: 'Capture payload too large' },
  415: { type: 'epcisException:UnsupportedMediaTypeException', title: 'Unsupported media type' },
  500: { type: 'epcisException:ImplementationException', title: 'A server-side error occurred' },
  501: { type: 'epcisException:ImplementationException', title: 'Functionality not supported by server' },
};

/** Codes the binding answers otherwise than the Provenant routes do (the binding names a capture limit). */
const BINDING_STATUS_BY_CODE: Record<string, number> = { TOO_MANY_EVENTS: 413 };

/** The problem type and title of a status (400's for any other 4xx, 500's for any other 5xx). */
export function epcisException(status: number): { type: string; title: string } {
  return EPCIS_EXCEPTIONS[status] ?? EPCIS_EXCEPTIONS[status >= 500 ? 500 : 400]!;
}

/** A typed error (code, message, details) as problem details, with the status the binding gives its code. */
export function problemOfCoded(error: { code: string; message: string; details?: Record<string, unknown> }, extra: Record<string, unknown> = {}): ProblemDetails {
  const status = BINDING_STATUS_BY_CODE[error.code] ?? statusForCode(error.code);
  return { ...epcisException(status), status, detail: error.message, code: error.code, ...(error.details ? { details: error.details } : {}), ...extra };
}

/** Any error as problem details (unexpected ones masked, as errorBody masks them). */
export function problemOf(err: unknown): ProblemDetails {
  const { status, body } = errorBody(err);
  if (isTypedError(err) && !(err instanceof ApiError)) return problemOfCoded(body.error);
  return { ...epcisException(status), status, detail: body.error.message, code: body.error.code, ...(body.error.details ? { details: body.error.details } : {}) };
}

/** Marks the response's errors as problem details of the EPCIS binding, in JSON or XML. */
export function useProblemDetails(res: Response, format: 'json' | 'xml' = 'json'): void {
  res.locals['problemFormat'] = format;
}

export function sendProblem(res: Response, detailed: ProblemDetails): void {
  const requestId = res.locals['requestId'];
  const problem = typeof requestId === 'string' ? { ...detailed, requestId } : detailed;
  if (res.locals['problemFormat'] === 'xml') res.status(problem.status).type('application/problem+xml').send(problemXml(problem));
  else res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/** Logs an unexpected error with the request's id (the caller only ever sees the masked body). */
function logUnexpected(err: unknown, res: Response): void {
  const log = (res.locals['log'] as ReturnType<typeof processLogger> | undefined) ?? processLogger();
  log.error({ err, requestId: res.locals['requestId'] }, 'unexpected error');
}

export function errorHandler(log: (err: unknown, res: Response) => void = logUnexpected): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const { status, body } = errorBody(err);
    if (status >= 500) log(err, res);
    const requestId = res.locals['requestId'];
    if (res.locals['problemFormat'] !== undefined) sendProblem(res, problemOf(err));
    else res.status(status).json(typeof requestId === 'string' ? { ...body, requestId } : body);
  };
}
