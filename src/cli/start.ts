/** `provenant start`: the node with its HTTP API; with --demo, a demo consortium and simulators. */
import { loadConfig, type NodeConfig } from '../config.js';
import { openNode } from '../node/bootstrap.js';
import { buildDemoConsortium } from '../node/demo-consortium.js';
import { createApp } from '../api/server.js';

export async function runStart(options: { dataDir?: string; httpPort?: number; demo: boolean }): Promise<void> {
  const config: NodeConfig = loadConfig({ dataDir: options.dataDir, httpPort: options.httpPort });
  const opened = await openNode(config);
  if (options.demo && opened.node.consortia().length === 0) {
    const demo = buildDemoConsortium();
    for (const [orgId, key] of demo.orgKeys) opened.keystore.save(`demo-${orgId}`, key);
    const { blockHash } = await opened.node.createConsortium(demo.spec, demo.authorityKeys);
    console.log(`created demo consortium ${demo.spec.consortiumId} (genesis ${blockHash.slice(0, 16)}…); keys in ${opened.keystore.dir}`);
  }
  const app = createApp({ node: opened.node, store: opened.store, db: opened.db, config, keystore: opened.keystore });
  const server = app.listen(config.httpPort, config.httpHost, () => {
    console.log(`Provenant node on http://${config.httpHost}:${config.httpPort}  (health: /health)`);
    console.log(`database ${config.databaseUrl}; consortia: ${opened.node.consortia().join(', ') || '(none)'}`);
  });
  const shutdown = async () => {
    server.close();
    await opened.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}
