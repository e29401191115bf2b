/** The fast iterative implementation equals the RFC 6962 recursive definitions for every size 0..64. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/crypto/index.js';
import {
  consistencyProof,
  consistencyProofLength,
  inclusionProof,
  inclusionProofLength,
  leafHash,
  MerkleAccumulator,
  rootHash,
} from '../../../src/core/ledger/merkle.js';
import { refLeafHash, refPath, refProof, refRoot } from './reference-merkle.js';

const MAX_SIZE = 64;
const leaves = Array.from({ length: MAX_SIZE }, (_, i) => leafHash(new TextEncoder().encode(`record ${i}`)));
const hex = (hashes: Uint8Array[]): string[] => hashes.map(toHex);
const sizes = Array.from({ length: MAX_SIZE + 1 }, (_, n) => n);

describe('fast implementation vs recursive reference, sizes 0..64', () => {
  it('leafHash agrees with the reference', () => {
    for (const data of [new Uint8Array(0), new Uint8Array(32).fill(0xab), new TextEncoder().encode('x')]) {
      expect(toHex(leafHash(data))).toBe(toHex(refLeafHash(data)));
    }
  });

  it.each(sizes)('size %i: root, accumulator, every inclusion and consistency proof', (n) => {
    const tree = leaves.slice(0, n);
    const root = toHex(refRoot(tree));
    expect(toHex(rootHash(tree))).toBe(root);

    const accumulator = new MerkleAccumulator();
    tree.forEach((h) => accumulator.append(h));
    expect(toHex(accumulator.root())).toBe(root);

    for (let index = 0; index < n; index++) {
      const proof = inclusionProof(tree, index);
      expect(hex(proof), `inclusion ${index}/${n}`).toEqual(hex(refPath(index, tree)));
      expect(inclusionProofLength(index, n)).toBe(proof.length);
    }
    for (let m = 0; m <= n; m++) {
      const proof = consistencyProof(tree, m, n);
      expect(hex(proof), `consistency ${m}->${n}`).toEqual(hex(refProof(m, tree)));
      expect(consistencyProofLength(m, n)).toBe(proof.length);
      // A consistency proof may be built from a longer leaf list: only the first newSize leaves count.
      expect(hex(consistencyProof(leaves, m, n))).toEqual(hex(proof));
    }
  });

  it('the accumulator matches rootHash after every append', () => {
    const accumulator = new MerkleAccumulator();
    expect(toHex(accumulator.root())).toBe(toHex(refRoot([])));
    leaves.forEach((h, i) => {
      accumulator.append(h);
      expect(toHex(accumulator.root()), `size ${i + 1}`).toBe(toHex(refRoot(leaves.slice(0, i + 1))));
    });
  });
});

/** transparency-dev/merkle's closed forms (proof/verify.go), in BigInt: an independent check of the loop counts. */
const bitLength = (x: bigint): number => x.toString(2).replace(/^0+/, '').length;
const popCount = (x: bigint): number => [...x.toString(2)].filter((c) => c === '1').length;
const trailingZeros = (x: bigint): number => x.toString(2).length - x.toString(2).replace(/0+$/, '').length;

function closedFormInclusionLength(index: number, size: number): number {
  const [i, n] = [BigInt(index), BigInt(size)];
  const inner = bitLength(i ^ (n - 1n));
  return inner + popCount(i >> BigInt(inner));
}

function closedFormConsistencyLength(oldSize: number, newSize: number): number {
  if (oldSize === 0 || oldSize === newSize) return 0;
  const level = BigInt(trailingZeros(BigInt(oldSize)));
  const index = (BigInt(oldSize) - 1n) >> level;
  const inner = bitLength(index ^ ((BigInt(newSize) - 1n) >> level));
  return (index !== 0n ? 1 : 0) + inner + popCount(index >> BigInt(inner));
}

describe('proof lengths, including sizes beyond 32 bits', () => {
  it('closed forms agree with the built proofs for sizes up to 64', () => {
    for (let n = 1; n <= MAX_SIZE; n++) {
      for (let i = 0; i < n; i++) expect(closedFormInclusionLength(i, n)).toBe(inclusionProof(leaves.slice(0, n), i).length);
      for (let m = 0; m <= n; m++) expect(closedFormConsistencyLength(m, n)).toBe(consistencyProof(leaves, m, n).length);
    }
  });

  it('inclusionProofLength and consistencyProofLength match the closed forms up to 2^53 - 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.double({ min: 0, max: 1, noNaN: true }), (n, fraction) => {
        const i = Math.min(n - 1, Math.floor(fraction * n));
        expect(inclusionProofLength(i, n)).toBe(closedFormInclusionLength(i, n));
        expect(consistencyProofLength(i + 1, n)).toBe(closedFormConsistencyLength(i + 1, n));
      }),
      { numRuns: 2000 },
    );
    expect(inclusionProofLength(0, Number.MAX_SAFE_INTEGER)).toBe(53);
  });
});
