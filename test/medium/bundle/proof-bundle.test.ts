import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodePublicKey, generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import { RecordKind, signRecord, type SignedRecord } from '../../../src/core/ledger/record.js';
import { ChainStore } from '../../../src/store/chain-store.js';
import { exportProofBundle } from '../../../src/store/bundle-store.js';
import { verifyBundle, type ProofBundle } from '../../../src/core/lineage/bundle.js';
import { registerBundleCommands, verifyBundleFile } from '../../../src/transport/cli/bundle-commands.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const C = DEMO_CONSORTIUM_ID;

function event(key: KeyPair, n: number): SignedRecord {
  return signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { note: `event ${n}`, n } }, key);
}

async function submitAndSeal(node: TestNode, records: SignedRecord[]): Promise<string[]> {
  const outcomes = await node.node.submit(C, records);
  for (const o of outcomes) expect(o.status, JSON.stringify(o)).toBe('accepted');
  expect(await node.node.sealNow(C)).not.toBeNull();
  return outcomes.map((o) => (o as { recordHash: string }).recordHash);
}

const clone = (b: ProofBundle): ProofBundle => JSON.parse(JSON.stringify(b)) as ProofBundle;
const flipHex = (s: string, at = 0): string => s.slice(0, at) + (s[at] === '0' ? '1' : '0') + s.slice(at + 1);
/** Flips one base64url character inside "<alg>:<b64>" (not the last, so the bytes really change). */
const flipB64 = (s: string): string => {
  const at = s.indexOf(':') + 5;
  return s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
};

describe('proof bundle exported from a real SQLite chain', () => {
  let node: TestNode;
  let bundle: ProofBundle;
  let trace: string[];
  let newFarmKey: KeyPair;

  beforeAll(async () => {
    node = await startTestNode();
    const keys = node.demo.orgKeys;
    const b1 = await submitAndSeal(node, [event(keys.get('highfield-farm')!, 1), event(keys.get('meadow-farm')!, 2), event(keys.get('highfield-farm')!, 3)]);
    // Governance: a new key for highfield-farm, and port-felixstowe leaves the authority set.
    newFarmKey = generateKeyPair('ed25519');
    const fsa = keys.get('fsa')!;
    const keyAdd = signRecord({ consortium: C, kind: RecordKind.PROPOSAL, payload: { change: { type: 'key.add', orgId: 'highfield-farm', publicKey: encodePublicKey(newFarmKey.publicKey) } } }, fsa);
    const authRemove = signRecord({ consortium: C, kind: RecordKind.PROPOSAL, payload: { change: { type: 'authority.remove', keyId: keys.get('port-felixstowe')!.keyId } } }, fsa);
    const [keyAddHash, authRemoveHash] = await submitAndSeal(node, [keyAdd, authRemove]);
    const approvals = ['hmrc', 'riverside-retail'].flatMap((org) =>
      [keyAddHash!, authRemoveHash!].map((proposal) => signRecord({ consortium: C, kind: RecordKind.APPROVAL, payload: { proposal } }, keys.get(org)!)),
    );
    await submitAndSeal(node, approvals);
    const b4 = await submitAndSeal(node, [event(newFarmKey, 4), event(keys.get('northern-abattoir')!, 5), event(keys.get('vale-processors')!, 6)]);
    await submitAndSeal(node, [event(keys.get('meadow-farm')!, 7)]);
    trace = [b1[0]!, b1[1]!, b4[0]!, b4[1]!, b4[2]!];
    bundle = await exportProofBundle(new ChainStore(node.db), C, trace);
  });

  afterAll(async () => {
    await node?.destroy();
  });

  it('exports a bundle that verifies offline', () => {
    const report = verifyBundle(JSON.parse(JSON.stringify(bundle)));
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks).toBeGreaterThan(50);
    expect(bundle.records.map((r) => r.hash)).toEqual(trace);
    expect(bundle.checkpoint.blockHeight).toBe(5);
    // Two authority sets: four authorities up to block 3, three from block 4 (and the checkpoint).
    expect(bundle.authoritySets.map((s) => s.authorities.length).sort()).toEqual([3, 4]);
    expect(bundle.authoritySets.find((s) => s.signsCheckpoint)!.authorities).toHaveLength(3);
    const farm = bundle.signers.find((s) => s.keyId === newFarmKey.keyId)!;
    expect(farm).toMatchObject({ orgId: 'highfield-farm', type: 'org', roles: ['FARM'], status: 'active', endedAtLogIndex: null });
    expect(farm.addedAtLogIndex).toBeGreaterThan(0);
    expect(bundle.signers).toHaveLength(5);
  });

  it('refuses unknown record hashes', async () => {
    await expect(exportProofBundle(new ChainStore(node.db), C, ['ab'.repeat(32)])).rejects.toMatchObject({ code: 'BUNDLE_RECORD_NOT_FOUND' });
  });

  const mutations: [string, (b: ProofBundle) => void, string][] = [
    ['a record payload byte', (b) => ((b.records[1]!.record.payload as { note: string }).note = 'event 9'), '/records/1/hash'],
    ['a record signature', (b) => ((b.records[2]!.record as { signature: string }).signature = flipB64(b.records[2]!.record.signature!)), '/records/2/record/signature'],
    ['a seal', (b) => ((b.blocks[1]!.seals[0] as { signature: string }).signature = flipB64(b.blocks[1]!.seals[0]!.signature)), '/blocks/1/seals/0'],
    ['a header field', (b) => ((b.blocks[2]!.header as { timestamp: string }).timestamp = '2000-01-01T00:00:00.000Z'), '/blocks/2/hash'],
    ['a block inclusion proof element', (b) => (b.records[0]!.blockInclusion[0] = flipHex(b.records[0]!.blockInclusion[0]!)), '/records/0/blockInclusion'],
    ['a log inclusion proof element', (b) => (b.records[3]!.logInclusion[1] = flipHex(b.records[3]!.logInclusion[1]!, 10)), '/records/3/logInclusion'],
    ['the checkpoint root', (b) => ((b.checkpoint as { logRoot: string }).logRoot = flipHex(b.checkpoint.logRoot)), '/checkpointSignatures/0'],
    ['a record logIndex', (b) => (b.records[0]!.logIndex += 1), '/records/0/logIndex'],
    ['the genesis hash', (b) => (b.genesisHash = flipHex(b.genesisHash)), '/genesisHash'],
    ['a signer role', (b) => (b.signers[0]!.roles = ['REGULATOR']), '/signers/0/roles'],
    ['a signer validity window', (b) => (b.signers[0]!.addedAtLogIndex = 1), '/signers/0/addedAtLogIndex'],
    ['an authority set key name (fast-check counterexample)', (b) => {
      const set = b.authoritySets[0] as unknown as Record<string, unknown>;
      set.quorun = set.quorum;
      delete set.quorum;
    }, '/authoritySets/0'],
    ['a dropped membership record', (b) => b.membershipRecords.splice(3, 1), '/records/2/record'],
  ];
  for (const [what, mutate, pathPrefix] of mutations) {
    it(`fails with the path when ${what} changes`, () => {
      const b = clone(bundle);
      mutate(b);
      const report = verifyBundle(b);
      expect(report.ok).toBe(false);
      expect(report.failures.map((f) => f.path)).toContainEqual(expect.stringMatching(new RegExp(`^${pathPrefix.replace(/[/]/g, '\\/')}`)));
    });
  }

  it('fails on a removed seal below quorum', () => {
    const b = clone(bundle);
    const block = b.blocks.find((x) => x.header.height === 4)!; // 3 authorities: quorum 3
    block.seals.pop();
    const report = verifyBundle(b);
    expect(report.failures).toContainEqual(expect.objectContaining({ path: `/blocks/${b.blocks.indexOf(block)}/seals`, code: 'NO_QUORUM', expected: 3, computed: 2 }));
  });

  it("fails when two records' proofs are swapped", () => {
    const b = clone(bundle);
    const [r0, r1] = [b.records[0]!, b.records[1]!];
    [r0.blockInclusion, r1.blockInclusion] = [r1.blockInclusion, r0.blockInclusion];
    [r0.logInclusion, r1.logInclusion] = [r1.logInclusion, r0.logInclusion];
    const paths = verifyBundle(b).failures.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['/records/0/blockInclusion', '/records/0/logInclusion', '/records/1/blockInclusion', '/records/1/logInclusion']));
  });

  it('fails when an authority key is changed', () => {
    const b = clone(bundle);
    const other = generateKeyPair('ed25519');
    b.authoritySets[0]!.authorities[0]!.publicKey = encodePublicKey(other.publicKey);
    const report = verifyBundle(b);
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => f.path)).toContain('/authoritySets/0/authorities/0/keyId');
    expect(report.failures.map((f) => f.path)).toContain('/authoritySets/0/hash');
  });

  it('fails when a proof is checked at another tree size (checkpoint logSize edited)', () => {
    const b = clone(bundle);
    (b.checkpoint as { logSize: number }).logSize -= 1;
    const report = verifyBundle(b);
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => f.path)).toEqual(expect.arrayContaining(['/checkpoint/logSize', '/checkpointSignatures/0']));
  });

  it('property: one changed character of the serialised bundle is never accepted', () => {
    const text = JSON.stringify(bundle);
    const alphabet = '0123456789abcdefABCDEF:-_"{}[],.eEnulltrfs ';
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.constantFrom(...alphabet), (at, ch) => {
        fc.pre(text[at] !== ch);
        const mutated = text.slice(0, at) + ch + text.slice(at + 1);
        let parsed: unknown;
        try {
          parsed = JSON.parse(mutated);
        } catch {
          return; // the CLI reports a parse error (tested below)
        }
        const report = verifyBundle(parsed);
        if (report.ok) throw new Error(`accepted a change at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 30), at + 30))} -> ${ch}`);
      }),
      { numRuns: 1000 },
    );
  });

  describe('CLI', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-bundle-'));
    async function run(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
      const out: string[] = [];
      const err: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
      const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
      process.exitCode = undefined;
      // A node on PostgreSQL is found through DATABASE_URL, as an operator's CLI finds it; on SQLite, through --data.
      if (node.config.databaseUrl.startsWith('postgresql:')) vi.stubEnv('DATABASE_URL', node.config.databaseUrl);
      try {
        const program = new Command().exitOverride();
        registerBundleCommands(program);
        await program.parseAsync(['node', 'provenant', ...args]);
        return { out: out.join('\n'), err: err.join('\n'), code: process.exitCode as number | undefined };
      } finally {
        log.mockRestore();
        error.mockRestore();
        vi.unstubAllEnvs();
        process.exitCode = undefined;
      }
    }

    it('export-bundle writes a file that verify-bundle accepts (exit 0)', async () => {
      const out = path.join(dir, 'bundle.json');
      await node.close();
      const exported = await run(['export-bundle', '--data', node.dataDir, '--consortium', C, '--record', trace[0]!, trace[4]!, '--out', out]);
      expect(exported.err).toMatch(/wrote .*2 record/);
      const genesis = (await node.db.block.findFirst({ where: { consortiumId: C, height: 0 } }))!.hash;
      const verified = await run(['verify-bundle', out, '--genesis', genesis]);
      expect(verified.out).toMatch(/^OK: \d+ checks hold/m);
      expect(verified.code).toBe(0);
      node = await node.reopen();
    });

    it('verify-bundle prints each failure with its path and exits 1', async () => {
      const b = clone(bundle);
      (b.records[1]!.record.payload as { n: number }).n = 99;
      const file = path.join(dir, 'tampered.json');
      writeFileSync(file, JSON.stringify(b));
      const { out, code } = await run(['verify-bundle', file]);
      expect(out).toMatch(/^FAIL \/records\/1\/hash: RECORD_HASH_MISMATCH/m);
      expect(out).toMatch(/^FAILED: \d+ problem/m);
      expect(code).toBe(1);
    });

    it('reports invalid JSON and unreadable files clearly (exit 2, no stack)', async () => {
      const file = path.join(dir, 'broken.json');
      writeFileSync(file, JSON.stringify(bundle).slice(0, 100));
      const broken = await run(['verify-bundle', file]);
      expect(broken.err).toMatch(/^error: .*broken\.json is not valid JSON/);
      expect(broken.err).not.toMatch(/at .*\.ts:\d+/);
      expect(broken.code).toBe(2);
      expect(verifyBundleFile(path.join(dir, 'missing.json'))).toMatchObject({ exitCode: 2, lines: [expect.stringMatching(/cannot read .*ENOENT/)] });
    });
  });
});
