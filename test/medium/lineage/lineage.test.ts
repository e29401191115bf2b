import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureService } from '../../../src/services/capture/capture-service.js';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { LineageStore } from '../../../src/store/lineage-store.js';
import { authenticity, productPassport, recall, recallCsv, trace, type LineageContext } from '../../../src/services/lineage/queries.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';
import { createPubSub, createYoga } from 'graphql-yoga';
import type { GraphqlContext } from '../../../src/transport/graphql/builder.js';
import { graphqlContext } from '../../../src/transport/graphql/context.js';
import { buildSchema } from '../../../src/transport/graphql/schema.js';
import { accessLogWriter } from '../../../src/store/access-log.js';
import type { Role } from '../../../src/core/ledger/governance.js';
import { epcisDocument } from '../../helpers/epcis-documents.js';

const C = 'uk-red-meat';


// BCMS published numbers for herd 123450 (check digit leads the animal number).
const animals = ['UK123450600001', 'UK123450700002', 'UK123450100003'].map((s) => `urn:provenant:animal:${s}`);
const carcasses = [1, 2, 3].map((n) => `urn:epc:id:sgtin:5098765.011111.${n}`);
const packs = [1, 2].map((n) => `urn:epc:id:sgtin:5098765.022222.${n}`);
const feedLot = 'urn:epc:class:lgtin:5098765.033333.FEED1';
const mince = 'urn:epc:class:lgtin:5098765.044444.MINCE1';
const kase = 'urn:epc:id:sscc:5098765.0000000001';

const t = (day: number) => `2026-03-${String(day).padStart(2, '0')}T08:00:00.000Z`;
const obj = (time: string, f: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: time, eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...f });
const doc = epcisDocument;

describe('lineage over a captured red-meat chain', () => {
  let temp: TestNode;
  let service: CaptureService;
  let store: LineageStore;
  let ctx: LineageContext;
  const slaughterHash: string[] = [];

  beforeAll(async () => {
    temp = await startTestNode();
    service = temp.capture;
    const post = async (org: string, events: Record<string, unknown>[]) => {
      const out = await service.capture(signCaptureDocument(doc(events), { consortium: C, key: temp.demo.orgKeys.get(org)! }));
      return out.results.map((r) => r.recordHash!);
    };
    await post('highfield-farm', [
      ...animals.map((a) => obj(t(1), { action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [a] })),
      obj(t(2), { bizStep: 'urn:provenant:bizstep:feeding', epcList: animals, quantityList: [{ epcClass: feedLot, quantity: 300, uom: 'KGM' }] }),
      obj(t(3), { bizStep: 'shipping', epcList: animals }),
    ]);
    await post('northern-abattoir', [obj(t(4), { bizStep: 'receiving', epcList: animals })]);
    slaughterHash.push(
      ...(await post(
        'northern-abattoir',
        animals.map((a, i) => ({ type: 'TransformationEvent', eventTime: t(5), eventTimeZoneOffset: '+00:00', inputEPCList: [a], outputEPCList: [carcasses[i]] })),
      )),
    );
    await post('northern-abattoir', [obj(t(6), { bizStep: 'shipping', epcList: carcasses })]);
    await post('vale-processors', [
      obj(t(7), { bizStep: 'receiving', epcList: carcasses }),
      { type: 'TransformationEvent', eventTime: t(8), eventTimeZoneOffset: '+00:00', inputEPCList: carcasses, outputEPCList: packs, outputQuantityList: [{ epcClass: mince, quantity: 900, uom: 'KGM' }] },
      { type: 'AggregationEvent', eventTime: t(9), eventTimeZoneOffset: '+00:00', action: 'ADD', bizStep: 'packing', parentID: kase, childEPCs: packs },
      obj(t(10), { bizStep: 'shipping', epcList: [kase] }),
    ]);
    await post('riverside-retail', [obj(t(11), { bizStep: 'receiving', epcList: [kase] })]);
    await temp.node.sealNow(C);
    store = new LineageStore(temp.db, C);
    ctx = { source: store, evidence: store, state: temp.node.state(C) };
  }, 60_000);

  afterAll(async () => {
    await temp?.destroy();
  });

  it('traces a pack upstream to the animals, feed lot and farm with every hop VERIFIED', async () => {
    const result = await trace(ctx, packs[0]!, 'UPSTREAM');
    const nodes = new Set(result.trace.nodes);
    for (const x of [...animals, ...carcasses, feedLot].map(canonicalIdentifier)) expect(nodes.has(x)).toBe(true);
    expect(result.verification.hops).toHaveLength(9);
    for (const hop of result.verification.hops) expect({ hop: hop.edge, status: hop.status, f: hop.failures, w: hop.warnings }).toMatchObject({ status: 'VERIFIED' });
    expect(result.verification.verdict).toBe('VERIFIED');
    const passport = await productPassport(ctx, packs[0]!);
    expect(passport.farmsOfBirth.map((f) => f.orgId)).toEqual(['highfield-farm', 'highfield-farm', 'highfield-farm']);
    expect(passport.slaughter.map((s) => s.orgId)).toEqual(['northern-abattoir', 'northern-abattoir', 'northern-abattoir']);
    expect(passport.processing.map((s) => s.orgId)).toEqual(['vale-processors']);
    expect(passport.coldChainCompliant).toBe(true);
  });

  it('recall from the feed lot reaches the packs and the case; CSV has one row per item', async () => {
    const { rows } = await recall(ctx, feedLot);
    const ids = rows.map((r) => r.identifier);
    for (const x of [...packs, kase, ...carcasses, ...animals, mince].map(canonicalIdentifier)) expect(ids).toContain(x);
    expect(new Set(ids).size).toBe(ids.length);
    const caseRow = rows.find((r) => r.identifier === canonicalIdentifier(kase))!;
    expect(caseRow.lastCustodian).toBe('riverside-retail');
    expect(caseRow.pathLength).toBe(4);
    const csv = recallCsv(rows);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('identifier,kind,last_custodian,last_location,last_event_time,path_length');
    expect(lines).toHaveLength(rows.length + 1);
    expect(rows.length).toBe(10);
  });

  it('authenticity: the pack was commissioned by its brand owner; an unknown pack was never commissioned', async () => {
    const real = await authenticity(ctx, packs[0]!);
    expect(real).toMatchObject({ likelyCounterfeit: false, brandOwner: 'vale-processors' });
    const fake = await authenticity(ctx, 'urn:epc:id:sgtin:5098765.022222.999');
    expect(fake.likelyCounterfeit).toBe(true);
    expect(fake.reasons.map((r) => r.code)).toEqual(['NEVER_COMMISSIONED']);
  });

  describe('GraphQL lineage fields', () => {
    let schema: ReturnType<typeof buildSchema>;
    const run = async (query: string, variables: Record<string, unknown>, viewer: { orgId: string; roles: Role[]; consortiumId?: string }) => {
      const contextValue: GraphqlContext = graphqlContext({
        app: temp.ctx,
        viewer: { consortiumId: viewer.consortiumId ?? C, orgId: viewer.orgId, roles: new Set(viewer.roles), isRegulator: viewer.roles.includes('REGULATOR'), tokenHash: 'test' },
        pubsub: createPubSub() as GraphqlContext['pubsub'],
      });
      // Yoga (not graphql-js directly) so the schema and the executor share one graphql module instance.
      const yoga = createYoga({ schema, context: () => contextValue, logging: false, maskedErrors: false });
      const res = await yoga.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as { data?: unknown; errors?: unknown[] };
    };
    const retail = { orgId: 'riverside-retail', roles: ['RETAILER'] as Role[] };
    let access: ReturnType<typeof accessLogWriter>;
    beforeAll(() => {
      schema = buildSchema();
      access = accessLogWriter(temp.db);
    });
    afterAll(async () => access?.flush());

    it('reading other organisations\' events through a trace is access-logged', async () => {
      await run(`{ trace(consortium: "${C}", id: "${packs[1]}", direction: UPSTREAM) { __typename } }`, {}, retail);
      await access.flush();
      const rows = await temp.db.$queryRawUnsafe<{ ownerOrgId: string }[]>(`SELECT DISTINCT "ownerOrgId" FROM "AccessLog" WHERE "viewerOrgId" = 'riverside-retail' ORDER BY 1`);
      expect(rows.map((r) => r.ownerOrgId)).toEqual(['highfield-farm', 'northern-abattoir', 'vale-processors']);
    });

    it('trace returns verified hops; a bad identifier is InvalidIdentifier; an unseen one Forbidden, as one out of scope', async () => {
      const q = `query($id: String!) { trace(consortium: "${C}", id: $id, direction: UPSTREAM) {
        __typename ... on LineageTrace { __typename verdict nodes hops { status edge { kind from to } } } ... on Error { code message } } }`;
      const ok = await run(q, { id: packs[0] }, retail);
      expect(ok.errors).toBeUndefined();
      const data = (ok.data as any).trace;
      expect(data.verdict).toBe('VERIFIED');
      expect(data.hops).toHaveLength(9);
      const bad = await run(q, { id: 'not an id' }, retail);
      expect((bad.data as any).trace).toMatchObject({ __typename: 'InvalidIdentifier', code: 'INVALID_IDENTIFIER' });
      const none = await run(q, { id: 'urn:epc:id:sgtin:5098765.022222.999' }, retail);
      // An item nobody recorded is refused as one out of the viewer's scope is (no existence oracle).
      expect((none.data as any).trace).toMatchObject({ __typename: 'Forbidden' });
      const other = await run(q, { id: packs[0] }, { ...retail, consortiumId: 'other-consortium' });
      expect((other.data as any).trace).toMatchObject({ __typename: 'Forbidden' });
    });

    it('recall is a Relay connection; passport, animal history and authenticity answer', async () => {
      const res = await run(
        `query($feed: String!, $pack: String!, $tag: String!) {
          recall(consortium: "${C}", from: $feed, first: 3) { ... on QueryRecallConnection { __typename edges { node { identifier pathLength } } pageInfo { hasNextPage } } }
          productPassport(consortium: "${C}", id: $pack) { ... on ProductPassport { __typename farmsOfBirth { orgId } slaughter { orgId } verdict } }
          animalHistory(consortium: "${C}", earTag: $tag) { ... on AnimalHistory { __typename animal feedLots { lot } movements { bizStep } slaughter { orgId } carcasses } }
          authenticityCheck(consortium: "${C}", id: $pack) { ... on AuthenticityCheck { __typename likelyCounterfeit brandOwner } }
          cargoLineage(consortium: "${C}", containerId: "${kase}") { ... on CargoLineage { __typename contents { identifier origins } parties } }
        }`,
        { feed: feedLot, pack: packs[0], tag: 'UK123450600001' },
        retail,
      );
      expect(res.errors).toBeUndefined();
      const d = res.data as any;
      expect(d.recall.edges).toHaveLength(3);
      const csv = await run(`{ recallCsv(consortium: "${C}", from: "${feedLot}") { ... on RecallCsv { csv rowCount } } }`, {}, retail);
      expect((csv.data as any).recallCsv.rowCount).toBe(10);
      expect((csv.data as any).recallCsv.csv.trimEnd().split('\r\n')).toHaveLength(11);
      expect(d.recall.pageInfo.hasNextPage).toBe(true);
      expect(d.productPassport.farmsOfBirth[0].orgId).toBe('highfield-farm');
      expect(d.animalHistory).toMatchObject({ feedLots: [{ lot: canonicalIdentifier(feedLot) }], slaughter: { orgId: 'northern-abattoir' }, carcasses: [canonicalIdentifier(carcasses[0]!)] });
      expect(d.animalHistory.movements.map((m: any) => m.bizStep)).toEqual(['shipping', 'receiving']);
      expect(d.authenticityCheck).toEqual({ __typename: 'AuthenticityCheck', likelyCounterfeit: false, brandOwner: 'vale-processors' });
      expect(d.cargoLineage.contents.map((c: any) => c.identifier).sort()).toEqual(packs.map(canonicalIdentifier).sort());
      expect(d.cargoLineage.contents[0].origins).toContain(canonicalIdentifier(feedLot));
      expect(d.cargoLineage.parties).toEqual(expect.arrayContaining(['vale-processors', 'riverside-retail']));
    });
  });

  it('a tampered record row makes exactly that hop FAILED', async () => {
    const target = slaughterHash[0]!;
    await temp.db.$executeRawUnsafe(`UPDATE "LedgerRecord" SET "body" = replace("body", '${t(5)}', '2026-03-05T09:00:00.000Z') WHERE "hash" = ?`, target);
    const result = await trace(ctx, packs[0]!, 'UPSTREAM');
    const failed = result.verification.hops.filter((h) => h.status === 'FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.recordHash).toBe(target);
    expect(failed[0]!.edge).toMatchObject({ from: canonicalIdentifier(animals[0]!), to: canonicalIdentifier(carcasses[0]!) });
    expect(failed[0]!.failures.map((f) => f.code)).toEqual(expect.arrayContaining(['record-hash', 'signature', 'inclusion']));
    expect(failed[0]!.failures.find((f) => f.code === 'record-hash')!.details).toMatchObject({ expected: target });
    expect(result.verification.verdict).toBe('FAILED');
    expect(result.verification.hops.filter((h) => h.status === 'VERIFIED')).toHaveLength(8);
  });

  it('a record row replaced whole (INSERT OR REPLACE fires no delete trigger) makes that hop FAILED on the next trace', async () => {
    const target = slaughterHash[1]!;
    const failedBefore = (await trace(ctx, packs[0]!, 'UPSTREAM')).verification.hops.filter((h) => h.status === 'FAILED').map((h) => h.recordHash);
    expect(failedBefore).not.toContain(target);
    const columns = '"hash", "consortiumId", "logIndex", "blockHeight", "indexInBlock", "kind", "signer", "signedAt", "receivedAt", "body"';
    await temp.db.$executeRawUnsafe(
      `INSERT OR REPLACE INTO "LedgerRecord" (${columns})
       SELECT "hash", "consortiumId", "logIndex", "blockHeight", "indexInBlock", "kind", "signer", "signedAt", "receivedAt", replace("body", '${t(5)}', '2026-03-05T10:00:00.000Z')
         FROM "LedgerRecord" WHERE "hash" = ?`,
      target,
    );
    const failed = (await trace(ctx, packs[0]!, 'UPSTREAM')).verification.hops.filter((h) => h.status === 'FAILED');
    expect(failed.map((h) => h.recordHash)).toEqual(expect.arrayContaining([...failedBefore, target]));
    expect(failed.find((h) => h.recordHash === target)!.failures.map((f) => f.code)).toEqual(expect.arrayContaining(['record-hash', 'signature']));
  });
});
