/**
 * Answer bundles (format v2) on a real store: a trace's bundle states its query, identifiers and
 * checkpoint, proves each identifier's history and the membership records complete, and verifies
 * only against a trust anchor. Each mutation of the issue is refused: a dropped hop, record or
 * membership record, a fake consortium of the same name, a stale checkpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodePublicKey, generateKeyPair } from '../../../src/core/crypto/index.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { cosignCheckpoint, verifyBundle, type ProofBundle } from '../../../src/core/lineage/bundle.js';
import { answerBundle } from '../../../src/services/lineage/answer-bundle.js';
import { trace } from '../../../src/services/lineage/queries.js';
import { verifyBundleFile } from '../../../src/transport/cli/bundle-commands.js';
import { buildChain, packs, animals, C, type Chain } from './fixture.js';

const copy = (b: ProofBundle): ProofBundle => JSON.parse(JSON.stringify(b)) as ProofBundle;
const codes = (b: unknown, anchor = {}) => verifyBundle(b, anchor).failures.map((f) => f.code);

describe('answer bundles: anchored and complete', () => {
  let chain: Chain;
  let bundle: ProofBundle;
  let genesis: string;
  let identifiers: string[];

  beforeAll(async () => {
    chain = await buildChain();
    // A membership record after genesis: a device the farm registers.
    const device = signRecord({ consortium: C, kind: RecordKind.DEVICE_REGISTER, payload: { deviceId: 'probe-1', publicKey: encodePublicKey(generateKeyPair().publicKey) } }, chain.temp.demo.orgKeys.get('highfield-farm')!);
    expect((await chain.temp.node.submit(C, [device]))[0]).toMatchObject({ status: 'accepted' });
    await chain.temp.node.sealNow(C);
    const answer = await trace(chain.ctx(), packs[0]!, 'UPSTREAM');
    identifiers = [...answer.verification.completeness!.byIdentifier.keys()];
    bundle = await answerBundle(chain.temp.node, chain.temp.store, C, { query: { kind: 'trace', identifier: packs[0]!, direction: 'UPSTREAM' }, identifiers });
    genesis = (await chain.temp.db.block.findFirst({ where: { consortiumId: C, height: 0 } }))!.hash;
  }, 120_000);

  afterAll(async () => {
    await chain?.close();
  });

  it('states what it answers, carries the completeness proofs, and verifies against the genesis hash', () => {
    expect(bundle.format).toBe('provenant-proof-bundle/v2');
    expect(bundle.answer!.query).toEqual({ kind: 'trace', identifier: packs[0], direction: 'UPSTREAM' });
    expect(bundle.answer!.identifiers).toEqual(expect.arrayContaining([packs[0], animals[0]]));
    expect(bundle.answer!.checkpoint).toEqual({ logSize: bundle.checkpoint.logSize, blockHeight: bundle.checkpoint.blockHeight, blockHash: bundle.checkpoint.blockHash });
    expect(bundle.completeness!.identifiers.map((p) => p.identifier).sort()).toEqual([...bundle.answer!.identifiers].sort());
    expect(bundle.completeness!.identifiers.every((p) => p.entries.length > 0)).toBe(true);
    const report = verifyBundle(copy(bundle), { genesis });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.anchoredBy).toContain(genesis);
  });

  it('without a trust anchor verify-bundle exits 1 with UNANCHORED; with one it exits 0', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-bundle-'));
    const file = path.join(dir, 'b.json');
    writeFileSync(file, JSON.stringify(bundle));
    const bare = verifyBundleFile(file);
    expect(bare.exitCode).toBe(1);
    expect(bare.lines.join('\n')).toContain('UNANCHORED');
    const anchored = verifyBundleFile(file, { genesis });
    expect(anchored.lines.join('\n')).toMatch(/^OK:/m);
    expect(anchored.exitCode).toBe(0);
  });

  it('refuses a dropped hop: the record of one of an identifier\'s events removed', () => {
    const b = copy(bundle);
    const hop = b.completeness!.identifiers.find((p) => p.identifier === animals[0])!.entries.at(-1)!.recordHash;
    b.records = b.records.filter((r) => r.hash !== hop);
    expect(codes(b, { genesis })).toContain('INCOMPLETE');
  });

  it('refuses a dropped hop with its entry: the chain no longer gives the signed leaf', () => {
    const b = copy(bundle);
    const proof = b.completeness!.identifiers.find((p) => p.identifier === packs[0])!;
    const dropped = proof.entries.pop()!;
    b.records = b.records.filter((r) => r.hash !== dropped.recordHash || b.completeness!.identifiers.some((p) => p.entries.some((e) => e.recordHash === r.hash)));
    expect(codes(b, { genesis })).toContain('INCOMPLETE');
  });

  it('refuses a dropped identifier the answer visited', () => {
    const b = copy(bundle);
    b.completeness!.identifiers = b.completeness!.identifiers.filter((p) => p.identifier !== animals[0]);
    expect(codes(b, { genesis })).toContain('INCOMPLETE');
  });

  it('refuses an identifier dropped from both the answer list and the proofs: the re-walk names it', () => {
    for (const dropped of [animals[0]!, identifiers.find((i) => i !== packs[0] && i !== animals[0])!]) {
      const b = copy(bundle);
      b.answer!.identifiers = b.answer!.identifiers.filter((i) => i !== dropped);
      b.completeness!.identifiers = b.completeness!.identifiers.filter((p) => p.identifier !== dropped);
      const failures = verifyBundle(b, { genesis }).failures;
      expect(failures.map((f) => f.code)).toEqual(['WALK_INCOMPLETE']);
      expect(failures[0]!.message).toContain(dropped);
      expect(failures[0]!.expected).toBe(dropped);
    }
  });

  it('refuses a query the verifier cannot re-walk; a shallower walk of the same query still holds', () => {
    const b = copy(bundle);
    b.answer!.query = { kind: 'mystery', identifier: packs[0]! };
    expect(codes(b, { genesis })).toEqual(['UNKNOWN_QUERY']);
    const shallow = copy(bundle);
    shallow.answer!.query = { ...shallow.answer!.query, maxDepth: 0 };
    expect(verifyBundle(shallow, { genesis }).ok).toBe(true);
  });

  it('refuses a dropped record, even one named by no other identifier', () => {
    const b = copy(bundle);
    b.records.splice(0, 1);
    expect(verifyBundle(b, { genesis }).ok).toBe(false);
  });

  it('refuses a dropped membership record', () => {
    const b = copy(bundle);
    const i = b.membershipRecords.findIndex((r) => r.record.kind !== 'consortium.genesis');
    expect(i).toBeGreaterThan(0);
    b.membershipRecords.splice(i, 1);
    expect(codes(b, { genesis })).toContain('MEMBERSHIP_INCOMPLETE');
  });

  it('refuses a fake consortium of the same name: another genesis, and checkpoints not signed by the authorities you trust', () => {
    const fake = copy(bundle);
    fake.genesisHash = 'ab'.repeat(32);
    expect(codes(fake, { genesis })).toEqual(expect.arrayContaining(['BLOCK_HASH_MISMATCH']));
    // Self-consistent but from elsewhere: the anchor refuses it.
    expect(verifyBundle(copy(bundle), { genesis: 'cd'.repeat(32) }).failures.map((f) => f.code)).toEqual(['GENESIS_MISMATCH']);
    const stranger = encodePublicKey(generateKeyPair().publicKey);
    expect(verifyBundle(copy(bundle), { authorities: [stranger] }).failures.map((f) => f.code)).toEqual(['UNTRUSTED_AUTHORITIES']);
    const real = bundle.authoritySets.find((s) => s.signsCheckpoint)!.authorities.map((a) => a.publicKey);
    expect(verifyBundle(copy(bundle), { authorities: real }).ok).toBe(true);
  });

  it('refuses a stale checkpoint: an earlier genuine checkpoint in place of the answer\'s', async () => {
    const earlier = (await chain.temp.db.checkpoint.findFirst({ where: { consortiumId: C, blockHeight: bundle.checkpoint.blockHeight - 1 } }))!;
    const b = copy(bundle);
    b.checkpoint = { v: 1, consortium: C, logSize: earlier.logSize, logRoot: earlier.logRoot, blockHeight: earlier.blockHeight, blockHash: earlier.blockHash, timestamp: earlier.timestamp };
    b.checkpointSignatures = JSON.parse(earlier.signatures);
    expect(verifyBundle(b, { genesis }).ok).toBe(false);
    // And an answer restated at that checkpoint no longer matches its proofs.
    b.answer!.checkpoint = { logSize: earlier.logSize, blockHeight: earlier.blockHeight, blockHash: earlier.blockHash };
    expect(verifyBundle(b, { genesis }).ok).toBe(false);
  });

  it('witnesses the user names: enough of them must have cosigned the checkpoint', () => {
    const w1 = generateKeyPair();
    const w2 = generateKeyPair();
    const keys = [encodePublicKey(w1.publicKey), encodePublicKey(w2.publicKey)];
    const b = copy(bundle);
    b.witnessCosignatures = [cosignCheckpoint(b.checkpoint, w1)];
    expect(verifyBundle(b, { witnesses: { keys, required: 1 } }).ok).toBe(true);
    expect(verifyBundle(b, { witnesses: { keys, required: 2 } }).failures.map((f) => f.code)).toEqual(['WITNESS_QUORUM']);
    b.witnessCosignatures = [cosignCheckpoint({ ...b.checkpoint, logSize: b.checkpoint.logSize - 1 }, w1)];
    expect(verifyBundle(b, { witnesses: { keys, required: 1 } }).failures.map((f) => f.code)).toEqual(['WITNESS_QUORUM']);
  });
});
