/**
 * `provenant export-bundle --trace|--recall|--cargo` on a real database: it writes an anchored,
 * complete v2 bundle (the query, every identifier the walk visits, the checkpoint, completeness and
 * membership proofs) that `verify-bundle --genesis` accepts, and every mutation of it is refused.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { encodePublicKey, generateKeyPair } from '../../../src/core/crypto/index.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { verifyBundle, type ProofBundle } from '../../../src/core/lineage/bundle.js';
import { trace } from '../../../src/services/lineage/queries.js';
import { registerBundleCommands } from '../../../src/transport/cli/bundle-commands.js';
import { buildChain, packs, animals, carcasses, C, type Chain } from './fixture.js';

const copy = (b: ProofBundle): ProofBundle => JSON.parse(JSON.stringify(b)) as ProofBundle;

/** Mutations of an answer bundle and the code each must be refused with (undefined: refused, whatever the code). */
const MUTATIONS: { name: string; mutate: (b: ProofBundle) => void; code?: string }[] = [
  {
    name: 'a dropped hop (an identifier\'s last record removed)',
    mutate: (b) => {
      const hop = b.completeness!.identifiers.find((p) => p.identifier === animals[0])!.entries.at(-1)!.recordHash;
      b.records = b.records.filter((r) => r.hash !== hop);
    },
    code: 'INCOMPLETE',
  },
  { name: 'a dropped record', mutate: (b) => void b.records.splice(0, 1) },
  {
    name: 'a dropped membership record',
    mutate: (b) => void b.membershipRecords.splice(b.membershipRecords.findIndex((r) => r.record.kind !== 'consortium.genesis'), 1),
    code: 'MEMBERSHIP_INCOMPLETE',
  },
  { name: 'a fake consortium of the same name', mutate: (b) => void (b.genesisHash = 'ab'.repeat(32)), code: 'BLOCK_HASH_MISMATCH' },
  {
    name: 'an identifier dropped from both the answer and the proofs',
    mutate: (b) => {
      b.answer!.identifiers = b.answer!.identifiers.filter((i) => i !== carcasses[0]);
      b.completeness!.identifiers = b.completeness!.identifiers.filter((p) => p.identifier !== carcasses[0]);
    },
    code: 'WALK_INCOMPLETE',
  },
];

describe('provenant export-bundle: v2 answer bundles from a database', () => {
  let chain: Chain;
  let genesis: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-cli-bundle-'));

  async function run(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    process.exitCode = undefined;
    // The node's own database, on either engine, as an operator's DATABASE_URL names it.
    const databaseUrl = process.env.DATABASE_URL;
    if (chain.temp.config.databaseUrl) process.env.DATABASE_URL = chain.temp.config.databaseUrl;
    try {
      const program = new Command().exitOverride();
      registerBundleCommands(program);
      await program.parseAsync(['node', 'provenant', ...args]);
      return { out: out.join('\n'), err: err.join('\n'), code: process.exitCode as number | undefined };
    } finally {
      log.mockRestore();
      error.mockRestore();
      process.exitCode = undefined;
      if (databaseUrl === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = databaseUrl;
    }
  }

  const exportTo = async (name: string, ...query: string[]) => {
    const file = path.join(dir, name);
    const res = await run(['export-bundle', '--data', chain.temp.dataDir, '--consortium', C, ...query, '--out', file]);
    return { ...res, file, bundle: JSON.parse(readFileSync(file, 'utf8')) as ProofBundle };
  };

  beforeAll(async () => {
    chain = await buildChain();
    // A membership record after genesis: a device the farm registers.
    const device = signRecord({ consortium: C, kind: RecordKind.DEVICE_REGISTER, payload: { deviceId: 'probe-1', publicKey: encodePublicKey(generateKeyPair().publicKey) } }, chain.temp.demo.orgKeys.get('highfield-farm')!);
    expect((await chain.temp.node.submit(C, [device]))[0]).toMatchObject({ status: 'accepted' });
    await chain.temp.node.sealNow(C);
    genesis = (await chain.temp.db.block.findFirst({ where: { consortiumId: C, height: 0 } }))!.hash;
  }, 120_000);

  afterAll(async () => {
    await chain?.close();
  });

  it('writes a v2 bundle of the trace: its query, every identifier the walk visits, and verify-bundle --genesis accepts it', async () => {
    const { err, file, bundle } = await exportTo('trace.json', '--trace', packs[0]!, '--direction', 'upstream');
    expect(err).toMatch(/wrote .*provenant-proof-bundle\/v2/);
    expect(bundle.format).toBe('provenant-proof-bundle/v2');
    expect(bundle.answer!.query).toEqual({ kind: 'trace', identifier: packs[0], direction: 'UPSTREAM' });
    const answer = await trace(chain.ctx(), packs[0]!, 'UPSTREAM');
    expect([...bundle.answer!.identifiers].sort()).toEqual([...answer.trace.nodes].sort());
    expect(bundle.answer!.checkpoint).toEqual({ logSize: bundle.checkpoint.logSize, blockHeight: bundle.checkpoint.blockHeight, blockHash: bundle.checkpoint.blockHash });
    const verified = await run(['verify-bundle', file, '--genesis', genesis]);
    expect(verified.out).toMatch(/identifier\(s\) proven complete/);
    expect(verified.out).toMatch(/^OK: /m);
    expect(verified.code).toBe(0);
  });

  it('refuses every mutation of the exported bundle, on the command line too', async () => {
    const { bundle } = await exportTo('base.json', '--trace', packs[0]!);
    for (const m of MUTATIONS) {
      const b = copy(bundle);
      m.mutate(b);
      const report = verifyBundle(b, { genesis });
      expect(report.ok, m.name).toBe(false);
      if (m.code) expect(report.failures.map((f) => f.code), m.name).toContain(m.code);
      const file = path.join(dir, 'mutated.json');
      writeFileSync(file, JSON.stringify(b));
      expect((await run(['verify-bundle', file, '--genesis', genesis])).code, m.name).toBe(1);
    }
  });

  it('refuses a stale checkpoint: an earlier genuine checkpoint in place of the answer\'s', async () => {
    const { bundle } = await exportTo('stale.json', '--trace', packs[0]!);
    const earlier = (await chain.temp.db.checkpoint.findFirst({ where: { consortiumId: C, blockHeight: bundle.checkpoint.blockHeight - 1 } }))!;
    const b = copy(bundle);
    b.checkpoint = { v: 1, consortium: C, logSize: earlier.logSize, logRoot: earlier.logRoot, blockHeight: earlier.blockHeight, blockHash: earlier.blockHash, timestamp: earlier.timestamp };
    b.checkpointSignatures = JSON.parse(earlier.signatures);
    b.answer!.checkpoint = { logSize: earlier.logSize, blockHeight: earlier.blockHeight, blockHash: earlier.blockHash };
    expect(verifyBundle(b, { genesis }).ok).toBe(false);
  });

  it('recall and cargo answers are v2 bundles too; a bad query is a usage error (exit 2), never a bundle', async () => {
    const recall = await exportTo('recall.json', '--recall', animals[0]!, '--max-depth', '8');
    expect(recall.bundle.answer!.query).toEqual({ kind: 'recall', identifier: animals[0], maxDepth: 8 });
    expect(recall.bundle.answer!.identifiers).toEqual(expect.arrayContaining([animals[0], carcasses[0], packs[0]]));
    expect(verifyBundle(recall.bundle, { genesis }).failures).toEqual([]);
    const cargo = await exportTo('cargo.json', '--cargo', packs[1]!);
    expect(cargo.bundle.answer!.query.kind).toBe('cargo');
    expect(verifyBundle(cargo.bundle, { genesis }).failures).toEqual([]);
    await expect(run(['export-bundle', '--data', chain.temp.dataDir, '--consortium', C, '--trace', packs[0]!, '--recall', packs[0]!])).rejects.toThrow(/exactly one of/);
    await expect(run(['export-bundle', '--data', chain.temp.dataDir, '--consortium', C, '--trace', 'not an identifier'])).rejects.toThrow(/not a recognised identifier/);
    await expect(run(['export-bundle', '--data', chain.temp.dataDir, '--consortium', C, '--trace', packs[0]!, '--direction', 'SIDEWAYS'])).rejects.toThrow(/UPSTREAM or DOWNSTREAM/);
  });
});
