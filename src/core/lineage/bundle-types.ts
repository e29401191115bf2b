/**
 * Proof bundle formats: one self-contained JSON file that proves a set of records offline
 * (provenant-proof-bundle/v1), and, since v2, what an answer covers: the query, the identifiers it
 * visited, the checkpoint, and per identifier a completeness proof (docs/completeness.md, section 9).
 * Built by bundle.ts, checked by bundle-verify.ts.
 */
import type { WithheldOpening } from '../privacy/withheld.js';
import type { BlockHeader, QuorumRule, Seal } from '../ledger/block.js';
import type { Checkpoint, CheckpointSignature } from '../ledger/checkpoint.js';
import type { IndexEntry, MapProof } from '../ledger/index-map/index.js';
import type { SignedRecord } from '../ledger/record.js';
import type { JsonValue } from '../crypto/index.js';
import { MEMBERSHIP_KINDS } from '../ledger/records/index.js';
import { CodedError } from '../coded-error.js';

export const BUNDLE_FORMAT = 'provenant-proof-bundle/v1';
/** A bundle that states what it answers and proves it complete. */
export const BUNDLE_FORMAT_V2 = 'provenant-proof-bundle/v2';
export type BundleFormat = typeof BUNDLE_FORMAT | typeof BUNDLE_FORMAT_V2;

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

/** What a v2 bundle answers: the query as asked, every identifier the answer visited, and the checkpoint. */
export interface BundleAnswer {
  /** The query, e.g. { "kind": "trace", "identifier": …, "direction": "UPSTREAM" }. */
  query: { kind: string; [field: string]: JsonValue };
  identifiers: string[];
  checkpoint: { logSize: number; blockHeight: number; blockHash: string };
}

/** One identifier's history at the checkpoint, proven by a map proof under the checkpoint block's indexRoot. */
export interface BundleIdentifierProof {
  identifier: string;
  /** Every entry of the identifier below checkpoint.logSize, in chain order. */
  entries: IndexEntry[];
  proof: MapProof;
}

export interface BundleCompleteness {
  /** The membership chain's map proof: membershipRecords after genesis are all there are. */
  membership: MapProof;
  identifiers: BundleIdentifierProof[];
  /** Records named by an entry that the bundle does not hold, each with why (the viewer may not see it). */
  withheld: { recordHash: string; reason: string }[];
}

/** One opening of a bundled record's withheld-field commitment (docs/redaction.md). */
export interface BundleOpening extends WithheldOpening {
  recordHash: string;
}

export interface ProofBundle {
  format: BundleFormat;
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
  /** Witnesses' cosignatures on the checkpoint (any format; checked only against keys the user names). */
  witnessCosignatures?: WitnessCosignature[];
  /** Values and salts of bundled records' withheld-field commitments, for a viewer entitled to them (docs/redaction.md). */
  openings?: BundleOpening[];
  /** v2 only. */
  answer?: BundleAnswer;
  /** v2 only. */
  completeness?: BundleCompleteness;
}

/** A witness's Ed25519 signature over signingMessage("provenant/v1/witness-cosignature", checkpointHash). */
export interface WitnessCosignature {
  publicKey: string;
  signature: string;
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
  /** v2: what the bundle answers, with the records it names as withheld. */
  answer?: BundleAnswer & { withheld: number };
  /** How the bundle was tied to a trust anchor (absent: it was not). */
  anchoredBy?: string;
}

/** What the verifier trusts; without one a bundle only shows it is self-consistent. */
export interface BundleAnchor {
  /** Hash of block 0 of the consortium the user means. */
  genesis?: string;
  /** Public keys (`ed25519:…`) of authorities the user trusts: a quorum of the checkpoint's signatures must be by them. */
  authorities?: string[];
  /** Witness public keys whose cosignatures on the checkpoint count, and how many are needed. */
  witnesses?: { keys: string[]; required: number };
}

export class BundleError extends CodedError<'BUNDLE_RECORD_NOT_FOUND' | 'BUNDLE_RECORD_NOT_SEALED' | 'BUNDLE_NO_CHECKPOINT' | 'BUNDLE_MISSING_EVIDENCE' | 'BUNDLE_INVALID' | 'BUNDLE_INCOMPLETE'> {
  override readonly name = 'BundleError';
}

export interface BundleEvidence {
  consortium: string;
  checkpoint: Checkpoint;
  checkpointSignatures: CheckpointSignature[];
  blocks: BundleBlock[];
  records: BundleRecord[];
  membershipRecords: BundleRecord[];
  answer?: BundleAnswer;
  completeness?: BundleCompleteness;
  witnessCosignatures?: WitnessCosignature[];
}
