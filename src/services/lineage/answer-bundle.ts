/**
 * A proof bundle for a lineage answer (format v2): the query, every identifier the answer visited,
 * and per identifier its whole history at the checkpoint with a map proof under that block's
 * indexRoot, plus the membership chain's proof. Records the viewer may not read are named as
 * withheld (their hashes stay in the chains: the chains cannot be checked without them).
 */
import { toHex } from '../../core/crypto/index.js';
import {
  MEMBERSHIP_KEY_HEX,
  bucketOfKey,
  bucketRoot,
  buildMapProof,
  compareKeys,
  type MapLeaf,
  type MapVersion,
  type TrustedIndex,
} from '../../core/ledger/index-map/index.js';
import { BundleError, type BundleAnswer, type BundleIdentifierProof, type ProofBundle } from '../../core/lineage/bundle.js';
import { checkCompleteness } from '../../core/lineage/completeness.js';
import { walkOfQuery, type WalkQuery } from '../../core/lineage/query-walk.js';
import { checkedIdentifier } from './identifiers.js';
import { canonicalIdentifier } from '../../core/rules/authorisation.js';
import { exportProofBundle } from '../../store/bundle-store.js';
import type { ChainStore } from '../../store/chain-store.js';
import { readBucketLeaves } from '../../store/index-map-store.js';
import { LineageStore } from '../../store/lineage-store.js';

export const MAX_BUNDLE_IDENTIFIERS = 5000;

export interface AnswerBundleRequest {
  query: BundleAnswer['query'];
  identifiers: readonly string[];
  /** Records to bundle besides those the identifiers' histories name. */
  recordHashes?: readonly string[];
  /** Which of these record hashes to leave out, with why (default: none). */
  withhold?: (hashes: string[]) => Promise<Map<string, string>>;
}

/**
 * The query a bundle states, checked (a kind the verifier re-walks: trace, recall, cargo) and with
 * its identifier canonical, so the verifier's walk starts where the node's did. BUNDLE_INVALID otherwise.
 */
export function statedQuery(input: unknown): BundleAnswer['query'] {
  const walk = walkOfQuery(input);
  if ('error' in walk) throw new BundleError('BUNDLE_INVALID', walk.error, { query: JSON.stringify(input)?.slice(0, 500) ?? null });
  const q = input as WalkQuery;
  const identifier = checkedIdentifier(q.identifier);
  const query: BundleAnswer['query'] = { kind: q.kind, identifier };
  if (q.kind === 'trace') query.direction = walk.direction;
  if (q.maxDepth !== undefined) query.maxDepth = walk.maxDepth;
  return query;
}

function sameBucket(a: MapVersion, b: MapVersion, bucket: number): boolean {
  return toHex(a.top.bucketRoot(bucket)) === toHex(b.top.bucketRoot(bucket));
}

/** The leaves of the membership chain's bucket, checked against the version. */
async function membershipProof(store: ChainStore, consortiumId: string, version: MapVersion) {
  const bucket = bucketOfKey(MEMBERSHIP_KEY_HEX);
  const leaves: MapLeaf[] = [...((await readBucketLeaves(store.db, consortiumId, [bucket])).get(bucket) ?? [])].sort(compareKeys);
  if (toHex(bucketRoot(leaves)) !== toHex(version.top.bucketRoot(bucket))) {
    throw new BundleError('BUNDLE_INCOMPLETE', "the stored index map does not give the signed root for the membership chain's bucket", { bucket });
  }
  return buildMapProof(version.top, leaves, MEMBERSHIP_KEY_HEX);
}

/** Where the signed index map comes from: a running node, or the map stored in the database (readStoredIndexMap). */
export interface IndexSource {
  trustedIndex(consortiumId: string): TrustedIndex | undefined;
}

/** Builds a v2 bundle for the answer at the newest signed map; BUNDLE_INCOMPLETE when an identifier cannot be proven. */
export async function answerBundle(node: IndexSource, store: ChainStore, consortiumId: string, request: AnswerBundleRequest): Promise<ProofBundle> {
  const ids = [...new Set(request.identifiers.map(canonicalIdentifier))];
  if (ids.length === 0 || ids.length > MAX_BUNDLE_IDENTIFIERS) throw new BundleError('BUNDLE_INVALID', `an answer bundle covers 1..${MAX_BUNDLE_IDENTIFIERS} identifiers`, { count: ids.length });
  const index = node.trustedIndex(consortiumId);
  const pinned = index?.current();
  if (!index || !pinned?.signed) throw new BundleError('BUNDLE_INCOMPLETE', 'no signed identifier index map yet: the answer cannot be proven complete', { consortium: consortiumId });
  const lineage = new LineageStore(store.db, consortiumId);
  const listed = await lineage.indexEntries(ids);
  const report = await checkCompleteness(ids, listed, { index, pinned, bucketLeaves: (b) => readBucketLeaves(store.db, consortiumId, b) });
  // Every proof under one version: the newest any identifier was proven at (a bucket unchanged since proves the same leaf).
  const versions = [...report.byIdentifier.values()].map((c) => c.basis?.version).filter((v): v is MapVersion => v !== undefined);
  const at = versions.reduce((a, v) => (v.height > a.height ? v : a), pinned);
  const proofs: BundleIdentifierProof[] = [];
  for (const id of ids) {
    const c = report.byIdentifier.get(id)!;
    if (c.status !== 'COMPLETE' || !c.basis) throw new BundleError('BUNDLE_INCOMPLETE', c.reason?.message ?? `${id}: its history cannot be proven complete`, { identifier: id });
    const bucket = bucketOfKey(c.basis.key);
    if (!sameBucket(c.basis.version, at, bucket)) throw new BundleError('BUNDLE_INCOMPLETE', `${id}: a block was sealed while the bundle was built; ask again`, { identifier: id });
    const leaves = [...c.basis.bucketLeaves.values()].sort(compareKeys);
    const entries = c.entries.filter((e) => e.logIndex < at.logSize).map((e) => ({ recordHash: e.recordHash, role: e.role, logIndex: e.logIndex }));
    proofs.push({ identifier: id, entries, proof: buildMapProof(at.top, leaves, c.basis.key) });
  }
  const named = [...new Set([...(request.recordHashes ?? []), ...proofs.flatMap((p) => p.entries.map((e) => e.recordHash))])];
  const withheldBy = request.withhold ? await request.withhold(named) : new Map<string, string>();
  const withheld = [...withheldBy].map(([recordHash, reason]) => ({ recordHash, reason }));
  const kept = named.filter((h) => !withheldBy.has(h));
  return exportProofBundle(store, consortiumId, kept, {
    atHeight: at.height,
    answer: { query: request.query, identifiers: ids },
    completeness: { membership: await membershipProof(store, consortiumId, at), identifiers: proofs, withheld },
  });
}
