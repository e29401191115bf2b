/**
 * Reading ingestion. Each MQTT message is checked (topic, shape, device standing,
 * signature, seq) and accepted readings are committed to SQLite before ingest() resolves, so the
 * caller may acknowledge the message then. Messages arriving together share one transaction
 * (group commit). A flusher turns stored readings into sensor.window records per device and window.
 */
import { signRecord, RecordKind, type SignedRecord } from '../../core/ledger/record.js';
import { verifyInclusion } from '../../core/ledger/merkle-verify.js';
import { toHex, fromHex, type KeyPair } from '../../core/crypto/index.js';
import type { DeviceEntry } from '../../core/ledger/consortium.js';
import type { LedgerNode, SubmitOutcome } from '../node/ledger-node.js';
import type { Database } from '../../store/database.js';
import { ReadingStore, type StoredReading, type StoredReadingInput } from '../../store/reading-store.js';
import { parseDeviceTopic, statusTopic } from '../../core/readings/topics.js';
import { parseReadingMessage, readingLeafHash, type Reading, type ReadingMessage } from '../../core/readings/reading.js';
import { ReadingVerifyPool } from '../../platform/workers/reading-verify-pool.js';
import type { ReadingVerifyDevice, ReadingVerifyItem, ReadingVerifyResult } from '../../core/readings/reading-verify.js';
import { buildWindowPayload, readingInclusionProof, windowBounds, type SeqGap, type SensorWindowPayload } from '../../core/readings/window.js';
import { iotMetrics } from './metrics.js';
import { CodedError } from '../../core/coded-error.js';

export const REJECT_REASONS = ['unknown_device', 'revoked_device', 'bad_signature', 'replay', 'malformed'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** observedAt later than the node's receipt by more than the clock tolerance: the device clock runs ahead. */
export type ReadingFlag = 'clock_ahead';

export type IngestOutcome =
  | { status: 'accepted'; consortium: string; deviceId: string; seq: number; gap?: SeqGap; flag?: ReadingFlag; aheadMs?: number }
  | { status: 'rejected'; reason: RejectReason; message: string; consortium?: string; deviceId?: string; seq?: number };

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

export interface IngestorOptions {
  node: LedgerNode;
  db: Database;
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

type Rejection = Extract<IngestOutcome, { status: 'rejected' }>;

export class IotError extends CodedError<'READING_NOT_FOUND' | 'READING_NOT_WINDOWED' | 'INGEST_STOPPED' | 'NO_WINDOW_SIGNER' | 'NOT_STORED'> {
  override readonly name = 'IotError';
}

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

/** A stored reading not yet in a window record, as the flusher needs it. */
interface PendingReading {
  seq: number;
  observedAt: string;
  receivedAt: string;
  gapFrom: number | null;
  body: string;
  digest: string;
}

interface PendingDevice {
  consortium: string;
  deviceId: string;
  /** In seq order. */
  rows: PendingReading[];
}

const deviceKey = (consortium: string, deviceId: string): string => `${consortium}\u0000${deviceId}`;

/** The device's unwindowed readings in `pending`, added empty when it has none yet. */
function pendingDevice(pending: Map<string, PendingDevice>, consortium: string, deviceId: string): PendingDevice {
  const key = deviceKey(consortium, deviceId);
  let device = pending.get(key);
  if (!device) {
    device = { consortium, deviceId, rows: [] };
    pending.set(key, device);
  }
  return device;
}

/** The fields a pending reading keeps of a stored or candidate row. */
const pendingReading = (r: PendingReading): PendingReading => ({ seq: r.seq, observedAt: r.observedAt, receivedAt: r.receivedAt, gapFrom: r.gapFrom, body: r.body, digest: r.digest });
const idsOf = (c: Candidate): { consortium: string; deviceId: string; seq: number } => ({ consortium: c.consortium, deviceId: c.deviceId, seq: c.seq });

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
/**
 * Unwindowed readings the flusher keeps in memory (so it need not read them back from the store).
 * Beyond this, or after anything unexpected, it reads the store instead, as after a restart.
 */
const PENDING_MEMORY_LIMIT = 100_000;
/** Rows one flush reads from the store when its memory is not usable. */
const PENDING_LOAD_LIMIT = 50_000;
const DEFAULT_CLOCK_TOLERANCE_MS = 60_000;

const aheadOf = (observedAt: string, receivedAtMs: number): number => Date.parse(observedAt) - receivedAtMs;

export class ReadingIngestor {
  readonly store: ReadingStore;
  readonly #node: LedgerNode;
  readonly #windowMs: number;
  readonly #windowMax: number;
  readonly #graceMs: number;
  readonly #flushIntervalMs: number;
  readonly #windowSigner: IngestorOptions['windowSigner'];
  readonly #publishStatus?: IngestorOptions['publishStatus'];
  readonly #now: () => Date;
  readonly #pool: ReadingVerifyPool;
  readonly #clockToleranceMs: number;
  /**
   * Stored readings not yet in a window record, per device: what the flusher windows. null when it
   * must be read from the store (at start, and after anything unexpected).
   */
  #pending: Map<string, PendingDevice> | null = null;
  #pendingCount = 0;
  /** Last committed seq per device (loaded from the store on first sight). */
  readonly #lastSeq = new Map<string, number>();
  /** Readings stored per device since the last flush, to flush as soon as a window is full. */
  readonly #pendingPerDevice = new Map<string, number>();
  #incoming: Queued[] = [];
  #scheduled = false;
  #inFlight = 0;
  /** Failed commits so far. */
  #epoch = 0;
  /** Batches commit one after another, in arrival order, so seq checks see every earlier reading. */
  #commits: Promise<void> = Promise.resolve();
  #flushing?: Promise<SignedRecord[]>;
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
    this.#node = options.node;
    this.store = new ReadingStore(options.db);
    this.#windowMs = options.windowMs ?? 60_000;
    this.#windowMax = options.windowMaxReadings ?? 1000;
    this.#graceMs = options.windowGraceMs ?? 2000;
    this.#flushIntervalMs = options.flushIntervalMs ?? Math.min(this.#windowMs, 1000);
    this.#windowSigner = options.windowSigner;
    this.#publishStatus = options.publishStatus;
    this.#now = options.now ?? (() => new Date());
    this.#pool = new ReadingVerifyPool({ workers: options.verifyWorkers });
    this.#clockToleranceMs = options.clockToleranceMs ?? DEFAULT_CLOCK_TOLERANCE_MS;
    if (!(this.#windowMs > 0) || !Number.isSafeInteger(this.#windowMax) || this.#windowMax < 1) {
      throw new RangeError('windowMs must be > 0 and windowMaxReadings a positive integer');
    }
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
    if (this.#flushing) await this.#flushing.catch(() => undefined);
    await this.#pool.close();
  }

  stats(): IngestStats {
    return { ...this.#stats, rejected: { ...this.#stats.rejected } };
  }

  commitStats(): CommitStats {
    return { ...this.#commitStats };
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
   * judged here in full, so it gets the same reason as before (a malformed one stays malformed).
   */
  #prepare(queued: Queued[]): Batch {
    const received = this.#now();
    const entries: Entry[] = [];
    const items: ReadingVerifyItem[] = [];
    const devices: ReadingVerifyDevice[] = [];
    const deviceIndex = new Map<DeviceEntry, number>();
    for (const q of queued) {
      const topicDevice = this.#activeDeviceOfTopic(q.topic);
      if (!topicDevice) {
        const judged = this.#judge(q);
        if ('status' in judged) {
          entries.push({ queued: q, rejection: judged });
          continue;
        }
      }
      const { entry, where } = topicDevice ?? this.#activeDeviceOfTopic(q.topic)!;
      let index = deviceIndex.get(entry);
      if (index === undefined) {
        index = devices.push({ key: entry.publicKey, consortium: where.consortium, deviceId: where.deviceId }) - 1;
        deviceIndex.set(entry, index);
      }
      const { payload } = q;
      entries.push({ queued: q, device: devices[index]!, verifyIndex: items.length });
      items.push({ text: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'), device: index });
    }
    const verification = items.length === 0 ? Promise.resolve([]) : this.#pool.verify({ items, devices });
    // The commit step reports a failure; this keeps it from being an unhandled rejection meanwhile.
    verification.catch(() => undefined);
    return { entries, receivedAt: received.toISOString(), receivedAtMs: received.getTime(), verification };
  }

  #activeDeviceOfTopic(topic: string): { entry: DeviceEntry; where: { consortium: string; deviceId: string } } | undefined {
    const where = parseDeviceTopic(topic);
    if (!where || where.channel !== 'readings') return undefined;
    let entry: DeviceEntry | undefined;
    try {
      entry = this.#node.state(where.consortium).devices.get(where.deviceId);
    } catch {
      return undefined;
    }
    return entry?.status === 'active' ? { entry, where } : undefined;
  }

  #judge(queued: Queued): { message: ReadingMessage; text: string; device: DeviceEntry } | Rejection {
    const where = parseDeviceTopic(queued.topic);
    const rejected = (reason: RejectReason, message: string, ids: { consortium?: string; deviceId?: string; seq?: number } = {}): Rejection => ({
      status: 'rejected',
      reason,
      message,
      consortium: ids.consortium ?? where?.consortium,
      deviceId: ids.deviceId ?? where?.deviceId,
      seq: ids.seq,
    });
    if (!where || where.channel !== 'readings') return rejected('malformed', `not a readings topic: ${queued.topic}`);
    const { payload } = queued;
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
    let message: ReadingMessage;
    try {
      message = parseReadingMessage(text);
    } catch (err) {
      return rejected('malformed', (err as Error).message);
    }
    const { reading } = message;
    const ids = { consortium: reading.consortium, deviceId: reading.deviceId, seq: reading.seq };
    if (reading.consortium !== where.consortium || reading.deviceId !== where.deviceId) {
      return rejected('malformed', `reading is for ${reading.consortium}/${reading.deviceId} but was published on ${queued.topic}`, { ...ids, ...where });
    }
    // The node's live state: a device.revoke takes effect here as soon as it is admitted.
    let device: DeviceEntry | undefined;
    try {
      device = this.#node.state(reading.consortium).devices.get(reading.deviceId);
    } catch {
      return rejected('unknown_device', `unknown consortium "${reading.consortium}"`, ids);
    }
    if (!device) return rejected('unknown_device', `no device "${reading.deviceId}" is registered in "${reading.consortium}"`, ids);
    if (device.status !== 'active') return rejected('revoked_device', `device "${reading.deviceId}" was revoked at log index ${device.revokedAtLogIndex}`, ids);
    return { message, text, device };
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
      const results = await batch.verification;
      const candidates: Candidate[] = [];
      const settle: (Candidate | { queued: Queued; rejection: Rejection })[] = [];
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
        let last = this.#lastSeq.get(key);
        if (last === undefined) last = await this.store.lastSeq(consortium, deviceId);
        if (seq <= last) {
          settle.push({ queued, rejection: { status: 'rejected', reason: 'replay', message: `seq ${seq} is not after the last accepted seq ${last}`, consortium, deviceId, seq } });
          continue;
        }
        this.#lastSeq.set(key, seq);
        const gap = last > 0 && seq > last + 1 ? { from: last + 1, to: seq - 1 } : undefined;
        const ahead = aheadOf(result.observedAt, batch.receivedAtMs);
        const candidate: Candidate = {
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
        };
        candidates.push(candidate);
        settle.push(candidate);
      }
      if (candidates.length > 0) {
        const inserted = await this.store.insert(candidates.map((c) => c.row));
        this.#commitStats.batches += 1;
        this.#commitStats.largestBatch = Math.max(this.#commitStats.largestBatch, entries.length);
        // A row the store already had (seq checks make this unexpected): the flusher reads the store again.
        if (inserted === candidates.length) this.#remember(candidates);
        else this.#forgetPending();
      }
      this.#count(candidates);
      for (const s of settle) {
        if ('rejection' in s) {
          this.#reject(s.queued, s.rejection);
          continue;
        }
        const outcome: IngestOutcome = { status: 'accepted', ...idsOf(s) };
        if (s.gap) outcome.gap = s.gap;
        if (s.aheadMs !== undefined) {
          outcome.flag = 'clock_ahead';
          outcome.aheadMs = s.aheadMs;
          this.#reportClockAhead(s);
        }
        s.queued.resolve(outcome);
      }
    } catch (err) {
      // Nothing of this batch reached the disk and no message of it is acknowledged, so the devices
      // (or the broker) send them again. Seqs are reloaded from the store; batches already under
      // way are refused (above).
      this.#epoch += 1;
      this.#lastSeq.clear();
      this.#forgetPending();
      for (const { queued } of entries) queued.reject(err as Error);
    }
  }

  /** Stored readings join the flusher's memory (if it has one: else it reads the store). */
  #remember(candidates: Candidate[]): void {
    const pending = this.#pending;
    if (!pending) return;
    for (const c of candidates) pendingDevice(pending, c.consortium, c.deviceId).rows.push(pendingReading(c.row));
    this.#pendingCount += candidates.length;
    if (this.#pendingCount > PENDING_MEMORY_LIMIT) this.#forgetPending();
  }

  #forgetPending(): void {
    this.#pending = null;
    this.#pendingCount = 0;
  }

  /** Counters, and a flush as soon as some device has a full window. */
  #count(candidates: Candidate[]): void {
    const perConsortium = new Map<string, { accepted: number; gaps: number; clockAhead: number }>();
    let full = false;
    for (const c of candidates) {
      const { consortium, deviceId } = c;
      const counts = perConsortium.get(consortium) ?? { accepted: 0, gaps: 0, clockAhead: 0 };
      perConsortium.set(consortium, counts);
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
      const key = deviceKey(consortium, deviceId);
      const n = (this.#pendingPerDevice.get(key) ?? 0) + 1;
      this.#pendingPerDevice.set(key, n);
      if (n >= this.#windowMax) full = true;
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
    if (!this.#publishStatus) return;
    try {
      this.#publishStatus(
        statusTopic(c.consortium, c.deviceId),
        JSON.stringify({
          status: 'flagged',
          reason: 'clock_ahead',
          seq: c.seq,
          aheadMs: c.aheadMs,
          message: `observedAt is ${c.aheadMs} ms after the node received the reading (tolerance ${this.#clockToleranceMs} ms): the device clock runs ahead`,
          counters: this.stats(),
        }),
      );
    } catch {
      // Status is advisory; the flag is counted either way.
    }
  }

  #reject(queued: Queued, outcome: Rejection): void {
    this.#stats.rejected[outcome.reason] += 1;
    iotMetrics().rejected.inc({ consortium: outcome.consortium ?? 'unknown', reason: outcome.reason });
    if (this.#publishStatus && outcome.consortium && outcome.deviceId) {
      try {
        this.#publishStatus(
          statusTopic(outcome.consortium, outcome.deviceId),
          JSON.stringify({ status: 'rejected', reason: outcome.reason, seq: outcome.seq ?? null, message: outcome.message, counters: this.stats() }),
        );
      } catch {
        // Status is advisory; the rejection is counted either way.
      }
    }
    queued.resolve(outcome);
  }

  /**
   * Turns stored readings into sensor.window records: per device, consecutive readings in the same
   * observedAt window, at most windowMaxReadings each. A window closes when full, when a later
   * window of the device has readings, when its end plus the grace has passed, or when force is set.
   * Record and reading assignment commit in one transaction, so a crash never windows a reading twice.
   */
  flush(force = false): Promise<SignedRecord[]> {
    const run = async (): Promise<SignedRecord[]> => {
      if (this.#flushing) await this.#flushing.catch(() => undefined);
      return this.#flushOnce(force);
    };
    const p = run();
    this.#flushing = p;
    return p.finally(() => {
      if (this.#flushing === p) this.#flushing = undefined;
    });
  }

  async #flushOnce(force: boolean): Promise<SignedRecord[]> {
    const pending = await this.#pendingReadings();
    this.#pendingPerDevice.clear();
    const nowMs = this.#now().getTime();
    const byConsortium = new Map<string, { record: SignedRecord; deviceId: string; first: number; last: number; count: number }[]>();
    for (const chunk of this.#chunks(pending)) {
      const closable = chunk.full || chunk.followed || force || chunk.end + this.#graceMs <= nowMs;
      if (!closable) {
        this.#pendingPerDevice.set(deviceKey(chunk.consortium, chunk.deviceId), chunk.rows.length);
        continue;
      }
      const device = this.#node.state(chunk.consortium).devices.get(chunk.deviceId);
      if (!device) continue;
      const { rows } = chunk;
      const first = rows[0]!.seq;
      const last = rows[rows.length - 1]!.seq;
      const payload: SensorWindowPayload = buildWindowPayload({
        deviceId: chunk.deviceId,
        windowStart: new Date(chunk.start).toISOString(),
        windowEnd: new Date(chunk.end).toISOString(),
        readings: rows.map((r) => JSON.parse(r.body) as Reading),
        digests: rows.map((r) => fromHex(r.digest, 32)),
        gaps: rows.filter((r) => r.gapFrom !== null).map((r) => ({ from: r.gapFrom!, to: r.seq - 1 })),
        clockAhead: rows
          .map((r) => ({ seq: r.seq, aheadMs: aheadOf(r.observedAt, Date.parse(r.receivedAt)) }))
          .filter((r) => r.aheadMs > this.#clockToleranceMs),
      });
      const record = signRecord(
        { consortium: chunk.consortium, kind: RecordKind.SENSOR_WINDOW, payload: payload as unknown as SignedRecord['payload'] },
        this.#windowSigner(device.orgId, chunk.consortium),
      );
      const list = byConsortium.get(chunk.consortium) ?? [];
      list.push({ record, deviceId: chunk.deviceId, first, last, count: rows.length });
      byConsortium.set(chunk.consortium, list);
    }
    const submitted: SignedRecord[] = [];
    for (const [consortium, windows] of byConsortium) {
      // Each window's readings are exactly the unwindowed ones first..last; if the store says
      // otherwise, the memory is not trusted any more.
      let mismatch = false;
      let outcomes: SubmitOutcome[];
      try {
        outcomes = await this.#node.submit(
          consortium,
          windows.map((w) => w.record),
          {
            atomic: false,
            persist: (batch, accepted) => {
              for (const a of accepted) {
                const w = windows[a.index]!;
                this.store.assignWindow(batch, consortium, w.deviceId, w.first, w.last, a.admission.recordHash, (changes) => {
                  if (changes !== w.count) mismatch = true;
                });
              }
            },
          },
        );
      } catch (err) {
        this.#forgetPending();
        throw err;
      }
      if (mismatch) this.#forgetPending();
      outcomes.forEach((o, i) => {
        const w = windows[i]!;
        if (o.status === 'accepted') {
          submitted.push(w.record);
          this.#stats.windows += 1;
          iotMetrics().windows.inc({ consortium });
          this.#windowed(pending, consortium, w.deviceId, w.first, w.last);
        } else {
          this.#stats.windowErrors += 1;
        }
      });
    }
    return submitted;
  }

  /**
   * The unwindowed readings: the flusher's memory, or the store's rows (at start, or when the
   * memory was dropped). Readings committed while the store is read are collected meanwhile and
   * follow the rows read (a device's readings commit in seq order).
   */
  async #pendingReadings(): Promise<Map<string, PendingDevice>> {
    if (this.#pending) return this.#pending;
    const collecting = new Map<string, PendingDevice>();
    this.#pending = collecting;
    this.#pendingCount = 0;
    let rows: StoredReading[];
    try {
      rows = await this.store.unassigned(PENDING_LOAD_LIMIT);
    } catch (err) {
      if (this.#pending === collecting) this.#forgetPending();
      throw err;
    }
    const loaded = new Map<string, PendingDevice>();
    for (const r of rows) pendingDevice(loaded, r.consortiumId, r.deviceId).rows.push(pendingReading(r));
    // Only part of the store fits, or the memory was dropped meanwhile: this flush uses the rows read.
    if (rows.length >= PENDING_LOAD_LIMIT || this.#pending !== collecting) {
      if (this.#pending === collecting) this.#forgetPending();
      return loaded;
    }
    let count = rows.length;
    for (const [key, collected] of collecting) {
      const device = loaded.get(key) ?? { consortium: collected.consortium, deviceId: collected.deviceId, rows: [] };
      loaded.set(key, device);
      const lastLoaded = device.rows.length > 0 ? device.rows[device.rows.length - 1]!.seq : 0;
      for (const r of collected.rows) {
        if (r.seq <= lastLoaded) continue;
        device.rows.push(r);
        count += 1;
      }
    }
    this.#pending = loaded;
    this.#pendingCount = count;
    return loaded;
  }

  /** Readings first..last of a device are in a window record now. */
  #windowed(pending: Map<string, PendingDevice>, consortium: string, deviceId: string, first: number, last: number): void {
    if (pending !== this.#pending) return;
    const key = deviceKey(consortium, deviceId);
    const device = pending.get(key);
    if (!device) return;
    const before = device.rows.length;
    // Usually the oldest readings: cut the prefix; otherwise keep the rest in order.
    let n = 0;
    while (n < device.rows.length && device.rows[n]!.seq >= first && device.rows[n]!.seq <= last) n += 1;
    if (n > 0 && (n === device.rows.length || device.rows[n]!.seq > last)) device.rows.splice(0, n);
    else device.rows = device.rows.filter((r) => r.seq < first || r.seq > last);
    this.#pendingCount -= before - device.rows.length;
    if (device.rows.length === 0) pending.delete(key);
  }

  /** Per device in seq order: consecutive readings in the same observedAt window, at most windowMax each. */
  *#chunks(pending: Map<string, PendingDevice>): Generator<{ consortium: string; deviceId: string; start: number; end: number; rows: PendingReading[]; full: boolean; followed: boolean }> {
    for (const key of [...pending.keys()].sort()) {
      const { consortium, deviceId, rows } = pending.get(key)!;
      let current: { consortium: string; deviceId: string; start: number; end: number; rows: PendingReading[]; full: boolean; followed: boolean } | undefined;
      for (const row of rows) {
        const bounds = windowBounds(row.observedAt, this.#windowMs);
        if (current && current.start === bounds.start && current.rows.length < this.#windowMax) {
          current.rows.push(row);
          current.full = current.rows.length >= this.#windowMax;
          continue;
        }
        if (current) {
          current.followed = true;
          yield current;
        }
        current = { consortium, deviceId, ...bounds, rows: [row], full: this.#windowMax === 1, followed: false };
      }
      if (current) yield current;
    }
  }

  /** The proof that a stored reading is committed by its sealed-or-pending sensor.window record. */
  async readingProof(deviceId: string, seq: number, consortium?: string): Promise<ReadingProof> {
    const consortia = consortium ? [consortium] : this.#node.consortia();
    let row: StoredReading | undefined;
    for (const c of consortia) {
      row = await this.store.get(c, deviceId, seq);
      if (row) break;
    }
    if (!row) throw new IotError('READING_NOT_FOUND', `no stored reading ${deviceId}#${seq}`, { deviceId, seq });
    if (!row.windowRecordHash) throw new IotError('READING_NOT_WINDOWED', `reading ${deviceId}#${seq} is not in a window record yet`, { deviceId, seq });
    const windowRows = await this.store.ofWindow(row.windowRecordHash);
    const readings = windowRows.map((r) => JSON.parse(r.body) as Reading);
    const index = windowRows.findIndex((r) => r.seq === seq);
    const proof = readingInclusionProof(readings, index);
    const reading = readings[index]!;
    const stored = await this.store.windowRecord(row.windowRecordHash);
    if (!stored) throw new IotError('READING_NOT_WINDOWED', `window record ${row.windowRecordHash} of reading ${deviceId}#${seq} is missing`, { deviceId, seq });
    const record = JSON.parse(stored.body) as SignedRecord;
    const readingsRootHex = (record.payload as unknown as SensorWindowPayload).readingsRoot;
    return {
      consortium: row.consortiumId,
      reading,
      signature: row.signature,
      windowRecordHash: row.windowRecordHash,
      index,
      treeSize: readings.length,
      readingsRoot: readingsRootHex,
      blockHeight: stored.blockHeight,
      proof: proof.map(toHex),
    };
  }
}

/** Checks a reading proof against a readingsRoot (taken from the sealed sensor.window record). Throws on mismatch. */
export function verifyReadingProof(proof: Pick<ReadingProof, 'reading' | 'index' | 'treeSize' | 'proof'>, readingsRootHex: string): void {
  verifyInclusion(readingLeafHash(proof.reading), proof.index, proof.treeSize, proof.proof.map((p) => fromHex(p, 32)), fromHex(readingsRootHex, 32));
}
