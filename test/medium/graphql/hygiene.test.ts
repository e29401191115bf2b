/** GraphQL request hygiene: JSON depth bound before parsing, limits as clear limit errors, introspection for members, body caps. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/platform/config.js';
import { MAX_JSON_DEPTH } from '../../../src/transport/graphql/request-guard.js';
import { GRAPHQL_LIMITS } from '../../../src/transport/graphql/yoga.js';
import { jsonNestsDeeperThan } from '../../../src/core/json-depth.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

let node: TestNode;
let token: string;
const logged: unknown[][] = [];

beforeAll(async () => {
  node = await startTestNode({ http: true, tokens: ['fsa'] });
  token = node.tokens['fsa']!;
}, 60_000);
afterAll(async () => {
  await node?.destroy();
});
afterEach(() => {
  vi.restoreAllMocks();
  logged.length = 0;
});

function captureLogs(): void {
  for (const level of ['error', 'warn', 'log', 'info', 'debug'] as const) vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args));
}

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${node.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}

const authorised = () => ({ authorization: `Bearer ${token}` });

describe('jsonNestsDeeperThan', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(jsonNestsDeeperThan('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":[{"b":[1]}]}', 3)).toBe(true);
    expect(jsonNestsDeeperThan(`{"a":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`, 1)).toBe(false);
  });
});

describe('POST /graphql', () => {
  it('refuses a variable nested 10,000 levels deep with a clear 400, logging no stack trace', async () => {
    captureLogs();
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const res = await post(`{"query":"query($v: JSON) { health { status } }","variables":{"v":${deep}}}`, authorised());
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'JSON_TOO_DEEP', details: { maxDepth: MAX_JSON_DEPTH } });
    expect(JSON.stringify(logged)).not.toMatch(/\n\s+at |RangeError|INTERNAL/);
  });

  it('answers a depth, alias or token limit with GRAPHQL_LIMIT_EXCEEDED and 400, not a Syntax Error', async () => {
    const aliases = `{ ${Array.from({ length: GRAPHQL_LIMITS.maxAliases + 5 }, (_, i) => `a${i}: health { status }`).join(' ')} }`;
    const tokens = `{ ${Array.from({ length: GRAPHQL_LIMITS.maxTokens }, () => 'health { status }').join(' ')} }`;
    for (const [limit, query] of [['maxAliases', aliases], ['maxTokens', tokens]] as const) {
      const res = await post(JSON.stringify({ query }), authorised());
      expect(res.status, limit).toBe(400);
      expect(res.body.errors[0].message, limit).not.toMatch(/Syntax Error/);
      expect(res.body.errors[0].extensions, limit).toMatchObject({ code: 'GRAPHQL_LIMIT_EXCEEDED', details: { limit } });
    }
  });

  it('closes introspection to anonymous callers and opens it with a token', async () => {
    const query = JSON.stringify({ query: '{ __schema { queryType { name } } }' });
    const anonymous = await post(query);
    expect(anonymous.body.data ?? null).toBeNull();
    expect(anonymous.body.errors[0].message).toMatch(/introspection/i);
    const member = await post(query, authorised());
    expect(member.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    expect((await post(JSON.stringify({ query: '{ health { status } }' }))).body).toEqual({ data: { health: { status: 'ok' } } });
  });

  it('caps anonymous bodies small and authenticated ones larger', async () => {
    const padded = (size: number) => JSON.stringify({ query: `{ health { status } }${' '.repeat(size)}` });
    const anonymous = await post(padded(DEFAULT_LIMITS.graphqlAnonymousBodyBytes));
    expect(anonymous.status).toBe(413);
    expect(anonymous.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    const member = await post(padded(DEFAULT_LIMITS.graphqlAnonymousBodyBytes), authorised());
    expect(member.status).toBe(200);
    expect(member.body).toEqual({ data: { health: { status: 'ok' } } });
    const huge = await post(padded(DEFAULT_LIMITS.graphqlBodyBytes), authorised());
    expect(huge.status).toBe(413);
  });
});
