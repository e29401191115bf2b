/**
 * One read policy, every read surface (docs/access.md). Each viewer (every role of the story, a
 * member of another consortium on the same node with the same organisation id, an anonymous
 * caller, a revoked token) reads each surface (GraphQL record, block lists, lineage queries,
 * chain status and access log; REST events, documents, persons, the log, metrics; every
 * subscription; the explorer's temperature legs, proof bundles, roles at a log index and
 * sessions; the Digital Link resolver's public passport), and the surfaces must agree: what one
 * shows (in full or redacted), the others show alike, and what one refuses the others refuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalIdentifier, PROVENANT_BIZSTEP } from '../../../src/core/rules/authorisation.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import {
  C,
  field,
  headersOf,
  isShown,
  MEMBERS,
  NO_TOKEN,
  OTHER,
  OUTSIDERS,
  queryShown,
  recordShown,
  restEventShown,
  startWorld,
  stopWorld,
  VIEWER_NAMES,
  type Shown,
  type ViewerName,
  type World,
} from './policy-world.js';
import { explorerMatrix } from './policy-explorer.js';
import { subscriptionMatrix } from './policy-subscriptions.js';
import { animalUrn, earTag } from '../../../simulators/identifiers.js';

let world: World;

beforeAll(async () => {
  world = await startWorld();
}, 300_000);

afterAll(async () => {
  await stopWorld(world);
});

/** How each kind of viewer is refused a record it may not see: typed GraphQL member and REST status. */
function refusalOf(viewer: ViewerName): { record: Shown; rest: Shown } {
  if (NO_TOKEN.includes(viewer)) return { record: 'refused:Unauthenticated', rest: 'refused:401' };
  // Another consortium's records are as good as absent.
  if (OUTSIDERS.includes(viewer)) return { record: 'refused:NotFound', rest: 'refused:404' };
  return { record: 'refused:Forbidden', rest: 'refused:404' };
}

/** viewer -> event id -> what record(hash) shows; filled by the first test, the yardstick for the others. */
const byRecord = new Map<ViewerName, Map<string, Shown>>();

describe('records: record(hash), REST events and block lists agree on every event of the story', () => {
  it('for every viewer and every event', async () => {
    for (const viewer of VIEWER_NAMES) {
      const seen = new Map<string, Shown>();
      for (const e of world.events) {
        const [record, rest] = [await recordShown(world, viewer, e.recordHash), await restEventShown(world, viewer, e.eventId)];
        const refused = refusalOf(viewer);
        expect(isShown(record) ? rest : refused.rest, `${viewer}: REST ${e.eventId} (${e.bizStep} by ${e.submitterOrg})`).toBe(isShown(record) ? record : rest);
        if (!isShown(record)) expect(record, `${viewer}: record ${e.recordHash}`).toBe(refused.record);
        seen.set(e.eventId, record);
      }
      byRecord.set(viewer, seen);
    }
    const shownCount = (v: ViewerName) => [...byRecord.get(v)!.values()].filter(isShown).length;
    // The regulator sees everything; so does customs here, as the whole story went into the container.
    for (const v of ['regulator', 'customs'] as ViewerName[]) expect(shownCount(v), v).toBe(world.events.length);
    for (const v of [...OUTSIDERS, ...NO_TOKEN]) expect(shownCount(v), v).toBe(0);
    for (const v of MEMBERS.filter((m) => m !== 'regulator' && m !== 'customs')) {
      expect(shownCount(v), v).toBeGreaterThan(0);
      expect(shownCount(v), v).toBeLessThan(world.events.length);
    }
  }, 240_000);

  it('the EPCIS query interface (GET /events, paged) shows each viewer exactly the events record(hash) shows, redacted alike', async () => {
    const ids = new Set(world.events.map((e) => e.eventId));
    for (const viewer of VIEWER_NAMES) {
      const answer = await queryShown(world, viewer);
      if (NO_TOKEN.includes(viewer)) {
        expect(answer, viewer).toBe('refused:401');
        continue;
      }
      if (typeof answer === 'string') throw new Error(`${viewer}: GET /events ${answer}`);
      const expected = new Map([...byRecord.get(viewer)!].filter(([, shown]) => isShown(shown)));
      // Events captured after the story (certificates and such) are not in the yardstick.
      const got = new Map([...answer].filter(([id]) => ids.has(id)));
      expect(got, viewer).toEqual(expected);
    }
    // A filter narrows what is shown, never widens it.
    const retailer = await queryShown(world, 'retailer', `&EQ_bizStep=${encodeURIComponent('urn:epcglobal:cbv:bizstep:shipping')}`);
    if (typeof retailer === 'string') throw new Error(retailer);
    for (const [id, shown] of retailer) expect(byRecord.get('retailer')!.get(id), id).toBe(shown);
  }, 120_000);

  it('block lists leave out exactly what record(hash) refuses; outsiders get no block at all', async () => {
    const height = world.temp.node.state(C).height;
    const eventRecords = new Map(world.events.map((e) => [e.recordHash, e.eventId]));
    for (const viewer of VIEWER_NAMES) {
      const blocks = await field(world, viewer, `blocks(consortium: "${C}", first: 1)`, '... on QueryBlocksConnection { edges { node { height } } }');
      const block = await field(world, viewer, `block(consortium: "${C}", height: 1)`, '... on Block { height }');
      if (NO_TOKEN.includes(viewer) || OUTSIDERS.includes(viewer)) {
        const refusal = NO_TOKEN.includes(viewer) ? 'Unauthenticated' : 'Forbidden';
        expect([blocks.__typename, block.__typename], viewer).toEqual([refusal, refusal]);
        continue;
      }
      const listed = new Set<string>();
      for (let h = 1; h <= height; h++) {
        const b = await field(world, viewer, `block(consortium: "${C}", height: ${h})`, '... on Block { records(first: 100) { edges { node { hash } } } }');
        for (const e of b.records.edges) listed.add(e.node.hash);
      }
      for (const [hash, eventId] of eventRecords) expect(listed.has(hash), `${viewer}: ${eventId}`).toBe(isShown(byRecord.get(viewer)!.get(eventId)!));
    }
  }, 120_000);
});

/** The event ids a lineage answer shows, and those it shows redacted. */
interface Reading {
  typename: string;
  shown: string[];
  redacted: string[];
}

/** Each lineage query: the call, what to select, and how to read the event ids it shows. */
function lineageQueries(w: World): { name: string; call: string; selection: string; read: (answer: any) => Omit<Reading, 'typename'> }[] {
  const hopsAndContext = (a: any) => ({ shown: [...a.hops.map((h: any) => h.edge.eventId), ...(a.contextEdges ?? []).map((e: any) => e.eventId)], redacted: [] });
  const traceSel = '... on LineageTrace { hops { edge { eventId } } contextEdges { eventId } }';
  const summary = 'eventId redacted';
  return [
    { name: 'trace of a pack, upstream', call: `trace(consortium: "${C}", id: "${w.story.packs[2]}", direction: UPSTREAM)`, selection: traceSel, read: hopsAndContext },
    // The calf's dam is upstream of the calf: the dam's own birth shows in the trace as a context edge.
    { name: 'trace of a calf, upstream (its dam)', call: `trace(consortium: "${C}", id: "${w.story.animals[0]}", direction: UPSTREAM)`, selection: traceSel, read: hopsAndContext },
    { name: 'trace of an animal, downstream', call: `trace(consortium: "${C}", id: "${w.story.animals[1]}", direction: DOWNSTREAM)`, selection: traceSel, read: hopsAndContext },
    { name: 'recall from a feed lot', call: `recall(consortium: "${C}", from: "${w.story.feedLots[0]}")`, selection: '... on QueryRecallConnection { edges { node { identifier } } }', read: () => ({ shown: [], redacted: [] }) },
    {
      name: 'cargo lineage of the container',
      call: `cargoLineage(consortium: "${C}", containerId: "${w.story.container}")`,
      selection: `... on CargoLineage { hops { edge { eventId } } sealEvents { ${summary} } documents }`,
      read: (a) => ({
        shown: [...a.hops.map((h: any) => h.edge.eventId), ...a.sealEvents.map((s: any) => s.eventId), ...a.documents.map((d: any) => d.eventId)],
        redacted: a.sealEvents.filter((s: any) => s.redacted).map((s: any) => s.eventId),
      }),
    },
    {
      name: 'product passport of a pack',
      call: `productPassport(consortium: "${C}", id: "${w.story.packs[4]}")`,
      selection: '... on ProductPassport { hops { edge { eventId } } farmsOfBirth { eventId } slaughter { eventId } processing { eventId } packing { eventId } }',
      read: (a) => ({ shown: [...a.hops.map((h: any) => h.edge.eventId), ...[...a.farmsOfBirth, ...a.slaughter, ...a.processing, ...a.packing].map((p: any) => p.eventId)], redacted: [] }),
    },
    {
      name: 'history of an animal with a condemned carcass',
      call: `animalHistory(consortium: "${C}", earTag: "${w.story.animals[1]}")`,
      selection: `... on AnimalHistory { birth { ${summary} } movements { ${summary} } treatments { ${summary} } slaughter { ${summary} } postMortem { ${summary} } feedLots { event { ${summary} } } }`,
      read: (a) => {
        const all = [a.birth, a.slaughter, ...a.movements, ...a.treatments, ...a.postMortem, ...a.feedLots.map((f: any) => f.event)].filter(Boolean);
        return { shown: all.map((s: any) => s.eventId), redacted: all.filter((s: any) => s.redacted).map((s: any) => s.eventId) };
      },
    },
  ];
}

type Outcome = 'answer' | 'Forbidden';
/** Who may ask each lineage query at all (docs/access.md, the matrix); outsiders Forbidden, no token Unauthenticated. */
const MAY_ASK: Record<string, Partial<Record<ViewerName, Outcome>>> = {
  'trace of a pack, upstream': { regulator: 'answer', customs: 'answer', retailer: 'answer', processor: 'answer' },
  'trace of a calf, upstream (its dam)': { regulator: 'answer', 'farm of origin': 'answer', abattoir: 'answer', processor: 'answer', retailer: 'answer', customs: 'answer' },
  'trace of an animal, downstream': { regulator: 'answer', 'farm of origin': 'answer', abattoir: 'answer', processor: 'answer', retailer: 'answer', customs: 'answer' },
  'recall from a feed lot': { regulator: 'answer', 'farm of origin': 'answer', abattoir: 'answer', processor: 'answer', retailer: 'answer', customs: 'answer' },
  'cargo lineage of the container': { regulator: 'answer', customs: 'answer', haulier: 'answer' },
  'product passport of a pack': { regulator: 'answer', customs: 'answer', retailer: 'answer', processor: 'answer' },
  'history of an animal with a condemned carcass': { regulator: 'answer', 'farm of origin': 'answer', abattoir: 'answer', processor: 'answer', retailer: 'answer', customs: 'answer' },
};

describe('lineage answers show only what record(hash) shows, redacted alike', () => {
  it('trace, recall, cargo lineage, product passport and animal history, for every viewer', async () => {
    const eventIds = new Set(world.events.map((e) => e.eventId));
    for (const q of lineageQueries(world)) {
      for (const viewer of VIEWER_NAMES) {
        const answer = await field(world, viewer, q.call, q.selection);
        const label = `${viewer}: ${q.name}`;
        if (NO_TOKEN.includes(viewer)) {
          expect(answer.__typename, label).toBe('Unauthenticated');
          continue;
        }
        const expected = MAY_ASK[q.name]![viewer] ?? 'Forbidden';
        expect(answer.__typename === 'Forbidden' ? 'Forbidden' : 'answer', label).toBe(expected);
        if (expected === 'Forbidden') continue;
        const { shown, redacted } = q.read(answer);
        const record = byRecord.get(viewer)!;
        for (const id of shown) {
          expect(eventIds.has(id), `${label}: ${id} is a story event`).toBe(true);
          expect(isShown(record.get(id)!), `${label}: shows ${id}, which record(hash) refuses`).toBe(true);
        }
        for (const id of redacted) expect(record.get(id), `${label}: ${id} redacted here, not by record(hash)`).toBe('redacted');
      }
    }
  }, 240_000);

  it("the dam's own birth: shown in the calf's trace exactly to those record(hash) and REST show it to", async () => {
    // The simulated farm's first ear tag is the dam of its calves (simulators/farm.ts).
    const dam = canonicalIdentifier(animalUrn(earTag('123450', 1)));
    const damBirth = (await world.temp.db.$queryRawUnsafe<{ eventId: string; recordHash: string }[]>(
      `SELECT e."eventId", e."recordHash" FROM "EpcisEvent" e JOIN "EventIdentifier" i ON i."consortiumId" = e."consortiumId" AND i."eventId" = e."eventId"
        WHERE e."consortiumId" = ? AND e."bizStep" = ? AND i."identifier" = ? AND i."role" = 'epc'`,
      C,
      PROVENANT_BIZSTEP.BIRTH,
      dam,
    ))[0]!;
    expect(damBirth).toBeDefined();
    const call = `trace(consortium: "${C}", id: "${world.story.animals[0]}", direction: UPSTREAM)`;
    const entitled: ViewerName[] = [];
    for (const viewer of VIEWER_NAMES) {
      const t = await field(world, viewer, call, '... on LineageTrace { nodes contextEdges { eventId } }');
      const inTrace = t.__typename === 'LineageTrace' && t.contextEdges.some((e: any) => e.eventId === damBirth.eventId);
      const [record, rest] = [await recordShown(world, viewer, damBirth.recordHash), await restEventShown(world, viewer, damBirth.eventId)];
      expect([isShown(record), isShown(rest)], viewer).toEqual([inTrace, inTrace]);
      if (inTrace) {
        expect(t.nodes, viewer).toContain(dam);
        entitled.push(viewer);
      }
    }
    // Those for whom the calf is theirs or in their lineage; never the rival farm or the haulier.
    expect(entitled.sort()).toEqual((['regulator', 'farm of origin', 'abattoir', 'processor', 'retailer', 'customs'] as ViewerName[]).sort());
  }, 120_000);
});

describe('chain reads, the access log and REST routes', () => {
  it('chainStatus, organisations and accessLog: members; another consortium Forbidden (its own log only); no token Unauthenticated', async () => {
    for (const viewer of VIEWER_NAMES) {
      const status = await field(world, viewer, `chainStatus(consortium: "${C}")`, '... on ChainStatus { height }');
      const orgs = await field(world, viewer, `organisations(consortium: "${C}")`, '... on QueryOrganisationsConnection { edges { node { id } } }');
      const log = await field(world, viewer, 'accessLog(first: 50)', '... on QueryAccessLogConnection { edges { node { subjectId } } }');
      const expected = NO_TOKEN.includes(viewer) ? 'Unauthenticated' : OUTSIDERS.includes(viewer) ? 'Forbidden' : null;
      expect(status.__typename, viewer).toBe(expected ?? 'ChainStatus');
      expect(orgs.__typename, viewer).toBe(expected ?? 'QueryOrganisationsConnection');
      expect(log.__typename, viewer).toBe(NO_TOKEN.includes(viewer) ? 'Unauthenticated' : 'QueryAccessLogConnection');
      if (OUTSIDERS.includes(viewer)) expect(log.edges, viewer).toEqual([]);
    }
    // Own-consortium status works for the outsiders: the refusal is about the consortium, not the token.
    expect((await field(world, 'other consortium (fsa)', `chainStatus(consortium: "${OTHER}")`, '')).__typename).toBe('ChainStatus');
  }, 60_000);

  it('REST log and metrics: members of the consortium only', async () => {
    const paths = [`/consortia/${C}/checkpoint`, `/consortia/${C}/log/consistency?from=1&to=2`, `/consortia/${C}/log/inclusion?index=0&size=1`];
    for (const viewer of VIEWER_NAMES) {
      const expected = NO_TOKEN.includes(viewer) ? 401 : OUTSIDERS.includes(viewer) ? 403 : 200;
      for (const path of paths) expect((await fetch(`${world.base}${path}`, { headers: headersOf(world, viewer) })).status, `${viewer} ${path}`).toBe(expected);
      const metrics = await fetch(`${world.base}/metrics`, { headers: headersOf(world, viewer) });
      expect(metrics.status, `${viewer} /metrics`).toBe(NO_TOKEN.includes(viewer) ? 401 : 200);
      if (metrics.status === 200) expect((await metrics.text()).includes(`consortium="${C}"`), viewer).toBe(!OUTSIDERS.includes(viewer));
    }
  }, 60_000);
});

/** What each viewer gets of each document and of the person: 'bytes', or the HTTP status. */
const DOCUMENT_AND_PERSON: Record<ViewerName, { contract: number; certificate: 'as its citing event' | number; person: number }> = {
  regulator: { contract: 200, certificate: 'as its citing event', person: 200 },
  'farm of origin': { contract: 404, certificate: 'as its citing event', person: 200 },
  'rival farm': { contract: 404, certificate: 'as its citing event', person: 403 },
  abattoir: { contract: 404, certificate: 'as its citing event', person: 403 },
  processor: { contract: 200, certificate: 'as its citing event', person: 403 },
  retailer: { contract: 404, certificate: 'as its citing event', person: 403 },
  // Customs is not a regulator: it reads no person's data.
  customs: { contract: 404, certificate: 'as its citing event', person: 403 },
  haulier: { contract: 404, certificate: 'as its citing event', person: 403 },
  // Same organisation id as the regulator and the farm, another consortium: nothing exists for them here.
  'other consortium (fsa)': { contract: 404, certificate: 404, person: 404 },
  'other consortium (highfield-farm)': { contract: 404, certificate: 404, person: 404 },
  anonymous: { contract: 401, certificate: 401, person: 401 },
  revoked: { contract: 401, certificate: 401, person: 401 },
};

describe('documents and persons', () => {
  it('reads: each viewer as the table says; a cited document exactly to those who see its citing event in full', async () => {
    const citing = world.certificate.citingEventId;
    for (const viewer of VIEWER_NAMES) {
      const expected = DOCUMENT_AND_PERSON[viewer];
      const contract = await fetch(`${world.base}/documents/${world.contract.sha256}`, { headers: headersOf(world, viewer) });
      expect(contract.status, `${viewer}: contract`).toBe(expected.contract);
      if (contract.status === 200) expect(new Uint8Array(await contract.arrayBuffer())).toEqual(world.contract.bytes);
      const certificate = await fetch(`${world.base}/documents/${world.certificate.sha256}`, { headers: headersOf(world, viewer) });
      const record = await restEventShown(world, viewer, citing);
      const wanted = expected.certificate === 'as its citing event' ? (record === 'full' ? 200 : 404) : expected.certificate;
      expect(certificate.status, `${viewer}: certificate (citing event ${record})`).toBe(wanted);
      const person = await fetch(`${world.base}/persons/${world.personRef}`, { headers: headersOf(world, viewer) });
      expect(person.status, `${viewer}: person`).toBe(expected.person);
      const body = await person.text();
      if (person.status !== 200) expect(body, viewer).not.toMatch(/Okafor|7700/);
    }
  }, 60_000);

  it('writes: a token of another consortium uploads nothing into this one, documents or persons; into its own it may', async () => {
    for (const viewer of OUTSIDERS) {
      const doc = await fetch(`${world.base}/documents`, {
        method: 'POST',
        headers: headersOf(world, viewer, { 'content-type': 'application/pdf', 'provenant-consortium': C }),
        body: new TextEncoder().encode(`%PDF-1.7 forged instruction from ${viewer}`),
      });
      expect(doc.status, `${viewer}: document into ${C}`).toBe(403);
      expect(((await doc.json()) as { error: { code: string } }).error.code).toBe('NOT_AUTHORISED');
      const person = await fetch(`${world.base}/persons`, {
        method: 'POST',
        headers: headersOf(world, viewer, { 'content-type': 'application/json' }),
        body: JSON.stringify({ consortium: C, data: { name: 'Someone Else' } }),
      });
      expect(person.status, `${viewer}: person into ${C}`).toBe(403);
      const own = await fetch(`${world.base}/documents`, {
        method: 'POST',
        headers: headersOf(world, viewer, { 'content-type': 'application/pdf', 'provenant-consortium': OTHER }),
        body: new TextEncoder().encode(`%PDF-1.7 own paperwork of ${viewer}`),
      });
      expect(own.status, `${viewer}: document into ${OTHER}`).toBe(201);
    }
    const stored = await world.temp.db.$queryRawUnsafe<{ n: number }[]>(`SELECT COUNT(*) AS n FROM "Document" WHERE "consortiumId" = ? AND "uploadedByOrg" = 'fsa'`, C);
    expect(Number(stored[0]!.n)).toBe(0);
    // A member's own consortium is the only one it writes into, the other way round too.
    const intoOther = await fetch(`${world.base}/documents`, {
      method: 'POST',
      headers: headersOf(world, 'regulator', { 'content-type': 'application/pdf', 'provenant-consortium': OTHER }),
      body: new TextEncoder().encode('%PDF-1.7 regulator writes across'),
    });
    expect(intoOther.status).toBe(403);
    // Signed records (POST /consortia/:id/records) are their own credential: the other consortium's fsa key signs nothing here.
    const before = world.temp.node.state(C).logSize;
    const forged = signRecord({ consortium: C, kind: RecordKind.PROPOSAL, payload: { change: { type: 'role.grant', orgId: 'fsa', role: 'CUSTOMS' } } }, world.otherKeys.get('fsa')!);
    const refused = await fetch(`${world.base}/consortia/${C}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [forged] }) });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { results: { error?: { code: string } }[] }).results[0]!.error?.code).toBe('UNKNOWN_SIGNER');
    expect(world.temp.node.state(C).logSize).toBe(before);
  }, 60_000);
});

describe('the explorer and the Digital Link resolver', () => {
  explorerMatrix(() => world);
});

describe('subscriptions', () => {
  subscriptionMatrix(() => world);
});
