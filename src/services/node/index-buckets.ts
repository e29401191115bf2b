/**
 * The one place the node reads stored index-map buckets for the deriver (docs/completeness.md,
 * section 5): the buckets it does not hold yet, checked against the map's top as they are held.
 */
import type { DerivingIndexMap } from '../../core/ledger/index-map/index.js';
import type { Database } from '../../store/database.js';
import { readBucketLeaves } from '../../store/index-map-store.js';

/** Reads and holds the stored buckets; returns those whose stored leaves disagree with the top (not held). */
export async function holdStoredBuckets(db: Database, consortiumId: string, deriving: DerivingIndexMap, buckets: readonly number[]): Promise<number[]> {
  if (buckets.length === 0) return [];
  return deriving.hold(await readBucketLeaves(db, consortiumId, buckets));
}
