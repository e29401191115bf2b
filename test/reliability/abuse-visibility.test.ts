/**
 * The reliability suite's abuse section, visibility: every viewer of the read-policy matrix's world
 * (each role of the simulators' story, members of another consortium with the same organisation
 * ids, an anonymous caller, a revoked token; test/medium/graphql/policy-world.ts) against every
 * data kind (events, inspection findings, sensor windows and breaches, documents, persons, the
 * access log, the chain) on every read surface. The policy's answer for an event or record is
 * record(hash), itself held to the rules of docs/access.md; each surface's answer is counted:
 * `leaked` when it shows what the policy hides (or in full what it redacts), `shown` when it shows
 * what the policy allows. Every leaked count must be 0 and every shown count above 0, so the
 * matrix cannot pass by showing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVENANT_BIZSTEP } from '../../src/core/rules/authorisation.js';
import { objectEvent } from '../../simulators/participant.js';
import { C, field, headersOf, isShown, MEMBERS, NO_TOKEN, OUTSIDERS, queryShown, recordShown, restEventShown, startWorld, stopWorld, VIEWER_NAMES, VIEWERS, type Shown, type ViewerName, type World } from '../medium/graphql/policy-world.js';
import { Sse, until } from '../medium/graphql/sse.js';
import { FULL, prng, recordFigures, SEED } from './figures.js';

let world: World;
/** viewer -> record hash -> the policy's answer (record(hash)). */
const policy = new Map<ViewerName, Map<string, Shown>>();
/** `kind | surface` -> counts. */
const cells = new Map<string, { shown: number; leaked: number; examples: string[] }>();

beforeAll(async () => {
  world = await startWorld();
}, 300_000);

afterAll(async () => {
  await stopWorld(world);
});

type Got = Shown | 'absent';

/** Counts one answer of a surface against the policy's. */
function tally(kind: string, surface: string, viewer: ViewerName, subject: string, allowed: Got, got: Got): void {
  const key = `${kind} | ${surface}`;
  const cell = cells.get(key) ?? { shown: 0, leaked: 0, examples: [] };
  cells.set(key, cell);
  const shows = got === 'full' || got === 'redacted';
  if (!shows) return;
  const fine = allowed === 'full' || (allowed === 'redacted' && got === 'redacted');
  if (fine) cell.shown += 1;
  else {
    cell.leaked += 1;
    if (cell.examples.length < 3) cell.examples.push(`${viewer}: ${subject} shown ${got}, policy ${allowed}`);
  }
}

/**
 * The story's events the matrix reads: all of them in the long run; in the short run every
 * inspection finding and a seeded sample of the rest (so the run stays within CI's minute).
 */
function sampledEvents(): World['events'] {
  if (FULL) return world.events;
  const rand = prng(SEED + 400);
  const rest = world.events.filter((e) => kindOf(e.bizStep) === 'events');
  const picked = new Set<string>();
  while (picked.size < Math.min(SHORT_RUN_EVENTS, rest.length)) picked.add(rest[Math.floor(rand() * rest.length)]!.eventId);
  return world.events.filter((e) => kindOf(e.bizStep) !== 'events' || picked.has(e.eventId));
}
const SHORT_RUN_EVENTS = 30;
let events: World['events'] = [];

const hashOfEvent = () => new Map(world.events.map((e) => [e.eventId, e.recordHash]));
const policyOf = (viewer: ViewerName, hash: string): Got => policy.get(viewer)?.get(hash) ?? 'absent';
/** policyOf, asking record(hash) for a record outside the sample. */
async function policyFor(viewer: ViewerName, hash: string): Promise<Got> {
  const answers = policy.get(viewer)!;
  if (!answers.has(hash)) answers.set(hash, await recordShown(world, viewer, hash));
  return answers.get(hash)!;
}
/** A post-mortem finding (CBV inspecting, as stored: short name or URI). */
const isPostMortem = (bizStep: string | null) => /(^|:)inspecting$/.test(bizStep ?? '');
const kindOf = (bizStep: string | null) => (isPostMortem(bizStep) || bizStep === PROVENANT_BIZSTEP.OFFICIAL_INSPECTION ? 'inspection findings' : 'events');

/** record(hash) of many records, 15 to a request (the alias limit): the same field recordShown asks, in fewer round trips. */
async function recordsShown(viewer: ViewerName, hashes: string[]): Promise<Map<string, Shown>> {
  const out = new Map<string, Shown>();
  for (let i = 0; i < hashes.length; i += 15) {
    const chunk = hashes.slice(i, i + 15);
    const query = `{ ${chunk.map((h, j) => `r${j}: record(hash: "${h}") { __typename ... on LedgerRecord { redacted } }`).join(' ')} }`;
    const res = await fetch(`${world.base}/graphql`, { method: 'POST', headers: headersOf(world, viewer, { 'content-type': 'application/json' }), body: JSON.stringify({ query }) });
    const body = (await res.json()) as { data?: Record<string, { __typename: string; redacted?: boolean }>; errors?: unknown[] };
    expect(body.errors, viewer).toBeUndefined();
    chunk.forEach((h, j) => {
      const r = body.data![`r${j}`]!;
      out.set(h, r.__typename !== 'LedgerRecord' ? `refused:${r.__typename}` : r.redacted ? 'redacted' : 'full');
    });
  }
  return out;
}

describe('abuse: the visibility matrix', () => {
  it('the policy (record(hash)) keeps the rules of docs/access.md for every viewer, event and sensor record', async () => {
    events = sampledEvents();
    const records = [...events.map((e) => e.recordHash), ...world.reefer.windows, ...world.reefer.breaches];
    await Promise.all(VIEWER_NAMES.map(async (viewer) => policy.set(viewer, await recordsShown(viewer, records))));
    // The rules the policy must keep, counted as leaks of record(hash) itself.
    const org = (v: ViewerName) => (VIEWERS[v] as { org: string } | null)?.org;
    for (const viewer of VIEWER_NAMES) {
      for (const e of events) {
        const got = policyOf(viewer, e.recordHash);
        let allowed: Got = got;
        if (OUTSIDERS.includes(viewer) || NO_TOKEN.includes(viewer)) allowed = 'absent';
        else if (viewer === 'rival farm' && e.submitterOrg === 'highfield-farm' && e.bizStep === PROVENANT_BIZSTEP.BIRTH) allowed = 'absent';
        else if (viewer === 'haulier' && e.bizStep === PROVENANT_BIZSTEP.BIRTH) allowed = 'absent';
        else if (['retailer', 'processor', 'customs'].includes(viewer) && isPostMortem(e.bizStep) && got === 'full') allowed = 'redacted';
        tally(kindOf(e.bizStep), 'GraphQL record(hash)', viewer, e.eventId, allowed, got);
        // Rules 2 and 3: the regulator sees every event in full, a member its own.
        if (viewer === 'regulator' || (MEMBERS.includes(viewer) && e.submitterOrg === org(viewer))) expect(got, `${viewer}: ${e.eventId}`).toBe('full');
      }
      for (const hash of [...world.reefer.windows, ...world.reefer.breaches]) {
        const got = policyOf(viewer, hash);
        const allowed = world.reefer.windows.includes(hash) && !['regulator', 'customs', 'haulier'].includes(viewer) ? 'absent' : OUTSIDERS.includes(viewer) || NO_TOKEN.includes(viewer) ? 'absent' : got;
        tally('sensor windows and breaches', 'GraphQL record(hash)', viewer, hash, allowed, got);
      }
    }
  }, 240_000);

  it('REST events, the EPCIS query interface, a named query and block lists', async () => {
    const height = world.temp.node.state(C).height;
    await Promise.all(VIEWER_NAMES.map(async (viewer) => {
      const rest = await Promise.all(events.map((e) => restEventShown(world, viewer, e.eventId)));
      events.forEach((e, i) => tally(kindOf(e.bizStep), 'REST /epcis/events/:id', viewer, e.eventId, policyOf(viewer, e.recordHash), rest[i]!));
      const queried = await queryShown(world, viewer);
      const named = await namedQueryShown(viewer);
      for (const e of events) {
        tally(kindOf(e.bizStep), 'EPCIS query GET /events', viewer, e.eventId, policyOf(viewer, e.recordHash), typeof queried === 'string' ? 'absent' : (queried.get(e.eventId) ?? 'absent'));
        tally(kindOf(e.bizStep), 'EPCIS named query /queries/{name}/events', viewer, e.eventId, policyOf(viewer, e.recordHash), named.get(e.eventId) ?? 'absent');
      }
      const listed = new Set<string>();
      const blocks = await Promise.all(
        Array.from({ length: height }, (_, i) => field(world, viewer, `block(consortium: "${C}", height: ${i + 1})`, '... on Block { records(first: 100) { edges { node { hash redacted } } } }')),
      );
      for (const b of blocks) if (b.__typename === 'Block') for (const r of b.records.edges) listed.add(`${r.node.hash}:${r.node.redacted ? 'redacted' : 'full'}`);
      const listedAs = (hash: string): Got => (listed.has(`${hash}:full`) ? 'full' : listed.has(`${hash}:redacted`) ? 'redacted' : 'absent');
      for (const e of events) tally(kindOf(e.bizStep), 'GraphQL block records', viewer, e.eventId, policyOf(viewer, e.recordHash), listedAs(e.recordHash));
      for (const hash of [...world.reefer.windows, ...world.reefer.breaches]) tally('sensor windows and breaches', 'GraphQL block records', viewer, hash, policyOf(viewer, hash), listedAs(hash));
    }));
  }, 240_000);

  it('lineage: trace, recall, cargo lineage, product passport and animal history', async () => {
    const hashes = hashOfEvent();
    const s = world.story;
    const summary = 'eventId redacted';
    const queries: [string, string, (a: any) => { id: string; redacted?: boolean }[]][] = [
      [`trace(consortium: "${C}", id: "${s.packs[2]}", direction: UPSTREAM)`, '... on LineageTrace { hops { edge { eventId } } contextEdges { eventId } }', (a) => [...a.hops.map((h: any) => ({ id: h.edge.eventId })), ...a.contextEdges.map((c: any) => ({ id: c.eventId }))]],
      [`trace(consortium: "${C}", id: "${s.animals[1]}", direction: DOWNSTREAM)`, '... on LineageTrace { hops { edge { eventId } } }', (a) => a.hops.map((h: any) => ({ id: h.edge.eventId }))],
      [`cargoLineage(consortium: "${C}", containerId: "${s.container}")`, `... on CargoLineage { hops { edge { eventId } } sealEvents { ${summary} } }`, (a) => [...a.hops.map((h: any) => ({ id: h.edge.eventId })), ...a.sealEvents.map((e: any) => ({ id: e.eventId, redacted: e.redacted }))]],
      [`productPassport(consortium: "${C}", id: "${s.packs[4]}")`, '... on ProductPassport { hops { edge { eventId } } farmsOfBirth { eventId } slaughter { eventId } }', (a) => [...a.hops.map((h: any) => ({ id: h.edge.eventId })), ...[...a.farmsOfBirth, ...a.slaughter].map((p: any) => ({ id: p.eventId }))]],
      [
        `animalHistory(consortium: "${C}", earTag: "${s.animals[1]}")`,
        `... on AnimalHistory { birth { ${summary} } movements { ${summary} } treatments { ${summary} } slaughter { ${summary} } postMortem { ${summary} } }`,
        (a) => [a.birth, a.slaughter, ...a.movements, ...a.treatments, ...a.postMortem].filter(Boolean).map((e: any) => ({ id: e.eventId, redacted: e.redacted })),
      ],
    ];
    for (const viewer of VIEWER_NAMES) {
      for (const [call, selection, read] of queries) {
        const answer = await field(world, viewer, call, selection);
        if (typeof answer.code === 'string') continue;
        const surface = `GraphQL ${call.slice(0, call.indexOf('('))}`;
        for (const { id, redacted } of read(answer)) {
          const event = world.events.find((e) => e.eventId === id);
          // A lineage hop shows the event's place in the graph; its fields only where it marks them redacted or not.
          const got: Got = redacted === undefined ? 'redacted' : redacted ? 'redacted' : 'full';
          tally(kindOf(event?.bizStep ?? null), surface, viewer, id, event ? await policyFor(viewer, hashes.get(id)!) : 'absent', got);
        }
      }
    }
  }, 240_000);

  it('documents, persons, sensor readings (temperature legs), proof bundles, the access log and the chain', async () => {
    const hashes = hashOfEvent();
    const all = [...events.map((e) => e.recordHash), ...world.reefer.windows, ...world.reefer.breaches];
    for (const viewer of VIEWER_NAMES) {
      const h = headersOf(world, viewer);
      const got = async (path: string): Promise<Got> => ((await fetch(`${world.base}${path}`, { headers: h })).status === 200 ? 'full' : 'absent');
      // The contract: its uploader (the processor) and the regulator. The certificate: whoever sees its citing event in full. The person: its registering farm and the regulator.
      tally('documents', 'REST /documents/:sha256', viewer, 'contract', ['processor', 'regulator'].includes(viewer) ? 'full' : 'absent', await got(`/documents/${world.contract.sha256}`));
      tally('documents', 'REST /documents/:sha256', viewer, 'certificate', (await policyFor(viewer, hashes.get(world.certificate.citingEventId)!)) === 'full' ? 'full' : 'absent', await got(`/documents/${world.certificate.sha256}`));
      tally('persons', 'REST /persons/:ref', viewer, 'vet', ['farm of origin', 'regulator'].includes(viewer) ? 'full' : 'absent', await got(`/persons/${world.personRef}`));
      const legs = await fetch(`${world.base}/explorer/api/temperature-legs?subject=${encodeURIComponent(world.story.container)}`, { headers: h });
      const leg = legs.status === 200 ? ((await legs.json()) as { legs: { deviceId: string; points: unknown[] }[] }).legs.find((l) => l.deviceId === world.reefer.deviceId) : undefined;
      const windowAllowed = world.reefer.windows.some((w) => isShown(policyOf(viewer, w) as Shown)) ? 'full' : 'absent';
      tally('sensor windows and breaches', 'explorer temperature legs (readings)', viewer, 'reefer readings', windowAllowed, leg && leg.points.length > 0 ? 'full' : 'absent');
      const bundle = await fetch(`${world.base}/explorer/api/bundle`, { method: 'POST', headers: headersOf(world, viewer, { 'content-type': 'application/json' }), body: JSON.stringify({ records: all }) });
      const bundled = bundle.status === 200 ? ((await bundle.json()) as { records: { hash: string }[] }).records.map((r) => r.hash) : [];
      // A proof bundle holds records in full only: a redacted one must not be in it.
      for (const hash of bundled) tally('events and sensor records', 'explorer proof bundle', viewer, hash, policyOf(viewer, hash) === 'full' ? 'full' : 'absent', 'full');
      const log = await field(world, viewer, 'accessLog(first: 100)', '... on QueryAccessLogConnection { edges { node { subjectId viewerOrg } } }');
      for (const entry of log.edges ?? []) tally('access log', 'GraphQL accessLog', viewer, entry.node.subjectId, MEMBERS.includes(viewer) ? 'full' : 'absent', 'full');
      const status = await field(world, viewer, `chainStatus(consortium: "${C}")`, '... on ChainStatus { height }');
      tally('chain', 'GraphQL chainStatus', viewer, C, MEMBERS.includes(viewer) ? 'full' : 'absent', status.__typename === 'ChainStatus' ? 'full' : 'absent');
    }
  }, 240_000);

  it('subscriptions: what each stream carries of events sealed after it opened', async () => {
    const port = Number(new URL(world.base).port);
    const carcass = world.story.carcasses[0]!;
    const fields = {
      recordsForIdentifier: `subscription { recordsForIdentifier(consortium: "${C}", id: "${carcass}") { __typename ... on Error { code } ... on SealedEpcisEvent { eventId redacted } } }`,
      inspectionFindings: `subscription { inspectionFindings(consortium: "${C}") { __typename ... on Error { code } ... on InspectionFindingNotice { event { eventId redacted } } } }`,
    };
    const streams = new Map<string, Sse>();
    for (const viewer of VIEWER_NAMES) for (const [name, query] of Object.entries(fields)) streams.set(`${viewer}|${name}`, new Sse(port, query, name, world.tokens.get(viewer)));
    const pubsub = world.app.graphql.pubsub;
    try {
      await until(() => pubsub.openCount('sealedEpcisEvents') >= MEMBERS.length && pubsub.openCount('inspectionFindings') >= MEMBERS.length, 'member streams open', 20_000);
      const posted = [
        await world.member('fsa').post([objectEvent({ eventTime: world.clock.next(), action: 'OBSERVE', bizStep: PROVENANT_BIZSTEP.OFFICIAL_INSPECTION, epcList: [carcass], disposition: 'damaged', extra: { 'provenant:finding': 'abuse probe' } })], 'inspection'),
        await world.member('meadow-farm').post([objectEvent({ eventTime: world.clock.next(), action: 'OBSERVE', bizStep: 'holding', epcList: [carcass] })], 'rival observes'),
        await world.member('vale-processors').post([objectEvent({ eventTime: world.clock.next(), action: 'OBSERVE', bizStep: 'holding', epcList: [carcass] })], 'processor observes'),
      ].map((r) => ({ eventId: r.results[0]!.eventId, hash: r.results[0]!.recordHash! }));
      // Every member's records stream gets at least the regulator's share; wait for the regulator's to hold all three.
      await streams.get('regulator|recordsForIdentifier')!.waitFor(posted.length, 30_000);
      await new Promise((r) => setTimeout(r, 1_500));
      for (const viewer of VIEWER_NAMES) {
        const allowed = new Map<string, Got>();
        for (const p of posted) allowed.set(p.eventId, await recordShown(world, viewer, p.hash));
        for (const [name, sse] of [...streams].filter(([k]) => k.startsWith(`${viewer}|`)).map(([k, s]) => [k.split('|')[1]!, s] as const)) {
          for (const item of sse.items) {
            const e = (name === 'recordsForIdentifier' ? item : item.event) as { eventId?: string; redacted?: boolean } | undefined;
            if (!e?.eventId) continue;
            tally(name === 'inspectionFindings' ? 'inspection findings' : 'events', `GraphQL subscription ${name}`, viewer, e.eventId, allowed.get(e.eventId) ?? 'absent', e.redacted ? 'redacted' : 'full');
          }
        }
      }
    } finally {
      for (const s of streams.values()) s.close();
    }
  }, 120_000);

  it('records the matrix: nothing leaked, and every cell shows something', () => {
    const rows = [...cells].sort(([a], [b]) => a.localeCompare(b));
    const leaked = rows.reduce((n, [, c]) => n + c.leaked, 0);
    const empty = rows.filter(([, c]) => c.shown === 0).map(([k]) => k);
    recordFigures({
      section: 'abuse',
      surface: `visibility matrix (${VIEWER_NAMES.length} viewers, ${new Set(rows.map(([k]) => k.split(' | ')[0])).size} data kinds, ${new Set(rows.map(([k]) => k.split(' | ')[1])).size} surfaces)`,
      cases: rows.length,
      mustBeZero: { leaked, 'cells showing nothing': empty.length },
      notes: { 'answers shown as allowed': rows.reduce((n, [, c]) => n + c.shown, 0) },
    });
    expect(rows.filter(([, c]) => c.leaked > 0).map(([k, c]) => `${k}: ${c.leaked} (${c.examples.join('; ')})`)).toEqual([]);
    expect(empty).toEqual([]);
    expect(rows.length).toBeGreaterThan(15);
  });
});

/** What a named query of all events shows the viewer (its own, created now), by event id. */
async function namedQueryShown(viewer: ViewerName): Promise<Map<string, Shown>> {
  const shown = new Map<string, Shown>();
  if (!MEMBERS.includes(viewer) && !OUTSIDERS.includes(viewer)) return shown;
  const headers = headersOf(world, viewer, { 'content-type': 'application/json' });
  const created = await fetch(`${world.base}/queries`, { method: 'POST', headers, body: JSON.stringify({ name: 'abuse-everything', query: {} }) });
  expect([201, 409], viewer).toContain(created.status);
  let path: string | null = '/queries/abuse-everything/events?perPage=100';
  for (let pages = 0; path !== null && pages < 100; pages++) {
    const res: Response = await fetch(`${world.base}${path}`, { headers: headersOf(world, viewer) });
    if (res.status !== 200) break;
    const doc = (await res.json()) as { epcisBody: { queryResults: { resultsBody: { eventList: Record<string, unknown>[] } } } };
    for (const e of doc.epcisBody.queryResults.resultsBody.eventList) shown.set(String(e['eventID']), e['provenant:redacted'] === true ? 'redacted' : 'full');
    const link: string | null = res.headers.get('link');
    path = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1]! : null;
  }
  return shown;
}
