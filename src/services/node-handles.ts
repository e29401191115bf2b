/** What the read services work over: one node, its stores and configuration (a transport holds these and passes them on). */
import type { NodeConfig } from '../platform/config.js';
import type { ChainStore } from '../store/chain-store.js';
import type { Database } from '../store/database.js';
import type { Keystore } from './node/keystore.js';
import type { LedgerNode } from './node/ledger-node.js';

export interface NodeHandles {
  node: LedgerNode;
  store: ChainStore;
  db: Database;
  config: NodeConfig;
  keystore: Keystore;
}

/** The live state of a hosted consortium, or undefined. */
export function hostedState(node: LedgerNode, consortiumId: string) {
  return node.consortia().includes(consortiumId) ? node.state(consortiumId) : undefined;
}
