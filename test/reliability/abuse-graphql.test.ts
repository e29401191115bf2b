/**
 * The reliability suite's abuse section, GraphQL and subscriptions: depth, alias, directive, token
 * and cost attacks, batched (array) bodies, oversized bodies and anonymous introspection on
 * POST /graphql, each refused with its documented code (docs/limits.md), no 5xx, and /health
 * answering within 200 ms after each; then too many subscriptions (webhook subscriptions per
 * organisation, GraphQL streams per token) and oversized query and subscription definitions:
 * refused with a code, nothing half-created. Scale and seed: figures.ts; docs/reliability.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/platform/config.js';
import { MAX_STREAMS_PER_TOKEN } from '../../src/services/feeds/delivery.js';
import { MAX_SUBSCRIPTIONS_PER_ORGANISATION } from '../../src/services/query/query-subscriptions.js';
import { MAX_SOCKETS_PER_TOKEN } from '../../src/services/query/socket-subscriptions.js';
import { GRAPHQL_LIMITS } from '../../src/transport/graphql/yoga.js';
import { DEMO_CONSORTIUM_ID as C } from '../helpers/consortia.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';
import { Sse, until } from '../medium/graphql/sse.js';
import { openQuerySocket, type QuerySocket } from '../helpers/query-socket.js';
import { bodyOf, bump, countRows, healthLatency, pickOf, refusalCode } from './abuse-kit.js';
import { CASES, prng, recordFigures, SEED } from './figures.js';

const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

let t: TestNode;

beforeAll(async () => {
  process.on('unhandledRejection', onUncaught);
  process.on('uncaughtException', onUncaught);
  t = await startTestNode({ http: true, tokens: ['fsa', 'vale-processors', 'riverside-retail'] });
}, 120_000);

afterAll(async () => {
  process.off('unhandledRejection', onUncaught);
  process.off('uncaughtException', onUncaught);
  await t?.destroy();
});

type Attack = 'depth' | 'aliases' | 'directives' | 'tokens' | 'cost' | 'batch' | 'oversized (anonymous)' | 'oversized (member)' | 'anonymous introspection';
const ATTACKS: Attack[] = ['depth', 'aliases', 'directives', 'tokens', 'cost', 'batch', 'oversized (anonymous)', 'oversized (member)', 'anonymous introspection'];
/**
 * The documented refusal (docs/limits.md): the code, and for graphql-armor the limit it names. A
 * query past one limit is often past another (deep nesting costs too); any of them refuses it.
 */
const ARMOR = { code: 'GRAPHQL_LIMIT_EXCEEDED', limits: Object.keys(GRAPHQL_LIMITS) };
const EXPECTED: Record<Attack, { code: string; limits?: string[] }> = {
  depth: ARMOR,
  aliases: ARMOR,
  directives: ARMOR,
  tokens: ARMOR,
  cost: ARMOR,
  batch: { code: 'BAD_REQUEST' },
  'oversized (anonymous)': { code: 'PAYLOAD_TOO_LARGE' },
  'oversized (member)': { code: 'PAYLOAD_TOO_LARGE' },
  'anonymous introspection': { code: 'UNAUTHENTICATED' },
};

function nest(depth: number, leaf: string): string {
  // __type's ofType chain: one level of depth per field, whatever the schema, and no lists (cheap).
  return `{ __type(name: "Query") ${'{ ofType '.repeat(depth)}{ ${leaf} }${' }'.repeat(depth)} }`;
}

/** An attack's request: the body text and whether it carries a member's token. */
function attack(kind: Attack, rand: () => number): { body: string; member: boolean } {
  const pick = pickOf(rand);
  const n = (min: number, max: number) => min + Math.floor(rand() * (max - min + 1));
  const q = (query: string, member = true) => ({ body: JSON.stringify({ query }), member });
  switch (kind) {
    case 'depth':
      return q(nest(n(GRAPHQL_LIMITS.maxDepth + 1, 4 * GRAPHQL_LIMITS.maxDepth), 'name'));
    case 'aliases':
      return q(`{ ${Array.from({ length: n(GRAPHQL_LIMITS.maxAliases + 1, 40 * GRAPHQL_LIMITS.maxAliases) }, (_, i) => `a${i}: health { status }`).join(' ')} }`);
    case 'directives':
      return q(`{ health { status ${'@include(if: true) '.repeat(n(GRAPHQL_LIMITS.maxDirectives + 1, 10 * GRAPHQL_LIMITS.maxDirectives))} } }`);
    case 'tokens':
      return q(`{ ${'health { status } '.repeat(n(GRAPHQL_LIMITS.maxTokens / 4 + 1, GRAPHQL_LIMITS.maxTokens))}}`);
    case 'cost': {
      const first = n(50, 100);
      return q(`{ blocks(consortium: "${C}", first: ${first}) { ... on QueryBlocksConnection { edges { node { records(first: ${first}) { edges { node { hash } } } } } } } }`);
    }
    case 'batch': {
      const ops = Array.from({ length: n(2, 200) }, () => ({ query: pick(['{ health { status } }', `{ chainStatus(consortium: "${C}") { __typename } }`]) }));
      return { body: JSON.stringify(ops), member: rand() < 0.5 };
    }
    case 'oversized (anonymous)':
      return q(`{ health { status } }${' '.repeat(DEFAULT_LIMITS.graphqlAnonymousBodyBytes + n(1, 200_000))}`, false);
    case 'oversized (member)':
      return q(`{ health { status } }${'#'.repeat(DEFAULT_LIMITS.graphqlBodyBytes + n(1, 100_000))}`);
    case 'anonymous introspection':
      return q(pick(['{ __schema { types { name } } }', '{ __type(name: "Query") { name } }', '{ a: __schema { queryType { name } } }', 'query { ...F } fragment F on Query { __schema { types { name } } }', '{ health { status } __schema { directives { name } } }']), false);
  }
}

describe('abuse: GraphQL', () => {
  it(`POST /graphql: ${CASES} depth, alias, directive, token, cost, batching, oversized and anonymous introspection attacks`, async () => {
    const rand = prng(SEED + 200);
    const f = { answered: 0, http5xx: 0, noCode: 0, wrongCode: 0, slowHealth: 0 };
    const byAttack: Record<string, number> = {};
    const wrong: string[] = [];
    const latencies: number[] = [];
    const started = Date.now();
    for (let i = 0; i < CASES; i++) {
      const kind = ATTACKS[i % ATTACKS.length]!;
      const { body, member } = attack(kind, rand);
      const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(member ? { authorization: `Bearer ${t.tokens['fsa']}` } : {}) }, body });
      const answer = (await bodyOf(res)) as { data?: unknown; errors?: { extensions?: { code?: string; details?: { limit?: string } } }[] };
      bump(byAttack, `${kind} ${res.status}`);
      if (res.status >= 500) f.http5xx += 1;
      if (answer?.data !== undefined && answer.data !== null) f.answered += 1;
      const code = refusalCode(answer);
      const expected = EXPECTED[kind];
      const limit = answer?.errors?.[0]?.extensions?.details?.limit;
      if (limit) bump(byAttack, `${kind}: ${limit}`);
      if (code === undefined) f.noCode += 1;
      else if (code !== expected.code || (expected.limits !== undefined && !expected.limits.includes(String(limit)))) {
        f.wrongCode += 1;
        if (wrong.length < 5) wrong.push(`${kind}: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
      }
      const health = await healthLatency(t.url);
      latencies.push(health);
      if (health > 200) {
        f.slowHealth += 1;
        if (wrong.length < 5) wrong.push(`${kind}: /health took ${Math.round(health)} ms`);
      }
    }
    // The limits refuse attacks, not members: a plain query still answers.
    const plain = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens['fsa']}` }, body: JSON.stringify({ query: `{ chainStatus(consortium: "${C}") { __typename } }` }) });
    expect(await plain.json()).toEqual({ data: { chainStatus: { __typename: 'ChainStatus' } } });
    const mustBeZero = { ...f, crashes: uncaught.length };
    recordFigures({ section: 'abuse', surface: 'GraphQL limits (POST /graphql)', cases: CASES, mustBeZero, notes: { ...byAttack, 'slowest /health (ms)': Math.round(Math.max(...latencies)), seconds: Math.round((Date.now() - started) / 1000) } });
    expect(wrong).toEqual([]);
    expect(mustBeZero).toEqual({ answered: 0, http5xx: 0, noCode: 0, wrongCode: 0, slowHealth: 0, crashes: 0 });
  }, 1_800_000);
});

async function rest(path: string, token: string | undefined, init: { method?: string; body?: string } = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${t.url}${path}`, { method: init.method ?? 'GET', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: init.body });
  return { status: res.status, body: await bodyOf(res) };
}

/** A schedule far ahead: subscriptions that deliver nothing while the test runs (and so need no receiver). */
const SCHEDULE = { month: '12', dayOfMonth: '31', hour: '23', minute: '59', second: '59' };
const webhook = (i: number) => JSON.stringify({ dest: `https://1.1.1.1/abuse-hook/${i}`, schedule: SCHEDULE });

describe('abuse: subscriptions', () => {
  it(`webhook subscriptions past ${MAX_SUBSCRIPTIONS_PER_ORGANISATION} per organisation, and oversized query and webhook definitions: refused with a code, nothing half-created`, async () => {
    const rand = prng(SEED + 201);
    const token = t.tokens['vale-processors']!;
    for (const name of ['abuse-a', 'abuse-b']) expect((await rest('/queries', token, { method: 'POST', body: JSON.stringify({ name, query: { EQ_bizStep: ['shipping'] } }) })).status).toBe(201);
    const extra = Math.max(10, Math.round(CASES / 4));
    const f = { created: 0, refused: 0, pastLimit: 0, halfCreated: 0, http5xx: 0, wrongCode: 0 };
    const wrong: string[] = [];
    const judge = (res: { status: number; body: unknown }, code: string, before: number, after: number) => {
      if (res.status >= 500) f.http5xx += 1;
      if (res.status < 300) return;
      f.refused += 1;
      if (after !== before) f.halfCreated += 1;
      if (refusalCode(res.body) !== code) {
        f.wrongCode += 1;
        if (wrong.length < 5) wrong.push(`${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      }
    };
    // Across the organisation's queries: the limit is the organisation's.
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_ORGANISATION + extra; i++) {
      const before = await countRows(t, 'QuerySubscription');
      const res = await rest(`/queries/${rand() < 0.5 ? 'abuse-a' : 'abuse-b'}/subscriptions`, token, { method: 'POST', body: webhook(i) });
      if (res.status === 201) f.created += 1;
      judge(res, 'TOO_MANY_SUBSCRIPTIONS', before, await countRows(t, 'QuerySubscription'));
    }
    f.pastLimit = Math.max(0, f.created - MAX_SUBSCRIPTIONS_PER_ORGANISATION);
    expect(f.created).toBe(MAX_SUBSCRIPTIONS_PER_ORGANISATION);
    // Another organisation is not held back by this one's subscriptions; and a deleted one makes room.
    expect((await rest('/queries', t.tokens['riverside-retail'], { method: 'POST', body: JSON.stringify({ name: 'abuse-a', query: {} }) })).status).toBe(201);
    expect((await rest('/queries/abuse-a/subscriptions', t.tokens['riverside-retail'], { method: 'POST', body: webhook(0) })).status).toBe(201);
    const own = (await rest('/queries/abuse-a/subscriptions', token)).body as { subscriptionID: string }[];
    expect((await rest(`/queries/abuse-a/subscriptions/${own[0]!.subscriptionID}`, token, { method: 'DELETE' })).status).toBe(204);
    expect((await rest('/queries/abuse-a/subscriptions', token, { method: 'POST', body: webhook(-1) })).status).toBe(201);

    // Oversized definitions: a named query past its 64 KiB body, subscription controls past their 16 KiB.
    const oversized = Math.max(5, Math.round(CASES / 10));
    for (let i = 0; i < oversized; i++) {
      const values = Array.from({ length: 3000 + Math.floor(rand() * 20_000) }, (_, j) => `urn:epc:id:sgtin:0614141.107346.${j}`);
      const queries = await countRows(t, 'NamedQuery');
      judge(await rest('/queries', token, { method: 'POST', body: JSON.stringify({ name: `abuse-big-${i}`, query: { MATCH_anyEPC: values } }) }), 'PAYLOAD_TOO_LARGE', queries, await countRows(t, 'NamedQuery'));
      const subscriptions = await countRows(t, 'QuerySubscription');
      const controls = JSON.stringify({ dest: `https://1.1.1.1/${'x'.repeat(16_384 + Math.floor(rand() * 100_000))}`, schedule: SCHEDULE });
      judge(await rest('/queries/abuse-b/subscriptions', t.tokens['riverside-retail'], { method: 'POST', body: controls }), 'PAYLOAD_TOO_LARGE', subscriptions, await countRows(t, 'QuerySubscription'));
    }
    const mustBeZero = { pastLimit: f.pastLimit, halfCreated: f.halfCreated, http5xx: f.http5xx, wrongCode: f.wrongCode, crashes: uncaught.length };
    recordFigures({
      section: 'abuse',
      surface: 'webhook subscriptions and query definitions (REST)',
      cases: MAX_SUBSCRIPTIONS_PER_ORGANISATION + extra + 2 * oversized,
      mustBeZero,
      notes: { created: f.created, refused: f.refused, limit: MAX_SUBSCRIPTIONS_PER_ORGANISATION },
    });
    expect(wrong).toEqual([]);
    expect(mustBeZero).toEqual({ pastLimit: 0, halfCreated: 0, http5xx: 0, wrongCode: 0, crashes: 0 });
  }, 600_000);

  it(`GraphQL subscription streams past ${MAX_STREAMS_PER_TOKEN} per token, and oversized subscription documents: refused with a code, nothing left open`, async () => {
    const port = Number(new URL(t.url).port);
    const pubsub = (t.app as { graphql: { pubsub: { openCount(topic?: string): number } } }).graphql.pubsub;
    const token = t.tokens['fsa']!;
    const query = `subscription { blockSealed(consortium: "${C}") { height } }`;
    // Bounded: every refused stream is a connection open at once.
    const extra = Math.max(8, Math.min(200, Math.round(CASES / 10)));
    const streams: Sse[] = [];
    const f = { pastLimit: 0, leftOpen: 0, http5xx: 0, wrongCode: 0 };
    const wrong: string[] = [];
    try {
      for (let i = 0; i < MAX_STREAMS_PER_TOKEN; i++) streams.push(new Sse(port, query, 'blockSealed', token));
      await until(() => pubsub.openCount('blockSealed') === MAX_STREAMS_PER_TOKEN, `${MAX_STREAMS_PER_TOKEN} streams open`, 30_000);
      const refused: Sse[] = [];
      for (let i = 0; i < extra; i++) refused.push(new Sse(port, query, 'blockSealed', token));
      await Promise.race([Promise.all(refused.map((s) => s.finished)), new Promise((r) => setTimeout(r, 20_000))]);
      for (const s of refused) {
        const code = (s.items[0]?.errors as { extensions?: { code?: string } }[] | undefined)?.[0]?.extensions?.code;
        if (!s.completed) f.leftOpen += 1;
        if (code !== 'TOO_MANY_SUBSCRIPTIONS') {
          f.wrongCode += 1;
          if (wrong.length < 5) wrong.push(JSON.stringify(s.items).slice(0, 300));
        }
      }
      f.pastLimit = Math.max(0, pubsub.openCount('blockSealed') - MAX_STREAMS_PER_TOKEN);
      // Another token is not held back; a closed stream makes room for the same token.
      const other = new Sse(port, query, 'blockSealed', t.tokens['vale-processors']);
      streams.push(other);
      await until(() => pubsub.openCount('blockSealed') === MAX_STREAMS_PER_TOKEN + 1, 'another token streams', 20_000);
      streams[0]!.close();
      await until(() => pubsub.openCount('blockSealed') === MAX_STREAMS_PER_TOKEN, 'a closed stream counted off', 20_000);
      streams.push(new Sse(port, query, 'blockSealed', token));
      await until(() => pubsub.openCount('blockSealed') === MAX_STREAMS_PER_TOKEN + 1, 'room again for the token', 20_000);
      // Oversized subscription documents meet the GraphQL limits like queries do.
      for (let i = 0; i < extra; i++) {
        const aliases = Array.from({ length: GRAPHQL_LIMITS.maxAliases + 1 + i }, (_, j) => `b${j}: blockSealed(consortium: "${C}") { height }`).join(' ');
        const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: `subscription { ${aliases} }` }) });
        const text = await res.text();
        if (res.status >= 500) f.http5xx += 1;
        if (!text.includes('GRAPHQL_LIMIT_EXCEEDED')) {
          f.wrongCode += 1;
          if (wrong.length < 5) wrong.push(`${res.status} ${text.slice(0, 300)}`);
        }
      }
      const mustBeZero = { ...f, crashes: uncaught.length };
      recordFigures({ section: 'abuse', surface: 'GraphQL subscription streams (SSE)', cases: MAX_STREAMS_PER_TOKEN + 2 * extra, mustBeZero, notes: { limit: MAX_STREAMS_PER_TOKEN, 'refused past it': extra } });
      expect(wrong).toEqual([]);
      expect(mustBeZero).toEqual({ pastLimit: 0, leftOpen: 0, http5xx: 0, wrongCode: 0, crashes: 0 });
    } finally {
      for (const s of streams) s.close();
    }
  }, 600_000);

  it(`WebSocket query subscriptions past ${MAX_SOCKETS_PER_TOKEN} per token: refused at the handshake with a code; a closed one makes room`, async () => {
    const token = t.tokens['riverside-retail']!;
    expect((await rest('/queries', token, { method: 'POST', body: JSON.stringify({ name: 'abuse-ws', query: {} }) })).status).toBe(201);
    const path = '/queries/abuse-ws/events?stream=true';
    const sockets: QuerySocket[] = [];
    const extra = Math.max(8, Math.min(200, Math.round(CASES / 10)));
    const f = { pastLimit: 0, http5xx: 0, wrongCode: 0 };
    const wrong: string[] = [];
    try {
      for (let i = 0; i < MAX_SOCKETS_PER_TOKEN; i++) {
        const opened = await openQuerySocket(t.url, path, token);
        expect('socket' in opened, JSON.stringify(opened)).toBe(true);
        if ('socket' in opened) sockets.push(opened.socket);
      }
      for (let i = 0; i < extra; i++) {
        const opened = await openQuerySocket(t.url, path, token);
        if ('socket' in opened) {
          sockets.push(opened.socket);
          f.pastLimit += 1;
          continue;
        }
        if (opened.refused.status >= 500) f.http5xx += 1;
        if (refusalCode(opened.refused.body) !== 'TOO_MANY_SUBSCRIPTIONS') {
          f.wrongCode += 1;
          if (wrong.length < 5) wrong.push(`${opened.refused.status} ${JSON.stringify(opened.refused.body).slice(0, 300)}`);
        }
      }
      // A closed socket makes room; the limit is the token's.
      sockets.shift()!.close();
      let reopened: Awaited<ReturnType<typeof openQuerySocket>> | undefined;
      for (let tries = 0; tries < 100 && !(reopened && 'socket' in reopened); tries++) {
        reopened = await openQuerySocket(t.url, path, token);
        if (!('socket' in reopened)) await new Promise((r) => setTimeout(r, 50));
      }
      expect(reopened && 'socket' in reopened).toBe(true);
      if (reopened && 'socket' in reopened) sockets.push(reopened.socket);
      const mustBeZero = { ...f, crashes: uncaught.length };
      recordFigures({ section: 'abuse', surface: 'WebSocket query subscriptions', cases: MAX_SOCKETS_PER_TOKEN + extra, mustBeZero, notes: { limit: MAX_SOCKETS_PER_TOKEN, 'refused past it': extra } });
      expect(wrong).toEqual([]);
      expect(mustBeZero).toEqual({ pastLimit: 0, http5xx: 0, wrongCode: 0, crashes: 0 });
    } finally {
      for (const s of sockets) s.close();
    }
  }, 600_000);
});
