/** What a consortium's chain on this node works with, and what it tells the node. */
import type { KeyPair } from '../../core/crypto/index.js';
import { headerVersionRule, type BlockHeader } from '../../core/ledger/block.js';
import type { Evidence } from '../../core/ledger/derivation/index.js';
import type { Ordering } from '../../platform/ordering/ordering.js';
import type { Logger } from '../../platform/logger.js';
import type { ChainStore } from '../../store/chain-store.js';
import type { DerivationStore } from '../../store/derivation-store.js';

export interface SealedBlockEvent {
  consortium: string;
  header: BlockHeader;
  hash: string;
  recordHashes: string[];
}

export interface EvidenceEvent {
  consortium: string;
  evidence: Evidence;
}

/**
 * Test-only hooks into the node's work (no production caller sets them): they let a test stop the
 * node at a point a crash could, or make it misbehave as a faulty authority would.
 */
export interface LedgerNodeTestHooks {
  /** Called after a seal is written to the seal ledger and before it is published; a throw stops the publishing. */
  afterSealPersisted?(seal: { consortium: string; height: number; keyId: string; hash: string }): void | Promise<void>;
  /** Cut version-1 blocks for consortia whose genesis does not set indexCommitment, as nodes from before the index map did (tests of upgraded chains). */
  versionOneBlocks?: boolean;
}

export interface ChainContext {
  readonly store: ChainStore;
  readonly derivation: DerivationStore;
  readonly ordering: Ordering;
  /** The authority keys this node holds, by key id. */
  authorityKeys(): ReadonlyMap<string, KeyPair>;
  /** Local time, for bookkeeping only (receivedAt, sealedAt): nothing derived reads it. */
  now(): Date;
  sealed(event: SealedBlockEvent): void;
  evidence(event: EvidenceEvent): void;
  /** A failure of background work (sealing, storing a final block): the node reports it. */
  fault(err: unknown): void;
  /** The chain's log subscription met a gap and the chain stopped: the node catches it up from peers and reopens it (live-catch-up.ts). */
  gap?(consortium: string, reason: string): void;
  readonly hooks?: LedgerNodeTestHooks;
  /** Catch-up over HTTP from the peers registered on chain, for blocks the ordering log no longer holds (absent: off). */
  readonly peers?: PeerCatchUpSettings;
  readonly logger?: Logger;
}

export interface PeerCatchUpSettings {
  /** Peers registered with an http (loopback) URL are asked too. */
  readonly allowHttp: boolean;
  /** How long to keep asking before reporting that no peer could serve. */
  readonly waitMs: number;
  /** One page request's timeout (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** A running node that met a gap and could not catch up tries again after 1 s, then twice as long each time, up to this (default 60 s). */
  readonly retryMaxMs?: number;
}

/** Whether the consortium's blocks commit to the index map: its genesis setting decides (headerVersionRule), never a node option. */
export function commitsIndex(ctx: Pick<ChainContext, 'hooks'>, indexCommitment: boolean | undefined): boolean {
  if (indexCommitment === undefined && ctx.hooks?.versionOneBlocks === true) return false;
  return headerVersionRule(indexCommitment, 1).cut === 2;
}
