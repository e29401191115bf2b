/**
 * Whether blocks commit to the identifier index map is the consortium's genesis setting, not a node
 * option: a consortium created with it off cuts version-1 headers, on version-2, and a node opened
 * with another default for new consortia derives the same headers for existing ones.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/platform/config.js';
import { openNode, type OpenedNode } from '../../../src/services/node/bootstrap.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { CaptureService } from '../../../src/services/capture/capture-service.js';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { buildDemoConsortium, type ConsortiumFixture } from '../../helpers/consortia.js';
import { epcisDocument } from '../../helpers/epcis-documents.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const ON = 'index-on';
const OFF = 'index-off';

function fixture(id: string, indexCommitment: boolean): ConsortiumFixture {
  const f = buildDemoConsortium(id);
  return { ...f, spec: { ...f.spec, indexCommitment } };
}

function birth(n: number): Record<string, unknown> {
  return { type: 'ObjectEvent', eventTime: `2026-03-01T08:0${n}:00.000Z`, eventTimeZoneOffset: '+00:00', action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [`urn:provenant:animal:UK12345060000${n}`] };
}

async function versions(opened: OpenedNode, consortiumId: string): Promise<number[]> {
  return (await opened.db.block.findMany({ where: { consortiumId }, orderBy: { height: 'asc' } })).map((b) => (JSON.parse(b.header) as { v: number }).v);
}

/** Captures one birth into each consortium and seals it, on a node opened by openNode (the harness keeps only the demo keys). */
async function captureBoth(opened: OpenedNode, fixtures: ConsortiumFixture[], n: number): Promise<void> {
  const capture = new CaptureService({ node: opened.node, db: opened.db });
  try {
    for (const f of fixtures) {
      for (const key of f.authorityKeys) opened.node.addAuthorityKey(key);
      await capture.capture(signCaptureDocument(epcisDocument([birth(n)]), { consortium: f.spec.consortiumId, key: f.orgKeys.get('highfield-farm')! }));
      expect(await opened.node.sealNow(f.spec.consortiumId)).not.toBeNull();
    }
  } finally {
    await capture.close();
  }
}

describe('the index commitment is a genesis setting', () => {
  let temp: TestNode | undefined;
  afterEach(async () => {
    await temp?.destroy();
    temp = undefined;
  });

  it('off cuts version-1 headers, on version-2; a node with another local default derives the same headers', async () => {
    const fixtures = [fixture(ON, true), fixture(OFF, false)];
    temp = await startTestNode({ demo: false, consortia: fixtures });
    await temp.captureSealed('highfield-farm', [birth(1)], { consortiumId: ON });
    await temp.captureSealed('highfield-farm', [birth(1)], { consortiumId: OFF });
    expect(await versions(temp, ON)).toEqual([1, 2]);
    expect(await versions(temp, OFF)).toEqual([1, 1]);
    expect(temp.node.trustedIndex(OFF)).toBeUndefined();
    await temp.stop();
    for (const indexCommitment of [false, true]) {
      const other = await openNode(loadConfig({ dataDir: temp.dataDir, databaseUrl: temp.config.databaseUrl }), { autoSeal: false, indexCommitment });
      try {
        await captureBoth(other, fixtures, indexCommitment ? 3 : 2);
      } finally {
        await other.close();
      }
    }
    const reopened = await openNode(loadConfig({ dataDir: temp.dataDir, databaseUrl: temp.config.databaseUrl }), { autoSeal: false });
    try {
      expect(await versions(reopened, ON)).toEqual([1, 2, 2, 2]);
      expect(await versions(reopened, OFF)).toEqual([1, 1, 1, 1]);
      for (const id of [ON, OFF]) expect((await verifyStoredChain(reopened.store, id)).failures).toEqual([]);
    } finally {
      await reopened.close();
    }
  });

  it('the node option is only the setting for new consortia whose spec does not say, written into their genesis', async () => {
    temp = await startTestNode({ demo: false, consortia: [fixture(ON, true)] });
    await temp.stop();
    const opened = await openNode(loadConfig({ dataDir: temp.dataDir, databaseUrl: temp.config.databaseUrl }), { autoSeal: false, indexCommitment: false });
    try {
      const unsaid = buildDemoConsortium(OFF);
      delete unsaid.spec.indexCommitment;
      await opened.node.createConsortium(unsaid.spec, unsaid.authorityKeys);
      const saysOn = buildDemoConsortium('says-on');
      await opened.node.createConsortium(saysOn.spec, saysOn.authorityKeys);
      expect(opened.node.state(OFF)!.indexCommitment).toBe(false);
      expect(opened.node.state('says-on')!.indexCommitment).toBe(true);
      await captureBoth(opened, [unsaid], 1);
      expect(await versions(opened, OFF)).toEqual([1, 1]);
    } finally {
      await opened.close();
    }
  });
});
