/**
 * Salted commitments to personal data (UK GDPR): the chain carries only the commitment;
 * the data and its salt stay off-chain, so deleting them makes the commitment unopenable while the
 * signed record that holds it still verifies. Pure: no I/O.
 */
import { randomBytes } from 'node:crypto';
import { HashTag, canonicalBytes, concatBytes, fromHex, taggedHash, toHex, type JsonValue } from '../crypto/index.js';
import { isHash } from '../ledger/record.js';
import { CodedError } from '../coded-error.js';

export const SALT_BYTES = 32;

export interface PersonalData {
  name: string;
  role?: string;
  [field: string]: JsonValue | undefined;
}

export interface Commitment {
  /** Lower-case hex taggedHash(PERSONAL_DATA_COMMITMENT, salt || JCS(data)). */
  commitment: string;
  /** Lower-case hex of the 32-byte salt. */
  salt: string;
}

export class PrivacyError extends CodedError {
  override readonly name = 'PrivacyError';
}


export function isCommitment(value: unknown): value is string {
  return isHash(value);
}

/** Throws PrivacyError('INVALID_PERSONAL_DATA') unless data is a JSON object with a non-empty name. */
export function assertPersonalData(data: unknown): asserts data is PersonalData {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new PrivacyError('INVALID_PERSONAL_DATA', 'personal data must be a JSON object', { field: 'data' });
  }
  const name = (data as Record<string, unknown>).name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new PrivacyError('INVALID_PERSONAL_DATA', 'personal data needs a non-empty "name"', { field: 'name' });
  }
  const role = (data as Record<string, unknown>).role;
  if (role !== undefined && typeof role !== 'string') {
    throw new PrivacyError('INVALID_PERSONAL_DATA', '"role" must be a string', { field: 'role' });
  }
}

function saltBytes(salt: Uint8Array | string): Uint8Array {
  const bytes = typeof salt === 'string' ? fromHex(salt, SALT_BYTES) : salt;
  if (bytes.length !== SALT_BYTES) {
    throw new PrivacyError('INVALID_SALT', `salt must be ${SALT_BYTES} bytes`, { expected: SALT_BYTES, actual: bytes.length });
  }
  return bytes;
}

export function commitmentOf(data: PersonalData, salt: Uint8Array | string): string {
  assertPersonalData(data);
  return toHex(taggedHash(HashTag.PERSONAL_DATA_COMMITMENT, concatBytes(saltBytes(salt), canonicalBytes(data as unknown as JsonValue))));
}

/** A fresh random salt unless one is given (e.g. to reproduce a commitment). */
export function commitPersonalData(data: PersonalData, salt: Uint8Array | string = new Uint8Array(randomBytes(SALT_BYTES))): Commitment {
  const bytes = saltBytes(salt);
  return { commitment: commitmentOf(data, bytes), salt: toHex(bytes) };
}

/** True when (data, salt) opens the commitment. Malformed input is simply not an opening. */
export function verifyCommitment(commitment: string, data: PersonalData, salt: Uint8Array | string): boolean {
  try {
    return isCommitment(commitment) && commitmentOf(data, salt) === commitment;
  } catch {
    return false;
  }
}
