import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

describe('GraphiQL offline', () => {
  let node: TestNode;
  let base: string;
  beforeAll(async () => {
    node = await startTestNode({ http: true });
    base = node.url;
  });
  afterAll(async () => {
    await node.destroy();
  });

  it('serves the page with no address outside the node, and every asset it names', async () => {
    const res = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL');
    expect(html).not.toMatch(/https?:\/\//);
    const named = [...html.matchAll(/(?:src|href)="([^"]+)"|"(\/graphiql-assets\/[^"]+)"/g)].map((m) => m[1] ?? m[2]!);
    expect(named.length).toBeGreaterThanOrEqual(5);
    for (const asset of new Set(named)) {
      const got = await fetch(new URL(asset, base));
      expect(got.status, asset).toBe(200);
      expect((await got.arrayBuffer()).byteLength, asset).toBeGreaterThan(100);
    }
  });

  it('answers 404 for an asset that does not exist', async () => {
    expect((await fetch(`${base}/graphiql-assets/nope.js`)).status).toBe(404);
  });
});
