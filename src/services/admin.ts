/**
 * Operator use cases run against a node's database without starting the node: API tokens, chain
 * re-verification, proof-bundle export, and the demo's wait for a sealed breach. Each opens the
 * database, does its work and closes it.
 */
import { existsSync } from 'node:fs';
import { CodedError } from '../core/coded-error.js';
import { RecordKind, type SignedRecord } from '../core/ledger/record.js';
import type { ProofBundle } from '../core/lineage/bundle.js';
import { trace as walkLineage } from '../core/lineage/graph.js';
import { walkOfQuery, type QueryWalk } from '../core/lineage/query-walk.js';
import { LineageStore } from '../store/lineage-store.js';
import { answerBundle, statedQuery } from './lineage/answer-bundle.js';
import { readStoredIndexMap } from './node/index-map-load.js';
import type { NodeConfig } from '../platform/config.js';
import { BreachStore } from '../store/breach-store.js';
import { exportProofBundle } from '../store/bundle-store.js';
import { ChainStore } from '../store/chain-store.js';
import { isPostgresUrl, openDatabase, sqliteFilePath, type Database } from '../store/database.js';
import type { IssuedToken, StoredToken } from '../store/token-store.js';
import { issueApiToken, listApiTokens, revokeApiToken } from './auth.js';
import { verifyStoredChain, type StoredChainReport, type VerifyProgress } from './node/verify-stored-chain.js';
import { isNetworkNode, readNodeIdentity } from './node/network-init.js';
import { offChainScopeOf } from './projections/off-chain-scope.js';

/** What an operator asked for cannot be done with this data directory (no database, unknown consortium): a usage error. */
export class AdminError extends CodedError<'NO_DATABASE' | 'UNKNOWN_CONSORTIUM' | 'NO_INDEX_MAP'> {
  override readonly name = 'AdminError';
}

async function withDatabase<T>(config: NodeConfig, run: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ url: config.databaseUrl });
  try {
    return await run(db);
  } finally {
    await db.$disconnect();
  }
}

async function requireConsortium(store: ChainStore, config: NodeConfig, consortiumId: string): Promise<void> {
  if (!(await store.consortiumExists(consortiumId))) throw new AdminError('UNKNOWN_CONSORTIUM', `unknown consortium "${consortiumId}" in ${config.databaseUrl}`, { consortium: consortiumId });
}

export function issueToken(config: NodeConfig, consortiumId: string, orgId: string, label: string): Promise<IssuedToken> {
  return withDatabase(config, (db) => issueApiToken(db, consortiumId, orgId, label));
}

export function revokeToken(config: NodeConfig, tokenOrHash: string): Promise<StoredToken> {
  return withDatabase(config, (db) => revokeApiToken(db, tokenOrHash));
}

export function listTokens(config: NodeConfig, consortiumId: string, orgId?: string): Promise<StoredToken[]> {
  return withDatabase(config, (db) => listApiTokens(db, consortiumId, orgId));
}

/** Re-verifies a stored consortium from genesis (NO_DATABASE when there is nothing to verify). */
export async function verifyConsortium(
  config: NodeConfig,
  consortiumId: string,
  onProgress?: (p: VerifyProgress) => void,
): Promise<StoredChainReport> {
  const file = sqliteFilePath(config.databaseUrl);
  if (file !== ':memory:' && !isPostgresUrl(config.databaseUrl) && !existsSync(file)) throw new AdminError('NO_DATABASE', `no database at ${file}: nothing to verify (check --data or DATABASE_URL)`, { file });
  return withDatabase(config, async (db) => {
    const store = new ChainStore(db);
    await requireConsortium(store, config, consortiumId);
    return verifyStoredChain(store, consortiumId, onProgress, { checkpointEveryBlock: !isNetworkNode(config.dataDir), offChainHere: offChainScopeOf(readNodeIdentity(config.dataDir)) });
  });
}

/**
 * An answer bundle (v2) for a lineage query (trace, recall, cargo), as the operator who holds the
 * database sees it: the query walked over every stored event, each visited identifier's history
 * proven under the signed index map stored with the chain, at that block's checkpoint.
 */
export function exportAnswerBundle(config: NodeConfig, consortiumId: string, query: unknown): Promise<ProofBundle> {
  return withDatabase(config, async (db) => {
    const store = new ChainStore(db);
    await requireConsortium(store, config, consortiumId);
    const stated = statedQuery(query);
    const index = await readStoredIndexMap(db, consortiumId);
    if (!index) throw new AdminError('NO_INDEX_MAP', `consortium "${consortiumId}" has no signed identifier index map stored in ${config.databaseUrl} (a chain of version-1 blocks, or the node has not stored it yet)`, { consortium: consortiumId });
    const walk = walkOfQuery(stated) as QueryWalk;
    const visited = await walkLineage(new LineageStore(db, consortiumId), walk.start, walk.direction, walk.maxDepth);
    return answerBundle({ trustedIndex: () => index }, store, consortiumId, { query: stated, identifiers: visited.nodes });
  });
}

/** A self-contained proof bundle (v1) for the records against the latest checkpoint. */
export function exportBundle(config: NodeConfig, consortiumId: string, recordHashes: string[]): Promise<ProofBundle> {
  return withDatabase(config, async (db) => {
    const store = new ChainStore(db);
    await requireConsortium(store, config, consortiumId);
    return exportProofBundle(store, consortiumId, recordHashes);
  });
}

/** The first sealed coldchain.breach record of a running node, polled until the timeout. */
export async function waitForSealedBreach(db: Database, consortiumId: string, timeoutMs: number): Promise<{ hash: string; payload: unknown } | undefined> {
  const store = new BreachStore(db);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sealed = (await store.allOfKind(consortiumId, RecordKind.COLD_CHAIN_BREACH)).find((r) => r.blockHeight !== null);
    if (sealed) return { hash: sealed.hash, payload: (JSON.parse(sealed.body) as SignedRecord).payload };
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
}
