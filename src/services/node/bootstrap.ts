/** Opens the store and the node from configuration: used by the CLI, tests and benchmarks alike. */
import { accessLogWriter } from '../../store/access-log.js';
import path from 'node:path';
import type { NodeConfig } from '../../platform/config.js';
import { openDatabase, type Database } from '../../store/database.js';
import { ChainStore } from '../../store/chain-store.js';
import { closeLineageReader } from '../../store/lineage-store.js';
import { openFileOrdering } from '../../platform/ordering/file-ordering-log.js';
import { JetStreamOrdering } from '../../platform/ordering/jetstream-ordering.js';
import type { Ordering } from '../../platform/ordering/ordering.js';
import { processLogger } from '../../platform/logger.js';
import { Keystore } from './keystore.js';
import { isNetworkNode, readNodeIdentity } from './network-init.js';
import { offChainScopeOf } from '../projections/off-chain-scope.js';
import { LedgerNode, type LedgerNodeTestHooks } from './ledger-node.js';
import { StartupCheck } from '../projections/startup-check.js';
import { refuseDisagreeing, type Disagreement } from '../projections/refusal.js';
import { chainsWithoutConsortium } from '../../store/projection-store.js';

export interface OpenedNode {
  db: Database;
  store: ChainStore;
  keystore: Keystore;
  node: LedgerNode;
  /** The embedded ordering log (a file in the data directory), or the consortia's JetStream streams. */
  ordering: Ordering;
  close(): Promise<void>;
}

/** The embedded ordering log's file, in the data directory. */
export function orderingLogFile(dataDir: string): string {
  return path.join(dataDir, 'ordering', 'log.jsonl');
}

export interface OpenNodeOptions {
  autoSeal?: boolean;
  testHooks?: LedgerNodeTestHooks;
  /**
   * Check each consortium's projections against its chain while loading it, and refuse to open
   * (PROJECTIONS_DISAGREE) when they disagree. Default true; off only to repair them.
   */
  checkProjections?: boolean;
  /** The genesis setting for consortia this node creates whose spec does not say (LedgerNodeOptions.indexCommitment). */
  indexCommitment?: boolean;
}

export async function openNode(config: NodeConfig, options: OpenNodeOptions = {}): Promise<OpenedNode> {
  const db = await openDatabase({ url: config.databaseUrl });
  const store = new ChainStore(db);
  const keystore = new Keystore(path.join(config.dataDir, 'keys'));
  const checks = new Map<string, StartupCheck>();
  const checkpointEveryBlock = !config.ordering && !isNetworkNode(config.dataDir);
  let ordering: Ordering;
  let node: LedgerNode;
  try {
    if (options.checkProjections !== false) for (const { id } of await store.listConsortia()) checks.set(id, await StartupCheck.prepare(store, id, { checkpointEveryBlock, offChainHere: offChainScopeOf(readNodeIdentity(config.dataDir)) }));
    ordering = config.ordering ? await JetStreamOrdering.connect(config.ordering) : await openFileOrdering(orderingLogFile(config.dataDir));
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
      observeLoad: (id) => checks.get(id),
      indexCommitment: options.indexCommitment,
      // Only a node on a shared log can lack blocks the log dropped; the embedded log keeps everything.
      peers: config.ordering ? config.peers : undefined,
      logger: processLogger(),
    });
  } catch (err) {
    await ordering.close();
    await db.$disconnect();
    throw err;
  }
  const disagreements: Disagreement[] = [];
  // A chain whose Consortium row is gone would silently not be served.
  if (options.checkProjections !== false) {
    for (const consortium of await chainsWithoutConsortium(db)) {
      disagreements.push({ consortium, failures: [{ code: 'ROW_MISSING', table: 'Consortium', key: { id: consortium }, message: `Consortium row (id=${consortium}) is missing, but its chain's blocks are stored` }] });
    }
  }
  for (const [consortium, check] of checks) {
    const failures = await check.finish(store);
    if (failures.length > 0) disagreements.push({ consortium, failures });
  }
  if (disagreements.length > 0) {
    // Nothing is written on the way out: the store stays as found, for rebuild-projections.
    await node.close({ seal: false });
    await db.$disconnect();
    refuseDisagreeing(disagreements);
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
