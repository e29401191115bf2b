/**
 * RFC 6962 §2.1 Merkle Tree Hash, audit paths and consistency proofs over already-hashed leaves
 * (each leaf hash is leafHash(data)). Pure functions; proof checking lives in merkle-verify.ts.
 */
import { assertHash, assertHashes, assertIndex, assertSize, MerkleProofError } from './merkle-errors.js';
import { emptyRoot, nodeHash } from './merkle-hash.js';

/** The largest power of two strictly less than n (n >= 2): the RFC's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leafHashes[start, end), bottom-up: an odd node at the end of a level moves up unchanged. */
function subtreeRoot(leafHashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  if (end === start) return emptyRoot();
  let level = leafHashes.slice(start, end);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** RFC 6962 §2.1 MTH(D[n]) for the given leaf hashes. */
export function rootHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  assertHashes('leafHashes', leafHashes);
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

/**
 * RFC 6962 §2.1.1 PATH(index, D[n]) with n = leafHashes.length, leaf side first.
 * Iterative form of PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) (m < k), else PATH(m - k, D[k:n]) : MTH(D[0:k]).
 */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  assertHashes('leafHashes', leafHashes);
  assertIndex(index, leafHashes.length);
  const rootSide: Uint8Array[] = [];
  let start = 0;
  let end = leafHashes.length;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      rootSide.push(subtreeRoot(leafHashes, start + k, end));
      end = start + k;
    } else {
      rootSide.push(subtreeRoot(leafHashes, start, start + k));
      start += k;
    }
  }
  return rootSide.reverse();
}

/**
 * RFC 6962 §2.1.2 PROOF(oldSize, D[newSize]) over the first newSize leaf hashes; empty when
 * oldSize is 0 or equals newSize. Iterative form of SUBPROOF(m, D[n], b).
 */
export function consistencyProof(leafHashes: readonly Uint8Array[], oldSize: number, newSize: number): Uint8Array[] {
  assertHashes('leafHashes', leafHashes);
  assertSize('oldSize', oldSize);
  assertSize('newSize', newSize);
  if (oldSize > newSize || newSize > leafHashes.length) {
    throw new MerkleProofError('BAD_SIZES', `need 0 <= oldSize <= newSize <= ${leafHashes.length} leaves`, {
      oldSize,
      newSize,
      leafCount: leafHashes.length,
    });
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const rootSide: Uint8Array[] = [];
  let start = 0;
  let end = newSize;
  let m = oldSize; // old size relative to start
  let oldTreeIsWholeSubtree = true; // the b flag of SUBPROOF
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      rootSide.push(subtreeRoot(leafHashes, start + k, end));
      end = start + k;
    } else {
      rootSide.push(subtreeRoot(leafHashes, start, start + k));
      start += k;
      m -= k;
      oldTreeIsWholeSubtree = false;
    }
  }
  // SUBPROOF(m, D[m], false) = {MTH(D[m])}; with b = true the verifier already knows it (the old root).
  const leafSide = oldTreeIsWholeSubtree ? [] : [subtreeRoot(leafHashes, start, end)];
  return [...leafSide, ...rootSide.reverse()];
}

/**
 * Append-only accumulator: keeps only the roots of the perfect subtrees that make up the tree
 * (one per set bit of size), so appending is O(log n) time and memory, and root() equals rootHash.
 */
export class MerkleAccumulator {
  #size = 0;
  #perfectRoots: Uint8Array[] = []; // left to right, largest subtree first

  get size(): number {
    return this.#size;
  }

  append(leafHashValue: Uint8Array): void {
    assertHash('leafHash', leafHashValue);
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new MerkleProofError('BAD_SIZES', 'tree size would exceed 2^53 - 1');
    let merged: Uint8Array = Uint8Array.from(leafHashValue);
    // Each trailing 1 bit of the old size is a same-height subtree to merge with.
    for (let s = this.#size; s % 2 === 1; s = (s - 1) / 2) merged = nodeHash(this.#perfectRoots.pop()!, merged);
    this.#perfectRoots.push(merged);
    this.#size += 1;
  }

  /** An independent accumulator at the same size (appending to one leaves the other as it was). */
  copy(): MerkleAccumulator {
    const out = new MerkleAccumulator();
    out.#size = this.#size;
    out.#perfectRoots = this.#perfectRoots.map((r) => Uint8Array.from(r));
    return out;
  }

  root(): Uint8Array {
    const roots = this.#perfectRoots;
    if (roots.length === 0) return emptyRoot();
    let root = roots[roots.length - 1]!;
    for (let i = roots.length - 2; i >= 0; i--) root = nodeHash(roots[i]!, root);
    return Uint8Array.from(root);
  }
}
