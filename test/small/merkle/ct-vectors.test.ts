/**
 * Known answers for the eight standard Certificate Transparency test leaves. Source:
 * transparency-dev/merkle testonly/constants.go (LeafInputs, NodeHashes, RootHashes) and
 * proof/verify_test.go (inclusionProofs, consistencyProofs; their leaf numbers are 1-based,
 * converted to 0-based indexes here). Same data as google/certificate-transparency's tests.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/core/crypto/index.js';
import {
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  MerkleAccumulator,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../../src/core/ledger/merkle.js';

const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];

/** NodeHashes()[level][index]: level 0 are the leaf hashes. */
const NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  ['d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];

/** RootHashes()[size] for sizes 0..8. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const INCLUSION_PROOFS: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const CONSISTENCY_PROOFS: { oldSize: number; newSize: number; proof: string[] }[] = [
  { oldSize: 1, newSize: 1, proof: [] },
  {
    oldSize: 1,
    newSize: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    oldSize: 6,
    newSize: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    oldSize: 2,
    newSize: 5,
    proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'],
  },
  {
    oldSize: 6,
    newSize: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

const leafHashes = LEAF_INPUTS.map((hex) => leafHash(fromHex(hex)));
const hex = (hashes: Uint8Array[]): string[] => hashes.map(toHex);

describe('RFC 6962 hashing of the CT test leaves', () => {
  it('leafHash = SHA-256(0x00 || data) gives the published leaf hashes', () => {
    expect(hex(leafHashes)).toEqual(NODE_HASHES[0]);
  });

  it('nodeHash = SHA-256(0x01 || l || r) gives every published interior node', () => {
    for (let level = 1; level < NODE_HASHES.length; level++) {
      const below = NODE_HASHES[level - 1]!.map((h) => fromHex(h));
      const computed = NODE_HASHES[level]!.map((_, i) => toHex(nodeHash(below[2 * i]!, below[2 * i + 1]!)));
      expect(computed, `level ${level}`).toEqual(NODE_HASHES[level]);
    }
  });

  it('the empty tree root is SHA-256 of nothing', () => {
    expect(toHex(emptyRoot())).toBe(ROOTS[0]);
  });
});

describe('roots of the CT test trees', () => {
  it.each(ROOTS.map((root, size) => ({ size, root })))('size $size: rootHash and MerkleAccumulator give $root', ({ size, root }) => {
    expect(toHex(rootHash(leafHashes.slice(0, size)))).toBe(root);
    const accumulator = new MerkleAccumulator();
    for (const h of leafHashes.slice(0, size)) accumulator.append(h);
    expect(accumulator.size).toBe(size);
    expect(toHex(accumulator.root())).toBe(root);
  });
});

describe('published inclusion proofs', () => {
  it.each(INCLUSION_PROOFS)('leaf $index of $size: built and verified', ({ index, size, proof }) => {
    const tree = leafHashes.slice(0, size);
    expect(hex(inclusionProof(tree, index))).toEqual(proof);
    expect(() => verifyInclusion(leafHashes[index]!, index, size, proof.map((h) => fromHex(h)), fromHex(ROOTS[size]!))).not.toThrow();
  });
});

describe('published consistency proofs', () => {
  it.each(CONSISTENCY_PROOFS)('$oldSize -> $newSize: built and verified', ({ oldSize, newSize, proof }) => {
    expect(hex(consistencyProof(leafHashes, oldSize, newSize))).toEqual(proof);
    expect(() =>
      verifyConsistency(oldSize, newSize, fromHex(ROOTS[oldSize]!), fromHex(ROOTS[newSize]!), proof.map((h) => fromHex(h))),
    ).not.toThrow();
  });
});
