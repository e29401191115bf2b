/** Runs a read service call for a resolver: refusals come back as the typed errors the field's result union lists. */
import { ReadError } from '../../services/read-errors.js';
import { ExpectedError, ForbiddenError, InvalidIdentifierError, NotFoundError, UnauthenticatedError } from './errors.js';

export function asExpectedError(err: unknown): unknown {
  if (!(err instanceof ReadError)) return err;
  switch (err.code) {
    case 'UNAUTHENTICATED':
      return new UnauthenticatedError(err.message, err.details);
    case 'FORBIDDEN':
      return new ForbiddenError(err.message, err.details);
    case 'NOT_FOUND':
      return new NotFoundError(err.message, err.details);
    case 'INVALID_IDENTIFIER':
      return new InvalidIdentifierError(err.message, err.details);
    default:
      return new ExpectedError(err.code, err.message, err.details);
  }
}

export async function serve<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw asExpectedError(err);
  }
}

/** serve() for synchronous calls. */
export function serveNow<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw asExpectedError(err);
  }
}
