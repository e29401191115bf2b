import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import type { GraphqlServer } from '../../../src/transport/graphql/yoga.js';
import { canonicalIdentifier, PROVENANT_BIZSTEP } from '../../../src/core/rules/authorisation.js';
import { issueToken, revokeToken } from '../../../src/store/token-store.js';
import { runScenario, type ScenarioResult } from '../../../simulators/scenario.js';
import { objectEvent, Participant, SimClock } from '../../../simulators/participant.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';
import { Sse, until, type Item } from './sse.js';

const C = DEMO_CONSORTIUM_ID;

const EVENT_FIELDS = 'eventId recordHash blockHeight orgId bizStep disposition redacted event identifiers { identifier role }';
const inspectionQuery = `subscription { inspectionFindings(consortium: "${C}") { __typename
  ... on Error { code message }
  ... on InspectionFindingNotice { kind inspected origins { animal birthFarm farms } event { ${EVENT_FIELDS} } } } }`;
const recordsQuery = (id: string) => `subscription { recordsForIdentifier(consortium: "${C}", id: "${id}") { __typename
  ... on Error { code message }
  ... on SealedEpcisEvent { ${EVENT_FIELDS} record { hash blockHeight } } } }`;
const breachQuery = `subscription { coldChainBreaches(consortium: "${C}") { __typename
  ... on Error { code message }
  ... on ColdChainBreachNotice { recordHash signerOrg subject containedItems ruleSet { id version hash } finding blockHeight } } }`;
const recallQuery = `subscription { recallNotices(consortium: "${C}") { __typename
  ... on Error { code message }
  ... on RecallNotice { items event { ${EVENT_FIELDS} } affected { identifier kind lastCustodian pathLength } } } }`;

describe('GraphQL subscriptions over SSE', () => {
  let node: TestNode;
  let graphql: GraphqlServer;
  let port: number;
  let story: ScenarioResult;
  const tokens = new Map<string, string>();
  const clock = new SimClock(new Date(Date.now() - 3600_000));
  const member = (org: string) => new Participant(org, node.demo.orgKeys.get(org)!, `http://127.0.0.1:${port}`, C);
  const subscribe = (query: string, field: string, org?: string) => new Sse(port, query, field, org ? tokens.get(org) : undefined);
  const opened = (topic: string, n: number) => until(() => graphql.pubsub.openCount(topic) >= n, `${n} subscriptions on ${topic}`);
  const inspectionSubs = new Map<string, Sse>();

  beforeAll(async () => {
    node = await startTestNode({ autoSeal: true, http: true, tokens: ['fsa', 'highfield-farm', 'meadow-farm', 'northern-abattoir', 'vale-processors', 'riverside-retail', 'swift-haulage'] });
    graphql = node.graphql!;
    port = Number(new URL(node.url).port);
    for (const [org, token] of Object.entries(node.tokens)) tokens.set(org, token);
    // Subscribed before the story runs: post-mortem findings arrive while the simulators post.
    for (const org of ['highfield-farm', 'meadow-farm', 'fsa', 'northern-abattoir']) inspectionSubs.set(org, subscribe(inspectionQuery, 'inspectionFindings', org));
    await opened('inspectionFindings', 4);
    story = await runScenario({ baseUrl: `http://127.0.0.1:${port}`, consortium: C, orgKeys: node.demo.orgKeys, start: new Date(Date.now() - 3 * 24 * 3600_000) });
  }, 120_000);

  afterAll(async () => {
    for (const s of inspectionSubs.values()) s.close();
    await node?.destroy();
  });

  it('refuses anonymous and foreign-consortium subscribers with a typed error, then ends the stream', async () => {
    for (const [query, field] of [
      [inspectionQuery, 'inspectionFindings'],
      [recordsQuery(story.packs[0]!), 'recordsForIdentifier'],
      [breachQuery, 'coldChainBreaches'],
      [recallQuery, 'recallNotices'],
    ] as const) {
      const anonymous = subscribe(query, field);
      await anonymous.finished;
      expect(anonymous.failure).toBeUndefined();
      expect(anonymous.items, field).toEqual([{ __typename: 'Unauthenticated', code: 'UNAUTHENTICATED', message: expect.stringContaining('token') }]);
    }
    const foreign = subscribe(inspectionQuery.replace(`"${C}"`, '"other-chain"'), 'inspectionFindings', 'fsa');
    await foreign.finished;
    expect(foreign.items).toEqual([expect.objectContaining({ __typename: 'Forbidden', code: 'FORBIDDEN' })]);
    const badId = subscribe(recordsQuery("not an identifier"), 'recordsForIdentifier', 'fsa');
    await badId.finished;
    expect(badId.items).toEqual([expect.objectContaining({ __typename: 'InvalidIdentifier', code: 'INVALID_IDENTIFIER' })]);
  });

  it('delivers post-mortem findings to the farm of origin only, and to the abattoir and the regulator', async () => {
    const carcasses = story.carcasses.map(canonicalIdentifier);
    const highfieldAnimals = story.animals.slice(0, 3).map(canonicalIdentifier);
    // A later official inspection of a Highfield carcass: once Highfield has it, every earlier block was decided for it.
    await member('fsa').post([objectEvent({ eventTime: clock.next(), action: 'OBSERVE', bizStep: PROVENANT_BIZSTEP.OFFICIAL_INSPECTION, epcList: [story.carcasses[0]!], disposition: 'conformant' })], 'official inspection');

    const highfield = await inspectionSubs.get('highfield-farm')!.waitFor(4);
    expect(highfield.map((f) => [f.kind, f.inspected])).toEqual([
      ['POST_MORTEM', [carcasses[0]]],
      ['POST_MORTEM', [carcasses[1]]],
      ['POST_MORTEM', [carcasses[2]]],
      ['OFFICIAL_INSPECTION', [carcasses[0]]],
    ]);
    expect(highfield.slice(0, 3).map((f) => f.origins)).toEqual(highfieldAnimals.map((animal) => [{ animal, birthFarm: 'highfield-farm', farms: ['highfield-farm'] }]));
    expect(highfield[0]!.event).toMatchObject({ orgId: 'northern-abattoir', bizStep: 'inspecting', disposition: 'conformant' });
    expect(highfield[3]!.event).toMatchObject({ orgId: 'fsa', bizStep: PROVENANT_BIZSTEP.OFFICIAL_INSPECTION });

    // Meadow's two carcasses come after Highfield's three in the same block, so none of those slipped through.
    const meadow = await inspectionSubs.get('meadow-farm')!.waitFor(2);
    expect(meadow.map((f) => f.inspected[0])).toEqual([carcasses[3], carcasses[4]]);
    expect(meadow.every((f) => f.origins.length === 1 && f.origins[0].birthFarm === 'meadow-farm')).toBe(true);

    const fsa = await inspectionSubs.get('fsa')!.waitFor(6);
    expect(fsa.map((f) => f.inspected[0])).toEqual([...carcasses, carcasses[0]]);
    const abattoir = await inspectionSubs.get('northern-abattoir')!.waitFor(5);
    expect(abattoir.slice(0, 5).map((f) => f.inspected[0])).toEqual(carcasses);
    expect(abattoir.find((f) => f.event.bizStep === 'inspecting' && f.event.disposition === 'damaged')?.inspected).toEqual([carcasses[1]]);
  });

  it("streams a pack's newly sealed events to entitled subscribers, and nothing unrelated", async () => {
    const [sold, other] = [story.packs[2]!, story.packs[3]!];
    const pack = canonicalIdentifier(sold);
    const retail = subscribe(recordsQuery(sold), 'recordsForIdentifier', 'riverside-retail');
    const fsa = subscribe(recordsQuery(sold), 'recordsForIdentifier', 'fsa');
    const haulier = subscribe(recordsQuery(sold), 'recordsForIdentifier', 'swift-haulage');
    await opened('sealedEpcisEvents', 3);
    const store = 'urn:epc:id:sgln:5012345.00050.0';
    const retailer = member('riverside-retail');
    const unrelated = await retailer.post([objectEvent({ eventTime: clock.next(), action: 'OBSERVE', bizStep: 'retail_selling', epcList: [other], readPoint: store })], 'unrelated sale');
    const related = await retailer.post([objectEvent({ eventTime: clock.next(), action: 'OBSERVE', bizStep: 'retail_selling', epcList: [sold], readPoint: store })], 'sale');
    const relatedId = related.results[0]!.eventId;
    expect(unrelated.results[0]!.eventId).not.toBe(relatedId);

    for (const sub of [retail, fsa]) {
      const [first] = await sub.waitFor(1);
      expect(first).toMatchObject({ __typename: 'SealedEpcisEvent', eventId: relatedId, orgId: 'riverside-retail', bizStep: 'retail_selling' });
      expect(first!.identifiers).toContainEqual({ identifier: pack, role: 'epc' });
      expect(first!.record).toEqual({ hash: first!.recordHash, blockHeight: first!.blockHeight });
    }
    // The haulier never handled the pack: the sale is not for it. Its own observation of the pack is
    // (an observation, so it gives the haulier no custody that could open the sale to it).
    const own = await member('swift-haulage').post([objectEvent({ eventTime: clock.next(), action: 'OBSERVE', bizStep: 'holding', epcList: [sold] })], 'haulier observes the pack');
    const [first] = await haulier.waitFor(1);
    expect(first).toMatchObject({ eventId: own.results[0]!.eventId, orgId: 'swift-haulage' });
    await retail.waitFor(2);
    expect(retail.items.map((i) => i.eventId)).toEqual([relatedId, own.results[0]!.eventId]);
    for (const s of [retail, fsa, haulier]) s.close();
  });

  it('ends a stream with Unauthenticated once its API token is revoked, and keeps the others open', async () => {
    const pack = story.packs[4]!;
    const revokedToken = (await issueToken(node.db, C, 'riverside-retail', 'revoked mid-stream')).token;
    const revoked = new Sse(port, recordsQuery(pack), 'recordsForIdentifier', revokedToken);
    const kept = subscribe(recordsQuery(pack), 'recordsForIdentifier', 'riverside-retail');
    await opened('sealedEpcisEvents', 2);
    const retailer = member('riverside-retail');
    const store = 'urn:epc:id:sgln:5012345.00050.0';
    const before = await retailer.post([objectEvent({ eventTime: clock.next(), action: 'OBSERVE', bizStep: 'retail_selling', epcList: [pack], readPoint: store })], 'sale before revocation');
    for (const sub of [revoked, kept]) expect((await sub.waitFor(1))[0]).toMatchObject({ eventId: before.results[0]!.eventId });
    await revokeToken(node.db, revokedToken);
    const after = await retailer.post([objectEvent({ eventTime: clock.next(), action: 'OBSERVE', bizStep: 'holding', epcList: [pack], readPoint: store })], 'after revocation');
    expect((await kept.waitFor(2))[1]).toMatchObject({ eventId: after.results[0]!.eventId });
    const [, ended] = await revoked.waitFor(2);
    expect(ended).toEqual({ __typename: 'Unauthenticated', code: 'UNAUTHENTICATED', message: expect.stringContaining('revoked') });
    await revoked.finished;
    expect(revoked.items).toHaveLength(2);
    kept.close();
  });

  it("withholds an inspection finding from a member entitled only by lineage, not from the farm of origin", async () => {
    const carcass = story.carcasses[2]!;
    const retail = subscribe(recordsQuery(carcass), 'recordsForIdentifier', 'riverside-retail');
    const farm = subscribe(recordsQuery(carcass), 'recordsForIdentifier', 'highfield-farm');
    const meadow = subscribe(recordsQuery(carcass), 'recordsForIdentifier', 'meadow-farm');
    await opened('sealedEpcisEvents', 3);
    const finding = { 'provenant:finding': 'abscess, left hindquarter trimmed' };
    const posted = await member('fsa').post(
      [objectEvent({ eventTime: clock.next(), action: 'OBSERVE', bizStep: PROVENANT_BIZSTEP.OFFICIAL_INSPECTION, epcList: [carcass], disposition: 'damaged', extra: finding })],
      'official inspection with a finding',
    );
    const eventId = posted.results[0]!.eventId;
    const [full] = await farm.waitFor(1);
    expect(full).toMatchObject({ eventId, redacted: false, disposition: 'damaged', event: finding });
    // The retailer's packs came from this carcass: it sees that the inspection happened, not what was found.
    const [shown] = await retail.waitFor(1);
    expect(shown).toMatchObject({ eventId, redacted: true, disposition: null, bizStep: PROVENANT_BIZSTEP.OFFICIAL_INSPECTION });
    expect(shown!.event['provenant:finding']).toBeUndefined();
    expect(shown!.event.disposition).toBeUndefined();
    // Meadow Farm has nothing to do with this carcass; its own later observation is the first thing it gets.
    const own = await member('meadow-farm').post([objectEvent({ eventTime: clock.next(), action: 'OBSERVE', bizStep: 'holding', epcList: [carcass] })], 'meadow observes');
    const [first] = await meadow.waitFor(1);
    expect(first).toMatchObject({ eventId: own.results[0]!.eventId, orgId: 'meadow-farm' });
    for (const s of [retail, farm, meadow]) s.close();
  });

  it('delivers a submitted cold-chain breach record to those entitled to it', async () => {
    const fsa = subscribe(breachQuery, 'coldChainBreaches', 'fsa');
    const retail = subscribe(breachQuery, 'coldChainBreaches', 'riverside-retail');
    const meadow = subscribe(breachQuery, 'coldChainBreaches', 'meadow-farm');
    await opened('coldChainBreaches', 3);
    const payload = (subject: string, containedItems: string[], note: string) => ({
      subject,
      containedItems,
      ruleSet: { id: 'uk-red-meat-default', version: 1, hash: 'a'.repeat(64) },
      finding: { code: 'COLD_CHAIN_LIMIT', severity: 'breach', message: note, details: { category: 'chilled', maxC: 7, peakC: 11.5 } },
    });
    const breach = signRecord(
      { consortium: C, kind: RecordKind.COLD_CHAIN_BREACH, payload: payload(story.container, [story.pallet, ...story.cases], 'reefer above 7 C for 40 min') },
      // Rule verdicts are signed by an authority (the ledger refuses other signers).
      node.demo.orgKeys.get('fsa')!,
    );
    const [outcome] = await node.node.submit(C, [breach], { waitForSeal: true });
    expect(outcome).toMatchObject({ status: 'accepted' });
    const hash = (outcome as { recordHash: string }).recordHash;
    for (const sub of [fsa, retail]) {
      const [first] = await sub.waitFor(1);
      expect(first).toEqual({
        __typename: 'ColdChainBreachNotice',
        recordHash: hash,
        signerOrg: 'fsa',
        subject: story.container,
        containedItems: [story.pallet, ...story.cases],
        ruleSet: { id: 'uk-red-meat-default', version: 1, hash: 'a'.repeat(64) },
        finding: expect.objectContaining({ code: 'COLD_CHAIN_LIMIT', severity: 'breach' }),
        blockHeight: (outcome as { block: { height: number } }).block.height,
      });
    }
    // Meadow Farm never handled the container or its pallet; a breach on its own feed lot reaches it.
    const own = signRecord(
      { consortium: C, kind: RecordKind.COLD_CHAIN_BREACH, payload: payload(story.feedLots[1]!, [], 'feed store too warm') },
      node.demo.orgKeys.get('hmrc')!,
    );
    await node.node.submit(C, [own], { waitForSeal: true });
    const [first] = await meadow.waitFor(1);
    expect(first).toMatchObject({ signerOrg: 'hmrc', subject: story.feedLots[1] });
    for (const s of [fsa, retail, meadow]) s.close();
  });

  it('sends a recall notice with the affected downstream items', async () => {
    const fsa = subscribe(recallQuery, 'recallNotices', 'fsa');
    const retail = subscribe(recallQuery, 'recallNotices', 'riverside-retail');
    await opened('recallNotices', 2);
    const carcass = story.carcasses[0]!;
    const posted = await member('vale-processors').post(
      [objectEvent({ eventTime: clock.next(), action: 'OBSERVE', bizStep: 'holding', epcList: [carcass], disposition: 'recalled' })],
      'recall',
    );
    expect(posted.results[0]!.status).toBe('accepted');
    const [notice] = await fsa.waitFor(1);
    expect(notice).toMatchObject({ __typename: 'RecallNotice', items: [canonicalIdentifier(carcass)], event: { orgId: 'vale-processors', disposition: 'recalled', eventId: posted.results[0]!.eventId } });
    const affected = new Map((notice!.affected as Item[]).map((r) => [r.identifier, r]));
    for (const pack of story.packs) expect(affected.has(canonicalIdentifier(pack)), pack).toBe(true);
    for (const c of story.cases) expect(affected.has(canonicalIdentifier(c)), c).toBe(true);
    expect(affected.get(canonicalIdentifier(story.packs[5]!))).toMatchObject({ lastCustodian: 'riverside-retail', pathLength: 1 });
    expect(affected.get(canonicalIdentifier(story.packs[0]!))?.lastCustodian).toBeNull(); // sold
    // The retailer is told of the affected items it holds now, not the whole downstream.
    const [held] = await retail.waitFor(1);
    const heldIds = (held!.affected as Item[]).map((r) => r.identifier);
    expect(heldIds.length).toBeGreaterThan(0);
    expect(heldIds).toContain(canonicalIdentifier(story.packs[5]!));
    expect(heldIds).not.toContain(canonicalIdentifier(story.packs[0]!));
    expect((held!.affected as Item[]).every((r) => r.lastCustodian === 'riverside-retail')).toBe(true);
    for (const s of [fsa, retail]) s.close();
  });

  it('releases a subscription when its client disconnects, and ends every stream on close', async () => {
    await until(() => graphql.pubsub.openCount('sealedEpcisEvents') === 0, 'earlier record subscriptions released');
    const gone = subscribe(recordsQuery(story.packs[1]!), 'recordsForIdentifier', 'fsa');
    await opened('sealedEpcisEvents', 1);
    gone.close();
    // No new block is needed to notice the disconnect.
    await until(() => graphql.pubsub.openCount('sealedEpcisEvents') === 0, 'listener removed after disconnect');

    const staying = subscribe(recordsQuery(story.packs[1]!), 'recordsForIdentifier', 'fsa');
    await opened('sealedEpcisEvents', 1);
    const before = graphql.pubsub.openCount();
    expect(before).toBeGreaterThanOrEqual(1 + inspectionSubs.size);
    await graphql.close();
    await staying.finished;
    expect(staying.completed).toBe(true);
    for (const s of inspectionSubs.values()) await s.finished;
    expect(graphql.pubsub.openCount()).toBe(0);
  });
});
