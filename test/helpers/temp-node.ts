import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/platform/config.js';
import { openNode, type OpenedNode } from '../../src/services/node/bootstrap.js';
import { buildDemoConsortium, type DemoConsortium } from '../../src/services/node/demo-consortium.js';

export interface TempNode extends OpenedNode {
  dataDir: string;
  dbFile: string;
  demo: DemoConsortium;
  reopen(): Promise<TempNode>;
  /** Drops the database connection without sealing or closing the node: a crash. */
  crashAndReopen(): Promise<TempNode>;
  destroy(): Promise<void>;
}

/** A node on a fresh SQLite file in a temp dir, with the demo consortium and its keys. */
export async function startTempNode(options: { autoSeal?: boolean; demo?: DemoConsortium; dataDir?: string } = {}): Promise<TempNode> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'provenant-test-'));
  const config = loadConfig({ dataDir, sealIntervalMs: 50 });
  const opened = await openNode(config, { autoSeal: options.autoSeal ?? false });
  let demo = options.demo;
  if (!demo) {
    demo = buildDemoConsortium();
    for (const [orgId, key] of demo.orgKeys) opened.keystore.save(`demo-${orgId}`, key);
    await opened.node.createConsortium(demo.spec, demo.authorityKeys);
  }
  const fixed = demo;
  const temp: TempNode = {
    ...opened,
    dataDir,
    dbFile: path.join(dataDir, 'provenant.db'),
    demo: fixed,
    async reopen() {
      await opened.close();
      return startTempNode({ autoSeal: options.autoSeal, demo: fixed, dataDir });
    },
    async crashAndReopen() {
      await opened.db.$disconnect();
      return startTempNode({ autoSeal: options.autoSeal, demo: fixed, dataDir });
    },
    async destroy() {
      await opened.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return temp;
}
