/** Opens the store and the node from configuration: used by the CLI, tests and benchmarks alike. */
import { accessLogWriter } from '../../store/access-log.js';
import path from 'node:path';
import type { NodeConfig } from '../../platform/config.js';
import { openDatabase, type Database } from '../../store/database.js';
import { ChainStore } from '../../store/chain-store.js';
import { closeLineageReader } from '../../store/lineage-store.js';
import { openFileOrdering } from '../../platform/ordering/file-ordering-log.js';
import type { InProcessOrdering } from '../../platform/ordering/in-process-ordering.js';
import { Keystore } from './keystore.js';
import { LedgerNode, type LedgerNodeTestHooks } from './ledger-node.js';

export interface OpenedNode {
  db: Database;
  store: ChainStore;
  keystore: Keystore;
  node: LedgerNode;
  /** The embedded ordering log (a file in the data directory). */
  ordering: InProcessOrdering;
  close(): Promise<void>;
}

/** The embedded ordering log's file, in the data directory. */
export function orderingLogFile(dataDir: string): string {
  return path.join(dataDir, 'ordering', 'log.jsonl');
}

export async function openNode(config: NodeConfig, options: { autoSeal?: boolean; testHooks?: LedgerNodeTestHooks } = {}): Promise<OpenedNode> {
  const db = await openDatabase({ url: config.databaseUrl });
  const store = new ChainStore(db);
  const keystore = new Keystore(path.join(config.dataDir, 'keys'));
  let ordering: InProcessOrdering;
  let node: LedgerNode;
  try {
    ordering = await openFileOrdering(orderingLogFile(config.dataDir));
  } catch (err) {
    await db.$disconnect();
    throw err;
  }
  try {
    node = await LedgerNode.open({
      store,
      ordering,
      authorityKeys: keystore.list().map((k) => k.keyPair),
      sealIntervalMs: config.sealIntervalMs,
      autoSeal: options.autoSeal,
      testHooks: options.testHooks,
    });
  } catch (err) {
    await ordering.close();
    await db.$disconnect();
    throw err;
  }
  return {
    db,
    store,
    keystore,
    node,
    ordering,
    async close() {
      await node.close();
      await ordering.close();
      // Reads logged but not yet written (the writer batches) are written before the database closes.
      await accessLogWriter(db).flush();
      await closeLineageReader(db);
      await db.$disconnect();
    },
  };
}
