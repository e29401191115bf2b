/** What the reading ingestor takes and answers (ingest.ts, window-flusher.ts, reading-proof.ts). */
import type { KeyPair } from '../../core/crypto/index.js';
import { CodedError } from '../../core/coded-error.js';
import type { Reading } from '../../core/readings/reading.js';
import type { SeqGap } from '../../core/readings/window.js';
import type { Database } from '../../store/database.js';
import type { WorkerPool } from '../../platform/workers/worker-pool.js';
import type { LedgerNode } from '../node/ledger-node.js';

export const REJECT_REASONS = ['unknown_device', 'revoked_device', 'bad_signature', 'replay', 'malformed'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** observedAt later than the node's receipt by more than the clock tolerance: the device clock runs ahead. */
export type ReadingFlag = 'clock_ahead';

export type IngestOutcome =
  | { status: 'accepted'; consortium: string; deviceId: string; seq: number; gap?: SeqGap; flag?: ReadingFlag; aheadMs?: number }
  | { status: 'rejected'; reason: RejectReason; message: string; consortium?: string; deviceId?: string; seq?: number };

export type Rejection = Extract<IngestOutcome, { status: 'rejected' }>;

export interface IngestStats {
  accepted: number;
  rejected: Record<RejectReason, number>;
  gaps: number;
  /** Accepted readings flagged clock_ahead. */
  clockAhead: number;
  windows: number;
  windowErrors: number;
}

/** Group commits: transactions that stored readings, and the most messages one of them judged. */
export interface CommitStats {
  batches: number;
  largestBatch: number;
}

/** What the readings services run on (the transports pass it through from the node's start-up). */
export interface ReadingServiceDeps {
  node: LedgerNode;
  db: Database;
}

export interface IngestorOptions extends ReadingServiceDeps {
  /** Window length over observedAt. Default 60 s. */
  windowMs?: number;
  /** A window closes early once it holds this many readings. Default 1000. */
  windowMaxReadings?: number;
  /** How long after a window's end (wall clock) late readings may still join it. Default 2 s. */
  windowGraceMs?: number;
  /** How often closable windows are turned into records. Default min(windowMs, 1 s); 0 disables the timer. */
  flushIntervalMs?: number;
  /** Key that signs the sensor.window record of a device owned by deviceOrgId. */
  windowSigner: (deviceOrgId: string, consortiumId: string) => KeyPair;
  /** Publishes status messages (rejections) to the device's status topic. */
  publishStatus?: (topic: string, payload: string) => void;
  now?: () => Date;
  /** Threads that check reading signatures; 0 checks them on the main thread. Default: the machine's parallelism, at most 4. */
  verifyWorkers?: number;
  /** A worker pool to check signatures in, instead of one of the ingestor's own (verifyWorkers is then ignored). */
  pool?: WorkerPool;
  /**
   * How far a reading's observedAt may be later than its receipt before it is flagged clock_ahead
   * (counted, reported on the status topic and in its window record). Default 60 s.
   */
  clockToleranceMs?: number;
}

export interface ReadingProof {
  consortium: string;
  reading: Reading;
  signature: string;
  windowRecordHash: string;
  /** Leaf index of the reading in the window's readingsRoot, and the tree size (the window's count). */
  index: number;
  treeSize: number;
  readingsRoot: string;
  /** Height of the block sealing the window record; null while pending. */
  blockHeight: number | null;
  /** RFC 6962 audit path, hex. */
  proof: string[];
}

export class IotError extends CodedError<'READING_NOT_FOUND' | 'READING_NOT_WINDOWED' | 'READING_TAMPERED' | 'INGEST_STOPPED' | 'NO_WINDOW_SIGNER' | 'NOT_STORED' | 'MQTT_PUBLISH_REFUSED'> {
  override readonly name = 'IotError';
}

export const DEFAULT_CLOCK_TOLERANCE_MS = 60_000;

/** How far observedAt runs ahead of receipt. */
export const aheadOf = (observedAt: string, receivedAtMs: number): number => Date.parse(observedAt) - receivedAtMs;
