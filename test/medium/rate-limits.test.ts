/** Rate limits: per address, per API token and for unknown tokens, each a 429 with Retry-After; /health stays fast under load. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../src/transport/http/rate-limit.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

describe('TokenBuckets', () => {
  it('lets a burst through, then refuses until the rate refills it', () => {
    const buckets = new TokenBuckets(2, 3);
    const t0 = 1_000_000;
    expect([1, 2, 3].map(() => buckets.take('a', t0).ok)).toEqual([true, true, true]);
    expect(buckets.take('a', t0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(buckets.take('b', t0).ok).toBe(true);
    expect(buckets.take('a', t0 + 500).ok).toBe(true);
    expect(new TokenBuckets(0, 0).take('a', t0).ok).toBe(true);
  });
});

const ENV = { RATE_LIMIT_ADDRESS_RPS: '5', RATE_LIMIT_ADDRESS_BURST: '30', RATE_LIMIT_TOKEN_RPS: '5', RATE_LIMIT_TOKEN_BURST: '10', RATE_LIMIT_FAILED_TOKENS_PER_MINUTE: '5' };

describe('over HTTP, with low limits', () => {
  let node: TestNode;
  beforeAll(async () => {
    Object.assign(process.env, ENV);
    node = await startTestNode({ http: true, tokens: ['fsa', 'hmrc'] });
  }, 60_000);
  afterAll(async () => {
    for (const name of Object.keys(ENV)) delete process.env[name];
    await node?.destroy();
  });
  afterEach(async () => {
    await new Promise((resolve) => setTimeout(resolve, 6_100)); // the address bucket refills
  });

  const graphql = (headers: Record<string, string> = {}) =>
    fetch(`${node.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ health { status } }' }) });

  it('refuses unknown tokens from one address past the guessing limit, with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer pvn_guess${i}` } })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429]);
    const refused = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${node.tokens['fsa']}` } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()).error.code).toBe('RATE_LIMITED');
  });

  it('limits one token, not the others', async () => {
    const fsa = await Promise.all(Array.from({ length: 14 }, () => graphql({ authorization: `Bearer ${node.tokens['hmrc']}` })));
    const refused = fsa.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await graphql()).status).toBe(200);
  });

  it('limits one address (80 requests against a burst of 30), and /health stays fast under 8 concurrent clients', async () => {
    const statuses: number[] = [];
    let done = false;
    const client = async () => {
      for (let i = 0; i < 10; i++) statuses.push((await graphql()).status);
    };
    const latencies: number[] = [];
    const probe = async () => {
      while (!done) {
        const t = performance.now();
        expect((await fetch(`${node.url}/health`)).status).toBe(200);
        latencies.push(performance.now() - t);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const probing = probe();
    await Promise.all(Array.from({ length: 8 }, client));
    done = true;
    await probing;
    expect(statuses).toContain(429);
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)]!).toBeLessThan(200);
  });
});
