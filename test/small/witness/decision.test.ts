import { describe, expect, it } from 'vitest';
import { generateKeyPair, sha256, toHex } from '../../../src/core/crypto/index.js';
import { signCheckpoint, type Checkpoint } from '../../../src/core/ledger/checkpoint.js';
import { leafHash } from '../../../src/core/ledger/merkle-hash.js';
import { consistencyProof, rootHash } from '../../../src/core/ledger/merkle-tree.js';
import { consistencyProofNeeded, decideCheckpoint, rememberCosigned, WitnessInputError, type SignedCheckpoint, type WitnessMemory } from '../../../src/core/witness/decision.js';
import { witnessEvidence, WITNESS_EVIDENCE_FORMAT } from '../../../src/core/witness/evidence.js';

const C = 'witness-test';
const authority = generateKeyPair('ed25519');

/** A log of `n` leaves; `fork` changes the leaves from that index on (another history). */
function leaves(n: number, fork?: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => leafHash(sha256(new TextEncoder().encode(`record ${i}${fork !== undefined && i >= fork ? ' forked' : ''}`))));
}

function signed(log: Uint8Array[], height: number): SignedCheckpoint {
  const checkpoint: Checkpoint = {
    v: 1,
    consortium: C,
    logSize: log.length,
    logRoot: toHex(rootHash(log)),
    blockHeight: height,
    blockHash: toHex(sha256(new TextEncoder().encode(`block ${height} ${toHex(rootHash(log))}`))),
    timestamp: `2026-12-07T18:00:${String(height).padStart(2, '0')}.000Z`,
  };
  return { checkpoint, signatures: [signCheckpoint(checkpoint, authority)] };
}

const proof = (log: Uint8Array[], from: number, to: number) => consistencyProof(log, from, to).map(toHex);
const empty: WitnessMemory = { consortium: C, recent: [] };

describe('the witness decision', () => {
  const log = leaves(20);
  const at8 = signed(log.slice(0, 8), 2);
  const at13 = signed(log.slice(0, 13), 3);
  const afterFirst = rememberCosigned(empty, at8, 16);

  it('cosigns its first checkpoint, then a consistent extension', () => {
    expect(consistencyProofNeeded(empty, at8.checkpoint)).toBeUndefined();
    expect(decideCheckpoint(empty, at8)).toEqual({ action: 'cosign', reason: 'first' });
    expect(consistencyProofNeeded(afterFirst, at13.checkpoint)).toEqual({ from: 8, to: 13 });
    expect(decideCheckpoint(afterFirst, at13, proof(log.slice(0, 13), 8, 13))).toEqual({ action: 'cosign', reason: 'extends' });
    expect(decideCheckpoint(afterFirst, at8)).toEqual({ action: 'unchanged' });
  });

  it('refuses a smaller log than the last cosigned, without a proof', () => {
    const memory = rememberCosigned(afterFirst, at13, 16);
    const at10 = signed(log.slice(0, 10), 2);
    expect(consistencyProofNeeded(memory, at10.checkpoint)).toBeUndefined();
    expect(decideCheckpoint(memory, at10)).toEqual({ action: 'smaller', lastLogSize: 13 });
    // A checkpoint it cosigned before, shown again by a node behind: still not cosigned again.
    expect(decideCheckpoint(memory, at8)).toEqual({ action: 'smaller', lastLogSize: 13 });
  });

  it('catches two checkpoints of one size with different roots, and names them', () => {
    const forked = signed(leaves(8, 5), 2);
    const decision = decideCheckpoint(afterFirst, forked);
    expect(decision).toMatchObject({ action: 'refuse', code: 'SPLIT_VIEW', against: at8 });
    expect(decision.action === 'refuse' && decision.message).toContain(`log size 8 with different roots (${at8.checkpoint.logRoot} and ${forked.checkpoint.logRoot})`);
    // Also below the last cosigned, against a checkpoint remembered at that size.
    const later = rememberCosigned(afterFirst, at13, 16);
    expect(decideCheckpoint(later, forked)).toMatchObject({ action: 'refuse', code: 'SPLIT_VIEW', against: at8 });
    // Same root, another block: still two statements about one log size.
    const reBlocked = { ...at8, checkpoint: { ...at8.checkpoint, blockHeight: 9 } };
    expect(decideCheckpoint(afterFirst, reBlocked)).toMatchObject({ action: 'refuse', code: 'SPLIT_VIEW', message: expect.stringContaining('same root but different blockHeight') });
  });

  it('catches a log that does not extend the last cosigned (the proof fails), and names the break', () => {
    const forkedLog = leaves(13, 6);
    const forked = signed(forkedLog, 3);
    const decision = decideCheckpoint(afterFirst, forked, proof(forkedLog, 8, 13));
    expect(decision).toMatchObject({ action: 'refuse', code: 'INCONSISTENT_LOG', against: at8 });
    expect(decision.action === 'refuse' && decision.message).toContain('log size 13 does not extend the one of size 8');
    expect(decision.action === 'refuse' && decision.proofFailure).toMatch(/^CHECKPOINT_INCONSISTENT: /);
    // A genuine extension with a proof for other sizes, or a truncated one, fails the same way.
    expect(decideCheckpoint(afterFirst, at13, proof(log.slice(0, 13), 7, 13))).toMatchObject({ action: 'refuse', code: 'INCONSISTENT_LOG' });
    expect(decideCheckpoint(afterFirst, at13, proof(log.slice(0, 13), 8, 13).slice(1))).toMatchObject({ action: 'refuse', code: 'INCONSISTENT_LOG' });
    // A larger log at a lower block height is inconsistent too.
    const lower = { ...at13, checkpoint: { ...at13.checkpoint, blockHeight: 1 } };
    expect(decideCheckpoint(afterFirst, lower, proof(log.slice(0, 13), 8, 13))).toMatchObject({ action: 'refuse', code: 'INCONSISTENT_LOG' });
  });

  it('needs the proof for a larger log and refuses another consortium', () => {
    expect(() => decideCheckpoint(afterFirst, at13)).toThrow(WitnessInputError);
    const other = { ...at8, checkpoint: { ...at8.checkpoint, consortium: 'other' } };
    expect(() => decideCheckpoint(afterFirst, other)).toThrow(expect.objectContaining({ code: 'WRONG_CONSORTIUM' }));
  });

  it('remembers a bounded number of cosigned checkpoints, the last among them', () => {
    let memory = empty;
    for (let n = 1; n <= 10; n++) memory = rememberCosigned(memory, signed(log.slice(0, n), n), 4);
    expect(memory.recent.map((r) => r.checkpoint.logSize)).toEqual([7, 8, 9, 10]);
    expect(memory.lastCosigned?.checkpoint.logSize).toBe(10);
  });

  it('writes evidence holding both signed checkpoints and, for an inconsistent log, the failing proof', () => {
    const forkedLog = leaves(13, 6);
    const forked = { ...signed(forkedLog, 3), source: 'http://node-b' };
    const failing = proof(forkedLog, 8, 13);
    const decision = decideCheckpoint(afterFirst, forked, failing);
    if (decision.action !== 'refuse') throw new Error('expected a refusal');
    const evidence = witnessEvidence({ code: decision.code, message: decision.message, detectedAt: '2026-12-07T18:01:00.000Z', witness: 'ed25519:x', held: decision.against, observed: forked, consistencyProof: failing, proofFailure: decision.proofFailure });
    expect(evidence).toMatchObject({ format: WITNESS_EVIDENCE_FORMAT, code: 'INCONSISTENT_LOG', consortium: C, first: { checkpoint: at8.checkpoint, signatures: at8.signatures }, second: { checkpoint: forked.checkpoint, source: 'http://node-b' }, consistencyProof: failing });
  });
});
