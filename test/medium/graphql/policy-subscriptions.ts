/**
 * The subscription part of the read-policy matrix: every viewer subscribes to every subscription,
 * new events are sealed (an official inspection with a finding, a recall, a cold-chain breach, a
 * rival's observation), and each stream must carry exactly what record(hash) shows its viewer.
 * A token revoked while its stream is open ends that stream with Unauthenticated, on each one.
 */
import { expect, it } from 'vitest';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { PROVENANT_BIZSTEP } from '../../../src/core/rules/authorisation.js';
import { issueToken, revokeToken } from '../../../src/store/token-store.js';
import { objectEvent } from '../../../simulators/participant.js';
import { C, isShown, MEMBERS, NO_TOKEN, OUTSIDERS, recordShown, VIEWER_NAMES, VIEWERS, type ViewerName, type World } from './policy-world.js';
import { Sse, until, type Item } from './sse.js';

const EVENT = 'eventId redacted';
const QUERIES = (carcass: string) =>
  ({
    recordsForIdentifier: `subscription { recordsForIdentifier(consortium: "${C}", id: "${carcass}") { __typename ... on Error { code message } ... on SealedEpcisEvent { ${EVENT} } } }`,
    coldChainBreaches: `subscription { coldChainBreaches(consortium: "${C}") { __typename ... on Error { code message } ... on ColdChainBreachNotice { recordHash } } }`,
    recallNotices: `subscription { recallNotices(consortium: "${C}") { __typename ... on Error { code message } ... on RecallNotice { event { ${EVENT} } affected { identifier lastCustodian } } } }`,
    inspectionFindings: `subscription { inspectionFindings(consortium: "${C}") { __typename ... on Error { code message } ... on InspectionFindingNotice { event { ${EVENT} } } } }`,
    blockSealed: `subscription { blockSealed(consortium: "${C}") { height } }`,
  }) as const;

type Field = keyof ReturnType<typeof QUERIES>;
const FIELDS: Field[] = ['recordsForIdentifier', 'coldChainBreaches', 'recallNotices', 'inspectionFindings', 'blockSealed'];
const TOPIC: Record<Field, string> = {
  recordsForIdentifier: 'sealedEpcisEvents',
  coldChainBreaches: 'coldChainBreaches',
  recallNotices: 'recallNotices',
  inspectionFindings: 'inspectionFindings',
  blockSealed: 'blockSealed',
};

/** The code of a stream's refusal: a typed union member, or (blockSealed, which has no union) a GraphQL error's code. */
function refusalCode(item: Item | undefined): string | undefined {
  if (!item) return undefined;
  if (item.errors) return (item.errors as { extensions?: { code?: string } }[])[0]?.extensions?.code;
  return typeof item.code === 'string' ? item.code : undefined;
}

/** Waits for the stream to end, failing (rather than hanging) when it keeps going. */
async function ended(sse: Sse, what: string, timeoutMs = 20_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: the stream did not end within ${timeoutMs} ms; items ${JSON.stringify(sse.items).slice(0, 300)}`)), timeoutMs);
  });
  try {
    await Promise.race([sse.finished, late]);
  } finally {
    clearTimeout(timer);
  }
}

function eventOf(field: Field, item: Item): { eventId: string; redacted: boolean } {
  const e = (field === 'recordsForIdentifier' ? item : item.event) as { eventId: string; redacted: boolean };
  return { eventId: e.eventId, redacted: e.redacted };
}

export function subscriptionMatrix(getWorld: () => World): void {
  it('each stream carries what record(hash) shows its viewer; outsiders and callers without a live token get a typed refusal, then the end', async () => {
    const world = getWorld();
    const port = Number(new URL(world.base).port);
    const carcass = world.story.carcasses[0]!;
    const queries = QUERIES(carcass);
    const pubsub = world.app.graphql.pubsub;
    const streams = new Map<string, Sse>();
    const key = (viewer: ViewerName, f: Field) => `${viewer}|${f}`;
    for (const viewer of VIEWER_NAMES) for (const f of FIELDS) streams.set(key(viewer, f), new Sse(port, queries[f], f, world.tokens.get(viewer)));
    // One revoked-while-open token per subscription: the regulator's, which sees everything.
    const revocable = new Map<Field, { sse: Sse; tokenHash: string }>();
    for (const f of FIELDS) {
      const issued = await issueToken(world.temp.db, C, 'fsa', `revoked mid-stream: ${f}`);
      revocable.set(f, { sse: new Sse(port, queries[f], f, issued.token), tokenHash: issued.tokenHash });
    }
    try {
      for (const f of FIELDS) await until(() => pubsub.openCount(TOPIC[f]) >= MEMBERS.length + 1, `${f} open for every member`, 20_000);
      for (const viewer of [...OUTSIDERS, ...NO_TOKEN]) {
        for (const f of FIELDS) {
          const sse = streams.get(key(viewer, f))!;
          await ended(sse, `${viewer}: ${f}`);
          expect(sse.items, `${viewer}: ${f}`).toHaveLength(1);
          expect(refusalCode(sse.items[0]), `${viewer}: ${f}`).toBe(NO_TOKEN.includes(viewer) ? 'UNAUTHENTICATED' : 'FORBIDDEN');
        }
      }
      for (const { tokenHash } of revocable.values()) await revokeToken(world.temp.db, tokenHash);

      // New sealed events: an official inspection with a finding, a recall, a breach, a rival's observation.
      const inspection = await world.member('fsa').post(
        [objectEvent({ eventTime: world.clock.next(), action: 'OBSERVE', bizStep: PROVENANT_BIZSTEP.OFFICIAL_INSPECTION, epcList: [carcass], disposition: 'damaged', extra: { 'provenant:finding': 'bruising, trimmed' } })],
        'official inspection',
      );
      const recall = await world.member('vale-processors').post([objectEvent({ eventTime: world.clock.next(), action: 'OBSERVE', bizStep: 'holding', epcList: [carcass], disposition: 'recalled' })], 'recall');
      const breach = signRecord(
        {
          consortium: C,
          kind: RecordKind.COLD_CHAIN_BREACH,
          payload: { subject: world.story.container, containedItems: [world.story.pallet], ruleSet: { id: 'uk-red-meat-default', version: 1, hash: 'b'.repeat(64) }, finding: { code: 'COLD_CHAIN_LIMIT', message: 'above 7 C' } },
        },
        world.temp.demo.orgKeys.get('fsa')!,
      );
      const [breachOutcome] = await world.temp.node.submit(C, [breach], { waitForSeal: true });
      expect(breachOutcome).toMatchObject({ status: 'accepted' });
      const breachHash = (breachOutcome as { recordHash: string }).recordHash;
      const rival = await world.member('meadow-farm').post([objectEvent({ eventTime: world.clock.next(), action: 'OBSERVE', bizStep: 'holding', epcList: [carcass] })], 'rival observes');
      const ids = { inspection: inspection.results[0]!.eventId, recall: recall.results[0]!.eventId, rival: rival.results[0]!.eventId };
      const hashOf = new Map([inspection, recall, rival].map((r) => [r.results[0]!.eventId, r.results[0]!.recordHash!]));

      // Each revoked stream's only item is Unauthenticated, and the stream ends.
      for (const [f, { sse }] of revocable) {
        await ended(sse, `revoked mid-stream: ${f}`);
        expect(sse.items.map(refusalCode), `revoked mid-stream: ${f}`).toEqual(['UNAUTHENTICATED']);
      }

      for (const viewer of MEMBERS) {
        const shown = async (eventId: string) => recordShown(world, viewer, hashOf.get(eventId)!);
        const org = (VIEWERS[viewer] as { org: string }).org;
        // recordsForIdentifier: the carcass's new events record(hash) shows, redacted alike.
        const wantedRecords: { eventId: string; redacted: boolean }[] = [];
        for (const id of [ids.inspection, ids.recall, ids.rival]) {
          const s = await shown(id);
          if (isShown(s)) wantedRecords.push({ eventId: id, redacted: s === 'redacted' });
        }
        // inspectionFindings: only in full (farms of origin, the poster, regulators).
        const wantedInspections = (await shown(ids.inspection)) === 'full' ? [{ eventId: ids.inspection, redacted: false }] : [];
        const breachShown = isShown(await recordShown(world, viewer, breachHash));
        const recallShown = await shown(ids.recall);

        const got = async (f: Field, n: number) => (n === 0 ? streams.get(key(viewer, f))!.items : await streams.get(key(viewer, f))!.waitFor(n, 20_000));
        expect((await got('recordsForIdentifier', wantedRecords.length)).map((i) => eventOf('recordsForIdentifier', i)), `${viewer}: recordsForIdentifier`).toEqual(wantedRecords);
        expect((await got('inspectionFindings', wantedInspections.length)).map((i) => eventOf('inspectionFindings', i)), `${viewer}: inspectionFindings`).toEqual(wantedInspections);
        expect((await got('coldChainBreaches', breachShown ? 1 : 0)).map((i) => i.recordHash), `${viewer}: coldChainBreaches`).toEqual(breachShown ? [breachHash] : []);
        const recalls = await got('recallNotices', isShown(recallShown) ? 1 : 0);
        if (isShown(recallShown)) expect(recalls.map((i) => eventOf('recallNotices', i)), `${viewer}: recallNotices`).toEqual([{ eventId: ids.recall, redacted: recallShown === 'redacted' }]);
        else for (const n of recalls) expect(n, `${viewer}: a recall it holds affected items of`).toMatchObject({ event: { eventId: ids.recall, redacted: true }, affected: expect.arrayContaining([expect.objectContaining({ lastCustodian: org })]) });
        expect((await got('blockSealed', 1)).length, `${viewer}: blockSealed`).toBeGreaterThan(0);
      }
      // Late deliveries would show up here: what each stream holds now is still what was expected.
      await new Promise((r) => setTimeout(r, 1500));
      for (const viewer of MEMBERS) {
        const records = streams.get(key(viewer, 'recordsForIdentifier'))!.items.map((i) => i.eventId as string);
        for (const id of records) expect(isShown(await recordShown(world, viewer, hashOf.get(id)!)), `${viewer}: late ${id}`).toBe(true);
        expect(new Set(records).size, viewer).toBe(records.length);
      }
    } finally {
      for (const sse of [...streams.values(), ...[...revocable.values()].map((r) => r.sse)]) sse.close();
    }
  }, 180_000);
}
