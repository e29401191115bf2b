/**
 * The world the read-policy matrix runs in: the simulators' story, with the haulier's reefer over
 * MQTT and the cold-chain breach it causes, on a node that also hosts a second consortium with the
 * same organisation ids; a viewer per role (and one from the other consortium, an anonymous caller
 * and a revoked token), a confidential document, a document cited by an event, and a person.
 * Helpers read every surface as a viewer and classify the answer.
 */
import { expect } from 'vitest';
import type { KeyPair } from '../../../src/core/crypto/index.js';
import type { ProvenantApp } from '../../../src/transport/http/server.js';
import { RecordKind } from '../../../src/core/ledger/record.js';
import { reeferLeg } from '../../../simulators/reefer.js';
import { runScenario, type ScenarioResult } from '../../../simulators/scenario.js';
import { objectEvent, Participant, SimClock } from '../../../simulators/participant.js';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID } from '../../helpers/consortia.js';
import { waitFor } from '../../helpers/mqtt.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

export const C = DEMO_CONSORTIUM_ID;
export const OTHER = 'other-chain';

/** Every kind of viewer the policy knows, by the organisation (and consortium) its token names. */
export const VIEWERS = {
  regulator: { consortium: C, org: 'fsa' },
  'farm of origin': { consortium: C, org: 'highfield-farm' },
  'rival farm': { consortium: C, org: 'meadow-farm' },
  abattoir: { consortium: C, org: 'northern-abattoir' },
  processor: { consortium: C, org: 'vale-processors' },
  retailer: { consortium: C, org: 'riverside-retail' },
  customs: { consortium: C, org: 'hmrc' },
  haulier: { consortium: C, org: 'swift-haulage' },
  // Another consortium on the same node, with the same organisation ids as the regulator and the farm.
  'other consortium (fsa)': { consortium: OTHER, org: 'fsa' },
  'other consortium (highfield-farm)': { consortium: OTHER, org: 'highfield-farm' },
  anonymous: null,
  revoked: { consortium: C, org: 'fsa', revoked: true },
} as const;

export type ViewerName = keyof typeof VIEWERS;
export const VIEWER_NAMES = Object.keys(VIEWERS) as ViewerName[];
export const MEMBERS = VIEWER_NAMES.filter((v) => VIEWERS[v] !== null && !('revoked' in VIEWERS[v]!) && VIEWERS[v]!.consortium === C);
export const OUTSIDERS: ViewerName[] = ['other consortium (fsa)', 'other consortium (highfield-farm)'];
export const NO_TOKEN: ViewerName[] = ['anonymous', 'revoked'];

export interface StoryEvent {
  eventId: string;
  recordHash: string;
  submitterOrg: string;
  bizStep: string | null;
}

export interface World {
  temp: TestNode;
  app: ProvenantApp;
  base: string;
  story: ScenarioResult;
  tokens: Map<ViewerName, string>;
  events: StoryEvent[];
  /** Uploaded by the processor and cited by nothing: its uploader and the regulator only. */
  contract: { sha256: string; bytes: Uint8Array };
  /** Cited by the processor's event on the pallet: whoever may see that event in full. */
  certificate: { sha256: string; bytes: Uint8Array; citingEventId: string };
  /** The farm's vet, registered by the farm of origin. */
  personRef: string;
  member(org: string): Participant;
  clock: SimClock;
  /** Signing keys of the other consortium's organisations. */
  otherKeys: Map<string, KeyPair>;
  /** The haulier's reefer on the container: its sensor.window records and the breach they caused, all sealed. */
  reefer: { deviceId: string; windows: string[]; breaches: string[] };
}

export function headersOf(world: World, viewer: ViewerName, extra: Record<string, string> = {}): Record<string, string> {
  const token = world.tokens.get(viewer);
  return { ...extra, ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

async function upload(world: Pick<World, 'base'>, token: string, text: string, consortium: string = C): Promise<Response> {
  return fetch(`${world.base}/documents`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf', authorization: `Bearer ${token}`, 'provenant-consortium': consortium },
    body: new TextEncoder().encode(text),
  });
}

export async function startWorld(): Promise<World> {
  const other = buildDemoConsortium(OTHER);
  const temp = await startTestNode({ autoSeal: true, http: true, consortia: [other], mqtt: { windowMs: 5 * 60_000, flushIntervalMs: 100 }, breachMonitor: true });
  const app = temp.app as ProvenantApp;
  const base = temp.url;
  const reefer = reeferLeg({
    baseUrl: base,
    mqttUrl: temp.mqttUrl,
    consortium: C,
    owner: { orgId: 'swift-haulage', key: temp.key('swift-haulage') },
    legMinutes: 120,
    faults: { excursion: { startMinute: 40, durationMinutes: 55, peakC: 9.5 } },
  });
  const story = await runScenario({ baseUrl: base, consortium: C, orgKeys: temp.demo.orgKeys, reefer });
  const tokens = new Map<ViewerName, string>();
  for (const name of VIEWER_NAMES) {
    const v = VIEWERS[name];
    if (!v) continue;
    tokens.set(name, await temp.issueToken(v.org, { consortiumId: v.consortium, revoked: 'revoked' in v, label: `matrix: ${name}` }));
  }
  const clock = new SimClock(new Date(Date.now() - 3600_000));
  const member = (org: string) => new Participant(org, temp.demo.orgKeys.get(org)!, base, C);
  const world = { temp, app, base, story, tokens, clock, member, otherKeys: other.orgKeys } as World;
  world.reefer = await settledReefer(temp, story.reefer!.deviceId, story.reefer!.published);

  const contractText = '%PDF-1.7 supply contract vale-processors / riverside-retail: price schedule (confidential)';
  const contractUp = await upload(world, tokens.get('processor')!, contractText);
  expect(contractUp.status).toBe(201);
  world.contract = { sha256: ((await contractUp.json()) as { sha256: string }).sha256, bytes: new TextEncoder().encode(contractText) };
  const certificateText = '%PDF-1.7 export health certificate for the pallet';
  const certificateUp = await upload(world, tokens.get('processor')!, certificateText);
  const certificate = ((await certificateUp.json()) as { sha256: string }).sha256;
  const cited = await member('vale-processors').post(
    [objectEvent({ eventTime: clock.next(), action: 'OBSERVE', bizStep: 'holding', epcList: [story.pallet], extra: { 'provenant:documents': [{ sha256: certificate, type: 'health-certificate' }] } })],
    'certificate for the pallet',
  );
  world.certificate = { sha256: certificate, bytes: new TextEncoder().encode(certificateText), citingEventId: cited.results[0]!.eventId };
  const person = await fetch(`${base}/persons`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get('farm of origin')}` },
    body: JSON.stringify({ consortium: C, data: { name: 'Dr Jane Okafor', role: 'official veterinarian', phone: '+44 7700 900456' } }),
  });
  expect(person.status).toBe(201);
  world.personRef = ((await person.json()) as { personRef: string }).personRef;
  world.events = await temp.db.$queryRawUnsafe<StoryEvent[]>(`SELECT "eventId", "recordHash", "submitterOrg", "bizStep" FROM "EpcisEvent" WHERE "consortiumId" = ? ORDER BY "eventId"`, C);
  return world;
}

/** Waits until every reading of the reefer is in a sealed window, the monitor has judged them all and its breach is sealed. */
async function settledReefer(temp: TestNode, deviceId: string, published: number): Promise<World['reefer']> {
  const sealedOfKind = async (kind: string) =>
    temp.db.$queryRawUnsafe<{ hash: string; blockHeight: number | null; body: string }[]>(`SELECT "hash", "blockHeight", "body" FROM "LedgerRecord" WHERE "consortiumId" = ? AND "kind" = ? ORDER BY "logIndex"`, C, kind);
  await waitFor(
    `${published} readings of ${deviceId} in sealed windows`,
    async () => {
      const rows = await temp.db.deviceReading.findMany({ where: { consortiumId: C, deviceId }, select: { windowRecordHash: true } });
      return rows.length === published && rows.every((r) => r.windowRecordHash !== null) && (await sealedOfKind(RecordKind.SENSOR_WINDOW)).every((w) => w.blockHeight !== null);
    },
    30_000,
  );
  await waitFor('the monitor to judge every window', async () => temp.monitor!.stats().windows >= (await sealedOfKind(RecordKind.SENSOR_WINDOW)).length, 15_000);
  await temp.monitor!.idle();
  await waitFor('the breach sealed', async () => {
    const breaches = await sealedOfKind(RecordKind.COLD_CHAIN_BREACH);
    return breaches.length > 0 && breaches.every((b) => b.blockHeight !== null);
  });
  const ofDevice = (rows: { hash: string; body: string }[], deviceOf: (payload: any) => unknown) => rows.filter((r) => deviceOf(JSON.parse(r.body).payload) === deviceId).map((r) => r.hash);
  return {
    deviceId,
    windows: ofDevice(await sealedOfKind(RecordKind.SENSOR_WINDOW), (p) => p.deviceId),
    breaches: ofDevice(await sealedOfKind(RecordKind.COLD_CHAIN_BREACH), (p) => p.finding?.deviceId),
  };
}

export async function stopWorld(world: World | undefined): Promise<void> {
  if (!world) return;
  await world.temp.destroy();
}

// ---- reading a surface as a viewer ----

export interface Gql {
  data?: Record<string, any>;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export async function gql(world: World, viewer: ViewerName, query: string, variables: Record<string, unknown> = {}): Promise<Gql> {
  const res = await fetch(`${world.base}/graphql`, { method: 'POST', headers: headersOf(world, viewer, { 'content-type': 'application/json' }), body: JSON.stringify({ query, variables }) });
  return (await res.json()) as Gql;
}

/** One root field; fails on GraphQL errors (a refusal must be a typed union member). */
export async function field(world: World, viewer: ViewerName, call: string, selection: string): Promise<any> {
  const res = await gql(world, viewer, `{ f: ${call} { __typename ... on Error { code message } ${selection} } }`);
  expect(res.errors, `${viewer}: ${call}`).toBeUndefined();
  return res.data!.f;
}

/** What a surface shows of one item: in full, redacted, or a refusal (its GraphQL type or HTTP status). */
export type Shown = 'full' | 'redacted' | `refused:${string}`;

export const isShown = (s: Shown) => s === 'full' || s === 'redacted';

export async function recordShown(world: World, viewer: ViewerName, hash: string): Promise<Shown> {
  const r = await field(world, viewer, `record(hash: "${hash}")`, '... on LedgerRecord { redacted }');
  if (r.__typename !== 'LedgerRecord') return `refused:${r.__typename}`;
  return r.redacted ? 'redacted' : 'full';
}

export async function restEventShown(world: World, viewer: ViewerName, eventId: string): Promise<Shown> {
  const res = await fetch(`${world.base}/epcis/events/${encodeURIComponent(eventId)}`, { headers: headersOf(world, viewer) });
  if (res.status !== 200) return `refused:${res.status}`;
  return ((await res.json()) as { redacted: boolean }).redacted ? 'redacted' : 'full';
}

/**
 * What the EPCIS query interface (GET /events, paged to the end) shows a viewer: each event by id,
 * in full or redacted; or its refusal (HTTP status).
 */
export async function queryShown(world: World, viewer: ViewerName, query = ''): Promise<Map<string, Shown> | `refused:${number}`> {
  const shown = new Map<string, Shown>();
  let path: string | null = `/events?perPage=50${query}`;
  for (let pages = 0; path !== null; pages++) {
    expect(pages, `${viewer}: GET /events pages`).toBeLessThan(100);
    const res: Response = await fetch(`${world.base}${path}`, { headers: headersOf(world, viewer) });
    if (res.status !== 200) return `refused:${res.status}`;
    const doc = (await res.json()) as { epcisBody: { queryResults: { resultsBody: { eventList: Record<string, unknown>[] } } } };
    for (const e of doc.epcisBody.queryResults.resultsBody.eventList) shown.set(String(e['eventID']), e['provenant:redacted'] === true ? 'redacted' : 'full');
    const link: string | null = res.headers.get('link');
    path = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1]! : null;
  }
  return shown;
}
