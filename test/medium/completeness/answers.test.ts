/**
 * Lineage answers through GraphQL on a real store: each names its checkpoint and proves every
 * identifier complete; the case (the index rows of one slaughter event deleted) makes the
 * recall and the pack's trace FAILED with INCOMPLETE naming the identifier, where before they
 * quietly lost the animal. Proofs check with the reference checker against the signed header.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refChain, refVerifyProof } from '../../small/index-map/reference-checker.js';
import { buildChain, animals, carcasses, packs, C, type Chain } from './fixture.js';
import { FSA, graphqlOn } from './graphql-helper.js';

const COMPLETENESS = `completeness { identifier status count reason { code message details } entries { eventId recordHash role logIndex } proof { indexRoot height logSize key siblings leaf { count head } other { key count head } } }`;

describe('complete lineage answers (GraphQL)', () => {
  let chain: Chain;
  let gql: ReturnType<typeof graphqlOn>;

  beforeAll(async () => {
    chain = await buildChain();
    gql = graphqlOn(chain.temp);
  }, 120_000);

  afterAll(async () => {
    await chain?.close();
  });

  it('a trace names its checkpoint, and each identifier\'s proof checks against the signed indexRoot of the block it names', async () => {
    const data = await gql(`{ trace(consortium: "${C}", id: "${packs[0]}", direction: UPSTREAM) { ... on LineageTrace { verdict checkpoint { height logSize blockHash indexRoot signed asOf } ${COMPLETENESS} hops { edge { from to } completeness { identifier status } } } } }`, FSA);
    const t = data.trace;
    expect(t.verdict).toBe('VERIFIED');
    expect(t.checkpoint).toMatchObject({ height: chain.temp.node.state(C).height, signed: true, asOf: false, blockHash: chain.temp.node.state(C).headHash });
    const head = JSON.parse((await chain.temp.db.block.findFirst({ where: { consortiumId: C, height: t.checkpoint.height } }))!.header);
    expect(t.checkpoint.indexRoot).toBe(head.indexRoot);
    expect(t.completeness.length).toBeGreaterThan(5);
    for (const c of t.completeness) {
      expect(c.status).toBe('COMPLETE');
      const block = JSON.parse((await chain.temp.db.block.findFirst({ where: { consortiumId: C, height: c.proof.height } }))!.header);
      expect(c.proof.indexRoot).toBe(block.indexRoot);
      const value = refVerifyProof(block.indexRoot, c.identifier, { ...c.proof, other: c.proof.other ?? undefined });
      const chainOf = refChain(c.entries.filter((e: { logIndex: number }) => e.logIndex < c.proof.logSize));
      expect(value).toEqual(chainOf);
      expect(c.count).toBe(chainOf.count);
    }
    // Every hop carries its two ends.
    for (const h of t.hops) expect(h.completeness.map((c: { identifier: string }) => c.identifier).sort()).toEqual([...new Set([h.edge.from, h.edge.to])].sort());
  });

  it('recall, passport, cargo and animal history carry completeness and a checkpoint too', async () => {
    const data = await gql(
      `{
        recall(consortium: "${C}", from: "${animals[0]}") { ... on QueryRecallConnection { verdict checkpoint { height } completeness { identifier status } edges { node { identifier } } } }
        productPassport(consortium: "${C}", id: "${packs[0]}") { ... on ProductPassport { verdict checkpoint { height } completeness { identifier status } } }
        animalHistory(consortium: "${C}", earTag: "${animals[0]}") { ... on AnimalHistory { verdict checkpoint { height } completeness { identifier status } } }
      }`,
      FSA,
    );
    expect(data.recall.verdict).toBe('VERIFIED');
    expect(data.recall.completeness.every((c: { status: string }) => c.status === 'COMPLETE')).toBe(true);
    expect(data.productPassport.verdict).toBe('VERIFIED');
    expect(data.animalHistory).toMatchObject({ verdict: 'VERIFIED', completeness: [{ identifier: animals[0], status: 'COMPLETE' }, { identifier: carcasses[0], status: 'COMPLETE' }] });
  });

  it("the issue's case: the index rows of one slaughter event deleted; recall and trace are FAILED with INCOMPLETE naming the identifier", async () => {
    const before = await gql(`{ recall(consortium: "${C}", from: "${animals[0]}") { ... on QueryRecallConnection { verdict edges { node { identifier } } } } }`, FSA);
    expect(before.recall.edges.length).toBeGreaterThan(3);
    const [slaughter] = await chain.temp.db.$queryRawUnsafe<{ eventId: string }[]>(
      `SELECT "eventId" FROM "EventIdentifier" WHERE "consortiumId" = ? AND "identifier" = ? AND "role" = 'input'`,
      C,
      animals[0],
    );
    const deleted = await chain.temp.db.$executeRawUnsafe(`DELETE FROM "EventIdentifier" WHERE "eventId" = ?`, slaughter!.eventId);
    expect(deleted).toBeGreaterThanOrEqual(2);
    try {
      const after = await gql(`{ recall(consortium: "${C}", from: "${animals[0]}") { ... on QueryRecallConnection { verdict completeness { identifier status reason { code details } } edges { node { identifier } } } } }`, FSA);
      expect(after.recall.verdict).toBe('FAILED');
      expect(after.recall.completeness.find((c: { identifier: string }) => c.identifier === animals[0])).toMatchObject({ status: 'INCOMPLETE', reason: { code: 'INCOMPLETE', details: { identifier: animals[0] } } });
      const t = await gql(`{ trace(consortium: "${C}", id: "${packs[0]}", direction: UPSTREAM) { ... on LineageTrace { verdict hops { status edge { from to } failures { code details } } completeness { identifier status } } } }`, FSA);
      expect(t.trace.verdict).toBe('FAILED');
      expect(t.trace.completeness.find((c: { identifier: string }) => c.identifier === carcasses[0]).status).toBe('INCOMPLETE');
      const failed = t.trace.hops.filter((h: { status: string }) => h.status === 'FAILED');
      expect(failed.length).toBeGreaterThan(0);
      for (const h of failed) expect(h.failures.some((f: { code: string; details: { identifier: string } }) => f.code === 'INCOMPLETE' && [h.edge.from, h.edge.to].includes(f.details.identifier))).toBe(true);
      // A trace from the carcass itself, whose only event is the hidden one: FAILED, not "not found".
      const alone = await gql(`{ trace(consortium: "${C}", id: "${carcasses[0]}", direction: UPSTREAM) { __typename ... on LineageTrace { verdict } } }`, FSA);
      expect(alone.trace).toMatchObject({ __typename: 'LineageTrace', verdict: 'FAILED' });
    } finally {
      // Rebuild the rows from the signed record, as capture wrote them.
      const { identifierRowsOf } = await import('../../../src/services/capture/capture-service.js');
      const [rec] = await chain.temp.db.$queryRawUnsafe<{ body: string }[]>(`SELECT r."body" FROM "EpcisEvent" e JOIN "LedgerRecord" r ON r."hash" = e."recordHash" WHERE e."eventId" = ?`, slaughter!.eventId);
      const event = JSON.parse(rec!.body).payload.event;
      for (const r of identifierRowsOf(event, slaughter!.eventId, event.eventTime)) {
        await chain.temp.db.$executeRawUnsafe(`INSERT INTO "EventIdentifier" ("consortiumId", "identifier", "eventId", "role", "eventTime") VALUES (?, ?, ?, ?, ?)`, C, r.identifier, r.eventId, r.role, r.eventTime);
      }
    }
    const restored = await gql(`{ recall(consortium: "${C}", from: "${animals[0]}") { ... on QueryRecallConnection { verdict edges { node { identifier } } } } }`, FSA);
    expect(restored.recall).toEqual(before.recall);
  });
});
