import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/platform/config.js';
import { openNode, type OpenedNode } from '../../src/services/node/bootstrap.js';
import { buildDemoConsortium, type DemoConsortium } from '../../src/services/node/demo-consortium.js';
import type { LedgerNodeTestHooks } from '../../src/services/node/ledger-node.js';

export interface TempNode extends OpenedNode {
  dataDir: string;
  dbFile: string;
  demo: DemoConsortium;
  reopen(): Promise<TempNode>;
  /** Stops the node without sealing, drops the log file and the database connection (a crash), and opens it again. */
  crashAndReopen(options?: { testHooks?: LedgerNodeTestHooks }): Promise<TempNode>;
  destroy(): Promise<void>;
}

/** A node on a fresh SQLite file in a temp dir, with the demo consortium and its keys. */
export async function startTempNode(
  options: { autoSeal?: boolean; demo?: DemoConsortium; dataDir?: string; testHooks?: LedgerNodeTestHooks } = {},
): Promise<TempNode> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'provenant-test-'));
  const config = loadConfig({ dataDir, sealIntervalMs: 50 });
  const opened = await openNode(config, { autoSeal: options.autoSeal ?? false, testHooks: options.testHooks });
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
    async crashAndReopen(reopenOptions: { testHooks?: LedgerNodeTestHooks } = {}) {
      // What a crash leaves: the node stops where it is, the log file and the database are let go.
      await opened.node.abandon();
      await opened.ordering.close();
      await opened.db.$disconnect();
      return startTempNode({ autoSeal: options.autoSeal, demo: fixed, dataDir, testHooks: reopenOptions.testHooks });
    },
    async destroy() {
      await opened.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return temp;
}
