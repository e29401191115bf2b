/**
 * Why a read was refused, by stable code: transports map the code to their answer (HTTP status in
 * src/transport/http/errors.ts, a typed result-union member in GraphQL).
 */
import { CodedError } from '../core/coded-error.js';

export class ReadError extends CodedError {
  override readonly name = 'ReadError';
}

export const NO_TOKEN_MESSAGE = 'an API token is required (Authorization: Bearer pvn_...)';

export function unauthenticated(problem?: string): ReadError {
  return new ReadError('UNAUTHENTICATED', problem ? `${problem}; an active API token is required` : NO_TOKEN_MESSAGE);
}

export function forbidden(message: string, details: Record<string, unknown> = {}): ReadError {
  return new ReadError('FORBIDDEN', message, details);
}

export function notFound(message: string, details: Record<string, unknown> = {}): ReadError {
  return new ReadError('NOT_FOUND', message, details);
}

export function invalidIdentifier(message: string, details: Record<string, unknown> = {}): ReadError {
  return new ReadError('INVALID_IDENTIFIER', message, details);
}

/** A token of one consortium asking about another. */
export function otherConsortium(tokenConsortium: string, asked: string): ReadError {
  return forbidden(`your token is for consortium "${tokenConsortium}", not "${asked}"`, { consortium: asked });
}
