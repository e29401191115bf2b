/** `provenant start`: the node with its HTTP API; with --demo, a demo consortium and simulators. */
import type { AddressInfo } from 'node:net';
import { loadConfig, type NodeConfig } from '../config.js';
import { openNode } from '../node/bootstrap.js';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID, DEMO_ORGS } from '../node/demo-consortium.js';
import { createApp } from '../api/server.js';
import { issueApiToken } from '../api/auth.js';
import { runScenario } from '../../simulators/scenario.js';
import { keystoreWindowSigner, startIot } from '../iot/index.js';

export async function runStart(options: { dataDir?: string; httpPort?: number; demo: boolean }): Promise<void> {
  const config: NodeConfig = loadConfig({ dataDir: options.dataDir, httpPort: options.httpPort });
  const opened = await openNode(config);
  let freshDemo = false;
  if (options.demo && opened.node.consortia().length === 0) {
    const demo = buildDemoConsortium();
    for (const [orgId, key] of demo.orgKeys) opened.keystore.save(`demo-${orgId}`, key);
    const { blockHash } = await opened.node.createConsortium(demo.spec, demo.authorityKeys);
    console.log(`created demo consortium ${demo.spec.consortiumId} (genesis ${blockHash.slice(0, 16)}…); keys in ${opened.keystore.dir}`);
    freshDemo = true;
  }
  const ctx = { node: opened.node, store: opened.store, db: opened.db, config, keystore: opened.keystore };
  const app = createApp(ctx);
  const server = app.listen(config.httpPort, config.httpHost);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const iot = await startIot({ ctx, windowSigner: keystoreWindowSigner(opened.node, opened.keystore.list().map((k) => k.keyPair)) });
  console.log(iot.port !== undefined ? `MQTT broker (embedded) on port ${iot.port}` : `MQTT: subscribed to ${config.mqttUrl}`);
  const port = (server.address() as AddressInfo).port;
  const base = `http://${config.httpHost}:${port}`;
  console.log(`Provenant node on ${base}  (health: ${base}/health, GraphQL and GraphiQL: ${base}/graphql)`);
  console.log(`database ${config.databaseUrl}; consortia: ${opened.node.consortia().join(', ') || '(none)'}`);

  if (options.demo && opened.node.consortia().includes(DEMO_CONSORTIUM_ID)) {
    if (freshDemo) {
      const orgKeys = new Map(DEMO_ORGS.map((o) => [o.id, opened.keystore.find(`demo-${o.id}`)!.keyPair]));
      console.log('running the simulators (farms, abattoir, processor, haulier, port, customs, retailer)…');
      const started = Date.now();
      const story = await runScenario({ baseUrl: base, consortium: DEMO_CONSORTIUM_ID, orgKeys, log: (line) => console.log(`  ${line}`) });
      console.log(`demo story sealed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await printDemoGuide(ctx, base, story);
    } else {
      console.log('demo consortium already present; run with a fresh --data directory to replay the simulators');
    }
  }

  const shutdown = async () => {
    server.close();
    await iot.stop();
    await app.closeApi();
    await opened.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

async function printDemoGuide(
  ctx: { db: Parameters<typeof issueApiToken>[0] },
  base: string,
  story: Awaited<ReturnType<typeof runScenario>>,
): Promise<void> {
  const tokens: [string, string][] = [];
  for (const org of ['fsa', 'riverside-retail', 'hmrc', 'highfield-farm']) {
    const issued = await issueApiToken(ctx.db, DEMO_CONSORTIUM_ID, org, 'demo');
    tokens.push([org, issued.token]);
  }
  const pack = story.packs[0]!;
  console.log('\nWhere to look');
  console.log(`  GraphiQL:        ${base}/graphql   (add header  Authorization: Bearer <token>)`);
  for (const [org, token] of tokens) console.log(`  token ${org.padEnd(17)} ${token}`);
  console.log(`  chain status:    { chainStatus(consortium: "${DEMO_CONSORTIUM_ID}") { height headHash logSize } }`);
  console.log(`  a pack of mince: ${pack}`);
  console.log(`  trace it:        { trace(consortium: "${DEMO_CONSORTIUM_ID}", id: "${pack}", direction: UPSTREAM) { __typename } }`);
  console.log(`  the container:   ${story.container}`);
  console.log(`  an event (REST): ${base}/epcis/events/<eventID>, verify the chain: npx provenant verify --consortium ${DEMO_CONSORTIUM_ID}`);
}
