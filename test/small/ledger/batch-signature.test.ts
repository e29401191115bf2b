import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HashTag, canonicalize, encodePublicKey, fromHex, generateKeyPair, keyPairFromPrivate, taggedHash, toHex, type KeyPair } from '../../../src/core/crypto/index.js';
import {
  BatchSignatureCache,
  LedgerError,
  RecordKind,
  assertRecordShape,
  batchAuthenticators,
  batchHeaderBytes,
  batchHeaderFor,
  batchSigningMessage,
  inclusionProof,
  leafHash,
  recordHash,
  signBatchHeader,
  signRecord,
  signRecordBatch,
  verifyChain,
  verifyRecordSignature,
  type SignedRecord,
} from '../../../src/core/ledger/index.js';
import { CONSORTIUM, DemoChain, nextTimestamp } from './demo-consortium.js';

const key = generateKeyPair();
const other = generateKeyPair();
const SIGNED_AT = '2026-12-07T10:00:00.000Z';

function batchOf(n: number, signer: KeyPair = key, signedAt = SIGNED_AT, first = 0): SignedRecord[] {
  return signRecordBatch(
    Array.from({ length: n }, (_, i) => ({ consortium: CONSORTIUM, kind: RecordKind.EPCIS_EVENT, payload: { event: { n: first + i } } })),
    signer,
    signedAt,
  );
}

function codeOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LedgerError);
    return `${(err as LedgerError).code}${(err as LedgerError).details['reason'] ? `/${String((err as LedgerError).details['reason'])}` : ''}`;
  }
  return 'ok';
}

const check = (record: SignedRecord, publicKey = key.publicKey, cache?: BatchSignatureCache) =>
  codeOf(() => {
    assertRecordShape(record);
    verifyRecordSignature(record, publicKey, undefined, cache);
  });

function flipHexChar(hex: string, at = 0): string {
  const c = hex[at] === '0' ? '1' : '0';
  return hex.slice(0, at) + c + hex.slice(at + 1);
}

describe('batch-signed records', () => {
  it('the worked example of docs/batch-signatures.md', () => {
    const fixed = keyPairFromPrivate({ alg: 'ed25519', bytes: new Uint8Array(32).fill(7) });
    expect([encodePublicKey(fixed.publicKey), fixed.keyId]).toEqual(['ed25519:6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw', '62ffcd9d133bca4ea018a6fa8f681c1002ad007feeffd365d04c29bd3d562276']);
    const drafts = [0, 1, 2].map((n) => ({ consortium: 'uk-red-meat', kind: RecordKind.EPCIS_EVENT, payload: { event: { type: 'ObjectEvent', n } } }));
    const batch = signRecordBatch(drafts, fixed, '2026-12-07T10:00:00.000Z');
    const hashes = batch.map((r) => recordHash(r));
    expect(hashes).toEqual([
      'c0146a31ea34405acd8048027b6d566f2ae602919e11eb7558a62d1cd49836c8',
      '12f33ffcff421e78e4d1e828fc0189a5f358fb1fcf6356a2bff285c41e7da5ce',
      '57b1bd2de96776157ba012b11c3ceb5b1f8fb73316466128fe9d515c69f22f46',
    ]);
    const leaves = hashes.map((h) => toHex(leafHash(fromHex(h, 32))));
    expect(leaves).toEqual([
      'b4504fef3e34b0e4c2b923fcea1efb038a28d9629f44559d894604b6519f54b7',
      '241f314fb406203413f92ce0442cb0b69fb73ed34d5c51c8590fcadca6352527',
      '90c444818205fa9f549ffaf101118e7b5fb3121a70df264adc7572817e73d3d9',
    ]);
    const header = batchHeaderFor({ consortium: 'uk-red-meat', signer: fixed.keyId, signedAt: '2026-12-07T10:00:00.000Z' }, hashes.map((h) => fromHex(h, 32)));
    const jcs = new TextDecoder().decode(batchHeaderBytes(header));
    expect(jcs).toBe(
      '{"consortium":"uk-red-meat","root":"cd88e33c20ed95abb4c7b74c579203da9a36d4a6ac0a699b841637b335fd0ade","signedAt":"2026-12-07T10:00:00.000Z","signer":"62ffcd9d133bca4ea018a6fa8f681c1002ad007feeffd365d04c29bd3d562276","size":3,"v":1}',
    );
    const digest = taggedHash(HashTag.BATCH_HEADER, batchHeaderBytes(header));
    expect(toHex(digest)).toBe('dbd23188d5438bab39b42b67493375a21c66745191dfaa9eadde6c1084075d20');
    expect(toHex(batchSigningMessage(header))).toBe(`${toHex(new TextEncoder().encode('provenant/v1/batch-header'))}00${toHex(digest)}`);
    expect(canonicalize(batch[2]!)).toBe(
      '{"batch":{"index":2,"path":["a829c50258fbc61840c4e370371e840d895048aa8a9a9d152d46733ae0bc66f0"],"signature":"ed25519:_czz0p5M4MNx2sJnB7TEv0MbFCv2CvkUF5GjJCnVthXV3brRP2_mJKelvEneFl_boK2SZlhKSlHWHryOTCyUBQ","size":3},"consortium":"uk-red-meat","kind":"epcis.event","payload":{"event":{"n":2,"type":"ObjectEvent"}},"signedAt":"2026-12-07T10:00:00.000Z","signer":"62ffcd9d133bca4ea018a6fa8f681c1002ad007feeffd365d04c29bd3d562276","v":1}',
    );
    expect(batch[0]!.batch!.path).toEqual([leaves[1], leaves[2]]);
    expect(batch[1]!.batch!.path).toEqual([leaves[0], leaves[2]]);
    for (const r of batch) verifyRecordSignature(r, fixed.publicKey);
  });

  const records = batchOf(7);
  const r3 = records[3]!;
  const b3 = r3.batch!;

  it('every record of a batch verifies alone, and its record hash ignores the authenticator', () => {
    for (const r of records) expect(check(r)).toBe('ok');
    const { batch: _b, ...body } = r3;
    expect(recordHash(r3)).toBe(recordHash({ ...body, signature: 'ed25519:x' } as SignedRecord));
  });

  it.each<[string, (r: SignedRecord) => SignedRecord, string]>([
    ['wrong index', (r) => ({ ...r, batch: { ...r.batch!, index: 2 } }), 'BAD_SIGNATURE/BATCH_SIGNATURE'],
    ['index ≥ size', (r) => ({ ...r, batch: { ...r.batch!, index: 7 } }), 'MALFORMED_RECORD'],
    ['path too short', (r) => ({ ...r, batch: { ...r.batch!, path: r.batch!.path.slice(1) } }), 'BAD_SIGNATURE/PROOF_TOO_SHORT'],
    ['path too long', (r) => ({ ...r, batch: { ...r.batch!, path: [...r.batch!.path, r.batch!.path[0]!] } }), 'BAD_SIGNATURE/PROOF_TOO_LONG'],
    ['flipped sibling', (r) => ({ ...r, batch: { ...r.batch!, path: [flipHexChar(r.batch!.path[0]!, 5), ...r.batch!.path.slice(1)] } }), 'BAD_SIGNATURE/BATCH_SIGNATURE'],
    ['wrong size', (r) => ({ ...r, batch: { ...r.batch!, size: 8 } }), 'BAD_SIGNATURE/BATCH_SIGNATURE'],
    ['a changed signedAt', (r) => ({ ...r, signedAt: '2026-12-07T10:00:00.001Z' }), 'BAD_SIGNATURE/BATCH_SIGNATURE'],
    ['signature and batch both present', (r) => ({ ...r, signature: signRecord({ consortium: CONSORTIUM, kind: r.kind, payload: r.payload, signedAt: r.signedAt }, key).signature }), 'MALFORMED_RECORD'],
    ['neither signature nor batch', (r) => ({ ...r, batch: undefined }) as SignedRecord, 'MALFORMED_RECORD'],
    ['an extra batch field', (r) => ({ ...r, batch: { ...r.batch!, root: '00' } }) as SignedRecord, 'MALFORMED_RECORD'],
    ['an upper-case path element', (r) => ({ ...r, batch: { ...r.batch!, path: r.batch!.path.map((h) => h.toUpperCase()) } }), 'MALFORMED_RECORD'],
  ])('%s is refused', (_name, mutate, code) => {
    expect(check(mutate(JSON.parse(JSON.stringify(r3)) as SignedRecord))).toBe(code);
  });

  it('a header signed by another key is refused', () => {
    const forged = batchOf(7, other)[3]!;
    // The record names `key` as signer but carries other's batch signature and path.
    expect(check({ ...r3, batch: forged.batch! })).toBe('BAD_SIGNATURE/BATCH_SIGNATURE');
    expect(codeOf(() => verifyRecordSignature(r3, other.publicKey))).toBe('UNKNOWN_SIGNER');
  });

  it('a signature over another root is refused', () => {
    const hashes = records.map((r) => fromHex(recordHash(r), 32));
    const otherRoot = signBatchHeader({ consortium: CONSORTIUM, signedAt: SIGNED_AT }, [...hashes.slice(0, 6), new Uint8Array(32)], key);
    expect(check({ ...r3, batch: { ...b3, signature: otherRoot } })).toBe('BAD_SIGNATURE/BATCH_SIGNATURE');
  });

  it('a record moved to another batch (its path, the other signature) is refused', () => {
    const second = batchOf(7, key, SIGNED_AT, 100);
    expect(check({ ...r3, batch: { ...b3, signature: second[3]!.batch!.signature } })).toBe('BAD_SIGNATURE/BATCH_SIGNATURE');
    expect(check({ ...second[3]!, batch: b3 })).toBe('BAD_SIGNATURE/BATCH_SIGNATURE');
  });

  it('fast-check: every leaf of random trees of 1..300 verifies, and exhaustively of 1..64 and the sizes around 128, 256 and 300; any single-bit change of its path fails', () => {
    const hashes = Array.from({ length: 300 }, (_, i) => fromHex(recordHash({ v: 1, consortium: CONSORTIUM, kind: RecordKind.EPCIS_EVENT, payload: { i }, signer: key.keyId, signedAt: SIGNED_AT }), 32));
    const body = (i: number): SignedRecord => ({ v: 1, consortium: CONSORTIUM, kind: RecordKind.EPCIS_EVENT, payload: { i }, signer: key.keyId, signedAt: SIGNED_AT });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), (size, pick, bit) => {
        const sig = signBatchHeader({ consortium: CONSORTIUM, signedAt: SIGNED_AT }, hashes.slice(0, size), key);
        const auths = batchAuthenticators(hashes.slice(0, size), sig);
        const cache = new BatchSignatureCache();
        for (let i = 0; i < size; i++) verifyRecordSignature({ ...body(i), batch: auths[i]! }, key.publicKey, toHex(hashes[i]!), cache);
        expect(cache.verifications).toBe(1);
        const index = pick % size;
        const auth = auths[index]!;
        if (auth.path.length === 0) return; // a tree of one: no path to change
        const element = (bit >> 8) % auth.path.length;
        const bytes = fromHex(auth.path[element]!, 32);
        bytes[(bit >> 3) % 32]! ^= 1 << (bit % 8);
        const path = auth.path.map((h, j) => (j === element ? toHex(bytes) : h));
        expect(codeOf(() => verifyRecordSignature({ ...body(index), batch: { ...auth, path } }, key.publicKey, toHex(hashes[index]!), cache))).toBe('BAD_SIGNATURE/BATCH_SIGNATURE');
      }),
      { numRuns: 60 },
    );
    // Every leaf of every size, exhaustively (one signature per size): the small trees, and those on
    // either side of a power of two, where the right edge of the tree changes shape.
    const sizes = [...Array.from({ length: 64 }, (_, i) => i + 1), 127, 128, 129, 255, 256, 257, 299, 300];
    for (const size of sizes) {
      const auths = batchAuthenticators(hashes.slice(0, size), signBatchHeader({ consortium: CONSORTIUM, signedAt: SIGNED_AT }, hashes.slice(0, size), key));
      const cache = new BatchSignatureCache();
      auths.forEach((a, i) => verifyRecordSignature({ ...body(i), batch: a }, key.publicKey, toHex(hashes[i]!), cache));
      expect(cache.verifications).toBe(1);
      // The level-by-level paths are RFC 6962 PATH(m, D[n]).
      if (size <= 40) {
        const leaves = hashes.slice(0, size).map((h) => leafHash(h));
        auths.forEach((a, i) => expect(a.path).toEqual(inclusionProof(leaves, i).map(toHex)));
      }
    }
  }, 120_000);

  it('the cache verifies each distinct header once and never accepts a different header or signature', () => {
    const cache = new BatchSignatureCache();
    const second = batchOf(5, key, '2026-12-07T10:00:01.000Z');
    for (const r of [...records, ...second, ...records]) expect(check(r, key.publicKey, cache)).toBe('ok');
    expect(cache.verifications).toBe(2);
    // Same header, another signature: checked (and refused), not served from the cache.
    const bad = { ...r3, batch: { ...b3, signature: second[0]!.batch!.signature } };
    expect(check(bad, key.publicKey, cache)).toBe('BAD_SIGNATURE/BATCH_SIGNATURE');
    expect(cache.verifications).toBe(3);
    // Same signature, another header (another size): refused.
    expect(check({ ...r3, batch: { ...b3, size: 8 } }, key.publicKey, cache)).toBe('BAD_SIGNATURE/BATCH_SIGNATURE');
    expect(cache.verifications).toBe(4);
    // A refused verdict stays refused.
    expect(check(bad, key.publicKey, cache)).toBe('BAD_SIGNATURE/BATCH_SIGNATURE');
    expect(cache.verifications).toBe(4);
  });

  it('the cache is bounded by entries', () => {
    const cache = new BatchSignatureCache(2);
    const header = batchHeaderFor({ consortium: CONSORTIUM, signer: key.keyId, signedAt: SIGNED_AT }, [new Uint8Array(32)]);
    for (let i = 0; i < 5; i++) cache.verify({ ...header, size: i + 1 }, 'ed25519:AA', key.publicKey);
    expect(cache.size).toBe(2);
    expect(() => new BatchSignatureCache(0)).toThrow(LedgerError);
  });

  it('a chain of batch-signed and per-event records verifies; a tampered path is caught', async () => {
    const demo = new DemoChain();
    const signedAt = nextTimestamp();
    const batch = signRecordBatch(
      Array.from({ length: 5 }, (_, i) => ({ consortium: CONSORTIUM, kind: RecordKind.EPCIS_EVENT, payload: { n: i } })),
      demo.key('acme-abattoir'),
      signedAt,
    );
    for (const r of batch) demo.submit(r);
    demo.event('green-farm', 2);
    demo.seal();
    expect((await verifyChain(demo.blocks)).ok).toBe(true);
    const stored = demo.blocks[1]!.records[2]!;
    const record = stored.record as SignedRecord;
    (stored as { record: SignedRecord }).record = { ...record, batch: { ...record.batch!, path: [flipHexChar(record.batch!.path[0]!), ...record.batch!.path.slice(1)] } };
    const report = await verifyChain(demo.blocks);
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => [f.code, f.recordIndex])).toContainEqual(['BAD_SIGNATURE', 2]);
  });
});
