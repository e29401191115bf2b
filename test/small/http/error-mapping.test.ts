/** The one place errors become responses: our codes are shown, the platform's and libraries' are masked. */
import { describe, expect, it } from 'vitest';
import { CodedError, isCodedError } from '../../../src/core/coded-error.js';
import { errorBody, problemOf } from '../../../src/transport/http/errors.js';

/** An error as Prisma throws one when an interactive transaction outlives its timeout. */
function prismaTimeout(): Error {
  return Object.assign(new Error('\nInvalid `prisma.$executeRawUnsafe()` invocation:\n\nTransaction API error: A query cannot be executed on an expired transaction.'), { code: 'P2028' });
}

describe('error mapping', () => {
  it('shows a typed error with its code, status and details', () => {
    const err = new CodedError('UNKNOWN_CONSORTIUM', 'unknown consortium "x"', { consortium: 'x' });
    expect(isCodedError(err)).toBe(true);
    expect(errorBody(err)).toEqual({ status: 404, body: { error: { code: 'UNKNOWN_CONSORTIUM', message: 'unknown consortium "x"', details: { consortium: 'x' } } } });
  });

  it.each([
    ['Prisma engine code', prismaTimeout()],
    ['errno name', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['Node internal code', Object.assign(new Error('bad arg'), { code: 'ERR_INVALID_ARG_TYPE' })],
    ['no code', new Error('boom at /srv/provenant/src/x.ts:12')],
  ])('masks an error with a %s as a 500 that names nothing internal', (_what, err) => {
    expect(isCodedError(err)).toBe(false);
    const { status, body } = errorBody(err);
    expect(status).toBe(500);
    expect(body.error.code).toBe('INTERNAL');
    const problem = problemOf(err);
    expect(problem).toMatchObject({ status: 500, type: 'epcisException:ImplementationException', code: 'INTERNAL' });
    expect(JSON.stringify(problem)).not.toMatch(/prisma|ECONNRESET|ERR_|\/srv\//i);
  });
});
