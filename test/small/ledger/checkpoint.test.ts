import { describe, expect, it } from 'vitest';
import { fromHex, generateKeyPair, toHex } from '../../../src/core/crypto/index.js';
import {
  LedgerError,
  checkpointHash,
  checkpointOfBlock,
  consistencyProof,
  leafHash,
  rootHash,
  signCheckpoint,
  verifyChain,
  verifyCheckpointExtends,
  verifyCheckpointSignatures,
  type Checkpoint,
} from '../../../src/core/ledger/index.js';
import { buildGoodChain } from './demo-consortium.js';

const { demo } = buildGoodChain();
const recordHashes = demo.blocks.flatMap((b) => b.records.map((r) => r.storedHash));
const leaves = recordHashes.map((h) => leafHash(fromHex(h, 32)));
const authorityKeys = ['fsa', 'hmrc', 'green-farm', 'big-retail'].map((id) => demo.key(id));
const authorities = demo.state.authoritiesInForce.map((a) => ({ keyId: a.keyId, publicKey: a.encoded }));

function checkpointAt(height: number, logLeaves = leaves): Checkpoint {
  const block = demo.blocks[height]!;
  return checkpointOfBlock(block.header, block.storedHash, toHex(rootHash(logLeaves.slice(0, block.header.logSize))));
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LedgerError);
    return (err as LedgerError).code;
  }
  return 'no error';
}

describe('checkpoints', () => {
  it("the checkpoint of the head block carries the verifier's log root", async () => {
    const report = await verifyChain(demo.blocks);
    const head = checkpointAt(5);
    expect(head.logSize).toBe(recordHashes.length);
    expect(head.logRoot).toBe(report.logRoot);
    expect(checkpointHash(head)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs and verifies with a quorum of authorities', () => {
    const cp = checkpointAt(3);
    const sigs = authorityKeys.slice(0, 3).map((k) => signCheckpoint(cp, k));
    expect(verifyCheckpointSignatures(cp, sigs, authorities, demo.state.quorum)).toHaveLength(3);
    // Authorities given as parsed keys work too.
    expect(verifyCheckpointSignatures(cp, sigs, demo.state.authoritiesInForce, demo.state.quorum)).toHaveLength(3);
    expect(code(() => verifyCheckpointSignatures(cp, sigs.slice(0, 2), authorities, demo.state.quorum))).toBe('NO_QUORUM');
    expect(code(() => verifyCheckpointSignatures(cp, [...sigs, sigs[0]!], authorities, demo.state.quorum))).toBe('BAD_SEAL');
    expect(code(() => verifyCheckpointSignatures(cp, [...sigs, signCheckpoint(cp, generateKeyPair())], authorities, demo.state.quorum))).toBe('BAD_SEAL');
    const forged = { keyId: authorityKeys[3]!.keyId, signature: signCheckpoint(cp, generateKeyPair()).signature };
    expect(code(() => verifyCheckpointSignatures(cp, [...sigs, forged], authorities, demo.state.quorum))).toBe('BAD_SEAL');
    // Signatures over one checkpoint do not verify another.
    const edited = { ...cp, logSize: cp.logSize + 1 };
    expect(code(() => verifyCheckpointSignatures(edited, sigs, authorities, demo.state.quorum))).toBe('BAD_SEAL');
    expect(code(() => verifyCheckpointSignatures({ ...cp, logRoot: 'XYZ' }, sigs, authorities, demo.state.quorum))).toBe('MALFORMED_CHECKPOINT');
  });

  it('a later checkpoint extends an earlier one via a consistency proof', () => {
    for (const [oldH, newH] of [
      [0, 5],
      [1, 3],
      [2, 4],
      [4, 5],
      [3, 3],
    ] as const) {
      const older = checkpointAt(oldH);
      const newer = checkpointAt(newH);
      const proof = consistencyProof(leaves, older.logSize, newer.logSize).map(toHex);
      expect(() => verifyCheckpointExtends(older, newer, proof)).not.toThrow();
    }
  });

  it('a forked or rewritten log fails, as do mismatched checkpoints', () => {
    const older = checkpointAt(2);
    const forkedLeaves = [...leaves];
    forkedLeaves[3] = leafHash(fromHex('ab'.repeat(32), 32)); // history before the old checkpoint rewritten
    const newer = checkpointAt(5, forkedLeaves);
    const proof = consistencyProof(forkedLeaves, older.logSize, newer.logSize).map(toHex);
    expect(code(() => verifyCheckpointExtends(older, newer, proof))).toBe('CHECKPOINT_INCONSISTENT');
    const honest = checkpointAt(5);
    const honestProof = consistencyProof(leaves, older.logSize, honest.logSize).map(toHex);
    expect(code(() => verifyCheckpointExtends(older, honest, honestProof.slice(1)))).toBe('CHECKPOINT_INCONSISTENT');
    expect(code(() => verifyCheckpointExtends(older, honest, ['zz']))).toBe('CHECKPOINT_INCONSISTENT');
    expect(code(() => verifyCheckpointExtends(honest, older, honestProof))).toBe('CHECKPOINT_INCONSISTENT');
    expect(code(() => verifyCheckpointExtends(older, { ...honest, consortium: 'other-chain' }, honestProof))).toBe('WRONG_CONSORTIUM');
    expect(code(() => verifyCheckpointExtends(older, { ...older, blockHash: 'ab'.repeat(32) }, []))).toBe('CHECKPOINT_INCONSISTENT');
  });
});
