/**
 * One node per organisation, in one process: four LedgerNodes, each with its own database and only
 * its own authority key, on one shared ordering log. Each imports the same genesis block; blocks
 * become final at every node; checkpoints are stored only once a quorum of authorities cosigned them
 * through the log. Also: `network init` writes each key to one data directory only, and a node
 * refuses keys of other organisations.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePublicKey, generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import { createGenesisBlock, ConsortiumState } from '../../../src/core/ledger/consortium.js';
import { verifyCheckpointSignatures, type CheckpointSignature } from '../../../src/core/ledger/checkpoint.js';
import { formatTimestamp, RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { InProcessOrdering } from '../../../src/platform/ordering/in-process-ordering.js';
import { buildDemoConsortium } from '../../../src/services/node/demo-consortium.js';
import { LedgerNode } from '../../../src/services/node/ledger-node.js';
import { assertOwnKeys, foreignKeys, initNetwork, readGenesisBlock } from '../../../src/services/node/network-init.js';
import { Keystore } from '../../../src/services/node/keystore.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { openDatabase, type Database } from '../../../src/store/database.js';
import { ChainStore } from '../../../src/store/chain-store.js';

const C = 'split-keys';

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('four nodes, one authority key each, on one ordering log', () => {
  let dir: string;
  const opened: { db: Database; node: LedgerNode; store: ChainStore }[] = [];
  let ordering: InProcessOrdering;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-split-'));
    ordering = new InProcessOrdering();
  });
  afterEach(async () => {
    for (const o of opened.splice(0)) {
      await o.node.abandon();
      await o.db.$disconnect();
    }
    await ordering.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openNodes(keys: readonly KeyPair[]) {
    for (const [i, key] of keys.entries()) {
      const db = await openDatabase({ url: `file:${path.join(dir, `node-${i}.db`)}` });
      const store = new ChainStore(db);
      const node = await LedgerNode.open({ store, ordering, authorityKeys: [key], sealIntervalMs: 20 });
      opened.push({ db, node, store });
    }
    return opened;
  }

  it('imports one genesis everywhere, makes blocks final at every node, and stores checkpoints cosigned by a quorum', async () => {
    const demo = buildDemoConsortium(C);
    const genesis = createGenesisBlock(demo.spec, demo.authorityKeys, formatTimestamp(new Date()));
    const nodes = await openNodes(demo.authorityKeys);
    for (const { node } of nodes) expect((await node.importGenesis(genesis)).consortium).toBe(C);
    // Genesis checkpoints need a quorum of signatures: a node with one key stores none.
    for (const { store } of nodes) expect(await store.latestCheckpoint(C)).toBeNull();

    const farm = demo.orgKeys.get('highfield-farm')!;
    const record = signRecord({ consortium: C, kind: RecordKind.DEVICE_REGISTER, payload: { deviceId: 'probe-1', publicKey: encodePublicKey(generateKeyPair('ed25519').publicKey), kind: 'sensor' } }, farm);
    const [outcome] = await nodes[0]!.node.submit(C, [record], { waitForSeal: true });
    expect(outcome).toMatchObject({ status: 'accepted', block: { height: 1 } });
    const hash = (outcome as { block: { hash: string } }).block.hash;
    await until('block 1 final at every node', () => (nodes.every(({ node }) => node.chainStatus(C).finalHash === hash) ? true : undefined));

    // Every node sees every authority sealing block 1 in the log, its own key among them, and has applied the whole log.
    const authorityKeyIds = demo.authorityKeys.map((k) => k.keyId).sort();
    for (const { node } of nodes) {
      const peers = await until('seals of all four authorities', () => {
        const seen = node.chainStatus(C).peers;
        return seen.length === authorityKeyIds.length ? seen : undefined;
      });
      expect(peers.map((p) => p.keyId)).toEqual(authorityKeyIds);
      for (const p of peers) expect(p).toMatchObject({ lastSealedHeight: 1, lastSequence: expect.any(Number) as number });
      await until('no lag', async () => ((await node.logLag(C)) === 0 ? true : undefined));
    }

    const state = nodes[0]!.node.state(C);
    for (const { store } of nodes) {
      const checkpoint = await until('a cosigned checkpoint', async () => (await store.latestCheckpoint(C)) ?? undefined);
      expect(checkpoint).toMatchObject({ blockHeight: 1, blockHash: hash });
      const signatures = JSON.parse(checkpoint.signatures) as CheckpointSignature[];
      const statement = { v: 1 as const, consortium: C, logSize: checkpoint.logSize, logRoot: checkpoint.logRoot, blockHeight: 1, blockHash: hash, timestamp: checkpoint.timestamp };
      expect(verifyCheckpointSignatures(statement, signatures, state.authoritiesInForce, state.quorum).length).toBeGreaterThanOrEqual(3);
      const report = await verifyStoredChain(store, C);
      expect(report.ok, JSON.stringify(report.projections?.failures)).toBe(true);
    }
  });

  it('refuses a genesis block without a quorum of seals, and a second genesis', async () => {
    const demo = buildDemoConsortium(C);
    const genesis = createGenesisBlock(demo.spec, demo.authorityKeys, formatTimestamp(new Date()));
    const { node } = (await openNodes(demo.authorityKeys.slice(0, 1)))[0]!;
    await expect(node.importGenesis({ ...genesis, seals: genesis.seals.slice(0, 2) })).rejects.toMatchObject({ code: 'NO_QUORUM' });
    await node.importGenesis(genesis);
    await expect(node.importGenesis(genesis)).rejects.toMatchObject({ code: 'DUPLICATE_GENESIS' });
  });
});

describe('provenant network init', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-init-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each private key to one data directory only: its own organisation and the members it hosts', () => {
    const plan = initNetwork({ dir: path.join(dir, 'net'), orgs: 4 });
    const state = ConsortiumState.fromGenesis(readGenesisBlock(plan.genesisFile));
    expect(state.authoritiesInForce.map((a) => a.orgId)).toEqual(plan.nodes.map((n) => n.org));
    const seen = new Set<string>();
    for (const node of plan.nodes) {
      const keys = new Keystore(path.join(node.dataDir, 'keys')).list();
      expect(new Set(keys.map((k) => state.keys.get(k.keyPair.keyId)?.orgId))).toEqual(new Set([node.org, ...node.hosts]));
      for (const k of keys) {
        expect(seen.has(k.keyPair.keyId)).toBe(false);
        seen.add(k.keyPair.keyId);
      }
      expect(foreignKeys(state, keys, node.org, node.hosts)).toEqual([]);
    }
    // Every member's key is somewhere, once; the genesis file holds no private key.
    expect(seen.size).toBe(state.orgs.size);
    expect(JSON.stringify(readGenesisBlock(plan.genesisFile))).not.toMatch(/privateKey/);
    expect(() => initNetwork({ dir: path.join(dir, 'net'), orgs: 4 })).toThrow(expect.objectContaining({ code: 'NETWORK_DIR_NOT_EMPTY' }));
    expect(readdirSync(path.join(dir, 'net')).sort()).toEqual(['fsa', 'genesis.json', 'hmrc', 'nats', 'port-felixstowe', 'riverside-retail']);
  });

  it('seven authorities for the larger networks, the three beyond the demo\'s four included; eight are refused', () => {
    const plan = initNetwork({ dir: path.join(dir, 'net'), orgs: 7, members: false });
    const state = ConsortiumState.fromGenesis(readGenesisBlock(plan.genesisFile));
    expect(plan.nodes.map((n) => n.org)).toEqual(['fsa', 'hmrc', 'riverside-retail', 'port-felixstowe', 'apha', 'food-standards-scotland', 'port-southampton']);
    expect(state.authoritiesInForce.map((a) => a.orgId)).toEqual(plan.nodes.map((n) => n.org));
    expect(new Set(plan.nodes.map((n) => n.natsUser)).size).toBe(7);
    expect(() => initNetwork({ dir: path.join(dir, 'net8'), orgs: 8 })).toThrow(expect.objectContaining({ code: 'NETWORK_BAD_OPTION' }));
  });

  it('a node refuses to run for one organisation with another organisation\'s key in its keystore', () => {
    const plan = initNetwork({ dir: path.join(dir, 'net'), orgs: 4, members: false });
    const state = ConsortiumState.fromGenesis(readGenesisBlock(plan.genesisFile));
    const [fsa, hmrc] = plan.nodes;
    const fsaKeys = new Keystore(path.join(fsa!.dataDir, 'keys'));
    expect(() => assertOwnKeys(state, fsaKeys.list(), 'fsa', [])).not.toThrow();
    fsaKeys.save('borrowed', new Keystore(path.join(hmrc!.dataDir, 'keys')).list()[0]!.keyPair);
    expect(() => assertOwnKeys(state, fsaKeys.list(), 'fsa', [])).toThrow(expect.objectContaining({ code: 'NODE_HOLDS_FOREIGN_KEY' }));
  });
});
