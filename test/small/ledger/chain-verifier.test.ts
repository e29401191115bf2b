import { describe, expect, it } from 'vitest';
import { encodePublicKey, fromHex, generateKeyPair, toHex } from '../../../src/core/crypto/index.js';
import {
  RecordKind,
  leafHash,
  recordHash,
  rootHash,
  sealBlock,
  verifyChain,
  type ChainFailure,
  type ChainReport,
  type VerifiableBlock,
} from '../../../src/core/ledger/index.js';
import { CONSORTIUM, DemoChain, buildGoodChain } from './demo-consortium.js';

const good = buildGoodChain();

function failuresAt(report: ChainReport, height: number): ChainFailure[] {
  return report.failures.filter((f) => f.height === height);
}

function codes(failures: ChainFailure[]): string[] {
  return failures.map((f) => f.code);
}

async function verifyTampered(tamper: (blocks: VerifiableBlock[]) => void): Promise<ChainReport> {
  const blocks = good.demo.copyBlocks();
  tamper(blocks);
  const report = await verifyChain(blocks);
  expect(report.ok).toBe(false);
  return report;
}

describe('verifyChain on a good chain', () => {
  it('verifies every block and record, and reports the head and the log root', async () => {
    const progress: { height: number; records: number }[] = [];
    const report = await verifyChain(good.demo.blocks, { expectedConsortium: CONSORTIUM, onProgress: (p) => progress.push(p) });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.consortium).toBe(CONSORTIUM);
    expect(report.blocks).toBe(6);
    expect(report.height).toBe(5);
    const all = good.demo.blocks.flatMap((b) => b.records.map((r) => r.storedHash));
    expect(report.records).toBe(all.length);
    expect(report.headHash).toBe(good.demo.blocks[5]!.storedHash);
    expect(report.logRoot).toBe(toHex(rootHash(all.map((h) => leafHash(fromHex(h, 32))))));
    expect(progress.map((p) => p.height)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(progress[5]!.records).toBe(all.length);
    // The replayed state matches the live node's.
    expect(report.finalState!.logSize).toBe(good.demo.state.logSize);
    expect(report.finalState!.authoritySetHash()).toBe(good.demo.state.authoritySetHash());
    expect(report.finalState!.orgs.has('north-port')).toBe(true);
    expect(report.finalState!.devices.get('probe-1')!.status).toBe('revoked');
  });

  it('accepts an async iterable from a store cursor', async () => {
    async function* cursor() {
      for (const b of good.demo.blocks) yield b;
    }
    expect((await verifyChain(cursor())).ok).toBe(true);
  });

  it('reports an empty chain and the wrong consortium', async () => {
    const empty = await verifyChain([]);
    expect(empty.ok).toBe(false);
    expect(codes(empty.failures)).toEqual(['MISSING_GENESIS']);
    const other = await verifyChain(good.demo.blocks, { expectedConsortium: 'other-chain' });
    expect(other.ok).toBe(false);
    expect(other.failures[0]).toMatchObject({ height: 0, code: 'WRONG_CONSORTIUM', expected: 'other-chain', computed: CONSORTIUM });
  });
});

describe('verifyChain names the exact block and record of each tampering', () => {
  it('edited payload', async () => {
    const report = await verifyTampered((b) => {
      (b[3]!.records[1]!.record as { payload: unknown }).payload = { type: 'ObjectEvent', action: 'DELETE' };
    });
    expect(report.failures.every((f) => f.height === 3)).toBe(true);
    expect(report.failures[0]).toMatchObject({ height: 3, recordIndex: 1, logIndex: 10, code: 'RECORD_HASH_MISMATCH' });
    expect(codes(report.failures)).toEqual(expect.arrayContaining(['RECORD_HASH_MISMATCH', 'BAD_SIGNATURE', 'MERKLE_ROOT_MISMATCH']));
  });

  it('edited stored record hash', async () => {
    const report = await verifyTampered((b) => {
      (b[3]!.records[0] as { storedHash: string }).storedHash = 'ab'.repeat(32);
    });
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({ height: 3, recordIndex: 0, code: 'RECORD_HASH_MISMATCH', expected: 'ab'.repeat(32) });
    expect(report.failures[0]!.computed).toBe(good.demo.blocks[3]!.records[0]!.storedHash);
  });

  it('deleted record', async () => {
    const report = await verifyTampered((b) => {
      (b[3]!.records as unknown[]).splice(1, 1);
    });
    expect(report.failures.every((f) => f.height === 3)).toBe(true);
    expect(report.failures[0]).toMatchObject({ height: 3, recordIndex: 1, code: 'LOG_INDEX_MISMATCH', expected: 10, computed: 11 });
    expect(codes(report.failures)).toEqual(expect.arrayContaining(['MERKLE_ROOT_MISMATCH', 'RECORD_COUNT_MISMATCH', 'LOG_SIZE_MISMATCH']));
  });

  it('inserted record (validly signed by a member)', async () => {
    const demo = good.demo;
    const intruder = demo.sign('swift-haulage', RecordKind.EPCIS_EVENT, { type: 'ObjectEvent', action: 'OBSERVE', epc: 'urn:epc:id:sgtin:5012345.000001.fake' });
    const report = await verifyTampered((b) => {
      const blockRecords = b[3]!.records as { record: unknown; storedHash: string; logIndex: number }[];
      // The attacker stores the record's true hash and the log index of the position it takes.
      blockRecords.splice(1, 0, { record: intruder, storedHash: recordHash(intruder), logIndex: 10 });
    });
    expect(report.failures.every((f) => f.height === 3)).toBe(true);
    const positions = report.failures.filter((f) => f.recordIndex !== undefined).map((f) => f.recordIndex!);
    expect(Math.min(...positions)).toBe(1);
    expect(report.failures.find((f) => f.code === 'MERKLE_ROOT_MISMATCH')).toMatchObject({ height: 3, recordIndex: 1 });
  });

  it('reordered records', async () => {
    const report = await verifyTampered((b) => {
      const r = b[5]!.records as unknown[];
      [r[0], r[1]] = [r[1], r[0]];
    });
    expect(report.failures.every((f) => f.height === 5)).toBe(true);
    expect(report.failures[0]).toMatchObject({ height: 5, recordIndex: 0, code: 'LOG_INDEX_MISMATCH' });
    expect(codes(report.failures)).toContain('MERKLE_ROOT_MISMATCH');
  });

  it('edited header field', async () => {
    const report = await verifyTampered((b) => {
      (b[2]!.header as { timestamp: string }).timestamp = b[2]!.header.timestamp.replace(/\.\d{3}Z$/, '.999Z');
    });
    expect(report.failures[0]).toMatchObject({ height: 2, code: 'BLOCK_HASH_MISMATCH', expected: good.demo.blocks[2]!.storedHash });
    expect(codes(failuresAt(report, 2))).toEqual(expect.arrayContaining(['BAD_SEAL', 'NO_QUORUM']));
    expect(codes(failuresAt(report, 3))).toEqual(['BROKEN_HASH_LINK']);
    expect(report.failures.filter((f) => f.height > 3)).toEqual([]);
  });

  it('removed seals (NO_QUORUM)', async () => {
    const report = await verifyTampered((b) => {
      b[1]!.seals = b[1]!.seals.slice(0, 2);
    });
    expect(report.failures).toEqual([expect.objectContaining({ height: 1, code: 'NO_QUORUM', expected: 3, computed: 2 })]);
  });

  it('forged seals (BAD_SEAL)', async () => {
    const outsider = generateKeyPair();
    const report = await verifyTampered((b) => {
      const hash = b[4]!.storedHash;
      const seals = [...b[4]!.seals];
      // a seal claiming an authority's key id, signed by another key
      seals[0] = { keyId: seals[0]!.keyId, signature: sealBlock(hash, outsider).signature };
      // a seal by a key that is not an authority at all
      seals.push(sealBlock(hash, outsider));
      b[4]!.seals = seals;
    });
    const at4 = failuresAt(report, 4);
    expect(codes(at4)).toEqual(['BAD_SEAL', 'BAD_SEAL']);
    expect(report.failures).toHaveLength(2); // three valid seals remain: still a quorum
  });

  it('wrong height', async () => {
    const report = await verifyTampered((b) => {
      (b[3]!.header as { height: number }).height = 7;
    });
    expect(failuresAt(report, 3)).toContainEqual(expect.objectContaining({ code: 'WRONG_HEIGHT', expected: 3, computed: 7 }));
    // A whole block removed: the next block sits at the wrong height and does not link.
    const gap = await verifyTampered((b) => {
      b.splice(2, 1);
    });
    expect(codes(failuresAt(gap, 2))).toEqual(expect.arrayContaining(['WRONG_HEIGHT', 'BROKEN_HASH_LINK']));
  });

  it('broken previousHash', async () => {
    const report = await verifyTampered((b) => {
      (b[4]!.header as { previousHash: string }).previousHash = 'cd'.repeat(32);
    });
    expect(report.failures.every((f) => f.height === 4 || f.height === 5)).toBe(true);
    expect(failuresAt(report, 4)).toContainEqual(
      expect.objectContaining({ code: 'BROKEN_HASH_LINK', expected: 'cd'.repeat(32), computed: good.demo.blocks[3]!.storedHash }),
    );
  });

  it('signature swapped between records', async () => {
    const report = await verifyTampered((b) => {
      const r0 = b[5]!.records[0]!.record as { signature: string };
      const r1 = b[5]!.records[1]!.record as { signature: string };
      [r0.signature, r1.signature] = [r1.signature, r0.signature];
    });
    expect(report.failures).toEqual([
      expect.objectContaining({ height: 5, recordIndex: 0, code: 'BAD_SIGNATURE' }),
      expect.objectContaining({ height: 5, recordIndex: 1, code: 'BAD_SIGNATURE' }),
    ]);
  });

  it('a duplicated (replayed) record', async () => {
    const report = await verifyTampered((b) => {
      const copy = structuredClone(b[1]!.records[0]!);
      b[5]!.records = [...b[5]!.records, { ...copy, logIndex: 20 }];
    });
    expect(report.failures[0]).toMatchObject({ height: 5, recordIndex: 3, code: 'DUPLICATE_RECORD' });
    expect(codes(report.failures)).toContain('RECORD_COUNT_MISMATCH');
  });

  it('a block validly sealed with the wrong authoritySetHash', async () => {
    const demo = new DemoChain();
    demo.event('green-farm');
    demo.seal(undefined, (h) => ({ ...h, authoritySetHash: 'ee'.repeat(32) }));
    const report = await verifyChain(demo.blocks);
    expect(report.failures).toEqual([expect.objectContaining({ height: 1, code: 'AUTHORITY_SET_MISMATCH', expected: 'ee'.repeat(32) })]);
  });

  it('a block validly sealed at the wrong height', async () => {
    const demo = new DemoChain();
    demo.event('green-farm');
    demo.seal(undefined, (h) => ({ ...h, height: 2 }));
    const report = await verifyChain(demo.blocks);
    expect(report.failures).toEqual([expect.objectContaining({ height: 1, code: 'WRONG_HEIGHT', expected: 1, computed: 2 })]);
  });
});

describe('verifyChain replays governance in order', () => {
  it('a revoked key: earlier records verify, a later record it signed is named', async () => {
    const demo = new DemoChain();
    const oldSwift = demo.key('swift-haulage');
    demo.event('swift-haulage', 2);
    demo.seal();
    demo.govern({ type: 'key.revoke', orgId: 'swift-haulage', keyId: oldSwift.keyId });
    demo.seal();
    expect((await verifyChain(demo.blocks)).ok).toBe(true);
    // A faulty node slips in a record signed with the revoked key.
    demo.event('green-farm');
    demo.forceQueue(demo.sign(oldSwift, RecordKind.EPCIS_EVENT, { late: true }));
    demo.seal();
    const report = await verifyChain(demo.blocks);
    expect(report.failures).toEqual([expect.objectContaining({ height: 3, recordIndex: 1, code: 'SIGNER_REVOKED' })]);
  });

  it('an authority added in block k seals only from block k+1, against the new set', async () => {
    const demo = new DemoChain();
    const acme = demo.key('acme-abattoir');
    demo.govern({ type: 'authority.add', orgId: 'acme-abattoir', keyId: acme.keyId });
    expect(demo.state.isAuthorityKey(acme.keyId)).toBe(false);
    const fsa = demo.key('fsa');
    const hmrc = demo.key('hmrc');
    const farm = demo.key('green-farm');
    // Block 1: acme is not yet in force, its seal is rejected (three old ones still make quorum).
    demo.seal([fsa, hmrc, farm, acme]);
    expect(demo.state.isAuthorityKey(acme.keyId)).toBe(true);
    expect(demo.state.requiredQuorum()).toBe(4); // 5 authorities: strictly more than 2/3
    // Block 2: three old seals are no longer a quorum of five.
    demo.event('green-farm');
    demo.seal([fsa, hmrc, farm]);
    // Block 3: with acme's seal it is.
    demo.event('green-farm');
    demo.seal([fsa, hmrc, farm, acme]);
    const report = await verifyChain(demo.blocks);
    expect(report.failures).toEqual([
      expect.objectContaining({ height: 1, code: 'BAD_SEAL' }),
      expect.objectContaining({ height: 2, code: 'NO_QUORUM', expected: 4, computed: 3 }),
    ]);
  });

  it('a record signed by an org added without a quorum is rejected by the verifier', async () => {
    const demo = new DemoChain();
    const newKey = demo.newKey();
    const proposal = demo.propose('fsa', { type: 'org.add', org: { id: 'ghost-co', name: 'Ghost', roles: ['FARM'], keys: [encodePublicKey(newKey.publicKey)], identifiers: {} } });
    demo.approve('hmrc', proposal.recordHash);
    demo.forceQueue(demo.sign(newKey, RecordKind.EPCIS_EVENT, { fake: true }));
    demo.seal();
    const report = await verifyChain(demo.blocks);
    expect(report.failures).toEqual([expect.objectContaining({ height: 1, recordIndex: 2, code: 'UNKNOWN_SIGNER' })]);
  });
});

