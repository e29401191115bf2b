/**
 * Slow reference: RFC 6962 §2.1 definitions transcribed recursively, with its own hashing
 * (node:crypto), so the fast implementation is checked against the spec and not against itself.
 */
import { createHash } from 'node:crypto';

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
};

export const refLeafHash = (data: Uint8Array): Uint8Array => sha256(new Uint8Array([0x00]), data);
const refNodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256(new Uint8Array([0x01]), left, right);

/** k: the largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over leaf hashes: MTH({}) = SHA-256(), MTH({d0}) = the leaf hash, else split at k. */
export function refRoot(D: Uint8Array[]): Uint8Array {
  const n = D.length;
  if (n === 0) return sha256();
  if (n === 1) return D[0]!;
  const k = split(n);
  return refNodeHash(refRoot(D.slice(0, k)), refRoot(D.slice(k)));
}

/** §2.1.1 PATH(m, D[n]). */
export function refPath(m: number, D: Uint8Array[]): Uint8Array[] {
  const n = D.length;
  if (n === 1) return [];
  const k = split(n);
  if (m < k) return [...refPath(m, D.slice(0, k)), refRoot(D.slice(k))];
  return [...refPath(m - k, D.slice(k)), refRoot(D.slice(0, k))];
}

/** §2.1.2 SUBPROOF(m, D[n], b). */
function refSubproof(m: number, D: Uint8Array[], b: boolean): Uint8Array[] {
  const n = D.length;
  if (m === n) return b ? [] : [refRoot(D)];
  const k = split(n);
  if (m <= k) return [...refSubproof(m, D.slice(0, k), b), refRoot(D.slice(k))];
  return [...refSubproof(m - k, D.slice(k), false), refRoot(D.slice(0, k))];
}

/** §2.1.2 PROOF(m, D[n]) = SUBPROOF(m, D[n], true); empty for m = 0 (nothing to prove). */
export function refProof(m: number, D: Uint8Array[]): Uint8Array[] {
  return m === 0 ? [] : refSubproof(m, D, true);
}
