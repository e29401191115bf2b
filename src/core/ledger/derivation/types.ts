/**
 * What the block deriver takes in and gives out (rules: docs/design/network.md). Everything here
 * is a value: two derivers fed the same entries give outputs that are equal field by field.
 */
import type { CheckedSigner } from '../admission.js';
import type { BlockHeader, Seal } from '../block.js';
import type { OrderingMessage } from '../ordering-message.js';
import type { SignedRecord } from '../record.js';
import type { BlockIndex } from '../index-map/deriving.js';
import type { ConsortiumState } from '../state.js';
import type { AuthoritySetVersion } from '../state-types.js';
import type { SignedHeader } from './signed-messages.js';

/** One entry of the consortium's ordering log, as every node reads it. */
export interface DerivationEntry {
  readonly sequence: number;
  /** The log's own time for the entry (RFC 3339 UTC, milliseconds); never a reader's clock. */
  readonly timestamp: string;
  /** The parsed message; null when its bytes are not a well-formed message (parseOrderingMessage refused them). */
  readonly message: OrderingMessage | null;
}

/**
 * Facts about the chain the deriver cannot hold itself, and work a caller already did. Each answer
 * must be what the deriver would compute, so it changes no outcome, only the cost.
 */
export interface DerivationFacts {
  /** True when a final block at or below the deriver's final height holds the record hash. */
  isStoredRecord?(hash: string): boolean;
  /** recordHash(record), when already computed. */
  knownHash?(record: SignedRecord): string | undefined;
  /** True when this exact record, signature included, was verified already. */
  isVerified?(record: SignedRecord): boolean;
  /** Its signer as checked before (checkSigner): admission checks it again unless the state's signer mark is still the one it was checked under. */
  checkedSigner?(record: SignedRecord): CheckedSigner | undefined;
}

export type RecordRefusal =
  | { readonly status: 'rejected'; readonly recordHash?: string; readonly error: { code: string; message: string; details?: Record<string, unknown> } }
  | { readonly status: 'not_stored'; readonly recordHash?: string; readonly reason: string };

export interface AdmittedRecordRef {
  readonly record: SignedRecord;
  readonly hash: string;
  readonly logIndex: number;
}

/** A submission's records are admitted together, or none is and each says why. */
export type SubmissionDecision =
  | { readonly admitted: true; readonly height: number; readonly records: readonly AdmittedRecordRef[] }
  | { readonly admitted: false; readonly outcomes: readonly RecordRefusal[] };

/** A block as the deriver cut it, before any seal. */
export interface DerivedBlock {
  readonly header: BlockHeader;
  readonly hash: string;
  /** Its records in block order (a header may commit to more than their hashes). */
  readonly records: readonly SignedRecord[];
  readonly recordHashes: readonly string[];
  /** The entry that cut it: a cut marker, or the submission that filled it. */
  readonly cutSequence: number;
  /** The block before it, as the header must follow it. */
  readonly previous: { readonly height: number; readonly hash: string; readonly timestamp: string; readonly logSize: number };
  /** The authority set in force for it: its seals count against this set. */
  readonly authorities: AuthoritySetVersion;
  /** It holds a record that changes membership, keys or authorities. */
  readonly membershipChanged: boolean;
  /** What it did to the identifier index map (version-2 blocks: the header's indexRoot is its root). */
  readonly index?: BlockIndex;
  /** The state right after it (only when membershipChanged: the stored membership tables follow it). */
  readonly stateAfter?: ConsortiumState;
}

/** A derived block with seals from more than the quorum share of its authority set, on its hash. */
export interface FinalBlock {
  readonly block: DerivedBlock;
  /** One valid seal per organisation on its hash, in log order, up to the entry that made it final. */
  readonly seals: readonly Seal[];
  /** The entry whose seal completed the quorum (or, when the block below it was final later, that entry). */
  readonly finalSequence: number;
}

export type Evidence =
  /** One authority key sealed two different blocks at one height. */
  | {
      readonly kind: 'equivocation';
      readonly consortium: string;
      readonly height: number;
      readonly keyId: string;
      readonly orgId: string;
      readonly first: SignedHeader;
      readonly second: SignedHeader;
      readonly sequence: number;
    }
  /** An authority sealed another block than the one this node derived at that height. */
  | {
      readonly kind: 'conflicting-seal';
      readonly consortium: string;
      readonly height: number;
      readonly keyId: string;
      readonly orgId: string;
      readonly sealed: SignedHeader;
      readonly derivedHash: string;
      readonly sequence: number;
    }
  /**
   * Authorities sealed different blocks at one height and too few are left to make the derived one
   * final: they derived from different orders of the log. No authority is at fault; keyId and
   * orgId name the one whose seal completed the evidence.
   */
  | {
      readonly kind: 'divergent-seals';
      readonly consortium: string;
      readonly height: number;
      readonly keyId: string;
      readonly orgId: string;
      readonly derivedHash: string;
      /** Each authority key's first valid seal at the height, in log order: at least two block hashes. */
      readonly signedHeaders: readonly OrgSignedHeader[];
      readonly sequence: number;
    };

/** A signed header with the organisation of the authority key that sealed it. */
export interface OrgSignedHeader extends SignedHeader {
  readonly orgId: string;
}

export type IgnoredReason =
  | 'MALFORMED_MESSAGE'
  | 'OTHER_CONSORTIUM'
  | 'NOT_FOR_DERIVATION'
  | 'CUT_STALE'
  | 'CUT_EARLY'
  | 'CUT_EMPTY_BLOCK'
  | 'CUT_NOT_BY_AUTHORITY'
  | 'CUT_BAD_SIGNATURE'
  | 'SEAL_NOT_BY_AUTHORITY'
  | 'SEAL_BAD_SIGNATURE'
  | 'SEAL_REPEATED'
  | 'SEAL_TOO_EARLY'
  | 'SEAL_TOO_OLD'
  | 'HALTED';

export type DerivationOutput =
  | { readonly type: 'submission'; readonly sequence: number; readonly decision: SubmissionDecision }
  | { readonly type: 'block'; readonly block: DerivedBlock }
  | { readonly type: 'final'; readonly final: FinalBlock }
  /** A valid seal on a block already final, by an authority not among its seals yet. */
  | { readonly type: 'late-seal'; readonly height: number; readonly hash: string; readonly seal: Seal }
  | { readonly type: 'evidence'; readonly evidence: Evidence }
  | { readonly type: 'ignored'; readonly sequence: number; readonly reason: IgnoredReason; readonly detail: string }
  /** The derived block at this height can no longer reach a quorum: nothing is sealed past it. */
  | { readonly type: 'stuck'; readonly height: number; readonly detail: string }
  /** A quorum sealed another block than the one derived here: this node stops deriving. */
  | { readonly type: 'halted'; readonly height: number; readonly detail: string };
