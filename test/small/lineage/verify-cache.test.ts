import { describe, expect, it } from 'vitest';
import { sha256, toHex } from '../../../src/core/crypto/index.js';
import { inclusionProof, rootHash } from '../../../src/core/ledger/merkle-tree.js';
import { leafHash } from '../../../src/core/ledger/merkle-hash.js';
import { fromHex } from '../../../src/core/crypto/index.js';
import { trace } from '../../../src/core/lineage/graph.js';
import { BlockTree, VerificationCache } from '../../../src/core/lineage/verify-cache.js';
import { verifyTrace, type TraceVerification } from '../../../src/core/lineage/verify-hop.js';
import { LineageFixture, time, transform } from './fixture.js';

const sg = (item: number, serial: number) => `urn:epc:id:sgtin:5098765.0${item}.${serial}`;
const A = sg(11111, 1), B = sg(11111, 2), X = sg(22222, 1), Y = sg(22222, 2), P = sg(33333, 1);

function hashes(n: number): string[] {
  return Array.from({ length: n }, (_, i) => toHex(sha256(new TextEncoder().encode(`record ${i}`))));
}

function diamond(): LineageFixture {
  const f = new LineageFixture();
  f.add('vale-processors', transform(2, { inputEPCList: [A], outputEPCList: [X] }));
  f.add('vale-processors', transform(3, { inputEPCList: [B], outputEPCList: [Y] }));
  f.seal();
  f.add('vale-processors', transform(4, { inputEPCList: [X, Y], outputEPCList: [P] }));
  f.seal();
  return f;
}

const summary = (v: TraceVerification) => v.hops.map((h) => ({ status: h.status, failures: h.failures.map((x) => x.code).sort(), warnings: h.warnings.map((x) => x.code).sort() }));

describe('BlockTree', () => {
  it('has the RFC 6962 root and the audit paths of merkle-tree.ts for every size and index', () => {
    for (let n = 0; n <= 70; n++) {
      const list = hashes(n);
      const leaves = list.map((h) => leafHash(fromHex(h, 32)));
      const tree = BlockTree.fromRecordHashes(list);
      expect(tree.size).toBe(n);
      expect(toHex(tree.root())).toBe(toHex(rootHash(leaves)));
      for (let i = 0; i < n; i++) expect(tree.proof(i).map(toHex)).toEqual(inclusionProof(leaves, i).map(toHex));
    }
  });
});

describe('VerificationCache', () => {
  it('gives the same verdicts as a verification without it, cold and warm', async () => {
    const f = diamond();
    const r = await trace(f.source(), P, 'UPSTREAM', 10);
    const cache = new VerificationCache();
    const plain = verifyTrace(r, f.evidence());
    expect(plain.verdict).toBe('VERIFIED');
    expect(summary(verifyTrace(r, { ...f.evidence(), cache }))).toEqual(summary(plain));
    expect(summary(verifyTrace(r, { ...f.evidence(), cache }))).toEqual(summary(plain));
    expect(cache.chainRange).toEqual({ low: 0, high: 2 });
  });

  it('a body changed after it was verified is verified afresh: the hop fails as without the cache', async () => {
    const f = diamond();
    const r = await trace(f.source(), P, 'UPSTREAM', 10);
    const cache = new VerificationCache();
    expect(verifyTrace(r, { ...f.evidence(), cache }).verdict).toBe('VERIFIED');
    const target = f.rows[0]!.recordHash;
    const rec = f.records.get(target)!;
    rec.body = rec.body.replace(time(2), time(1));
    const warm = verifyTrace(r, { ...f.evidence(), cache });
    const failed = warm.hops.filter((h) => h.status === 'FAILED');
    expect(failed.map((h) => h.recordHash)).toEqual([target]);
    expect(failed[0]!.failures.map((x) => x.code).sort()).toEqual(['inclusion', 'record-hash', 'signature']);
    expect(summary(warm)).toEqual(summary(verifyTrace(r, f.evidence())));
  });

  it('changed seals are a miss: the seal check runs again and fails', async () => {
    const f = diamond();
    const r = await trace(f.source(), P, 'UPSTREAM', 10);
    const cache = new VerificationCache();
    verifyTrace(r, { ...f.evidence(), cache });
    f.blocks.get(1)!.seals = '[]';
    const v = verifyTrace(r, { ...f.evidence(), cache });
    const atOne = v.hops.filter((h) => f.records.get(h.recordHash)!.blockHeight === 1);
    expect(atOne.length).toBeGreaterThan(0);
    for (const hop of atOne) expect(hop.failures.map((x) => x.code)).toContain('NO_QUORUM');
    expect(v.hops.filter((h) => f.records.get(h.recordHash)!.blockHeight === 2).every((h) => h.status === 'VERIFIED')).toBe(true);
  });

  it('the proven chain extends to a new head, and a head it does not lead to fails every hop', async () => {
    const f = diamond();
    const r = await trace(f.source(), P, 'UPSTREAM', 10);
    const cache = new VerificationCache();
    verifyTrace(r, { ...f.evidence(), cache });
    f.add('vale-processors', transform(5, { inputEPCList: [sg(44444, 1)], outputEPCList: [sg(44444, 2)] }));
    f.seal();
    expect(cache.chainGaps({ height: f.state.height, hash: f.state.headHash }, 1)).toEqual([{ from: 3, to: 3 }]);
    // What a store would read now: the hops' blocks (1, 2) and the gap up to the new head (3); not block 0.
    const read = new Map([...f.blocks].filter(([h]) => h >= 1));
    expect(verifyTrace(r, { ...f.evidence(), blocks: read, cache }).verdict).toBe('VERIFIED');
    expect(cache.chainRange).toEqual({ low: 0, high: 3 });
    f.state.headHash = 'e'.repeat(64);
    const v = verifyTrace(r, { ...f.evidence(), cache });
    expect(v.hops.every((h) => h.failures.map((x) => x.code).join() === 'BROKEN_HASH_LINK')).toBe(true);
  });

  it('a stored block that differs from the proven one at its height fails with BROKEN_HASH_LINK', async () => {
    const f = diamond();
    const r = await trace(f.source(), P, 'UPSTREAM', 10);
    const cache = new VerificationCache();
    verifyTrace(r, { ...f.evidence(), cache });
    const block = f.blocks.get(1)!;
    const header = JSON.parse(block.header) as Record<string, unknown>;
    block.header = JSON.stringify({ ...header, timestamp: '2026-11-21T08:00:02.000Z' });
    const v = verifyTrace(r, { ...f.evidence(), cache });
    const atOne = v.hops.filter((h) => f.records.get(h.recordHash)!.blockHeight === 1);
    for (const hop of atOne) expect(hop.failures.map((x) => x.code)).toEqual(expect.arrayContaining(['BLOCK_HASH_MISMATCH', 'BROKEN_HASH_LINK']));
  });
});
