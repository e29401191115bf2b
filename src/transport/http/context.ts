import type { CaptureService } from '../../services/capture/capture-service.js';
import type { NodeConfig } from '../../platform/config.js';
import type { LedgerNode } from '../../services/node/ledger-node.js';
import type { Keystore } from '../../services/node/keystore.js';
import type { ChainStore } from '../../store/chain-store.js';
import type { Database } from '../../store/database.js';

/** What every API module receives: one node, its store and configuration. */
export interface AppContext {
  node: LedgerNode;
  store: ChainStore;
  db: Database;
  config: NodeConfig;
  keystore: Keystore;
  /** Set by createApp: the one capture pipeline shared by REST and GraphQL. */
  capture?: CaptureService;
}
