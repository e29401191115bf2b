/**
 * RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) proof verification over RFC 6962
 * hashes. Failures throw MerkleProofError naming what failed; isValid* wrap them as booleans.
 * Sizes are safe integers, so bit operations are done arithmetically (JS bitwise ops are 32-bit).
 */
import { bytesEqual } from '../crypto/index.js';
import { assertHash, assertHashes, assertIndex, assertSize, MerkleProofError, rootMismatch } from './merkle-errors.js';
import { emptyRoot, nodeHash } from './merkle-hash.js';

const isOdd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);
const isPowerOfTwo = (x: number): boolean => {
  while (x > 1 && !isOdd(x)) x = half(x);
  return x === 1;
};

/** "Right-shift both fn and sn equally until either LSB(fn) is set or fn is 0." */
function shiftUntilOddOrZero(fn: number, sn: number): [number, number] {
  while (fn !== 0 && !isOdd(fn)) [fn, sn] = [half(fn), half(sn)];
  return [fn, sn];
}

/** How many elements the RFC 9162 §2.1.3.2 loop consumes for this index and tree size. */
export function inclusionProofLength(index: number, treeSize: number): number {
  assertSize('treeSize', treeSize);
  assertIndex(index, treeSize);
  let [fn, sn, length] = [index, treeSize - 1, 0];
  while (sn !== 0) {
    if (!isOdd(fn) && fn === sn) [fn, sn] = shiftUntilOddOrZero(fn, sn);
    [fn, sn, length] = [half(fn), half(sn), length + 1];
  }
  return length;
}

/** How many elements a consistency proof from oldSize to newSize has (0 when oldSize is 0 or newSize). */
export function consistencyProofLength(oldSize: number, newSize: number): number {
  assertSizes(oldSize, newSize);
  if (oldSize === 0 || oldSize === newSize) return 0;
  let [fn, sn, length] = [oldSize - 1, newSize - 1, isPowerOfTwo(oldSize) ? 0 : 1];
  while (isOdd(fn)) [fn, sn] = [half(fn), half(sn)];
  while (sn !== 0) {
    if (!isOdd(fn) && fn === sn) [fn, sn] = shiftUntilOddOrZero(fn, sn);
    [fn, sn, length] = [half(fn), half(sn), length + 1];
  }
  return length;
}

function assertSizes(oldSize: number, newSize: number): void {
  assertSize('oldSize', oldSize);
  assertSize('newSize', newSize);
  if (oldSize > newSize) {
    throw new MerkleProofError('BAD_SIZES', `old tree size ${oldSize} is larger than new tree size ${newSize}`, { oldSize, newSize });
  }
}

function proofTooLong(expectedLength: number, actualLength: number): MerkleProofError {
  return new MerkleProofError('PROOF_TOO_LONG', `proof has ${actualLength} elements, expected ${expectedLength}`, { expectedLength, actualLength });
}

function proofTooShort(expectedLength: number, actualLength: number): MerkleProofError {
  return new MerkleProofError('PROOF_TOO_SHORT', `proof has ${actualLength} elements, expected ${expectedLength}`, { expectedLength, actualLength });
}

/** RFC 9162 §2.1.3.2: the root that the audit path implies for leafHash at index in a tree of treeSize. */
export function rootFromInclusionProof(leafHash: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[]): Uint8Array {
  assertHash('leafHash', leafHash);
  assertSize('treeSize', treeSize);
  assertIndex(index, treeSize);
  assertHashes('proof', proof);
  let [fn, sn, r] = [index, treeSize - 1, leafHash];
  for (const p of proof) {
    if (sn === 0) throw proofTooLong(inclusionProofLength(index, treeSize), proof.length);
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) [fn, sn] = shiftUntilOddOrZero(fn, sn);
    } else {
      r = nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) throw proofTooShort(inclusionProofLength(index, treeSize), proof.length);
  return r;
}

/** Throws MerkleProofError unless proof shows leafHash at index in the tree of treeSize with this root. */
export function verifyInclusion(leafHash: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[], root: Uint8Array): void {
  assertHash('root', root);
  const computed = rootFromInclusionProof(leafHash, index, treeSize, proof);
  if (!bytesEqual(computed, root)) throw rootMismatch('root', root, computed);
}

/** Throws MerkleProofError unless proof shows the tree (newSize, newRoot) extends (oldSize, oldRoot). */
export function verifyConsistency(oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[]): void {
  assertSizes(oldSize, newSize);
  assertHash('oldRoot', oldRoot);
  assertHash('newRoot', newRoot);
  assertHashes('proof', proof);
  if (oldSize === newSize || oldSize === 0) {
    // Nothing to prove: equal sizes need equal roots, and every tree extends the empty tree.
    if (proof.length > 0) throw proofTooLong(0, proof.length);
    if (oldSize === newSize && !bytesEqual(oldRoot, newRoot)) throw rootMismatch('newRoot', newRoot, oldRoot);
    if (oldSize === 0 && !bytesEqual(oldRoot, emptyRoot())) throw rootMismatch('oldRoot', oldRoot, emptyRoot());
    return;
  }
  // RFC 9162 §2.1.4.2 steps 1-7.
  if (proof.length === 0) throw proofTooShort(consistencyProofLength(oldSize, newSize), 0);
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let [fn, sn] = [oldSize - 1, newSize - 1];
  while (isOdd(fn)) [fn, sn] = [half(fn), half(sn)];
  let [fr, sr] = [path[0]!, path[0]!];
  for (const c of path.slice(1)) {
    if (sn === 0) throw proofTooLong(consistencyProofLength(oldSize, newSize), proof.length);
    if (isOdd(fn) || fn === sn) {
      [fr, sr] = [nodeHash(c, fr), nodeHash(c, sr)];
      if (!isOdd(fn)) [fn, sn] = shiftUntilOddOrZero(fn, sn);
    } else {
      sr = nodeHash(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) throw proofTooShort(consistencyProofLength(oldSize, newSize), proof.length);
  if (!bytesEqual(fr, oldRoot)) throw rootMismatch('oldRoot', oldRoot, fr);
  if (!bytesEqual(sr, newRoot)) throw rootMismatch('newRoot', newRoot, sr);
}

function succeeds(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (err) {
    if (err instanceof MerkleProofError) return false;
    throw err;
  }
}

export function isValidInclusion(leafHash: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  return succeeds(() => verifyInclusion(leafHash, index, treeSize, proof, root));
}

export function isValidConsistency(oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  return succeeds(() => verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof));
}
