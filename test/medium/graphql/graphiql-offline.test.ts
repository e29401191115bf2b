import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ProvenantApp } from '../../../src/transport/http/server.js';
import { loadConfig } from '../../../src/platform/config.js';
import { startTempNode, type TempNode } from '../../helpers/temp-node.js';

describe('GraphiQL offline', () => {
  let node: TempNode;
  let app: ProvenantApp;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    node = await startTempNode();
    app = createApp({ node: node.node, store: node.store, db: node.db, keystore: node.keystore, config: loadConfig({ dataDir: node.dataDir }) });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await app.closeApi();
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
