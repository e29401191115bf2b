/** Equivocation found in the ordering log: kept, shown in chainStatus, and postable as a governance record anyone can check. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealMessageOf } from '../../../src/core/ledger/derivation/index.js';
import { serializeOrderingMessage } from '../../../src/core/ledger/ordering-message.js';
import { RecordKind, signRecord, type SignedRecord } from '../../../src/core/ledger/record.js';
import type { BlockHeader } from '../../../src/core/ledger/block.js';
import { loadConfig } from '../../../src/platform/config.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { issueToken } from '../../../src/store/token-store.js';
import { createGraphqlServer, type GraphqlServer } from '../../../src/transport/graphql/yoga.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const C = DEMO_CONSORTIUM_ID;

describe('equivocation evidence on a node', () => {
  let node: TestNode;
  let server: GraphqlServer;
  let token: string;
  let header: BlockHeader;

  const gql = async (query: string) => {
    const res = await server.yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
  };
  const status = () =>
    gql(`{ chainStatus(consortium: "${C}") { ... on ChainStatus {
      finality { finalHeight finalHash derivedHeight lastSequence stuckAtHeight haltedReason }
      evidence { id kind height keyId orgId sequence blockHashes signedHeaders } } } }`);

  beforeAll(async () => {
    node = await startTestNode();
    server = createGraphqlServer({ node: node.node, store: node.store, db: node.db, keystore: node.keystore, config: loadConfig({ dataDir: node.dataDir }) }, { logging: false });
    token = (await issueToken(node.db, C, 'meadow-farm', 'evidence test')).token;
    const record = signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { note: 'before the equivocation' } }, node.demo.orgKeys.get('highfield-farm')!);
    await node.node.submit(C, [record]);
    const sealed = await node.node.sealNow(C);
    const row = await node.db.block.findFirstOrThrow({ where: { consortiumId: C, height: sealed!.height } });
    header = JSON.parse(row.header) as BlockHeader;
  });
  afterAll(async () => {
    await server?.close();
    await node?.destroy();
  });

  it('shows no evidence while every authority sealed the one block it derived', async () => {
    const res = await status();
    expect(res.errors).toBeUndefined();
    expect(res.data!.chainStatus).toEqual({
      finality: { finalHeight: 1, finalHash: node.node.chainStatus(C).finalHash, derivedHeight: 1, lastSequence: 6, stuckAtHeight: null, haltedReason: null },
      evidence: [],
    });
  });

  it('keeps an authority seal on a second block at a sealed height as equivocation, with both signed headers', async () => {
    const hmrc = node.demo.orgKeys.get('hmrc')!;
    const forged: BlockHeader = { ...header, merkleRoot: 'ab'.repeat(32) };
    // A faulty authority's node publishes a second seal at height 1.
    await node.ordering.append(C, serializeOrderingMessage(sealMessageOf(forged, hmrc)));
    await expect.poll(async () => (await status()).data!.chainStatus.evidence.length, { timeout: 10_000 }).toBe(1);
    const { finality, evidence } = (await status()).data!.chainStatus;
    expect(finality).toMatchObject({ finalHeight: 1, lastSequence: 7, haltedReason: null });
    expect(evidence[0]).toMatchObject({ kind: 'equivocation', height: 1, keyId: hmrc.keyId, orgId: 'hmrc', sequence: 7 });
    expect(evidence[0].blockHashes).toEqual([finality.finalHash, expect.not.stringMatching(finality.finalHash)]);
    expect(evidence[0].signedHeaders.first.header).toEqual(header);
    expect(evidence[0].signedHeaders.second.header).toEqual(forged);
    // Kept once, however often the same seal is read.
    expect((await node.db.chainEvidence.count())).toBe(1);
  });

  it('posts the evidence as an evidence.equivocation record: admitted, sealed, and the chain still verifies', async () => {
    const { evidence } = (await status()).data!.chainStatus;
    const { first, second } = evidence[0].signedHeaders as { first: unknown; second: unknown };
    const record: SignedRecord = signRecord({ consortium: C, kind: RecordKind.EQUIVOCATION_EVIDENCE, payload: { first, second } as never }, node.demo.orgKeys.get('meadow-farm')!);
    const [outcome] = await node.node.submit(C, [record]);
    expect(await node.node.sealNow(C)).toMatchObject({ height: 2 });
    expect(outcome).toMatchObject({ status: 'accepted' });
    const report = await verifyStoredChain(node.store, C);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
