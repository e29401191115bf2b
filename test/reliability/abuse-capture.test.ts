/**
 * The reliability suite's abuse section, capture and tokens: forged, replayed and revoked
 * signatures, signers of another consortium and role violations on POST /epcis/capture (each
 * refused with its documented code, nothing stored: rows counted before and after every case);
 * then another consortium's token, a revoked token and garbage tokens on every read route, REST
 * and GraphQL (refused, and no answer carries anything of the consortium's data). One node: the
 * capture tests' consortium (the target) and the demo one (the other consortium). Scale and seed:
 * figures.ts; docs/reliability.md ("Abuse").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/core/crypto/index.js';
import { formatTimestamp, RecordKind, signRecord } from '../../src/core/ledger/record.js';
import { BIZ_STEP_TERMS } from '../../src/core/epcis/cbv-vocabulary.js';
import { AUTHORISATION_RULES, canonicalIdentifier, PROVENANT_DISPOSITION, ruleFor, type AuthorisationRule } from '../../src/core/rules/authorisation.js';
import type { Role } from '../../src/core/ledger/membership.js';
import { animalUrn, earTag } from '../../simulators/identifiers.js';
import { CAPTURE_TEST_CONSORTIUM as C, DEMO_CONSORTIUM_ID as DEMO, captureTestNodeOptions } from '../helpers/consortia.js';
import { epcisDocument, objectEvent, signEnvelope } from '../helpers/epcis-documents.js';
import { post } from '../helpers/http.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { bodyOf, bump, countRows, healthWithin, pickOf, refusalCode } from './abuse-kit.js';
import { CASES, prng, recordFigures, SEED } from './figures.js';

const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

let t: TestNode;
/** Envelopes the node accepted: the material of replays. */
const accepted: ReturnType<typeof signEnvelope>[] = [];
let serial = 0;
const sgtin = () => `urn:epc:id:sgtin:0614141.733001.${SEED % 100_000}${++serial}`;
const commission = () => objectEvent({ action: 'ADD', bizStep: 'commissioning', eventTime: new Date(Date.now() - 60_000).toISOString(), epcList: [sgtin()] });

/** The capture tests' organisations with one role each (and the regulator), by role. */
const SINGLE_ROLE_ORGS: Record<string, Role> = { auth: 'REGULATOR', farm: 'FARM', abattoir: 'ABATTOIR', processor: 'PROCESSOR', haulier: 'HAULIER', retailer: 'RETAILER', customs: 'CUSTOMS' };

beforeAll(async () => {
  process.on('unhandledRejection', onUncaught);
  process.on('uncaughtException', onUncaught);
  t = await startTestNode(captureTestNodeOptions());
  for (let i = 0; i < 4; i++) {
    const envelope = signEnvelope(epcisDocument([commission(), commission()]), t.key('processor'));
    const res = await post(t.url, envelope);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    accepted.push(envelope);
  }
  // The victim's first key is revoked by the consortium's authority (its second stays good).
  const revoke = signRecord({ consortium: C, kind: RecordKind.PROPOSAL, payload: { change: { type: 'key.revoke', orgId: 'victim', keyId: t.key('victim').keyId } } }, t.key('auth'));
  expect((await t.node.submit(C, [revoke]))[0]!.status).toBe('accepted');
}, 120_000);

afterAll(async () => {
  process.off('unhandledRejection', onUncaught);
  process.off('uncaughtException', onUncaught);
  await t?.destroy();
});

/**
 * An event of the rule's shape; undefined for rules this generator does not shape. Business steps
 * capture's schema refuses as bare names (the role table's `stuffing` and `unstuffing` are not CBV
 * 2.0 terms: docs/reliability.md) are left out, so the role check is what refuses the event.
 */
function eventFor(rule: AuthorisationRule, rand: () => number): Record<string, unknown> | undefined {
  if (rule.bizSteps === '*' || !rule.eventTypes.includes('ObjectEvent')) return undefined;
  const steps = rule.bizSteps.filter((s) => BIZ_STEP_TERMS.has(s) || s.startsWith('urn:'));
  if (steps.length === 0) return undefined;
  const pick = pickOf(rand);
  const id = rule.subject === 'animal' ? animalUrn(earTag('123456', 1 + Math.floor(rand() * 90_000))) : sgtin();
  return objectEvent({ action: rule.actions?.[0] ?? 'OBSERVE', bizStep: pick(steps), eventTime: new Date(Date.now() - 60_000).toISOString(), epcList: [id] });
}

/** A role violation: an event whose rule (ruleFor, as capture applies it) does not allow the signer's role. */
function roleViolation(rand: () => number): { org: string; event: Record<string, unknown> } {
  const pick = pickOf(rand);
  for (;;) {
    if (rand() < 0.2) {
      // Only customs may set a customs disposition, whatever the business step.
      const org = pick(Object.keys(SINGLE_ROLE_ORGS).filter((o) => SINGLE_ROLE_ORGS[o] !== 'CUSTOMS'));
      return { org, event: objectEvent({ bizStep: 'inspecting', disposition: pick(Object.values(PROVENANT_DISPOSITION)), eventTime: new Date(Date.now() - 60_000).toISOString(), epcList: [sgtin()] }) };
    }
    const event = eventFor(pick(AUTHORISATION_RULES), rand);
    const rule = event && ruleFor(event);
    if (!rule) continue;
    const outsiders = Object.keys(SINGLE_ROLE_ORGS).filter((o) => !rule.roles.includes(SINGLE_ROLE_ORGS[o]!));
    if (outsiders.length > 0) return { org: pick(outsiders), event };
  }
}

type Attack = 'wrong key' | 'mutated event' | 'mutated signature' | 'mutated signedAt' | 'replay' | 'replay into another consortium' | 'revoked key' | 'signer of another consortium' | 'role violation';
const ATTACKS: Attack[] = ['wrong key', 'mutated event', 'mutated signature', 'mutated signedAt', 'replay', 'replay into another consortium', 'revoked key', 'signer of another consortium', 'role violation'];
/** The documented refusal of each attack (docs/limits.md, docs/authorisation.md); a replay is answered `duplicate`, nothing stored. */
const EXPECTED: Record<Attack, readonly string[]> = {
  'wrong key': ['BAD_SIGNATURE'],
  'mutated event': ['BAD_SIGNATURE'],
  'mutated signature': ['BAD_SIGNATURE'],
  'mutated signedAt': ['BAD_SIGNATURE'],
  replay: ['duplicate'],
  // The signer's key is not registered there: refused before its signature is even looked at.
  'replay into another consortium': ['UNKNOWN_SIGNER'],
  'revoked key': ['SIGNER_REVOKED'],
  'signer of another consortium': ['UNKNOWN_SIGNER'],
  'role violation': ['NOT_AUTHORISED'],
};

function attack(kind: Attack, rand: () => number): unknown {
  const pick = pickOf(rand);
  const fresh = () => epcisDocument([commission(), commission()]);
  switch (kind) {
    case 'wrong key': {
      const envelope = signEnvelope(fresh(), generateKeyPair(rand() < 0.5 ? 'ed25519' : 'p256'));
      return { ...envelope, signer: t.key(pick(['processor', 'omni', 'abattoir'])).keyId };
    }
    case 'mutated event': {
      const envelope = signEnvelope(fresh(), t.key('processor'));
      const event = (envelope.document['epcisBody'] as { eventList: Record<string, unknown>[] }).eventList[Math.floor(rand() * 2)]!;
      const change = pick(['epc', 'time', 'bizStep', 'added', 'removed'] as const);
      if (change === 'epc') event['epcList'] = [sgtin()];
      else if (change === 'time') event['eventTime'] = new Date(Date.parse(String(event['eventTime'])) - 1000).toISOString();
      else if (change === 'bizStep') event['bizStep'] = 'inspecting';
      else if (change === 'added') event['readPoint'] = { id: 'urn:epc:id:sgln:0614141.00777.0' };
      else delete event['bizStep'];
      return envelope;
    }
    case 'mutated signature': {
      const envelope = signEnvelope(fresh(), t.key('processor'));
      const i = Math.floor(rand() * envelope.signatures.length);
      const sig = envelope.signatures[i]!;
      const at = 8 + Math.floor(rand() * (sig.length - 16));
      envelope.signatures[i] = `${sig.slice(0, at)}${sig[at] === 'A' ? 'B' : 'A'}${sig.slice(at + 1)}`;
      return envelope;
    }
    case 'mutated signedAt': {
      const envelope = signEnvelope(fresh(), t.key('processor'));
      return { ...envelope, signedAt: formatTimestamp(new Date(Date.parse(envelope.signedAt) - 1000 * (1 + Math.floor(rand() * 60)))) };
    }
    case 'replay':
      return pick(accepted);
    case 'replay into another consortium':
      return { ...pick(accepted), consortium: DEMO };
    case 'revoked key':
      return signEnvelope(fresh(), t.key('victim'));
    case 'signer of another consortium':
      return signEnvelope(fresh(), t.demo.orgKeys.get(pick(['fsa', 'vale-processors', 'northern-abattoir']))!);
    case 'role violation': {
      const { org, event } = roleViolation(rand);
      return signEnvelope(epcisDocument([event]), t.key(org));
    }
  }
}

describe('abuse: capture', () => {
  it(`POST /epcis/capture: ${CASES} forged, replayed, revoked, foreign and role-violating documents`, async () => {
    const rand = prng(SEED + 100);
    const f = { accepted: 0, stored: 0, http5xx: 0, wrongCode: 0, noCode: 0 };
    const byAttack: Record<string, number> = {};
    const wrong: string[] = [];
    const started = Date.now();
    for (let i = 0; i < CASES; i++) {
      const kind = ATTACKS[i % ATTACKS.length]!;
      const body = attack(kind, rand);
      const before = (await countRows(t, 'EpcisEvent')) + (await countRows(t, 'LedgerRecord'));
      const res = await post(t.url, body);
      const after = (await countRows(t, 'EpcisEvent')) + (await countRows(t, 'LedgerRecord'));
      const results = (res.body?.results ?? []) as { status: string }[];
      bump(byAttack, kind);
      if (res.status >= 500) f.http5xx += 1;
      f.accepted += results.filter((r) => r.status === 'accepted').length;
      if (after !== before) f.stored += 1;
      const code = res.status === 200 && results.length > 0 && results.every((r) => r.status === 'duplicate') ? 'duplicate' : refusalCode(res.body);
      if (code === undefined) f.noCode += 1;
      else if (!EXPECTED[kind].includes(code)) {
        f.wrongCode += 1;
        if (wrong.length < 5) wrong.push(`${kind}: ${res.status} ${code} ${JSON.stringify(res.body).slice(0, 300)}`);
      }
    }
    const slow = (await healthWithin(t.url)) ? 0 : 1;
    recordFigures({ section: 'abuse', surface: 'capture (POST /epcis/capture)', cases: CASES, mustBeZero: { ...f, crashes: uncaught.length + slow }, notes: { ...byAttack, seconds: Math.round((Date.now() - started) / 1000) } });
    expect(wrong).toEqual([]);
    expect({ ...f, crashes: uncaught.length + slow }).toEqual({ accepted: 0, stored: 0, http5xx: 0, wrongCode: 0, noCode: 0, crashes: 0 });
  }, 1_800_000);
});

/** What the consortium holds that a refused caller must never read: ids, hashes, contents (each route skips those it names itself). */
interface Secrets {
  markers: string[];
  eventId: string;
  recordHash: string;
  epc: string;
  sha256: string;
  personRef: string;
}

async function plantSecrets(): Promise<Secrets> {
  const auth = { authorization: `Bearer ${t.tokens['auth']}` };
  const markers: string[] = [];
  const rows = await t.db.$queryRawUnsafe<{ eventId: string; recordHash: string }[]>(`SELECT "eventId", "recordHash" FROM "EpcisEvent" WHERE "consortiumId" = ?`, C);
  for (const r of rows) markers.push(r.eventId, r.recordHash);
  const epcs = accepted.flatMap((e) => (e.document['epcisBody'] as { eventList: { epcList: string[] }[] }).eventList.map((ev) => ev.epcList[0]!));
  markers.push(...epcs, ...epcs.map(canonicalIdentifier));
  const text = `%PDF-1.7 abuse marker document ${SEED}`;
  const doc = await fetch(`${t.url}/documents`, { method: 'POST', headers: { ...auth, 'content-type': 'application/pdf', 'provenant-consortium': C }, body: new TextEncoder().encode(text) });
  expect(doc.status).toBe(201);
  const sha256 = ((await doc.json()) as { sha256: string }).sha256;
  const person = await fetch(`${t.url}/persons`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ consortium: C, data: { name: 'Abuse Marker Person' } }) });
  expect(person.status).toBe(201);
  const personRef = ((await person.json()) as { personRef: string }).personRef;
  const query = await fetch(`${t.url}/queries`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'abuse-marker-query', query: { EQ_bizStep: ['commissioning'] } }) });
  expect(query.status).toBe(201);
  const blocks = await t.db.block.findMany({ where: { consortiumId: C }, select: { hash: true } });
  const checkpoint = (await (await fetch(`${t.url}/consortia/${C}/checkpoint`, { headers: auth })).json()) as { checkpoint: { logRoot: string } };
  markers.push(sha256, 'abuse marker document', personRef, 'Abuse Marker Person', 'abuse-marker-query', 'Capture tests', '"Authority"', `consortium="${C}"`, checkpoint.checkpoint.logRoot, ...blocks.map((b) => b.hash));
  return { markers, eventId: rows[0]!.eventId, recordHash: rows[0]!.recordHash, epc: epcs[0]!, sha256, personRef };
}

/** Every read route of the node, REST and GraphQL, aimed at the consortium's own data. */
function readRoutes(s: Secrets): { what: string; path: string; init?: RequestInit }[] {
  const e = encodeURIComponent;
  const gql = (query: string) => ({ what: `GraphQL ${query.slice(2, query.indexOf('('))}`, path: '/graphql', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) } });
  const union = '__typename ... on Error { code message }';
  return [
    ...[`/epcis/events/${e(s.eventId)}`, '/events', `/events/${e(s.eventId)}`, '/eventTypes', '/epcs', '/bizSteps', '/bizLocations', '/readPoints', '/dispositions', `/epcs/${e(s.epc)}/events`].map((path) => ({ what: `GET ${path.split('/')[1]}`, path })),
    ...['/queries', '/queries/abuse-marker-query', '/queries/abuse-marker-query/events', '/queries/abuse-marker-query/subscriptions', '/capture'].map((path) => ({ what: `GET ${path}`, path })),
    ...[`/documents/${s.sha256}`, `/persons/${s.personRef}`, '/metrics'].map((path) => ({ what: `GET ${path.split('/')[1]}`, path })),
    ...['checkpoint', 'log/checkpoint-evidence', 'log/cosignatures', 'log/consistency?from=1&to=2', 'log/inclusion?index=0&size=1'].map((p) => ({ what: `GET /consortia/:id/${p}`, path: `/consortia/${C}/${p}` })),
    { what: 'GET /peer blocks', path: `/peer/consortia/${C}/blocks?from=0` },
    ...['session', 'demo-tokens', `roles-at?org=auth&logIndex=1`, `temperature-legs?subject=${e(s.epc)}`].map((p) => ({ what: `GET /explorer/api/${p.split('?')[0]}`, path: `/explorer/api/${p}` })),
    { what: 'POST /explorer/api/bundle', path: '/explorer/api/bundle', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [s.recordHash] }) } },
    gql(`{ f: record(hash: "${s.recordHash}") { ${union} ... on LedgerRecord { payload } } }`),
    gql(`{ f: trace(consortium: "${C}", id: "${s.epc}", direction: UPSTREAM) { ${union} ... on LineageTrace { nodes } } }`),
    gql(`{ f: recall(consortium: "${C}", from: "${s.epc}") { ${union} ... on QueryRecallConnection { edges { node { identifier } } } } }`),
    gql(`{ f: productPassport(consortium: "${C}", id: "${s.epc}") { ${union} ... on ProductPassport { hops { edge { eventId } } } } }`),
    gql(`{ f: authenticityCheck(consortium: "${C}", id: "${s.epc}") { ${union} ... on AuthenticityCheck { commissionedBy likelyCounterfeit } } }`),
    gql(`{ f: chainStatus(consortium: "${C}") { ${union} ... on ChainStatus { height headHash } } }`),
    gql(`{ f: blocks(consortium: "${C}", first: 3) { ${union} ... on QueryBlocksConnection { edges { node { hash records(first: 10) { edges { node { hash } } } } } } } }`),
    gql(`{ f: block(consortium: "${C}", height: 1) { ${union} ... on Block { hash } } }`),
    gql(`{ f: organisations(consortium: "${C}") { ${union} ... on QueryOrganisationsConnection { edges { node { id } } } } }`),
    gql(`{ f: accessLog(first: 50) { ${union} ... on QueryAccessLogConnection { edges { node { subjectId viewerOrg } } } } }`),
  ];
}

type TokenKind = 'another consortium' | 'revoked' | 'garbage';

function garbageToken(rand: () => number, real: string): string {
  const pick = pickOf(rand);
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const random = (n: number) => Array.from({ length: n }, () => chars[Math.floor(rand() * chars.length)]).join('');
  const at = 4 + Math.floor(rand() * (real.length - 4));
  return pick([
    `pvn_${random(43)}`,
    `${real.slice(0, at)}${real[at] === 'x' ? 'y' : 'x'}${real.slice(at + 1)}`,
    real.slice(0, -1),
    `${real}${random(1)}`,
    random(1 + Math.floor(rand() * 60)),
    `pvn_${random(4000)}`,
    real.toUpperCase(),
  ]);
}

describe('abuse: tokens', () => {
  it(`${CASES} reads of every route with another consortium's token, a revoked token and garbage tokens`, async () => {
    const secrets = await plantSecrets();
    const routes = readRoutes(secrets);
    // The same routes with the consortium's own token answer its data: the markers are real.
    let ownSeen = 0;
    for (const r of routes) {
      const res = await fetch(`${t.url}${r.path}`, { ...r.init, headers: { ...(r.init?.headers as Record<string, string>), authorization: `Bearer ${t.tokens['auth']}` } });
      const text = await res.text();
      if (secrets.markers.some((m) => text.includes(m) && !decodeURIComponent(r.path).includes(m) && !String(r.init?.body ?? '').includes(m))) ownSeen += 1;
    }
    expect(ownSeen).toBeGreaterThan(routes.length / 2);
    const tokens = { other: await t.issueToken('fsa', { consortiumId: DEMO }), revoked: await t.issueToken('auth', { revoked: true }) };
    const rand = prng(SEED + 101);
    const f = { leaked: 0, http5xx: 0, noCode: 0, answeredWithoutToken: 0 };
    const notes: Record<string, number> = {};
    const leaks: string[] = [];
    // Garbage last: past RATE_LIMIT_FAILED_TOKENS_PER_MINUTE every token from this address is refused (429), which would hide the others' answers.
    const kinds: TokenKind[] = Array.from({ length: CASES }, (_, i) => (i < CASES / 3 ? 'another consortium' : i < (2 * CASES) / 3 ? 'revoked' : 'garbage'));
    for (const kind of kinds) {
      const route = routes[Math.floor(rand() * routes.length)]!;
      const token = kind === 'another consortium' ? tokens.other : kind === 'revoked' ? tokens.revoked : garbageToken(rand, t.tokens['auth']!);
      const res = await fetch(`${t.url}${route.path}`, { ...route.init, headers: { ...(route.init?.headers as Record<string, string>), authorization: `Bearer ${token}` } });
      const body = await bodyOf(res);
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const code = refusalCode(body);
      if (res.status >= 500) f.http5xx += 1;
      if (res.status >= 400 && code === undefined) f.noCode += 1;
      const leak = secrets.markers.find((m) => text.includes(m) && !decodeURIComponent(route.path).includes(m) && !String(route.init?.body ?? '').includes(m));
      if (leak) {
        f.leaked += 1;
        if (leaks.length < 5) leaks.push(`${kind} ${route.what}: ${res.status} ${text.slice(0, 200)}`);
      }
      // The demo sign-in list is public by design (and empty outside the demo).
      if (kind !== 'another consortium' && code === undefined && res.status < 400 && !route.path.endsWith('/demo-tokens')) {
        f.answeredWithoutToken += 1;
        if (leaks.length < 5) leaks.push(`${kind} ${route.what} answered ${res.status} ${text.slice(0, 200)}`);
      }
      bump(notes, `${kind} ${code ?? res.status}`);
    }
    const slow = (await healthWithin(t.url)) ? 0 : 1;
    const mustBeZero = { ...f, crashes: uncaught.length + slow };
    recordFigures({ section: 'abuse', surface: `tokens (${routes.length} read routes, REST and GraphQL)`, cases: CASES, mustBeZero, notes: { 'routes showing the owner its data': ownSeen, ...notes } });
    expect(leaks).toEqual([]);
    expect(mustBeZero).toEqual({ leaked: 0, http5xx: 0, noCode: 0, answeredWithoutToken: 0, crashes: 0 });
  }, 1_800_000);
});
