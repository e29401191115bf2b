/**
 * Proof bundle format (provenant-proof-bundle/v1): one self-contained JSON file that proves a set
 * of records offline. Built by bundle.ts, checked by bundle-verify.ts.
 */
import type { BlockHeader, QuorumRule, Seal } from '../ledger/block.js';
import type { Checkpoint, CheckpointSignature } from '../ledger/checkpoint.js';
import type { SignedRecord } from '../ledger/record.js';
import { MEMBERSHIP_KINDS } from '../ledger/records/index.js';
import { CodedError } from '../coded-error.js';

export const BUNDLE_FORMAT = 'provenant-proof-bundle/v1';

/** Record kinds that change membership or authorities: all of them up to the checkpoint are bundled. */
export const MEMBERSHIP_RECORD_KINDS: readonly string[] = MEMBERSHIP_KINDS;

export interface BundleRecord {
  record: SignedRecord;
  hash: string;
  logIndex: number;
  blockHeight: number;
  indexInBlock: number;
  /** RFC 9162 inclusion proof (hex) in the block's merkleRoot, tree size = header.recordCount. */
  blockInclusion: string[];
  /** RFC 9162 inclusion proof (hex) in checkpoint.logRoot, tree size = checkpoint.logSize. */
  logInclusion: string[];
}

export interface BundleBlock {
  header: BlockHeader;
  hash: string;
  seals: Seal[];
  recordCount: number;
}

export interface BundleAuthority {
  orgId: string;
  keyId: string;
  publicKey: string;
}

export interface BundleAuthoritySet {
  hash: string;
  /** Sorted by keyId, as hashAuthoritySet commits them. */
  authorities: BundleAuthority[];
  quorum: QuorumRule;
  /** Heights of bundled blocks sealed under this set (ascending). */
  heights: number[];
  /** True when this set signed the checkpoint (the set in force after checkpoint.blockHeight). */
  signsCheckpoint: boolean;
}

export interface BundleSigner {
  keyId: string;
  type: 'org' | 'device';
  orgId: string;
  /** Roles of the organisation as of the checkpoint. */
  roles: string[];
  publicKey: string;
  /** Set for device keys. */
  deviceId: string | null;
  status: string;
  addedAtLogIndex: number;
  /** Log index where the key stopped being valid (revoked/rotated), null while valid. */
  endedAtLogIndex: number | null;
}

export interface ProofBundle {
  format: typeof BUNDLE_FORMAT;
  consortium: string;
  /** Hash of block 0: compare with the genesis hash you trust. */
  genesisHash: string;
  checkpoint: Checkpoint;
  checkpointSignatures: CheckpointSignature[];
  authoritySets: BundleAuthoritySet[];
  blocks: BundleBlock[];
  /** The trace: the records asked for, in the order asked. */
  records: BundleRecord[];
  /** Every membership record up to checkpoint.logSize, in log order (genesis first). */
  membershipRecords: BundleRecord[];
  signers: BundleSigner[];
}

export interface BundleFailure {
  /** RFC 6901 JSON pointer into the bundle. */
  path: string;
  code: string;
  message: string;
  expected?: unknown;
  computed?: unknown;
}

export interface BundleReport {
  ok: boolean;
  checks: number;
  failures: BundleFailure[];
  genesisHash?: string;
  checkpoint?: { logSize: number; blockHeight: number; logRoot: string };
}

export class BundleError extends CodedError<'BUNDLE_RECORD_NOT_FOUND' | 'BUNDLE_RECORD_NOT_SEALED' | 'BUNDLE_NO_CHECKPOINT' | 'BUNDLE_MISSING_EVIDENCE' | 'BUNDLE_INVALID'> {
  override readonly name = 'BundleError';
}

export interface BundleEvidence {
  consortium: string;
  checkpoint: Checkpoint;
  checkpointSignatures: CheckpointSignature[];
  blocks: BundleBlock[];
  records: BundleRecord[];
  membershipRecords: BundleRecord[];
}
