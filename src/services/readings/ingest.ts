/**
 * Reading ingestion. Each MQTT message is checked (topic, shape, device standing, signature, seq)
 * and accepted readings are committed to SQLite before ingest() resolves, so the caller may
 * acknowledge the message then. Messages arriving together share one transaction (group commit).
 * A flusher turns stored readings into sensor.window records per device and window
 * (window-flusher.ts). What is stored is known from the store (ReadingStore keeps its caches).
 */
import type { DeviceEntry } from '../../core/ledger/consortium.js';
import type { SignedRecord } from '../../core/ledger/record.js';
import { statusTopic } from '../../core/readings/topics.js';
import type { ReadingVerifyDevice, ReadingVerifyItem, ReadingVerifyResult } from '../../core/readings/reading-verify.js';
import type { SeqGap } from '../../core/readings/window.js';
import { WorkerPool } from '../../platform/workers/worker-pool.js';
import { readingVerifyTask } from '../../platform/workers/pool-tasks.js';
import { ReadingStore, type StoredReadingInput } from '../../store/reading-store.js';
import type { LedgerNode } from '../node/ledger-node.js';
import {
  DEFAULT_CLOCK_TOLERANCE_MS,
  IotError,
  aheadOf,
  type CommitStats,
  type IngestOutcome,
  type IngestStats,
  type IngestorOptions,
  type ReadingProof,
  type Rejection,
} from './ingest-types.js';
import { iotMetrics } from './metrics.js';
import { readingProof } from './reading-proof.js';
import { activeDeviceOfTopic, judgeMessage } from './topic-device.js';
import { WindowFlusher } from './window-flusher.js';

export * from './ingest-types.js';
export { verifyReadingProof } from './reading-proof.js';

interface Queued {
  topic: string;
  payload: Uint8Array;
  /** The ingestor's failure count when the message arrived (see #commit). */
  epoch: number;
  resolve: (outcome: IngestOutcome) => void;
  reject: (err: Error) => void;
}

/** A message of a batch: judged already (rejection), or being checked off the main thread (verifyIndex). */
type Entry =
  | { queued: Queued; rejection: Rejection; device?: undefined; verifyIndex?: undefined }
  | { queued: Queued; rejection?: undefined; device: ReadingVerifyDevice; verifyIndex: number };

interface Batch {
  entries: Entry[];
  receivedAt: string;
  receivedAtMs: number;
  verification: Promise<ReadingVerifyResult[]>;
}

interface Candidate {
  queued: Queued;
  consortium: string;
  deviceId: string;
  seq: number;
  gap?: SeqGap;
  aheadMs?: number;
  row: StoredReadingInput;
}

type Settle = Candidate | { queued: Queued; rejection: Rejection };

/**
 * Batches in flight: one commits while the next is verified. Arrivals meanwhile wait and form the
 * next batch, so batches (and transactions) grow with the rate: group commit.
 */
const MAX_BATCHES_IN_FLIGHT = 4;
/**
 * Upper bound of one batch, so one transaction stays short. Each commit costs an fsync (WAL,
 * synchronous=FULL) on the main thread, so fewer, larger batches leave it more time for the rest.
 */
const MAX_BATCH = 2000;

const idsOf = (c: Candidate): { consortium: string; deviceId: string; seq: number } => ({ consortium: c.consortium, deviceId: c.deviceId, seq: c.seq });
const deviceKey = (consortium: string, deviceId: string): string => `${consortium}\u0000${deviceId}`;

export class ReadingIngestor {
  readonly store: ReadingStore;
  readonly #node: LedgerNode;
  readonly #flushIntervalMs: number;
  readonly #publishStatus?: IngestorOptions['publishStatus'];
  readonly #now: () => Date;
  readonly #pool: WorkerPool;
  readonly #ownPool: boolean;
  readonly #clockToleranceMs: number;
  readonly #flusher: WindowFlusher;
  #incoming: Queued[] = [];
  #scheduled = false;
  #inFlight = 0;
  /** Failed commits so far. */
  #epoch = 0;
  /** Batches commit one after another, in arrival order, so seq checks see every earlier reading. */
  #commits: Promise<void> = Promise.resolve();
  #timer?: NodeJS.Timeout;
  #stopped = false;
  readonly #stats: IngestStats = {
    accepted: 0,
    rejected: { unknown_device: 0, revoked_device: 0, bad_signature: 0, replay: 0, malformed: 0 },
    gaps: 0,
    clockAhead: 0,
    windows: 0,
    windowErrors: 0,
  };
  readonly #commitStats: CommitStats = { batches: 0, largestBatch: 0 };

  constructor(options: IngestorOptions) {
    const windowMs = options.windowMs ?? 60_000;
    const windowMax = options.windowMaxReadings ?? 1000;
    if (!(windowMs > 0) || !Number.isSafeInteger(windowMax) || windowMax < 1) {
      throw new RangeError('windowMs must be > 0 and windowMaxReadings a positive integer');
    }
    this.#node = options.node;
    this.store = new ReadingStore(options.db);
    this.#flushIntervalMs = options.flushIntervalMs ?? Math.min(windowMs, 1000);
    this.#publishStatus = options.publishStatus;
    this.#now = options.now ?? (() => new Date());
    this.#ownPool = !options.pool;
    this.#pool = options.pool ?? new WorkerPool({ workers: options.verifyWorkers });
    this.#clockToleranceMs = options.clockToleranceMs ?? DEFAULT_CLOCK_TOLERANCE_MS;
    this.#flusher = new WindowFlusher({
      node: options.node,
      store: this.store,
      windowMs,
      windowMax,
      graceMs: options.windowGraceMs ?? 2000,
      clockToleranceMs: this.#clockToleranceMs,
      windowSigner: options.windowSigner,
      now: this.#now,
      stats: this.#stats,
    });
  }

  start(): void {
    void this.warm();
    if (this.#flushIntervalMs > 0 && !this.#timer) {
      this.#timer = setInterval(() => void this.flush().catch(() => undefined), this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Starts the signature-checking threads; resolves once they are ready (or the main thread will do). */
  warm(): Promise<void> {
    return this.#pool.warm().catch(() => undefined);
  }

  /** Stops accepting; waits for queued messages to commit and any running flush to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#pump();
    for (let tail = this.#commits; ; tail = this.#commits) {
      await tail;
      if (tail === this.#commits) break;
    }
    await this.#flusher.idle();
    if (this.#ownPool) await this.#pool.close();
  }

  stats(): IngestStats {
    return { ...this.#stats, rejected: { ...this.#stats.rejected } };
  }

  commitStats(): CommitStats {
    return { ...this.#commitStats };
  }

  /** Turns closable (or, with force, all) stored readings into sensor.window records. */
  flush(force = false): Promise<SignedRecord[]> {
    return this.#flusher.flush(force);
  }

  /** The proof that a stored reading is committed by its sealed-or-pending sensor.window record. */
  readingProof(deviceId: string, seq: number, consortium?: string): Promise<ReadingProof> {
    return readingProof(this.store, consortium ? [consortium] : this.#node.consortia(), deviceId, seq);
  }

  /** Resolves once the reading is durably stored (accepted) or judged (rejected); rejects on a store failure. */
  ingest(topic: string, payload: Uint8Array): Promise<IngestOutcome> {
    if (this.#stopped) return Promise.reject(new IotError('INGEST_STOPPED', 'the reading ingestor is stopped'));
    return new Promise((resolve, reject) => {
      this.#incoming.push({ topic, payload, epoch: this.#epoch, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the I/O phase: every message parsed from the sockets read in this turn joins the batch.
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  /** Starts batches while fewer than MAX_BATCHES_IN_FLIGHT are verifying or committing. */
  #pump(): void {
    while (this.#incoming.length > 0 && (this.#inFlight < MAX_BATCHES_IN_FLIGHT || this.#stopped)) {
      const queued = this.#incoming.length <= MAX_BATCH ? this.#incoming : this.#incoming.slice(0, MAX_BATCH);
      this.#incoming = queued === this.#incoming ? [] : this.#incoming.slice(MAX_BATCH);
      const batch = this.#prepare(queued);
      this.#inFlight += 1;
      this.#commits = this.#commits
        .then(() => this.#commit(batch))
        .catch(() => undefined) // #commit settles its messages itself; the chain must go on
        .finally(() => {
          this.#inFlight -= 1;
          this.#pump();
        });
    }
  }

  /**
   * The topic's device and its standing here (the node's live state); shape, topic match and
   * signature are checked off the main thread. A message whose topic names no active device is
   * judged here in full.
   */
  #prepare(queued: Queued[]): Batch {
    const received = this.#now();
    const entries: Entry[] = [];
    const items: ReadingVerifyItem[] = [];
    const devices: ReadingVerifyDevice[] = [];
    const deviceIndex = new Map<DeviceEntry, number>();
    for (const q of queued) {
      const topicDevice = activeDeviceOfTopic(this.#node, q.topic);
      if (!topicDevice) {
        const judged = judgeMessage(this.#node, q.topic, q.payload);
        if ('status' in judged) {
          entries.push({ queued: q, rejection: judged });
          continue;
        }
      }
      const { entry, where } = topicDevice ?? activeDeviceOfTopic(this.#node, q.topic)!;
      let index = deviceIndex.get(entry);
      if (index === undefined) {
        index = devices.push({ key: entry.publicKey, consortium: where.consortium, deviceId: where.deviceId }) - 1;
        deviceIndex.set(entry, index);
      }
      const { payload } = q;
      entries.push({ queued: q, device: devices[index]!, verifyIndex: items.length });
      items.push({ text: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'), device: index });
    }
    const verification = items.length === 0 ? Promise.resolve([]) : this.#pool.run(readingVerifyTask, { items, devices });
    // The commit step reports a failure; this keeps it from being an unhandled rejection meanwhile.
    verification.catch(() => undefined);
    return { entries, receivedAt: received.toISOString(), receivedAtMs: received.getTime(), verification };
  }

  /**
   * Seq checks in arrival order, then one transaction for the batch; only then are its messages
   * settled, in arrival order (MQTT acknowledges QoS 1 messages in the order they came).
   */
  async #commit(batch: Batch): Promise<void> {
    // A message that arrived before a failed commit may follow a lost reading of its device: storing
    // it would record that reading as a gap and then refuse its redelivery as a replay. So it is not
    // acknowledged either, and comes again after the lost one.
    const stale = batch.entries.filter((e) => e.queued.epoch < this.#epoch);
    const entries = stale.length === 0 ? batch.entries : batch.entries.filter((e) => e.queued.epoch === this.#epoch);
    if (stale.length > 0) {
      const err = new IotError('NOT_STORED', 'an earlier batch of readings failed to commit; this one is not acknowledged and will come again');
      for (const { queued } of stale) queued.reject(err);
    }
    try {
      const settle = await this.#judgeSeqs(entries, batch);
      const candidates = settle.filter((s): s is Candidate => 'row' in s);
      if (candidates.length > 0) {
        await this.store.insert(candidates.map((c) => c.row));
        this.#commitStats.batches += 1;
        this.#commitStats.largestBatch = Math.max(this.#commitStats.largestBatch, entries.length);
      }
      this.#count(candidates);
      for (const s of settle) this.#settle(s);
    } catch (err) {
      // Nothing of this batch reached the disk and no message of it is acknowledged, so the devices
      // (or the broker) send them again. Batches already under way are refused (above).
      this.#epoch += 1;
      this.store.forgetUnwindowed();
      for (const { queued } of entries) queued.reject(err as Error);
    }
  }

  /** The verdicts of the workers, then seq order per device (against the store and the batch's earlier readings). */
  async #judgeSeqs(entries: Entry[], batch: Batch): Promise<Settle[]> {
    const results = await batch.verification;
    const settle: Settle[] = [];
    /** Last seq per device including this batch's accepted readings so far. */
    const batchSeq = new Map<string, number>();
    for (const entry of entries) {
      if (entry.rejection) {
        settle.push({ queued: entry.queued, rejection: entry.rejection });
        continue;
      }
      const { queued, device, verifyIndex } = entry;
      const { consortium, deviceId } = device;
      const result = results[verifyIndex]!;
      if (!result.ok) {
        settle.push({ queued, rejection: { status: 'rejected', reason: result.reason, message: result.message, consortium, deviceId, seq: result.seq } });
        continue;
      }
      const { seq } = result;
      const key = deviceKey(consortium, deviceId);
      const last = batchSeq.get(key) ?? (await this.store.lastSeq(consortium, deviceId));
      if (seq <= last) {
        settle.push({ queued, rejection: { status: 'rejected', reason: 'replay', message: `seq ${seq} is not after the last accepted seq ${last}`, consortium, deviceId, seq } });
        continue;
      }
      batchSeq.set(key, seq);
      const gap = last > 0 && seq > last + 1 ? { from: last + 1, to: seq - 1 } : undefined;
      const ahead = aheadOf(result.observedAt, batch.receivedAtMs);
      settle.push({
        queued,
        consortium,
        deviceId,
        seq,
        gap,
        aheadMs: ahead > this.#clockToleranceMs ? ahead : undefined,
        row: {
          consortiumId: consortium,
          deviceId,
          seq,
          observedAt: result.observedAt,
          type: result.type,
          body: result.body,
          signature: result.signature,
          digest: result.digest,
          gapFrom: gap ? gap.from : null,
          receivedAt: batch.receivedAt,
        },
      });
    }
    return settle;
  }

  #settle(s: Settle): void {
    if ('rejection' in s) return this.#reject(s.queued, s.rejection);
    const outcome: IngestOutcome = { status: 'accepted', ...idsOf(s) };
    if (s.gap) outcome.gap = s.gap;
    if (s.aheadMs !== undefined) {
      outcome.flag = 'clock_ahead';
      outcome.aheadMs = s.aheadMs;
      this.#reportClockAhead(s);
    }
    s.queued.resolve(outcome);
  }

  /** Counters, and a flush as soon as some device has a full window. */
  #count(candidates: Candidate[]): void {
    const perConsortium = new Map<string, { accepted: number; gaps: number; clockAhead: number }>();
    let full = false;
    for (const c of candidates) {
      const counts = perConsortium.get(c.consortium) ?? { accepted: 0, gaps: 0, clockAhead: 0 };
      perConsortium.set(c.consortium, counts);
      counts.accepted += 1;
      this.#stats.accepted += 1;
      if (c.gap) {
        counts.gaps += 1;
        this.#stats.gaps += 1;
      }
      if (c.aheadMs !== undefined) {
        counts.clockAhead += 1;
        this.#stats.clockAhead += 1;
      }
      if (this.#flusher.noteStored(c.consortium, c.deviceId)) full = true;
    }
    const metrics = iotMetrics();
    for (const [consortium, counts] of perConsortium) {
      metrics.accepted.inc({ consortium }, counts.accepted);
      if (counts.gaps > 0) metrics.gaps.inc({ consortium }, counts.gaps);
      if (counts.clockAhead > 0) metrics.clockAhead.inc({ consortium }, counts.clockAhead);
    }
    if (full) void this.flush().catch(() => undefined);
  }

  /** A reading from a device whose clock runs ahead is stored (it is signed) but reported. */
  #reportClockAhead(c: Candidate): void {
    this.#status(c.consortium, c.deviceId, {
      status: 'flagged',
      reason: 'clock_ahead',
      seq: c.seq,
      aheadMs: c.aheadMs,
      message: `observedAt is ${c.aheadMs} ms after the node received the reading (tolerance ${this.#clockToleranceMs} ms): the device clock runs ahead`,
      counters: this.stats(),
    });
  }

  #reject(queued: Queued, outcome: Rejection): void {
    this.#stats.rejected[outcome.reason] += 1;
    iotMetrics().rejected.inc({ consortium: outcome.consortium ?? 'unknown', reason: outcome.reason });
    if (outcome.consortium && outcome.deviceId) {
      this.#status(outcome.consortium, outcome.deviceId, { status: 'rejected', reason: outcome.reason, seq: outcome.seq ?? null, message: outcome.message, counters: this.stats() });
    }
    queued.resolve(outcome);
  }

  /** Status is advisory: what it reports is counted either way. */
  #status(consortium: string, deviceId: string, body: Record<string, unknown>): void {
    if (!this.#publishStatus) return;
    try {
      this.#publishStatus(statusTopic(consortium, deviceId), JSON.stringify(body));
    } catch {
      // Advisory only.
    }
  }
}
