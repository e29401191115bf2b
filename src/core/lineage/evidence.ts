/** What lineage verification and the queries need from the store, as a pure interface (src/store/lineage-store.ts implements it). */
import type { VerificationCache } from './verify-cache.js';
import type { MapLeaf } from '../ledger/index-map/bucket.js';
import type { CompletenessMemo } from './completeness.js';

export interface RecordEvidence {
  hash: string;
  consortiumId: string;
  /** JCS text of the signed record as stored. */
  body: string;
  logIndex: number;
  blockHeight: number | null;
  indexInBlock: number | null;
  /** JSON.parse(body), when the reader already parsed it (treated as read-only). */
  parsed?: unknown;
}

export interface BlockEvidence {
  height: number;
  hash: string;
  /** JCS text of the header as sealed. */
  header: string;
  /** JSON array of seals. */
  seals: string;
}

export interface BreachEvidence {
  recordHash: string;
  subject: string;
  containedItems: string[];
  signedAt: string;
  finding: unknown;
  /** The breach record's log index (as-of answers leave out later ones). */
  logIndex?: number;
}

export interface CustodyInfo {
  identifier: string;
  orgId: string | null;
  eventId: string;
  eventTime: string;
}

export interface EvidenceLoader {
  records(hashes: string[]): Promise<RecordEvidence[]>;
  /** Block rows at these heights (absent heights are left out). */
  blocks(heights: number[]): Promise<BlockEvidence[]>;
  /** Block rows from `fromHeight` to `toHeight` inclusive, in height order. */
  blockRange(fromHeight: number, toHeight: number): Promise<BlockEvidence[]>;
  /** Record hashes of each block in indexInBlock order. */
  recordHashesOfBlocks(heights: number[]): Promise<Map<number, string[]>>;
  /** coldchain.breach records whose subject or contained items include any of the identifiers. */
  coldChainBreaches(identifiers: string[]): Promise<BreachEvidence[]>;
  /** Current custody rows (Custody table). */
  custody(identifiers: string[]): Promise<Map<string, CustodyInfo>>;
  /** Verified work that holds across queries on this store (absent: everything is verified per query). */
  readonly verificationCache?: VerificationCache;
  /** The last block at or before a log size or a time (as-of answers). */
  blockAtOrBefore?(at: { logSize: number } | { time: string }): Promise<BlockEvidence | undefined>;
  /** Every stored leaf of the index map's buckets (absent: answers are not proven complete). */
  indexLeaves?(buckets: number[]): Promise<Map<number, MapLeaf[]>>;
  /** Index buckets checked and chains computed, kept across queries on this store. */
  readonly completenessMemo?: CompletenessMemo;
}
