/**
 * Operator use cases on a node's database without starting the node: rebuild a consortium's
 * projections, export its chain, import an export into a fresh store (docs/export-format.md).
 */
import { existsSync } from 'node:fs';
import type { NodeConfig } from '../../platform/config.js';
import { ChainStore } from '../../store/chain-store.js';
import { isPostgresUrl, openDatabase, sqliteFilePath, type Database } from '../../store/database.js';
import { AdminError } from '../admin.js';
import type { VerifyProgress } from '../node/verify-stored-chain.js';
import { exportConsortium, type ExportSummary } from './export.js';
import { importExport, type ImportReport } from './import.js';
import { rebuildProjections, type RebuildReport } from './rebuild.js';
import { isNetworkNode, readNodeIdentity } from '../node/network-init.js';
import { offChainScopeOf } from './off-chain-scope.js';

async function withStore<T>(config: NodeConfig, consortiumId: string, run: (chain: ChainStore, db: Database) => Promise<T>): Promise<T> {
  const file = sqliteFilePath(config.databaseUrl);
  if (file !== ':memory:' && !isPostgresUrl(config.databaseUrl) && !existsSync(file)) throw new AdminError('NO_DATABASE', `no database at ${file} (check --data or DATABASE_URL)`, { file });
  const db = await openDatabase({ url: config.databaseUrl });
  try {
    const chain = new ChainStore(db);
    if (!(await chain.consortiumExists(consortiumId))) throw new AdminError('UNKNOWN_CONSORTIUM', `unknown consortium "${consortiumId}" in ${config.databaseUrl}`, { consortium: consortiumId });
    return await run(chain, db);
  } finally {
    await db.$disconnect();
  }
}

/** Rebuilds a consortium's projections from its chain in one transaction, then verifies the store. */
export function rebuildConsortium(config: NodeConfig, consortiumId: string, onProgress?: (p: VerifyProgress) => void): Promise<RebuildReport> {
  // A network node's store holds its own organisations' off-chain data and cosigned checkpoints (off-chain-scope.ts).
  const verifyOptions = { checkpointEveryBlock: !isNetworkNode(config.dataDir), offChainHere: offChainScopeOf(readNodeIdentity(config.dataDir)) };
  return withStore(config, consortiumId, (chain) => rebuildProjections(chain, consortiumId, onProgress, verifyOptions));
}

/** Writes the consortium's chain into `outDir` (docs/export-format.md). */
export function exportChain(config: NodeConfig, consortiumId: string, outDir: string): Promise<ExportSummary> {
  return withStore(config, consortiumId, (_chain, db) => exportConsortium(db, consortiumId, outDir));
}

/** Builds a fresh store at config's database from the export in `inDir`, verified; nothing is left when it fails. */
export function importChain(config: NodeConfig, inDir: string, onProgress?: (p: VerifyProgress) => void): Promise<ImportReport> {
  return importExport(inDir, config, onProgress);
}
