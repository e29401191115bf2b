/**
 * Divergent seals on a node: two authorities seal another block at the height this node derives
 * (as they would after reading the log in another order). The node's own two seals leave 2 of 4 on
 * each hash: nothing becomes final, and chainStatus shows the height, both hashes and who sealed each.
 * The node is the embedded one (every authority key): the two keys that sealed elsewhere do not seal again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockHash, type BlockHeader } from '../../../src/core/ledger/block.js';
import { sealMessageOf, signCutMarker } from '../../../src/core/ledger/derivation/index.js';
import { serializeOrderingMessage } from '../../../src/core/ledger/ordering-message.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { loadConfig } from '../../../src/platform/config.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { issueToken } from '../../../src/store/token-store.js';
import { createGraphqlServer, type GraphqlServer } from '../../../src/transport/graphql/yoga.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const C = DEMO_CONSORTIUM_ID;

interface EvidenceRow {
  kind: string;
  height: number;
  orgId: string;
  blockHashes: string[];
  signers: { keyId: string; orgId: string; blockHash: string }[];
}

describe('divergent seals on a node', () => {
  let node: TestNode;
  let server: GraphqlServer;
  let token: string;

  const status = async () => {
    const res = await server.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `{ chainStatus(consortium: "${C}") { ... on ChainStatus {
          finality { finalHeight derivedHeight stuckAtHeight haltedReason }
          evidence { kind height orgId blockHashes signers { keyId orgId blockHash } } } } }`,
      }),
    });
    const body = (await res.json()) as { data?: { chainStatus: { finality: Record<string, unknown>; evidence: EvidenceRow[] } }; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return body.data!.chainStatus;
  };

  beforeAll(async () => {
    node = await startTestNode();
    server = createGraphqlServer({ node: node.node, store: node.store, db: node.db, keystore: node.keystore, config: loadConfig({ dataDir: node.dataDir }) }, { logging: false });
    token = (await issueToken(node.db, C, 'meadow-farm', 'divergence test')).token;
  });
  afterAll(async () => {
    await server?.close();
    await node?.destroy();
  });

  it('stops at the height, and keeps one divergent-seals evidence naming both hashes and their signers', async () => {
    const genesis = await node.db.block.findFirstOrThrow({ where: { consortiumId: C, height: 0 } });
    const other: BlockHeader = { ...(JSON.parse(genesis.header) as BlockHeader), height: 1, previousHash: genesis.hash, merkleRoot: 'cd'.repeat(32), recordCount: 1 };
    // Sealed before this node cuts block 1: held, and judged right after the cut, before its own seals.
    for (const org of ['hmrc', 'port-felixstowe']) await node.ordering.append(C, serializeOrderingMessage(sealMessageOf(other, node.demo.orgKeys.get(org)!)));
    const record = signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { note: 'in the divergent block' } }, node.demo.orgKeys.get('highfield-farm')!);
    const [outcome] = await node.node.submit(C, [record]);
    expect(outcome).toMatchObject({ status: 'accepted' });

    await node.ordering.append(C, serializeOrderingMessage(signCutMarker(C, 1, node.demo.orgKeys.get('fsa')!)));
    await expect.poll(async () => (await status()).evidence.some((e) => e.kind === 'divergent-seals'), { timeout: 15_000 }).toBe(true);
    const { finality, evidence } = await status();
    expect(finality).toMatchObject({ finalHeight: 0, derivedHeight: 1, stuckAtHeight: 1, haltedReason: null });
    const divergent = evidence.filter((e) => e.kind === 'divergent-seals');
    expect(divergent).toHaveLength(1);
    const derived = node.node.chainStatus(C);
    expect(derived.finalHeight).toBe(0);
    const signers = Object.fromEntries(divergent[0]!.signers.map((s) => [s.orgId, s.blockHash]));
    const otherHash = blockHash(other);
    // Both seals on the other block, and this node's own seal(s) on the block it derived, up to the seal that revealed it.
    expect(signers).toMatchObject({ hmrc: otherHash, 'port-felixstowe': otherHash });
    const own = Object.entries(signers).filter(([org]) => org !== 'hmrc' && org !== 'port-felixstowe');
    expect(own.length).toBeGreaterThan(0);
    for (const [org, hash] of own) {
      expect(['fsa', 'riverside-retail']).toContain(org);
      expect(hash).not.toBe(otherHash);
      expect(hash).toBe(own[0]![1]);
    }
    expect(divergent[0]!.height).toBe(1);
    expect(divergent[0]!.blockHashes).toEqual(divergent[0]!.signers.map((s) => s.blockHash));
    for (const s of divergent[0]!.signers) expect(s.keyId).toBe(node.demo.orgKeys.get(s.orgId)!.keyId);
    // The two seals on the other block are conflicting seals too.
    expect(evidence.filter((e) => e.kind === 'conflicting-seal').map((e) => e.orgId).sort()).toEqual(['hmrc', 'port-felixstowe']);
    expect(await node.db.block.count({ where: { consortiumId: C, height: 1 } })).toBe(0);
  });
});
