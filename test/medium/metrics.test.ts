/** GET /metrics over HTTP on a real node: members only, own consortium's series only, lineage counts live. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyConsortium } from '../../src/transport/http/metrics-routes.js';
import { DEMO_CONSORTIUM_ID } from '../../src/services/node/demo-consortium.js';
import { LineageStore } from '../../src/store/lineage-store.js';
import { issueToken } from '../../src/store/token-store.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

describe('onlyConsortium', () => {
  it("keeps comments, unlabelled series and the consortium's own; drops the others'", () => {
    const text = ['# HELP x_total X', '# TYPE x_total counter', 'x_total{consortium="a"} 1', 'x_total{reason="y",consortium="b"} 2', 'process_cpu_seconds_total 3', 'x_total{consortium="ab"} 4'].join('\n');
    expect(onlyConsortium(text, 'a').split('\n')).toEqual(['# HELP x_total X', '# TYPE x_total counter', 'x_total{consortium="a"} 1', 'process_cpu_seconds_total 3']);
  });
});

describe('GET /metrics', () => {
  let temp: TestNode;
  let url: string;

  beforeAll(async () => {
    temp = await startTestNode({ http: true });
    url = `${temp.url}/metrics`;
  }, 60_000);
  afterAll(async () => {
    await temp?.destroy();
  });

  it('refuses an anonymous caller and an unknown token with 401 and a JSON error', async () => {
    for (const headers of [{}, { authorization: 'Bearer pvn_unknown' }] as Record<string, string>[]) {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('UNAUTHENTICATED');
    }
  });

  it("serves a member the process and lineage series of its own consortium, counting the lineage reads", async () => {
    const { token } = await issueToken(temp.db, DEMO_CONSORTIUM_ID, 'fsa', 'prometheus');
    const scrape = async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return res.text();
    };
    const value = (text: string, name: string) => Number(new RegExp(`^${name}\\{consortium="${DEMO_CONSORTIUM_ID}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    const before = await scrape();
    expect(before).toMatch(/^process_cpu_user_seconds_total /m);
    const lookups = value(before, 'provenant_lineage_identifiers_read');
    expect(lookups).toBeGreaterThanOrEqual(0);
    await new LineageStore(temp.db, DEMO_CONSORTIUM_ID).eventsTouching(['urn:provenant:animal:UK000000000000', 'urn:provenant:animal:UK000000000001']);
    expect(value(await scrape(), 'provenant_lineage_identifiers_read')).toBe(lookups + 2);
  });
});
