import { IdentifierError } from '../../../src/core/identifiers/index.js';

/** The IdentifierError `fn` throws; fails the test if it throws nothing or something else. */
export function errorOf(fn: () => unknown): IdentifierError {
  try {
    fn();
  } catch (e) {
    if (e instanceof IdentifierError) return e;
    throw e;
  }
  throw new Error('expected an IdentifierError');
}
