/**
 * Proof checking: every honest proof verifies, every broken one throws a MerkleProofError.
 * Exhaustive over all trees of 1..64 leaves, plus fast-check runs over random leaf contents.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../../src/core/crypto/index.js';
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  isValidConsistency,
  isValidInclusion,
  leafHash,
  MerkleAccumulator,
  MerkleProofError,
  nodeHash,
  rootHash,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
  type MerkleProofErrorCode,
} from '../../../src/core/ledger/merkle.js';

const MAX_SIZE = 64;

interface Tree {
  leaves: Uint8Array[];
  roots: Uint8Array[]; // roots[n] = root of the first n leaves
}

/** Distinct leaves, so no two subtrees share a hash and swapping proof elements always changes something. */
function makeTree(seed: Uint8Array): Tree {
  const leaves = Array.from({ length: MAX_SIZE }, (_, i) => leafHash(concatBytes(seed, new Uint8Array([i]))));
  // Prefix roots via the accumulator (checked against the RFC reference in reference.test.ts): O(n log n).
  const accumulator = new MerkleAccumulator();
  const roots = [accumulator.root()];
  for (const leaf of leaves) {
    accumulator.append(leaf);
    roots.push(accumulator.root());
  }
  return { leaves, roots };
}

const fixedTree = makeTree(new TextEncoder().encode('fixed'));
if (toHex(fixedTree.roots[MAX_SIZE]!) !== toHex(rootHash(fixedTree.leaves))) throw new Error('prefix roots disagree with rootHash');
const seedArb = fc.uint8Array({ minLength: 16, maxLength: 16 });

function codeOf(check: () => void): MerkleProofErrorCode | 'OK' {
  try {
    check();
    return 'OK';
  } catch (err) {
    if (err instanceof MerkleProofError) return err.code;
    throw err;
  }
}

const flipBit = (proof: Uint8Array[], element: number, bit: number): Uint8Array[] =>
  proof.map((h, i) => (i === element ? h.map((b, j) => (j === bit >> 3 ? b ^ (1 << (bit & 7)) : b)) : h));
const swapAdjacent = (proof: Uint8Array[], at: number): Uint8Array[] => {
  const copy = [...proof];
  [copy[at], copy[at + 1]] = [copy[at + 1]!, copy[at]!];
  return copy;
};

// ---------------------------------------------------------------- inclusion

interface InclusionCase {
  tree: Tree;
  index: number;
  size: number;
  proof: Uint8Array[];
  /** which element / bit / position a mutation picks, reduced modulo what exists */
  pick: number;
}

interface InclusionArgs {
  leaf: Uint8Array;
  index: number;
  size: number;
  proof: Uint8Array[];
  root: Uint8Array;
}

interface InclusionMutation {
  name: string;
  applies: (c: InclusionCase) => boolean;
  mutate: (c: InclusionCase) => InclusionArgs;
  /** the exact code when it is determined by the mutation alone */
  code?: MerkleProofErrorCode;
}

const honestInclusion = (c: InclusionCase): InclusionArgs => ({
  leaf: c.tree.leaves[c.index]!,
  index: c.index,
  size: c.size,
  proof: c.proof,
  root: c.tree.roots[c.size]!,
});

const otherIndex = (c: InclusionCase): number => (c.index + 1 + (c.pick % (c.size - 1))) % c.size;
const otherSize = (c: InclusionCase): number => {
  const candidates = MAX_SIZE - c.index - 1; // sizes index+1..64 except c.size
  const offset = c.pick % candidates;
  const size = c.index + 1 + offset;
  return size >= c.size ? size + 1 : size;
};

const inclusionMutations: InclusionMutation[] = [
  {
    name: 'flipped bit in a proof element',
    applies: (c) => c.proof.length > 0,
    mutate: (c) => ({ ...honestInclusion(c), proof: flipBit(c.proof, c.pick % c.proof.length, c.pick % 256) }),
    code: 'ROOT_MISMATCH',
  },
  {
    name: 'swapped pair of adjacent proof elements',
    applies: (c) => c.proof.length > 1,
    mutate: (c) => ({ ...honestInclusion(c), proof: swapAdjacent(c.proof, c.pick % (c.proof.length - 1)) }),
    code: 'ROOT_MISMATCH',
  },
  {
    name: 'truncated proof (last element dropped)',
    applies: (c) => c.proof.length > 0,
    mutate: (c) => ({ ...honestInclusion(c), proof: c.proof.slice(0, -1) }),
    code: 'PROOF_TOO_SHORT',
  },
  {
    name: 'truncated proof (first element dropped)',
    applies: (c) => c.proof.length > 0,
    mutate: (c) => ({ ...honestInclusion(c), proof: c.proof.slice(1) }),
    code: 'PROOF_TOO_SHORT',
  },
  {
    name: 'extended proof (the root appended)',
    applies: () => true,
    mutate: (c) => ({ ...honestInclusion(c), proof: [...c.proof, c.tree.roots[c.size]!] }),
    code: 'PROOF_TOO_LONG',
  },
  {
    name: 'extended proof (an extra element prepended)',
    applies: () => true,
    mutate: (c) => ({ ...honestInclusion(c), proof: [c.tree.leaves[c.pick % MAX_SIZE]!, ...c.proof] }),
    code: 'PROOF_TOO_LONG',
  },
  {
    name: 'wrong leaf index',
    applies: (c) => c.size > 1,
    mutate: (c) => ({ ...honestInclusion(c), index: otherIndex(c) }),
  },
  {
    name: 'wrong leaf hash (another leaf of the tree)',
    applies: (c) => c.size > 1,
    mutate: (c) => ({ ...honestInclusion(c), leaf: c.tree.leaves[otherIndex(c)]! }),
    code: 'ROOT_MISMATCH',
  },
  {
    name: 'wrong tree size, with the root of a tree of that size',
    applies: () => true,
    mutate: (c) => ({ ...honestInclusion(c), size: otherSize(c), root: c.tree.roots[otherSize(c)]! }),
  },
  {
    name: 'tree size doubled',
    applies: () => true,
    mutate: (c) => ({ ...honestInclusion(c), size: c.size * 2 }),
    code: 'PROOF_TOO_SHORT',
  },
  {
    name: 'tree size halved',
    applies: (c) => c.index < Math.floor(c.size / 2),
    mutate: (c) => ({ ...honestInclusion(c), size: Math.floor(c.size / 2) }),
    code: 'PROOF_TOO_LONG',
  },
  {
    name: 'wrong root (the empty tree root)',
    applies: () => true,
    mutate: (c) => ({ ...honestInclusion(c), root: emptyRoot() }),
    code: 'ROOT_MISMATCH',
  },
  {
    name: 'index beyond the tree size',
    applies: () => true,
    mutate: (c) => ({ ...honestInclusion(c), index: c.size + (c.pick % 3) }),
    code: 'INDEX_OUT_OF_RANGE',
  },
];

function allInclusionCases(tree: Tree): InclusionCase[] {
  const cases: InclusionCase[] = [];
  for (let size = 1; size <= MAX_SIZE; size++) {
    for (let index = 0; index < size; index++) {
      cases.push({ tree, index, size, proof: inclusionProof(tree.leaves.slice(0, size), index), pick: index * 7 + size });
    }
  }
  return cases;
}

const inclusionCaseArb = fc
  .record({ seed: seedArb, size: fc.integer({ min: 1, max: MAX_SIZE }), at: fc.nat(), pick: fc.nat() })
  .map(({ seed, size, at, pick }) => {
    const tree = makeTree(seed);
    const index = at % size;
    return { tree, index, size, proof: inclusionProof(tree.leaves.slice(0, size), index), pick };
  });

function runInclusion(args: InclusionArgs): void {
  verifyInclusion(args.leaf, args.index, args.size, args.proof, args.root);
}

describe('inclusion proofs', () => {
  const cases = allInclusionCases(fixedTree);

  it(`every honest proof verifies (all ${cases.length} leaf/size pairs up to 64)`, () => {
    for (const c of cases) {
      const args = honestInclusion(c);
      expect(codeOf(() => runInclusion(args)), `${c.index}/${c.size}`).toBe('OK');
      expect(isValidInclusion(args.leaf, args.index, args.size, args.proof, args.root)).toBe(true);
    }
  });

  it('every honest proof verifies, random leaves (property)', () => {
    fc.assert(fc.property(inclusionCaseArb, (c) => {
      expect(codeOf(() => runInclusion(honestInclusion(c)))).toBe('OK');
    }), { numRuns: 200 });
  });

  describe.each(inclusionMutations)('broken: $name', (mutation) => {
    it('fails for every leaf of every tree size up to 64', () => {
      const applicable = cases.filter(mutation.applies);
      expect(applicable.length).toBeGreaterThan(0);
      for (const c of applicable) {
        const args = mutation.mutate(c);
        const code = codeOf(() => runInclusion(args));
        expect(code, `${c.index}/${c.size}`).not.toBe('OK');
        if (mutation.code) expect(code, `${c.index}/${c.size}`).toBe(mutation.code);
        expect(isValidInclusion(args.leaf, args.index, args.size, args.proof, args.root)).toBe(false);
      }
    });

    it('fails for random leaves (property)', () => {
      fc.assert(
        fc.property(inclusionCaseArb.filter(mutation.applies), (c) => {
          const code = codeOf(() => runInclusion(mutation.mutate(c)));
          expect(code).not.toBe('OK');
          if (mutation.code) expect(code).toBe(mutation.code);
        }),
        { numRuns: 60 },
      );
    });
  });

  it('every single-bit flip anywhere in a proof fails (exhaustive, size 37, leaf 20)', () => {
    const c = cases.find((x) => x.size === 37 && x.index === 20)!;
    for (let element = 0; element < c.proof.length; element++) {
      for (let bit = 0; bit < 256; bit++) {
        expect(codeOf(() => runInclusion({ ...honestInclusion(c), proof: flipBit(c.proof, element, bit) }))).toBe('ROOT_MISMATCH');
      }
    }
  });

  it('reports the expected and computed roots in hex on ROOT_MISMATCH', () => {
    const c = cases.find((x) => x.size === 5 && x.index === 2)!;
    const wrongRoot = fixedTree.roots[4]!;
    try {
      verifyInclusion(fixedTree.leaves[2]!, 2, 5, c.proof, wrongRoot);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MerkleProofError);
      expect((err as MerkleProofError).details).toEqual({ root: 'root', expected: toHex(wrongRoot), computed: toHex(fixedTree.roots[5]!) });
    }
    expect(toHex(rootFromInclusionProof(fixedTree.leaves[2]!, 2, 5, c.proof))).toBe(toHex(fixedTree.roots[5]!));
  });

  it('reports the expected proof length on PROOF_TOO_SHORT / PROOF_TOO_LONG', () => {
    const proof = inclusionProof(fixedTree.leaves.slice(0, 8), 3);
    for (const [broken, code] of [
      [proof.slice(1), 'PROOF_TOO_SHORT'],
      [[...proof, proof[0]!], 'PROOF_TOO_LONG'],
    ] as const) {
      try {
        verifyInclusion(fixedTree.leaves[3]!, 3, 8, broken, fixedTree.roots[8]!);
        expect.unreachable();
      } catch (err) {
        expect((err as MerkleProofError).code).toBe(code);
        expect((err as MerkleProofError).details).toEqual({ expectedLength: 3, actualLength: broken.length });
      }
    }
  });

  it('known RFC 9162 limitation: the tree size is bound only through the root', () => {
    // The audit path for leaf 0 of 5 has the same shape as for leaf 0 of 6, so pairing the size-5
    // root with size 6 verifies. Callers must take size and root from the same signed checkpoint.
    const proof = inclusionProof(fixedTree.leaves.slice(0, 5), 0);
    expect(isValidInclusion(fixedTree.leaves[0]!, 0, 6, proof, fixedTree.roots[5]!)).toBe(true);
    expect(isValidInclusion(fixedTree.leaves[0]!, 0, 6, proof, fixedTree.roots[6]!)).toBe(false);
  });
});

// ---------------------------------------------------------------- consistency

interface ConsistencyCase {
  tree: Tree;
  oldSize: number;
  newSize: number;
  proof: Uint8Array[];
  pick: number;
}

interface ConsistencyArgs {
  oldSize: number;
  newSize: number;
  oldRoot: Uint8Array;
  newRoot: Uint8Array;
  proof: Uint8Array[];
}

interface ConsistencyMutation {
  name: string;
  applies: (c: ConsistencyCase) => boolean;
  mutate: (c: ConsistencyCase) => ConsistencyArgs;
  code?: MerkleProofErrorCode;
}

const honestConsistency = (c: ConsistencyCase): ConsistencyArgs => ({
  oldSize: c.oldSize,
  newSize: c.newSize,
  oldRoot: c.tree.roots[c.oldSize]!,
  newRoot: c.tree.roots[c.newSize]!,
  proof: c.proof,
});

const proper = (c: ConsistencyCase): boolean => c.oldSize < c.newSize; // a non-empty proof
const otherOldSize = (c: ConsistencyCase): number => 1 + ((c.oldSize + (c.pick % (c.newSize - 1))) % c.newSize); // 1..newSize, != oldSize
const otherNewSize = (c: ConsistencyCase): number => {
  const candidates = MAX_SIZE - c.oldSize; // oldSize..64 except newSize
  const size = c.oldSize + (c.pick % candidates);
  return size >= c.newSize ? size + 1 : size;
};

const consistencyMutations: ConsistencyMutation[] = [
  {
    name: 'flipped bit in a proof element',
    applies: proper,
    mutate: (c) => ({ ...honestConsistency(c), proof: flipBit(c.proof, c.pick % c.proof.length, c.pick % 256) }),
    code: 'ROOT_MISMATCH',
  },
  {
    name: 'swapped pair of adjacent proof elements',
    applies: (c) => c.proof.length > 1,
    mutate: (c) => ({ ...honestConsistency(c), proof: swapAdjacent(c.proof, c.pick % (c.proof.length - 1)) }),
    code: 'ROOT_MISMATCH',
  },
  {
    name: 'truncated proof (last element dropped)',
    applies: proper,
    mutate: (c) => ({ ...honestConsistency(c), proof: c.proof.slice(0, -1) }),
    code: 'PROOF_TOO_SHORT',
  },
  {
    name: 'truncated proof (first element dropped)',
    applies: proper,
    mutate: (c) => ({ ...honestConsistency(c), proof: c.proof.slice(1) }),
    code: 'PROOF_TOO_SHORT',
  },
  {
    name: 'extended proof (the new root appended)',
    applies: () => true,
    mutate: (c) => ({ ...honestConsistency(c), proof: [...c.proof, c.tree.roots[c.newSize]!] }),
    code: 'PROOF_TOO_LONG',
  },
  {
    name: 'extended proof (the old root prepended)',
    applies: () => true,
    mutate: (c) => ({ ...honestConsistency(c), proof: [c.tree.roots[c.oldSize]!, ...c.proof] }),
    code: 'PROOF_TOO_LONG',
  },
  {
    name: 'wrong old size, same roots',
    applies: (c) => c.newSize > 1,
    mutate: (c) => ({ ...honestConsistency(c), oldSize: otherOldSize(c) }),
  },
  {
    name: 'wrong old size, with the root of a tree of that size',
    applies: (c) => c.newSize > 1,
    mutate: (c) => ({ ...honestConsistency(c), oldSize: otherOldSize(c), oldRoot: c.tree.roots[otherOldSize(c)]! }),
  },
  {
    name: 'wrong new size, with the root of a tree of that size',
    applies: () => true,
    mutate: (c) => ({ ...honestConsistency(c), newSize: otherNewSize(c), newRoot: c.tree.roots[otherNewSize(c)]! }),
  },
  {
    name: 'new size doubled',
    applies: proper,
    mutate: (c) => ({ ...honestConsistency(c), newSize: c.newSize * 2 }),
  },
  {
    name: 'swapped roots',
    applies: proper,
    mutate: (c) => ({ ...honestConsistency(c), oldRoot: c.tree.roots[c.newSize]!, newRoot: c.tree.roots[c.oldSize]! }),
    code: 'ROOT_MISMATCH',
  },
  {
    name: 'wrong old root (a leaf hash)',
    applies: () => true,
    mutate: (c) => ({ ...honestConsistency(c), oldRoot: nodeHash(c.tree.leaves[0]!, c.tree.leaves[0]!) }),
    code: 'ROOT_MISMATCH',
  },
  {
    name: 'wrong new root (a leaf hash)',
    applies: () => true,
    mutate: (c) => ({ ...honestConsistency(c), newRoot: nodeHash(c.tree.leaves[0]!, c.tree.leaves[0]!) }),
    code: 'ROOT_MISMATCH',
  },
  {
    name: 'sizes reversed (old larger than new)',
    applies: proper,
    mutate: (c) => ({ ...honestConsistency(c), oldSize: c.newSize, newSize: c.oldSize }),
    code: 'BAD_SIZES',
  },
];

function allConsistencyCases(tree: Tree): ConsistencyCase[] {
  const cases: ConsistencyCase[] = [];
  for (let newSize = 1; newSize <= MAX_SIZE; newSize++) {
    for (let oldSize = 1; oldSize <= newSize; oldSize++) {
      cases.push({ tree, oldSize, newSize, proof: consistencyProof(tree.leaves, oldSize, newSize), pick: oldSize * 5 + newSize });
    }
  }
  return cases;
}

const consistencyCaseArb = fc
  .record({ seed: seedArb, newSize: fc.integer({ min: 1, max: MAX_SIZE }), at: fc.nat(), pick: fc.nat() })
  .map(({ seed, newSize, at, pick }) => {
    const tree = makeTree(seed);
    const oldSize = 1 + (at % newSize);
    return { tree, oldSize, newSize, proof: consistencyProof(tree.leaves, oldSize, newSize), pick };
  });

function runConsistency(args: ConsistencyArgs): void {
  verifyConsistency(args.oldSize, args.newSize, args.oldRoot, args.newRoot, args.proof);
}

describe('consistency proofs', () => {
  const cases = allConsistencyCases(fixedTree);

  it(`every honest proof verifies (all ${cases.length} pairs 1 <= m <= n <= 64)`, () => {
    for (const c of cases) {
      const args = honestConsistency(c);
      expect(codeOf(() => runConsistency(args)), `${c.oldSize}->${c.newSize}`).toBe('OK');
      expect(isValidConsistency(args.oldSize, args.newSize, args.oldRoot, args.newRoot, args.proof)).toBe(true);
    }
  });

  it('every honest proof verifies, random leaves (property)', () => {
    fc.assert(fc.property(consistencyCaseArb, (c) => {
      expect(codeOf(() => runConsistency(honestConsistency(c)))).toBe('OK');
    }), { numRuns: 200 });
  });

  describe.each(consistencyMutations)('broken: $name', (mutation) => {
    it('fails for every pair of sizes up to 64', () => {
      const applicable = cases.filter(mutation.applies);
      expect(applicable.length).toBeGreaterThan(0);
      for (const c of applicable) {
        const args = mutation.mutate(c);
        const code = codeOf(() => runConsistency(args));
        expect(code, `${c.oldSize}->${c.newSize}`).not.toBe('OK');
        if (mutation.code) expect(code, `${c.oldSize}->${c.newSize}`).toBe(mutation.code);
        expect(isValidConsistency(args.oldSize, args.newSize, args.oldRoot, args.newRoot, args.proof)).toBe(false);
      }
    });

    it('fails for random leaves (property)', () => {
      fc.assert(
        fc.property(consistencyCaseArb.filter(mutation.applies), (c) => {
          const code = codeOf(() => runConsistency(mutation.mutate(c)));
          expect(code).not.toBe('OK');
          if (mutation.code) expect(code).toBe(mutation.code);
        }),
        { numRuns: 60 },
      );
    });
  });

  it('edge cases (after transparency-dev/merkle TestVerifyConsistency)', () => {
    const empty = emptyRoot();
    const [r1, r2] = [fixedTree.roots[1]!, fixedTree.roots[2]!];
    expect(codeOf(() => verifyConsistency(0, 0, empty, empty, []))).toBe('OK');
    expect(codeOf(() => verifyConsistency(0, 5, empty, fixedTree.roots[5]!, []))).toBe('OK');
    expect(codeOf(() => verifyConsistency(1, 1, r1, r1, []))).toBe('OK');
    expect(codeOf(() => verifyConsistency(1, 1, r1, r2, []))).toBe('ROOT_MISMATCH');
    expect(codeOf(() => verifyConsistency(0, 5, r1, fixedTree.roots[5]!, []))).toBe('ROOT_MISMATCH'); // the empty tree has one root
    expect(codeOf(() => verifyConsistency(0, 0, empty, empty, [empty]))).toBe('PROOF_TOO_LONG');
    expect(codeOf(() => verifyConsistency(0, 1, empty, r1, [empty]))).toBe('PROOF_TOO_LONG');
    expect(codeOf(() => verifyConsistency(1, 1, r1, r1, [empty]))).toBe('PROOF_TOO_LONG');
    expect(codeOf(() => verifyConsistency(1, 2, r1, r2, []))).toBe('PROOF_TOO_SHORT');
    expect(codeOf(() => verifyConsistency(2, 1, r2, r1, []))).toBe('BAD_SIZES');
  });

  it('names which root failed', () => {
    const proof = consistencyProof(fixedTree.leaves, 3, 7);
    const wrong = fixedTree.roots[9]!;
    try {
      verifyConsistency(3, 7, fixedTree.roots[3]!, wrong, proof);
      expect.unreachable();
    } catch (err) {
      expect((err as MerkleProofError).details).toEqual({ root: 'newRoot', expected: toHex(wrong), computed: toHex(fixedTree.roots[7]!) });
    }
    try {
      verifyConsistency(3, 7, wrong, fixedTree.roots[7]!, proof);
      expect.unreachable();
    } catch (err) {
      expect((err as MerkleProofError).details).toEqual({ root: 'oldRoot', expected: toHex(wrong), computed: toHex(fixedTree.roots[3]!) });
    }
  });
});

// ---------------------------------------------------------------- argument checks

describe('every public function checks its inputs', () => {
  const { leaves, roots } = fixedTree;
  const short = new Uint8Array(31);
  const long = new Uint8Array(33);
  const badSizes = [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '3' as unknown as number];

  it.each([
    ['nodeHash: 31-byte left', () => nodeHash(short, leaves[0]!), 'MALFORMED_HASH'],
    ['nodeHash: 33-byte right', () => nodeHash(leaves[0]!, long), 'MALFORMED_HASH'],
    ['leafHash: not bytes', () => leafHash('abc' as unknown as Uint8Array), 'MALFORMED_LEAF'],
    ['rootHash: a short leaf hash', () => rootHash([leaves[0]!, short]), 'MALFORMED_HASH'],
    ['rootHash: not an array', () => rootHash('x' as unknown as Uint8Array[]), 'MALFORMED_HASH'],
    ['inclusionProof: index = size', () => inclusionProof(leaves.slice(0, 4), 4), 'INDEX_OUT_OF_RANGE'],
    ['inclusionProof: negative index', () => inclusionProof(leaves.slice(0, 4), -1), 'INDEX_OUT_OF_RANGE'],
    ['inclusionProof: fractional index', () => inclusionProof(leaves.slice(0, 4), 0.5), 'INDEX_OUT_OF_RANGE'],
    ['inclusionProof: empty tree', () => inclusionProof([], 0), 'INDEX_OUT_OF_RANGE'],
    ['consistencyProof: old > new', () => consistencyProof(leaves, 5, 4), 'BAD_SIZES'],
    ['consistencyProof: new > leaf count', () => consistencyProof(leaves.slice(0, 4), 1, 5), 'BAD_SIZES'],
    ['verifyInclusion: short leaf hash', () => verifyInclusion(short, 0, 1, [], roots[1]!), 'MALFORMED_HASH'],
    ['verifyInclusion: long root', () => verifyInclusion(leaves[0]!, 0, 1, [], long), 'MALFORMED_HASH'],
    ['verifyInclusion: short proof element', () => verifyInclusion(leaves[0]!, 0, 2, [short], roots[2]!), 'MALFORMED_HASH'],
    ['verifyInclusion: empty tree', () => verifyInclusion(leaves[0]!, 0, 0, [], roots[0]!), 'INDEX_OUT_OF_RANGE'],
    ['verifyConsistency: short old root', () => verifyConsistency(1, 2, short, roots[2]!, [leaves[1]!]), 'MALFORMED_HASH'],
    ['verifyConsistency: long proof element', () => verifyConsistency(1, 2, roots[1]!, roots[2]!, [long]), 'MALFORMED_HASH'],
    ['MerkleAccumulator.append: short hash', () => new MerkleAccumulator().append(short), 'MALFORMED_HASH'],
  ] as const)('%s', (_label, action, code) => {
    expect(codeOf(action)).toBe(code);
  });

  it.each(badSizes)('rejects size %s with BAD_SIZES', (size) => {
    expect(codeOf(() => consistencyProof(leaves, 0, size))).toBe('BAD_SIZES');
    expect(codeOf(() => consistencyProof(leaves, size, 4))).toBe('BAD_SIZES');
    expect(codeOf(() => verifyInclusion(leaves[0]!, 0, size, [], roots[1]!))).toBe('BAD_SIZES');
    expect(codeOf(() => verifyConsistency(size, 4, roots[1]!, roots[4]!, []))).toBe('BAD_SIZES');
    expect(codeOf(() => verifyConsistency(1, size, roots[1]!, roots[4]!, []))).toBe('BAD_SIZES');
  });

  it('isValid* wrappers turn every MerkleProofError into false', () => {
    expect(isValidInclusion(short, 0, 1, [], roots[1]!)).toBe(false);
    expect(isValidConsistency(2, 1, roots[2]!, roots[1]!, [])).toBe(false);
  });

  it('results are copies: mutating a returned hash does not change later results', () => {
    const root = emptyRoot();
    root[0] = root[0]! ^ 1;
    expect(toHex(emptyRoot())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const accumulator = new MerkleAccumulator();
    const leaf = Uint8Array.from(leaves[0]!);
    accumulator.append(leaf);
    leaf[0] = leaf[0]! ^ 1;
    expect(toHex(accumulator.root())).toBe(toHex(roots[1]!));
  });
});
