import { describe, expect, it } from 'vitest';
import { HashTag, taggedHash, toHex } from '../../../src/core/crypto/index.js';
import { bearerToken } from '../../../src/services/auth.js';
import { hashToken, isTokenShaped } from '../../../src/store/token-store.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../../src/transport/graphql/errors.js';

describe('API token hashing', () => {
  const token = 'pvn_' + 'a'.repeat(43);

  it('hashes with the API_TOKEN domain tag', () => {
    expect(hashToken(token)).toBe(toHex(taggedHash(HashTag.API_TOKEN, new TextEncoder().encode(token))));
    expect(hashToken(token)).not.toBe(toHex(taggedHash(HashTag.RECORD, new TextEncoder().encode(token))));
  });

  it('recognises only pvn_ + 43 base64url characters (32 bytes)', () => {
    expect(isTokenShaped(token)).toBe(true);
    expect(isTokenShaped('pvn_' + 'a'.repeat(42))).toBe(false);
    expect(isTokenShaped('xyz_' + 'a'.repeat(43))).toBe(false);
    expect(isTokenShaped('pvn_' + 'a'.repeat(42) + '=')).toBe(false);
  });
});

describe('bearer header parsing', () => {
  it('takes the token from a Bearer header, or a bare token', () => {
    expect(bearerToken('Bearer pvn_abc')).toBe('pvn_abc');
    expect(bearerToken('bearer   pvn_abc ')).toBe('pvn_abc');
    expect(bearerToken('pvn_abc')).toBe('pvn_abc');
    expect(bearerToken('')).toBeNull();
    expect(bearerToken(null)).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});

describe('expected GraphQL errors', () => {
  it('carry a stable code in the field and in extensions', () => {
    for (const [err, code] of [
      [new UnauthenticatedError(), 'UNAUTHENTICATED'],
      [new ForbiddenError('no'), 'FORBIDDEN'],
      [new NotFoundError('gone'), 'NOT_FOUND'],
    ] as const) {
      expect(err.code).toBe(code);
      expect(err.extensions.code).toBe(code);
    }
  });
});
