/** Typed errors and argument checks shared by the pure Merkle units. */
import { toHex } from '../crypto/index.js';
import { CodedError } from '../coded-error.js';

export type MerkleProofErrorCode =
  | 'ROOT_MISMATCH'
  | 'PROOF_TOO_SHORT'
  | 'PROOF_TOO_LONG'
  | 'INDEX_OUT_OF_RANGE'
  | 'BAD_SIZES'
  | 'MALFORMED_HASH'
  | 'MALFORMED_LEAF';

export class MerkleProofError extends CodedError<MerkleProofErrorCode> {
  override readonly name = 'MerkleProofError';
}

/** SHA-256 output length: every leaf hash, node hash, root and proof element. */
export const MERKLE_HASH_LENGTH = 32;

export function assertHash(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== MERKLE_HASH_LENGTH) {
    throw new MerkleProofError('MALFORMED_HASH', `${name} must be a ${MERKLE_HASH_LENGTH}-byte hash`, {
      name,
      expectedLength: MERKLE_HASH_LENGTH,
      actualLength: value instanceof Uint8Array ? value.length : null,
    });
  }
}

export function assertHashes(name: string, values: unknown): asserts values is Uint8Array[] {
  if (!Array.isArray(values)) {
    throw new MerkleProofError('MALFORMED_HASH', `${name} must be an array of ${MERKLE_HASH_LENGTH}-byte hashes`, { name });
  }
  values.forEach((value, i) => assertHash(`${name}[${i}]`, value));
}

export function assertSize(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MerkleProofError('BAD_SIZES', `${name} must be a non-negative safe integer`, { name, value: String(value) });
  }
}

/** A leaf index must name an existing leaf: 0 <= index < treeSize. */
export function assertIndex(index: unknown, treeSize: number): asserts index is number {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= treeSize) {
    throw new MerkleProofError('INDEX_OUT_OF_RANGE', `leaf index ${String(index)} is outside a tree of size ${treeSize}`, {
      index: String(index),
      treeSize,
    });
  }
}

export function rootMismatch(what: string, expected: Uint8Array, computed: Uint8Array): MerkleProofError {
  return new MerkleProofError('ROOT_MISMATCH', `${what} computed from the proof does not match the expected root`, {
    root: what,
    expected: toHex(expected),
    computed: toHex(computed),
  });
}
