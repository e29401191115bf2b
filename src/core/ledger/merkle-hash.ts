/** RFC 6962 §2.1 hashing: domain-separated leaf and interior node hashes over SHA-256. */
import { MERKLE_LEAF_PREFIX, MERKLE_NODE_PREFIX, sha256, sha256Parts } from '../crypto/index.js';
import { MerkleProofError, assertHash } from './merkle-errors.js';

const LEAF_PREFIX = new Uint8Array([MERKLE_LEAF_PREFIX]);
const NODE_PREFIX = new Uint8Array([MERKLE_NODE_PREFIX]);

/** MTH({d}) = SHA-256(0x00 || d). In our ledger d is a 32-byte record hash, but any bytes are allowed. */
export function leafHash(data: Uint8Array): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new MerkleProofError('MALFORMED_LEAF', 'leaf data must be a Uint8Array');
  return sha256Parts(LEAF_PREFIX, data);
}

/** SHA-256(0x01 || left || right), for two 32-byte child hashes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertHash('left', left);
  assertHash('right', right);
  return sha256Parts(NODE_PREFIX, left, right);
}

/** MTH({}) = SHA-256() (RFC 6962 §2.1); a fresh copy so callers cannot corrupt a shared constant. */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}
