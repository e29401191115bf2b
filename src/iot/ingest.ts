/**
 * Reading ingestion (issue #5 §3-4). Each MQTT message is checked (topic, shape, device standing,
 * signature, seq) and accepted readings are committed to SQLite before ingest() resolves, so the
 * caller may acknowledge the message then. Messages arriving together share one transaction
 * (group commit). A flusher turns stored readings into sensor.window records per device and window.
 */
import { signRecord, RecordKind, type SignedRecord } from '../ledger/record.js';
import { verifyInclusion } from '../ledger/merkle-verify.js';
import { toHex, fromHex, type KeyPair } from '../crypto/index.js';
import type { LedgerNode, SubmitOutcome } from '../node/ledger-node.js';
import type { Database } from '../store/database.js';
import { ReadingStore, type StoredReading, type StoredReadingInput } from '../store/reading-store.js';
import { parseDeviceTopic, statusTopic } from './topics.js';
import { ReadingError, parseReadingMessage, readingDigest, readingLeafHash, verifyReading, type Reading, type ReadingMessage } from './reading.js';
import { buildWindowPayload, readingInclusionProof, windowBounds, type SeqGap, type SensorWindowPayload } from './window.js';
import { iotMetrics } from './metrics.js';

export const REJECT_REASONS = ['unknown_device', 'revoked_device', 'bad_signature', 'replay', 'malformed'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type IngestOutcome =
  | { status: 'accepted'; consortium: string; deviceId: string; seq: number; gap?: SeqGap }
  | { status: 'rejected'; reason: RejectReason; message: string; consortium?: string; deviceId?: string; seq?: number };

export interface IngestStats {
  accepted: number;
  rejected: Record<RejectReason, number>;
  gaps: number;
  windows: number;
  windowErrors: number;
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

export class IotError extends Error {
  override readonly name = 'IotError';
  constructor(
    readonly code: 'READING_NOT_FOUND' | 'READING_NOT_WINDOWED' | 'INGEST_STOPPED' | 'NO_WINDOW_SIGNER',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

interface Queued {
  topic: string;
  payload: Uint8Array;
  resolve: (outcome: IngestOutcome) => void;
  reject: (err: Error) => void;
}

interface Candidate {
  queued: Queued;
  message: ReadingMessage;
  gap?: SeqGap;
  row: StoredReadingInput;
}

const deviceKey = (consortium: string, deviceId: string): string => `${consortium}\u0000${deviceId}`;

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
  /** Last committed seq per device (loaded from the store on first sight). */
  readonly #lastSeq = new Map<string, number>();
  #queue: Queued[] = [];
  #draining?: Promise<void>;
  #flushing?: Promise<SignedRecord[]>;
  #timer?: NodeJS.Timeout;
  #stopped = false;
  readonly #stats: IngestStats = {
    accepted: 0,
    rejected: { unknown_device: 0, revoked_device: 0, bad_signature: 0, replay: 0, malformed: 0 },
    gaps: 0,
    windows: 0,
    windowErrors: 0,
  };

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
    if (!(this.#windowMs > 0) || !Number.isSafeInteger(this.#windowMax) || this.#windowMax < 1) {
      throw new RangeError('windowMs must be > 0 and windowMaxReadings a positive integer');
    }
  }

  start(): void {
    if (this.#flushIntervalMs > 0 && !this.#timer) {
      this.#timer = setInterval(() => void this.flush().catch(() => undefined), this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Stops accepting; waits for queued messages to commit and any running flush to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    while (this.#draining) await this.#draining;
    if (this.#flushing) await this.#flushing.catch(() => undefined);
  }

  stats(): IngestStats {
    return { ...this.#stats, rejected: { ...this.#stats.rejected } };
  }

  /** Resolves once the reading is durably stored (accepted) or judged (rejected); rejects on a store failure. */
  ingest(topic: string, payload: Uint8Array): Promise<IngestOutcome> {
    if (this.#stopped) return Promise.reject(new IotError('INGEST_STOPPED', 'the reading ingestor is stopped'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ topic, payload, resolve, reject });
      this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.#process(batch);
      } catch (err) {
        for (const q of batch) q.reject(err as Error);
      }
    }
  }

  async #process(batch: Queued[]): Promise<void> {
    const candidates: Candidate[] = [];
    const touched = new Set<string>();
    const receivedAt = this.#now().toISOString();
    for (const queued of batch) {
      const judged = await this.#judge(queued, receivedAt);
      if (judged.status === 'rejected') {
        this.#reject(queued, judged);
        continue;
      }
      candidates.push(judged.candidate);
      touched.add(deviceKey(judged.candidate.message.reading.consortium, judged.candidate.message.reading.deviceId));
    }
    if (candidates.length === 0) return;
    try {
      await this.store.insert(candidates.map((c) => c.row));
    } catch (err) {
      // The tentative seqs did not reach the disk: reload them on next sight.
      for (const key of touched) this.#lastSeq.delete(key);
      throw err;
    }
    const metrics = iotMetrics();
    for (const c of candidates) {
      const { consortium, deviceId, seq } = c.message.reading;
      this.#stats.accepted += 1;
      metrics.accepted.inc({ consortium });
      if (c.gap) {
        this.#stats.gaps += 1;
        metrics.gaps.inc({ consortium });
      }
      c.queued.resolve(c.gap ? { status: 'accepted', consortium, deviceId, seq, gap: c.gap } : { status: 'accepted', consortium, deviceId, seq });
    }
    if (this.#devicesWithFullWindow(candidates)) void this.flush().catch(() => undefined);
  }

  #pendingPerDevice = new Map<string, number>();

  /** True when some device has gathered a full window since the last flush. */
  #devicesWithFullWindow(candidates: Candidate[]): boolean {
    let full = false;
    for (const c of candidates) {
      const key = deviceKey(c.message.reading.consortium, c.message.reading.deviceId);
      const n = (this.#pendingPerDevice.get(key) ?? 0) + 1;
      this.#pendingPerDevice.set(key, n);
      if (n >= this.#windowMax) full = true;
    }
    return full;
  }

  async #judge(queued: Queued, receivedAt: string): Promise<{ status: 'accepted'; candidate: Candidate } | Extract<IngestOutcome, { status: 'rejected' }>> {
    const where = parseDeviceTopic(queued.topic);
    const rejected = (reason: RejectReason, message: string, ids: { consortium?: string; deviceId?: string; seq?: number } = {}) =>
      ({ status: 'rejected', reason, message, consortium: ids.consortium ?? where?.consortium, deviceId: ids.deviceId ?? where?.deviceId, seq: ids.seq }) as const;
    if (!where || where.channel !== 'readings') return rejected('malformed', `not a readings topic: ${queued.topic}`);
    let message: ReadingMessage;
    try {
      message = parseReadingMessage(queued.payload);
    } catch (err) {
      return rejected('malformed', (err as Error).message);
    }
    const { reading } = message;
    const ids = { consortium: reading.consortium, deviceId: reading.deviceId, seq: reading.seq };
    if (reading.consortium !== where.consortium || reading.deviceId !== where.deviceId) {
      return rejected('malformed', `reading is for ${reading.consortium}/${reading.deviceId} but was published on ${queued.topic}`, { ...ids, ...where });
    }
    let device;
    try {
      device = this.#node.state(reading.consortium).devices.get(reading.deviceId);
    } catch {
      return rejected('unknown_device', `unknown consortium "${reading.consortium}"`, ids);
    }
    if (!device) return rejected('unknown_device', `no device "${reading.deviceId}" is registered in "${reading.consortium}"`, ids);
    if (device.status !== 'active') return rejected('revoked_device', `device "${reading.deviceId}" was revoked at log index ${device.revokedAtLogIndex}`, ids);
    const digest = readingDigest(reading);
    try {
      verifyReading(message, device.publicKey, digest);
    } catch (err) {
      if (err instanceof ReadingError) return rejected('bad_signature', err.message, ids);
      throw err;
    }
    const key = deviceKey(reading.consortium, reading.deviceId);
    let last = this.#lastSeq.get(key);
    if (last === undefined) {
      last = await this.store.lastSeq(reading.consortium, reading.deviceId);
      // Another message of this batch may have set it while we awaited.
      last = Math.max(last, this.#lastSeq.get(key) ?? 0);
    }
    if (reading.seq <= last) return rejected('replay', `seq ${reading.seq} is not after the last accepted seq ${last}`, ids);
    this.#lastSeq.set(key, reading.seq);
    const gap = last > 0 && reading.seq > last + 1 ? { from: last + 1, to: reading.seq - 1 } : undefined;
    return {
      status: 'accepted',
      candidate: {
        queued,
        message,
        gap,
        row: {
          consortiumId: reading.consortium,
          deviceId: reading.deviceId,
          seq: reading.seq,
          observedAt: reading.observedAt,
          type: reading.type,
          body: JSON.stringify(reading),
          signature: message.signature,
          digest: toHex(digest),
          gapFrom: gap ? gap.from : null,
          receivedAt,
        },
      },
    };
  }

  #reject(queued: Queued, outcome: Extract<IngestOutcome, { status: 'rejected' }>): void {
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
    const rows = await this.store.unassigned();
    this.#pendingPerDevice.clear();
    const nowMs = this.#now().getTime();
    const byConsortium = new Map<string, { record: SignedRecord; deviceId: string; first: number; last: number }[]>();
    for (const chunk of this.#chunks(rows)) {
      const closable = chunk.full || chunk.followed || force || chunk.end + this.#graceMs <= nowMs;
      if (!closable) {
        this.#pendingPerDevice.set(deviceKey(chunk.consortium, chunk.deviceId), chunk.rows.length);
        continue;
      }
      const device = this.#node.state(chunk.consortium).devices.get(chunk.deviceId);
      if (!device) continue;
      const readings = chunk.rows.map((r) => JSON.parse(r.body) as Reading);
      const payload: SensorWindowPayload = buildWindowPayload({
        deviceId: chunk.deviceId,
        windowStart: new Date(chunk.start).toISOString(),
        windowEnd: new Date(chunk.end).toISOString(),
        readings,
        gaps: chunk.rows.filter((r) => r.gapFrom !== null).map((r) => ({ from: r.gapFrom!, to: r.seq - 1 })),
      });
      const record = signRecord(
        { consortium: chunk.consortium, kind: RecordKind.SENSOR_WINDOW, payload: payload as unknown as SignedRecord['payload'] },
        this.#windowSigner(device.orgId, chunk.consortium),
      );
      const list = byConsortium.get(chunk.consortium) ?? [];
      list.push({ record, deviceId: chunk.deviceId, first: chunk.rows[0]!.seq, last: chunk.rows[chunk.rows.length - 1]!.seq });
      byConsortium.set(chunk.consortium, list);
    }
    const submitted: SignedRecord[] = [];
    for (const [consortium, windows] of byConsortium) {
      const outcomes: SubmitOutcome[] = await this.#node.submit(
        consortium,
        windows.map((w) => w.record),
        {
          atomic: false,
          persist: async (tx, accepted) => {
            for (const a of accepted) {
              const w = windows[a.index]!;
              await this.store.assignWindow(tx, consortium, w.deviceId, w.first, w.last, a.admission.recordHash);
            }
          },
        },
      );
      outcomes.forEach((o, i) => {
        if (o.status === 'accepted') {
          submitted.push(windows[i]!.record);
          this.#stats.windows += 1;
          iotMetrics().windows.inc({ consortium });
        } else {
          this.#stats.windowErrors += 1;
        }
      });
    }
    return submitted;
  }

  *#chunks(rows: StoredReading[]): Generator<{ consortium: string; deviceId: string; start: number; end: number; rows: StoredReading[]; full: boolean; followed: boolean }> {
    let current: { consortium: string; deviceId: string; start: number; end: number; rows: StoredReading[]; full: boolean; followed: boolean } | undefined;
    for (const row of rows) {
      const bounds = windowBounds(row.observedAt, this.#windowMs);
      const sameDevice = current && current.consortium === row.consortiumId && current.deviceId === row.deviceId;
      if (current && sameDevice && current.start === bounds.start && current.rows.length < this.#windowMax) {
        current.rows.push(row);
        current.full = current.rows.length >= this.#windowMax;
        continue;
      }
      if (current) {
        current.followed = !!sameDevice;
        yield current;
      }
      current = { consortium: row.consortiumId, deviceId: row.deviceId, ...bounds, rows: [row], full: this.#windowMax === 1, followed: false };
    }
    if (current) yield current;
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
