/** Opens the store and the node from configuration: used by the CLI, tests and benchmarks alike. */
import { accessLogWriter } from '../../store/access-log.js';
import path from 'node:path';
import type { NodeConfig } from '../../platform/config.js';
import { openDatabase, type Database } from '../../store/database.js';
import { ChainStore } from '../../store/chain-store.js';
import { closeLineageReader } from '../../store/lineage-store.js';
import { Keystore } from './keystore.js';
import { LedgerNode } from './ledger-node.js';

export interface OpenedNode {
  db: Database;
  store: ChainStore;
  keystore: Keystore;
  node: LedgerNode;
  close(): Promise<void>;
}

/** `indexCommitment: false` seals version-1 blocks without the index map (benchmark baselines, tests of old chains). */
export async function openNode(config: NodeConfig, options: { autoSeal?: boolean; indexCommitment?: boolean } = {}): Promise<OpenedNode> {
  const db = await openDatabase({ url: config.databaseUrl });
  const store = new ChainStore(db);
  const keystore = new Keystore(path.join(config.dataDir, 'keys'));
  const node = await LedgerNode.open({
    store,
    authorityKeys: keystore.list().map((k) => k.keyPair),
    sealIntervalMs: config.sealIntervalMs,
    sealMaxRecords: config.sealMaxRecords,
    autoSeal: options.autoSeal,
    indexCommitment: options.indexCommitment,
  });
  return {
    db,
    store,
    keystore,
    node,
    async close() {
      await node.close();
      // Reads logged but not yet written (the writer batches) are written before the database closes.
      await accessLogWriter(db).flush();
      await closeLineageReader(db);
      await db.$disconnect();
    },
  };
}
