/**
 * The chain verifier, the hop verifier and the proof-bundle verifier run one block check: the same
 * broken block gets the same failure codes from all three.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, generateKeyPair, toHex } from '../../../src/core/crypto/index.js';
import { blockHash, sealBlock, type BlockHeader, type Seal } from '../../../src/core/ledger/block.js';
import { checkpointOfBlock, signCheckpoint } from '../../../src/core/ledger/checkpoint.js';
import { verifyChain, type VerifiableBlock } from '../../../src/core/ledger/chain-verifier.js';
import { inclusionProof, leafHash, rootHash } from '../../../src/core/ledger/merkle.js';
import { deriveAuthoritySets, deriveSigners, neededHeights, replayMembership } from '../../../src/core/lineage/bundle-replay.js';
import { BUNDLE_FORMAT, verifyBundle, type BundleBlock, type BundleRecord, type ProofBundle } from '../../../src/core/lineage/bundle.js';
import type { BlockEvidence } from '../../../src/core/lineage/evidence.js';
import { BlockVerifier } from '../../../src/core/lineage/verify-hop.js';
import { DemoChain } from './demo-consortium.js';

/** Block 1 is the one each case breaks; blocks 2 and 3 follow it. */
const BROKEN = 1;

interface Chain {
  demo: DemoChain;
  blocks: VerifiableBlock[];
}

function chain(mutateBlockOne?: (header: BlockHeader) => BlockHeader): Chain {
  const demo = new DemoChain();
  demo.event('green-farm', 2);
  demo.seal(undefined, mutateBlockOne);
  demo.event('acme-abattoir');
  demo.seal();
  demo.event('big-retail');
  demo.seal();
  return { demo, blocks: demo.copyBlocks() };
}

function leavesOf(hashes: readonly string[]): Uint8Array[] {
  return hashes.map((h) => leafHash(fromHex(h, 32)));
}

/** A bundle of block 1's records at a checkpoint on the last block, assembled without verifying it. */
function bundleOf({ demo, blocks }: Chain): ProofBundle {
  const last = blocks[blocks.length - 1]!;
  const log = blocks.flatMap((b) => b.records.map((r) => r.storedHash));
  const checkpoint = checkpointOfBlock(last.header, blockHash(last.header), toHex(rootHash(leavesOf(log))));
  const checkpointSignatures = demo.state.authoritiesInForce.map((a) => signCheckpoint(checkpoint, demo.keyring.get(a.keyId)!));
  const entry = (height: number, index: number): BundleRecord => {
    const block = blocks[height]!;
    const record = block.records[index]!;
    return {
      record: record.record,
      hash: record.storedHash,
      logIndex: record.logIndex,
      blockHeight: height,
      indexInBlock: index,
      blockInclusion: inclusionProof(leavesOf(block.records.map((r) => r.storedHash)), index).map(toHex),
      logInclusion: inclusionProof(leavesOf(log), record.logIndex).map(toHex),
    };
  };
  const bundleBlocks: BundleBlock[] = blocks.map((b) => ({ header: b.header, hash: b.storedHash, seals: [...b.seals], recordCount: b.header.recordCount }));
  const records = blocks[BROKEN]!.records.map((_, i) => entry(BROKEN, i));
  const membershipRecords = [entry(0, 0)];
  const replay = replayMembership(membershipRecords, records, neededHeights(bundleBlocks, checkpoint), () => undefined)!;
  return {
    format: BUNDLE_FORMAT,
    consortium: checkpoint.consortium,
    genesisHash: blocks[0]!.storedHash,
    checkpoint,
    checkpointSignatures,
    authoritySets: deriveAuthoritySets(replay, bundleBlocks, checkpoint),
    blocks: bundleBlocks,
    records,
    membershipRecords,
    signers: deriveSigners(replay.finalState, records),
  };
}

/** The same stored block, three ways. */
interface Stored {
  hash: (hash: string) => string;
  /** The seals as stored, given the hash of the block's header. */
  seals: (seals: Seal[], headerHash: string) => Seal[];
}

const unchanged: Stored = { hash: (h) => h, seals: (s) => s };

async function codesOfAllThree(c: Chain, stored: Stored): Promise<{ chain: string[]; hop: string[]; bundle: string[] }> {
  const blocks = c.blocks.map((b) => (b.header.height === BROKEN ? { ...b, storedHash: stored.hash(b.storedHash), seals: stored.seals([...b.seals], blockHash(b.header)) } : b));
  const chainReport = await verifyChain(blocks);

  const rows = new Map<number, BlockEvidence>(blocks.map((b) => [b.header.height, { height: b.header.height, hash: b.storedHash, header: JSON.stringify(b.header), seals: JSON.stringify(b.seals) }]));
  const hop = new BlockVerifier({ state: c.demo.state, records: new Map(), blocks: rows, blockRecordHashes: new Map(), breaches: [] }).check(BROKEN);

  const bundle = bundleOf(c);
  const entry = bundle.blocks[BROKEN]!;
  entry.hash = stored.hash(entry.hash);
  entry.seals = stored.seals(entry.seals, blockHash(entry.header));
  const bundleReport = verifyBundle(JSON.parse(JSON.stringify(bundle)));

  return {
    chain: chainReport.failures.filter((f) => f.height === BROKEN).map((f) => f.code),
    hop: hop.failures.map((f) => f.code),
    bundle: bundleReport.failures.filter((f) => f.path.startsWith(`/blocks/${BROKEN}/`)).map((f) => f.code),
  };
}

describe('one block check: the three verifiers name a broken block alike', () => {
  it('an unbroken chain passes all three', async () => {
    const c = chain();
    expect(await codesOfAllThree(c, unchanged)).toEqual({ chain: [], hop: [], bundle: [] });
    expect(verifyBundle(JSON.parse(JSON.stringify(bundleOf(c)))).failures).toEqual([]);
  });

  it('a tampered block hash: BLOCK_HASH_MISMATCH', async () => {
    const codes = await codesOfAllThree(chain(), { ...unchanged, hash: (h) => (h[0] === 'a' ? 'b' : 'a') + h.slice(1) });
    expect(codes).toEqual({ chain: ['BLOCK_HASH_MISMATCH'], hop: ['BLOCK_HASH_MISMATCH'], bundle: ['BLOCK_HASH_MISMATCH'] });
  });

  it('a wrong authority set, validly sealed: AUTHORITY_SET_MISMATCH', async () => {
    const codes = await codesOfAllThree(
      chain((h) => ({ ...h, authoritySetHash: 'ee'.repeat(32) })),
      unchanged,
    );
    expect(codes).toEqual({ chain: ['AUTHORITY_SET_MISMATCH'], hop: ['AUTHORITY_SET_MISMATCH'], bundle: ['AUTHORITY_SET_MISMATCH'] });
  });

  it('too few seals: NO_QUORUM', async () => {
    const codes = await codesOfAllThree(chain(), { ...unchanged, seals: (s) => s.slice(0, 2) });
    expect(codes).toEqual({ chain: ['NO_QUORUM'], hop: ['NO_QUORUM'], bundle: ['NO_QUORUM'] });
  });

  it('a forged seal with the quorum still met: BAD_SEAL', async () => {
    const outsider = generateKeyPair();
    // The first authority's key id, over the right hash, signed by another key.
    const forge = (s: Seal[], headerHash: string): Seal[] => s.map((seal, i) => (i === 0 ? { keyId: seal.keyId, signature: sealBlock(headerHash, outsider).signature } : seal));
    const codes = await codesOfAllThree(chain(), { ...unchanged, seals: forge });
    expect(codes).toEqual({ chain: ['BAD_SEAL'], hop: ['BAD_SEAL'], bundle: ['BAD_SEAL'] });
  });

  it('a seal by a key outside the set, and too few others: BAD_SEAL then NO_QUORUM', async () => {
    const outsider = generateKeyPair();
    const codes = await codesOfAllThree(chain(), {
      ...unchanged,
      seals: (s, headerHash) => [...s.slice(0, 1), sealBlock(headerHash, outsider)],
    });
    expect(codes).toEqual({ chain: ['BAD_SEAL', 'NO_QUORUM'], hop: ['BAD_SEAL', 'NO_QUORUM'], bundle: ['BAD_SEAL', 'NO_QUORUM'] });
  });
});
