/**
 * What the node takes in and answers. Signed records come in two ways: as sent by a member (the
 * node checks their shape, hashes them and screens them for duplicates itself: LedgerNode.submit),
 * or prepared by a service that has already checked everything its use case requires (capture:
 * LedgerNode.lane). Either way the node admits them against the live consortium state and stores
 * the accepted ones durably, with the writes that go with them, in one transaction.
 */
import type { SignedRecord } from '../../core/ledger/record.js';
import type { CheckedSigner, ConsortiumState } from '../../core/ledger/consortium.js';
import type { WriteBatch } from '../../store/write-batch.js';

export interface SubmitOptions {
  /** All records are stored, or none (default). With false, each record stands alone. */
  atomic?: boolean;
  /** Resolve only once the records are sealed into a block. */
  waitForSeal?: boolean;
  /** A record is admitted only when signed by a key of this organisation (else NOT_AUTHORISED with this message). */
  signerOrg?: { orgId: string; message: string };
  /** Statements committed with the record at the same position, in its transaction, if it is admitted. */
  writes?: readonly (WriteBatch | undefined)[];
}

export interface SealedIn {
  height: number;
  hash: string;
}

export type OutcomeError = { code: string; message: string; details?: Record<string, unknown> };

export type SubmitOutcome =
  | { status: 'accepted'; recordHash: string; logIndex: number; block?: SealedIn }
  | { status: 'duplicate'; recordHash: string }
  | { status: 'rejected'; recordHash?: string; error: OutcomeError }
  | { status: 'not_stored'; recordHash?: string; reason: string };

/** A record whose preparer checked its shape, hashed it and screened it for duplicates. */
export interface PreparedRecord {
  record: SignedRecord;
  /** recordHash(record), trusted as given. */
  hash: string;
}

export interface PreparedSubmission {
  records: readonly PreparedRecord[];
  /** The preparer verified every signature (e.g. in worker threads). */
  signaturesVerified?: boolean;
  /** The one key that signed every record, as the preparer checked it (checkSigner): admission checks it again only if signers changed since. */
  signer?: CheckedSigner;
  /** Each admitted record then also comes with the block that seals it. */
  waitForSeal?: boolean;
}

export interface AdmittedRecord {
  recordHash: string;
  logIndex: number;
  /** With waitForSeal: resolves with the block that seals the record. */
  sealed?: Promise<SealedIn>;
}

/** A prepared record the ledger refused (e.g. its key was revoked after it was prepared). */
export interface RefusedRecord {
  submission: number;
  index: number;
  recordHash: string;
  error: OutcomeError;
}

/**
 * All prepared submissions of a commit are admitted and stored together, or (when the ledger
 * refuses any of their records) none is, and the refusals say why.
 */
export type LaneCommit = { ok: true; admitted: AdmittedRecord[][] } | { ok: false; refused: RefusedRecord[] };

/**
 * Exclusive use of one consortium's ledger: nothing else is admitted, committed or sealed while
 * a lane is held, so what the holder reads (the state, the store) stays true until it commits.
 * Release it as soon as possible.
 */
export interface LedgerLane {
  /** The consortium's live state; read-only. */
  readonly state: ConsortiumState;
  /** False once a commit has appended its submissions (or the lane was released): nothing more can be committed. */
  readonly open: boolean;
  /**
   * Admits the submissions in order and stores them, with `writes` (e.g. their indexes), in one
   * transaction (one fsync).
   */
  commit(submissions: readonly PreparedSubmission[], writes?: WriteBatch): Promise<LaneCommit>;
  release(): void;
}
