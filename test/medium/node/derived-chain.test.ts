/** The node drives the deriver: blocks cut from the ordering log, sealed by messages, stored once final; restarts resume the log. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordKind, signRecord, type SignedRecord } from '../../../src/core/ledger/record.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { orderingLogFile } from '../../../src/services/node/bootstrap.js';
import { LedgerNode } from '../../../src/services/node/ledger-node.js';
import { openFileOrdering } from '../../../src/platform/ordering/file-ordering-log.js';
import type { Ordering, SubscribeOptions } from '../../../src/platform/ordering/ordering.js';
import { openDatabase, type Database } from '../../../src/store/database.js';
import { ChainStore } from '../../../src/store/chain-store.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';
import { epcisDocument, objectEvent, signEnvelope } from '../../helpers/epcis-documents.js';

const C = DEMO_CONSORTIUM_ID;

function farmRecord(node: TestNode, n: number): SignedRecord {
  return signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { note: `derived ${n}`, n } }, node.demo.orgKeys.get('highfield-farm')!);
}

/** The kinds of the messages in the node's ordering log file, in order. */
function logKinds(dataDir: string): string[] {
  return readFileSync(orderingLogFile(dataDir), 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(Buffer.from((JSON.parse(line) as { bytes: string }).bytes, 'base64url').toString('utf8')) as { kind: string }).kind);
}

/** Keeps the first `count` entries of the log file: what a log that lost its tail (or showed another history) holds. */
function truncateLog(dataDir: string, count: number): void {
  const lines = readFileSync(orderingLogFile(dataDir), 'utf8').trim().split('\n');
  writeFileSync(orderingLogFile(dataDir), lines.slice(0, count).map((l) => `${l}\n`).join(''));
}

async function blockRows(node: TestNode) {
  return node.db.$queryRawUnsafe<{ height: number; hash: string; cutSequence: number | null; finalSequence: number | null; seals: string }[]>(
    `SELECT "height", "hash", "cutSequence", "finalSequence", "seals" FROM "Block" WHERE "consortiumId" = ? ORDER BY "height"`,
    C,
  );
}

describe('a node deriving its blocks from the ordering log', () => {
  let node: TestNode | undefined;
  afterEach(async () => {
    await node?.destroy();
    node = undefined;
  });

  it('puts submissions, a cut marker and one seal per authority key in the log, and stores the block once final with where it was cut', async () => {
    node = await startTestNode();
    const outcomes = await node.node.submit(C, [farmRecord(node, 1), farmRecord(node, 2)]);
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted']);
    const sealed = await node.node.sealNow(C);
    expect(sealed).toMatchObject({ height: 1 });
    expect(logKinds(node.dataDir)).toEqual(['submission', 'cut', 'seal', 'seal', 'seal', 'seal']);
    const [genesis, block] = await blockRows(node);
    expect(genesis).toMatchObject({ height: 0, cutSequence: 0, finalSequence: 0 });
    // Cut by entry 2; final at the third seal (entry 5); all four seals kept.
    expect(block).toMatchObject({ height: 1, hash: sealed!.hash, cutSequence: 2, finalSequence: 5 });
    expect(JSON.parse(block!.seals)).toHaveLength(4);
    expect(node.node.chainStatus(C)).toMatchObject({ finalHeight: 1, derivedHeight: 1, lastSequence: 6, finalHash: sealed!.hash });
    expect((await verifyStoredChain(node.store, C)).ok).toBe(true);
  });

  it('cuts a block without a marker once it holds the consortium block size, fixed in genesis', async () => {
    const demo = buildDemoConsortium('small-blocks');
    demo.spec.sealMaxRecords = 3;
    node = await startTestNode();
    await node.node.createConsortium(demo.spec, demo.authorityKeys);
    const record = (n: number) => signRecord({ consortium: 'small-blocks', kind: RecordKind.EPCIS_EVENT, payload: { n } }, demo.orgKeys.get('meadow-farm')!);
    await node.node.submit('small-blocks', [record(1), record(2)]);
    expect(node.node.chainStatus('small-blocks').derivedHeight).toBe(0);
    const [outcome] = await node.node.submit('small-blocks', [record(3)], { waitForSeal: true });
    expect(outcome).toMatchObject({ status: 'accepted', block: { height: 1 } });
    expect(node.node.pendingCount('small-blocks')).toBe(0);
  });

  it('resumes the log after the entry that cut the head block, and re-derives the pending records after it', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'provenant-resume-'));
    const demo = buildDemoConsortium();
    const calls: number[] = [];
    const open = async (): Promise<{ node: LedgerNode; db: Database; ordering: Ordering }> => {
      const db = await openDatabase({ url: `file:${path.join(dataDir, 'provenant.db')}` });
      const ordering = await openFileOrdering(orderingLogFile(dataDir));
      const spied: Ordering = {
        append: (consortium, bytes, headers) => ordering.append(consortium, bytes, headers),
        info: (consortium) => ordering.info(consortium),
        close: () => ordering.close(),
        subscribe: (consortium: string, options: SubscribeOptions) => {
          calls.push(options.afterSequence);
          return ordering.subscribe(consortium, options);
        },
      };
      const ledger = await LedgerNode.open({ store: new ChainStore(db), ordering: spied, authorityKeys: demo.authorityKeys, autoSeal: false });
      return { node: ledger, db, ordering };
    };
    try {
      let opened = await open();
      await opened.node.createConsortium(demo.spec, demo.authorityKeys);
      const record = (n: number) => signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { n } }, demo.orgKeys.get('highfield-farm')!);
      await opened.node.submit(C, [record(1)]);
      await opened.node.sealNow(C); // entries 1..6: submission, cut, four seals
      await opened.node.submit(C, [record(2)]); // entry 7, pending
      await opened.node.abandon();
      await opened.ordering.close();
      await opened.db.$disconnect();
      calls.length = 0;
      opened = await open();
      expect(calls).toEqual([2]);
      expect(opened.node.pendingCount(C)).toBe(1);
      expect(opened.node.chainStatus(C)).toMatchObject({ finalHeight: 1, lastSequence: 7 });
      expect(await opened.node.sealNow(C)).toMatchObject({ height: 2 });
      const report = await verifyStoredChain(opened.node.store, C);
      expect(report.ok).toBe(true);
      expect(report.records).toBe(3);
      await opened.node.close();
      await opened.ordering.close();
      await opened.db.$disconnect();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('submits again, after a restart, records it stored but whose append the crash lost', async () => {
    node = await startTestNode();
    const record = farmRecord(node, 1);
    await node.node.submit(C, [record]);
    node = await node.crashAndReopen();
    truncateLog(node.dataDir, 0);
    node = await node.crashAndReopen();
    expect(node.node.pendingCount(C)).toBe(1);
    expect(logKinds(node.dataDir)).toEqual(['submission']);
    expect(await node.node.sealNow(C)).toMatchObject({ height: 1 });
    const report = await verifyStoredChain(node.store, C);
    expect(report.ok).toBe(true);
    expect(report.records).toBe(2);
  });
  it('starts again when a captured event lost its append: the start-up check counts it, and its rows serve once it is sealed', async () => {
    node = await startTestNode({ http: true });
    const key = node.demo.orgKeys.get('vale-processors')!;
    const event = objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: ['urn:epc:id:sgtin:5098765.044444.ORPHAN1'] });
    const res = await fetch(`${node.url}/epcis/capture`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signEnvelope(epcisDocument([event]), key, { consortium: C })) });
    expect(res.status).toBe(200);
    const before = await node.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*) AS n FROM "EpcisEvent" WHERE "consortiumId" = ?`, C);
    node = await node.crashAndReopen();
    truncateLog(node.dataDir, 0);
    node = await node.crashAndReopen();
    expect(node.node.pendingCount(C)).toBe(1);
    expect(await node.node.sealNow(C)).toMatchObject({ height: 1 });
    const after = await node.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*) AS n FROM "EpcisEvent" WHERE "consortiumId" = ?`, C);
    expect(Number(after[0]!.n)).toBe(Number(before[0]!.n));
    node = await node.crashAndReopen();
    expect((await verifyStoredChain(node.store, C)).ok).toBe(true);
  });
  it('starts again when a block became final in the log but a crash kept it from the store: the start-up check sees the block the catch-up stores', async () => {
    node = await startTestNode({ http: true });
    const key = node.demo.orgKeys.get('vale-processors')!;
    const event = objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: ['urn:epc:id:sgtin:5098765.044444.CATCHUP1'] });
    const res = await fetch(`${node.url}/epcis/capture`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signEnvelope(epcisDocument([event]), key, { consortium: C })) });
    expect(res.status).toBe(200);
    const sealed = await node.node.sealNow(C);
    expect(sealed).toMatchObject({ height: 1 });
    node = await node.crashAndReopen({ http: false });
    // What a crash between the seals reaching the log and the block reaching the store leaves.
    await node.db.$executeRawUnsafe(`UPDATE "LedgerRecord" SET "blockHeight" = NULL, "indexInBlock" = NULL WHERE "consortiumId" = ? AND "blockHeight" = 1`, C);
    await node.db.$executeRawUnsafe(`DELETE FROM "Block" WHERE "consortiumId" = ? AND "height" = 1`, C);
    node = await node.crashAndReopen();
    expect((await blockRows(node)).map((b) => b.height)).toEqual([0, 1]);
    expect((await verifyStoredChain(node.store, C)).ok).toBe(true);
  });
});

describe('an authority never seals two blocks at one height', () => {
  let node: TestNode | undefined;
  afterEach(async () => {
    await node?.destroy();
    node = undefined;
  });

  /** A node that "crashes" right after its seals are in the seal ledger, before any is published. */
  async function crashAfterPersist(): Promise<{ hash: string }> {
    let crashed: { hash: string } | undefined;
    node = await startTestNode({
      testHooks: {
        afterSealPersisted(seal) {
          crashed ??= { hash: seal.hash };
          throw new Error('simulated crash between persisting a seal and publishing it');
        },
      },
    });
    await node.node.submit(C, [farmRecord(node, 1)]);
    await expect(node.node.sealNow(C)).rejects.toThrow(/stopped/);
    expect(logKinds(node.dataDir)).toEqual(['submission', 'cut']);
    const ledger = await node.db.$queryRawUnsafe<{ height: number; blockHash: string }[]>(`SELECT "height", "blockHash" FROM "SealLedger"`);
    expect(ledger).toHaveLength(4);
    expect(ledger.every((row) => row.height === 1 && row.blockHash === crashed!.hash)).toBe(true);
    return crashed!;
  }

  it('publishes, after the restart, the seal it had persisted for the same block', async () => {
    const crashed = await crashAfterPersist();
    node = await node!.crashAndReopen({ testHooks: undefined });
    await expect.poll(() => node!.node.chainStatus(C).finalHeight, { timeout: 10_000 }).toBe(1);
    expect(node.node.chainStatus(C).finalHash).toBe(crashed.hash);
    expect(logKinds(node.dataDir)).toEqual(['submission', 'cut', 'seal', 'seal', 'seal', 'seal']);
  });

  it('refuses, after the restart, to seal another block at that height', async () => {
    const crashed = await crashAfterPersist();
    // The log the node comes back to shows another history: the cut marker is gone, so block 1 is cut again, later.
    truncateLog(node!.dataDir, 1);
    node = await node!.crashAndReopen({ testHooks: undefined });
    expect(await node.node.sealNow(C)).toBeNull();
    await expect.poll(() => node!.node.chainStatus(C).derivedHeight, { timeout: 10_000 }).toBe(1);
    expect(node.node.chainStatus(C).finalHeight).toBe(0);
    expect(logKinds(node.dataDir)).toEqual(['submission', 'cut']);
    expect(node.node.sealStatus(C).blockedReason).toMatch(new RegExp(`sealed block ${crashed.hash.slice(0, 16)} at height 1 before; it will not seal`));
    const ledger = await node.db.$queryRawUnsafe<{ blockHash: string }[]>(`SELECT DISTINCT "blockHash" FROM "SealLedger"`);
    expect(ledger).toEqual([{ blockHash: crashed.hash }]);
  });
});
