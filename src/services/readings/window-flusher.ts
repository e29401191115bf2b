/**
 * Turns stored readings into sensor.window records: per device, consecutive readings in the same
 * observedAt window, at most windowMaxReadings each. A window closes when full, when a later window
 * of the device has readings, when its end plus the grace has passed, or when forced. The record
 * and the readings' assignment to it commit in one transaction, so a crash never windows a reading
 * twice.
 */
import { fromHex, type KeyPair } from '../../core/crypto/index.js';
import { RecordKind, recordHash, signRecord, type SignedRecord } from '../../core/ledger/record.js';
import type { Reading } from '../../core/readings/reading.js';
import { buildWindowPayload, windowBounds, type SensorWindowPayload } from '../../core/readings/window.js';
import type { ReadingStore, Unwindowed, UnwindowedReading } from '../../store/reading-store.js';
import type { LedgerNode } from '../node/ledger-node.js';
import { aheadOf, type IngestStats } from './ingest-types.js';
import { iotMetrics } from './metrics.js';

export interface WindowFlusherOptions {
  node: LedgerNode;
  store: ReadingStore;
  windowMs: number;
  windowMax: number;
  graceMs: number;
  clockToleranceMs: number;
  windowSigner: (deviceOrgId: string, consortiumId: string) => KeyPair;
  now: () => Date;
  /** The ingestor's counters (windows, windowErrors). */
  stats: IngestStats;
}

interface Chunk {
  consortium: string;
  deviceId: string;
  start: number;
  end: number;
  rows: UnwindowedReading[];
  full: boolean;
  followed: boolean;
}

interface Window {
  record: SignedRecord;
  hash: string;
  deviceId: string;
  first: number;
  last: number;
  count: number;
}

const deviceKey = (consortium: string, deviceId: string): string => `${consortium}\u0000${deviceId}`;

export class WindowFlusher {
  readonly #o: WindowFlusherOptions;
  /** Readings stored per device since the last flush, to flush as soon as a window is full. */
  readonly #storedSince = new Map<string, number>();
  #flushing?: Promise<SignedRecord[]>;

  constructor(options: WindowFlusherOptions) {
    this.#o = options;
  }

  /** Counts a stored reading; true when its device now has a full window. */
  noteStored(consortium: string, deviceId: string): boolean {
    const key = deviceKey(consortium, deviceId);
    const n = (this.#storedSince.get(key) ?? 0) + 1;
    this.#storedSince.set(key, n);
    return n >= this.#o.windowMax;
  }

  /** Flushes one at a time; resolves with the window records submitted. */
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

  /** Waits for a running flush. */
  async idle(): Promise<void> {
    if (this.#flushing) await this.#flushing.catch(() => undefined);
  }

  async #flushOnce(force: boolean): Promise<SignedRecord[]> {
    const unwindowed = await this.#o.store.unwindowed();
    this.#storedSince.clear();
    const nowMs = this.#o.now().getTime();
    const byConsortium = new Map<string, Window[]>();
    for (const chunk of this.#chunks(unwindowed)) {
      const closable = chunk.full || chunk.followed || force || chunk.end + this.#o.graceMs <= nowMs;
      if (!closable) {
        this.#storedSince.set(deviceKey(chunk.consortium, chunk.deviceId), chunk.rows.length);
        continue;
      }
      const window = this.#windowOf(chunk);
      if (!window) continue;
      const list = byConsortium.get(chunk.consortium) ?? [];
      list.push(window);
      byConsortium.set(chunk.consortium, list);
    }
    const submitted: SignedRecord[] = [];
    for (const [consortium, windows] of byConsortium) submitted.push(...(await this.#submit(consortium, windows, unwindowed)));
    return submitted;
  }

  /** The signed window record of a chunk (none when its device is unknown). */
  #windowOf(chunk: Chunk): Window | undefined {
    const device = this.#o.node.state(chunk.consortium).devices.get(chunk.deviceId);
    if (!device) return undefined;
    const { rows } = chunk;
    const key = this.#o.windowSigner(device.orgId, chunk.consortium);
    // A key that is not the owner's (an authority's) names the owner in what it signs (format 2).
    const ownKey = this.#o.node.state(chunk.consortium).keys.get(key.keyId)?.orgId === device.orgId;
    const payload: SensorWindowPayload = buildWindowPayload({
      ...(ownKey ? {} : { owner: device.orgId }),
      deviceId: chunk.deviceId,
      windowStart: new Date(chunk.start).toISOString(),
      windowEnd: new Date(chunk.end).toISOString(),
      readings: rows.map((r) => JSON.parse(r.body) as Reading),
      digests: rows.map((r) => fromHex(r.digest, 32)),
      gaps: rows.filter((r) => r.gapFrom !== null).map((r) => ({ from: r.gapFrom!, to: r.seq - 1 })),
      clockAhead: rows
        .map((r) => ({ seq: r.seq, aheadMs: aheadOf(r.observedAt, Date.parse(r.receivedAt)) }))
        .filter((r) => r.aheadMs > this.#o.clockToleranceMs),
    });
    const record = signRecord(
      { consortium: chunk.consortium, kind: RecordKind.SENSOR_WINDOW, payload: payload as unknown as SignedRecord['payload'] },
      key,
    );
    return { record, hash: recordHash(record), deviceId: chunk.deviceId, first: rows[0]!.seq, last: rows[rows.length - 1]!.seq, count: rows.length };
  }

  /** Submits a consortium's windows, each with its readings' assignment (each window stands alone). */
  async #submit(consortium: string, windows: Window[], unwindowed: Unwindowed): Promise<SignedRecord[]> {
    const { node, store, stats } = this.#o;
    let outcomes;
    try {
      outcomes = await node.submit(
        consortium,
        windows.map((w) => w.record),
        {
          atomic: false,
          // Each window's readings are exactly the unwindowed ones first..last; if the store says otherwise, its memory is dropped.
          writes: windows.map((w) =>
            store.windowAssignment({ consortiumId: consortium, deviceId: w.deviceId, firstSeq: w.first, lastSeq: w.last, count: w.count }, w.hash, unwindowed),
          ),
        },
      );
    } catch (err) {
      store.forgetUnwindowed();
      throw err;
    }
    const submitted: SignedRecord[] = [];
    outcomes.forEach((o, i) => {
      if (o.status === 'accepted') {
        submitted.push(windows[i]!.record);
        stats.windows += 1;
        iotMetrics().windows.inc({ consortium });
      } else {
        stats.windowErrors += 1;
      }
    });
    return submitted;
  }

  /** Per device in seq order: consecutive readings in the same observedAt window, at most windowMax each. */
  *#chunks(unwindowed: Unwindowed): Generator<Chunk> {
    const { windowMs, windowMax } = this.#o;
    for (const key of [...unwindowed.keys()].sort()) {
      const { consortium, deviceId, rows } = unwindowed.get(key)!;
      let current: Chunk | undefined;
      for (const row of rows) {
        const bounds = windowBounds(row.observedAt, windowMs);
        if (current && current.start === bounds.start && current.rows.length < windowMax) {
          current.rows.push(row);
          current.full = current.rows.length >= windowMax;
          continue;
        }
        if (current) {
          current.followed = true;
          yield current;
        }
        current = { consortium, deviceId, ...bounds, rows: [row], full: windowMax === 1, followed: false };
      }
      if (current) yield current;
    }
  }
}
