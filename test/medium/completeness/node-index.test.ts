/**
 * The node keeps the index map with its blocks: version-2 headers commit to it, a restart checks
 * the stored map against the head's indexRoot (rebuilding it from the records when it is missing
 * or tampered), a tampered leaf never reaches a signed header, and a chain sealed before the map
 * existed gets it from its next block on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { openNode } from '../../../src/services/node/bootstrap.js';
import { loadConfig } from '../../../src/platform/config.js';
import { CaptureService } from '../../../src/services/capture/capture-service.js';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { LineageStore } from '../../../src/store/lineage-store.js';
import { trace } from '../../../src/services/lineage/queries.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';
import { buildDemoConsortium } from '../../helpers/consortia.js';
import { epcisDocument } from '../../helpers/epcis-documents.js';
import { buildChain, packs, C, type Chain } from './fixture.js';

async function headers(temp: TestNode): Promise<{ v: number; height: number; indexRoot?: string }[]> {
  return (await temp.db.block.findMany({ where: { consortiumId: C }, orderBy: { height: 'asc' } })).map((b) => JSON.parse(b.header));
}

/** The chain on a reopened node (same data directory). */
async function reopenChain(chain: Chain): Promise<Chain> {
  const reopened = await chain.temp.reopen();
  const capture = chain.capture;
  return { ...chain, temp: reopened, close: async () => { await capture.close(); await reopened.destroy(); } };
}

describe('the node and the index map', () => {
  let chain: Chain | undefined;
  afterEach(async () => {
    await chain?.close();
    chain = undefined;
  });

  it('seals version-2 blocks whose indexRoot provenant verify replays; a restart uses the stored map', async () => {
    let c = (chain = await buildChain());
    const hs = await headers(c.temp);
    expect(hs[0]!.v).toBe(1);
    expect(hs.slice(1).every((h) => h.v === 2 && /^[0-9a-f]{64}$/.test(h.indexRoot!))).toBe(true);
    const report = await verifyStoredChain(c.temp.store, C);
    expect(report.failures).toEqual([]);
    c = chain = await reopenChain(c);
    const reopened = c.temp;
    expect(reopened.node.trustedIndex(C)!.current()).toMatchObject({ height: hs[hs.length - 1]!.height, root: hs[hs.length - 1]!.indexRoot, signed: true });
  });

  it('a tampered leaf: answers about its identifier are INCOMPLETE, and the next seal rebuilds the map rather than sign it', async () => {
    const c = (chain = await buildChain());
    await c.temp.db.$executeRawUnsafe(`UPDATE "IndexLeaf" SET "count" = "count" + 1 WHERE "consortiumId" = ? AND "identifier" = ?`, C, packs[0]);
    const v = await trace(c.ctx(), packs[0]!, 'UPSTREAM');
    expect(v.verification.completeness!.byIdentifier.get(packs[0]!)!.status).toBe('INCOMPLETE');
    // Admission will not act on the item either (its history cannot be proven).
    const refused = await c.post('riverside-retail', [{ type: 'ObjectEvent', eventTime: '2026-03-12T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE', bizStep: 'receiving', epcList: [packs[0]] }]).catch((e: unknown) => e);
    expect((refused as { code?: string }).code).toBe('CUSTODY_UNVERIFIED');
    // A tampered leaf the next block touches without a custody check (a read point): the seal rebuilds the map rather than sign it.
    const farm = 'urn:epc:id:sgln:5012345.00001.0';
    const canonicalFarm = (await c.temp.db.$queryRawUnsafe<{ identifier: string }[]>(`SELECT "identifier" FROM "IndexLeaf" WHERE "consortiumId" = ? AND "identifier" LIKE '%5012345%' LIMIT 1`, C))[0]!.identifier;
    await c.temp.db.$executeRawUnsafe(`UPDATE "IndexLeaf" SET "count" = "count" + 1 WHERE "consortiumId" = ? AND "identifier" = ?`, C, canonicalFarm);
    await c.post('highfield-farm', [{ type: 'ObjectEvent', eventTime: '2026-03-12T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: ['urn:provenant:animal:UK123450600099'], readPoint: { id: farm } }]);
    expect((await verifyStoredChain(c.temp.store, C)).failures).toEqual([]);
    expect((await trace(c.ctx(), packs[0]!, 'UPSTREAM')).verification.verdict).toBe('VERIFIED');
  });

  it('a missing or tampered stored map is rebuilt from the records at start-up', async () => {
    let c = (chain = await buildChain());
    const root = c.temp.node.trustedIndex(C)!.current()!.root;
    await c.temp.db.$executeRawUnsafe(`DELETE FROM "IndexBucket" WHERE ("consortiumId", "bucket") IN (SELECT "consortiumId", "bucket" FROM "IndexBucket" LIMIT 3)`);
    await c.temp.db.$executeRawUnsafe(`DELETE FROM "IndexLeaf" WHERE ("consortiumId", "key") IN (SELECT "consortiumId", "key" FROM "IndexLeaf" LIMIT 3)`);
    c = chain = await reopenChain(c);
    const reopened = c.temp;
    expect(reopened.node.trustedIndex(C)!.current()!.root).toBe(root);
    const store = new LineageStore(reopened.db, C);
    const v = await trace({ source: store, evidence: store, state: reopened.node.state(C), index: reopened.node.trustedIndex(C) }, packs[0]!, 'UPSTREAM');
    expect(v.verification.verdict).toBe('VERIFIED');
  });

  it('a chain sealed with version-1 blocks: answers are UNPROVEN until the next block, which commits to the map of all its history', async () => {
    // A consortium whose genesis predates the setting (it does not say), sealed with version-1 blocks as nodes did before the map.
    const demo = buildDemoConsortium();
    delete demo.spec.indexCommitment;
    const temp = await startTestNode({ demo });
    const dataDir = temp.dataDir;
    // The test node's own database, on either engine.
    const { databaseUrl } = temp.config;
    await temp.stop();
    const old = await openNode(loadConfig({ dataDir, databaseUrl }), { autoSeal: false, testHooks: { versionOneBlocks: true } });
    const capture = new CaptureService({ node: old.node, db: old.db });
    const post = async (node: typeof old, svc: CaptureService, org: string, events: Record<string, unknown>[]) => {
      await svc.capture(signCaptureDocument(epcisDocument(events), { consortium: C, key: temp.demo.orgKeys.get(org)! }));
      await node.node.sealNow(C);
    };
    const calf = 'urn:provenant:animal:UK123450600001';
    await post(old, capture, 'highfield-farm', [{ type: 'ObjectEvent', eventTime: '2026-03-01T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [calf] }]);
    await capture.close();
    await old.close();
    const upgraded = await openNode(loadConfig({ dataDir, databaseUrl }), { autoSeal: false });
    try {
      expect(upgraded.node.trustedIndex(C)!.current()!.signed).toBe(false);
      let store = new LineageStore(upgraded.db, C);
      const ctx = () => ({ source: store, evidence: store, state: upgraded.node.state(C), index: upgraded.node.trustedIndex(C) });
      const before = await trace(ctx(), calf, 'DOWNSTREAM');
      expect(before.verification.verdict).toBe('VERIFIED');
      expect([...before.verification.completeness!.byIdentifier.values()].every((c) => c.status === 'UNPROVEN')).toBe(true);
      const svc = new CaptureService({ node: upgraded.node, db: upgraded.db });
      await post(upgraded, svc, 'highfield-farm', [{ type: 'ObjectEvent', eventTime: '2026-03-02T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE', bizStep: 'urn:provenant:bizstep:feeding', epcList: [calf] }]);
      await svc.close();
      const hs = (await upgraded.db.block.findMany({ where: { consortiumId: C }, orderBy: { height: 'asc' } })).map((b) => JSON.parse(b.header) as { v: number });
      expect(hs.map((h) => h.v)).toEqual([1, 1, 2]);
      expect((await verifyStoredChain(upgraded.store, C)).failures).toEqual([]);
      store = new LineageStore(upgraded.db, C);
      const after = await trace(ctx(), calf, 'DOWNSTREAM');
      expect(after.verification.completeness!.byIdentifier.get(after.trace.start)).toMatchObject({ status: 'COMPLETE', leaf: { count: 2 } });
    } finally {
      await upgraded.close();
      const { rmSync } = await import('node:fs');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
