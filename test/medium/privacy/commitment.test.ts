import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashTag, canonicalBytes, concatBytes, fromHex, taggedHash, toHex } from '../../../src/core/crypto/index.js';
import { commitPersonalData, verifyCommitment, type PersonalData } from '../../../src/core/privacy/commitment.js';

const personArb: fc.Arbitrary<PersonalData> = fc.record(
  { name: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''), role: fc.constantFrom('farmer', 'driver', 'vet'), phone: fc.string() },
  { requiredKeys: ['name'] },
);
const saltArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('personal data commitments', () => {
  it('is taggedHash(PERSONAL_DATA_COMMITMENT, salt || JCS(data))', () => {
    const salt = new Uint8Array(32).fill(7);
    const data = { role: 'vet', name: 'Dr Jane Okafor' };
    const expected = toHex(taggedHash(HashTag.PERSONAL_DATA_COMMITMENT, concatBytes(salt, canonicalBytes(data))));
    expect(commitPersonalData(data, salt)).toEqual({ commitment: expected, salt: '07'.repeat(32) });
  });

  it('opens with its own data and salt (round trip), whatever the key order', () => {
    fc.assert(
      fc.property(personArb, (data) => {
        const { commitment, salt } = commitPersonalData(data);
        expect(salt).toMatch(/^[0-9a-f]{64}$/);
        const reordered = Object.fromEntries(Object.entries(data).reverse()) as PersonalData;
        return verifyCommitment(commitment, data, salt) && verifyCommitment(commitment, reordered, fromHex(salt));
      }),
    );
  });

  it('different salts give different commitments for the same data', () => {
    fc.assert(
      fc.property(personArb, saltArb, saltArb, (data, a, b) => {
        fc.pre(toHex(a) !== toHex(b));
        return commitPersonalData(data, a).commitment !== commitPersonalData(data, b).commitment;
      }),
    );
  });

  it('fresh random salts differ, so equal data cannot be linked across events', () => {
    const data = { name: 'Tom Baker', role: 'driver' };
    const commitments = new Set(Array.from({ length: 50 }, () => commitPersonalData(data).commitment));
    expect(commitments.size).toBe(50);
  });

  it('does not open with other data, another salt, or without the salt', () => {
    fc.assert(
      fc.property(personArb, personArb, saltArb, saltArb, (data, other, salt, otherSalt) => {
        const { commitment } = commitPersonalData(data, salt);
        if (toHex(salt) !== toHex(otherSalt)) expect(verifyCommitment(commitment, data, otherSalt)).toBe(false);
        if (toHex(canonicalBytes(data)) !== toHex(canonicalBytes(other))) expect(verifyCommitment(commitment, other, salt)).toBe(false);
        expect(verifyCommitment(commitment, data, '')).toBe(false);
        expect(verifyCommitment('not-hex', data, salt)).toBe(false);
      }),
    );
  });

  it('rejects data without a name and salts of the wrong length', () => {
    expect(() => commitPersonalData({ name: '' })).toThrow(expect.objectContaining({ code: 'INVALID_PERSONAL_DATA' }));
    expect(() => commitPersonalData({ role: 'vet' } as unknown as PersonalData)).toThrow(/name/);
    expect(() => commitPersonalData({ name: 'A' }, new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'INVALID_SALT' }));
  });
});
