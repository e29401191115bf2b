/**
 * Durable store of signed device readings. A reading is committed here before its
 * MQTT acknowledgement; (consortium, device, seq) is the primary key, so redelivery cannot double it.
 * It keeps two caches of its rows: each device's last seq, and the readings not yet in a window
 * record (unwindowed-readings.ts).
 */
import type { Database } from './database.js';
import { WriteBatch, commitWriteBatch } from './write-batch.js';
import { UnwindowedMemory, deviceKey, unwindowedDevice, unwindowedReading, type Unwindowed } from './unwindowed-readings.js';

export type { Unwindowed, UnwindowedDevice, UnwindowedReading } from './unwindowed-readings.js';

export interface StoredReadingInput {
  consortiumId: string;
  deviceId: string;
  seq: number;
  observedAt: string;
  type: string;
  body: string;
  signature: string;
  digest: string;
  gapFrom: number | null;
  receivedAt: string;
}

export interface StoredReading extends StoredReadingInput {
  windowRecordHash: string | null;
}

const COLUMNS = ['consortiumId', 'deviceId', 'seq', 'observedAt', 'type', 'body', 'signature', 'digest', 'gapFrom', 'receivedAt'] as const;
const SELECT = `SELECT ${[...COLUMNS, 'windowRecordHash'].map((c) => `"${c}"`).join(', ')} FROM "DeviceReading"`;

const toNumber = (value: unknown): number => (typeof value === 'bigint' ? Number(value) : (value as number));

function rowOf(raw: Record<string, unknown>): StoredReading {
  return {
    consortiumId: raw.consortiumId as string,
    deviceId: raw.deviceId as string,
    seq: toNumber(raw.seq),
    observedAt: raw.observedAt as string,
    type: raw.type as string,
    body: raw.body as string,
    signature: raw.signature as string,
    digest: raw.digest as string,
    gapFrom: raw.gapFrom === null || raw.gapFrom === undefined ? null : toNumber(raw.gapFrom),
    receivedAt: raw.receivedAt as string,
    windowRecordHash: (raw.windowRecordHash as string | null) ?? null,
  };
}

/** Rows one read of the unwindowed readings takes at most when the memory is not usable. */
const UNWINDOWED_LOAD_LIMIT = 50_000;

export class ReadingStore {
  /** Last stored seq per device, as committed (loaded on first sight). */
  readonly #lastSeq = new Map<string, number>();
  readonly #unwindowed = new UnwindowedMemory();

  constructor(readonly db: Database) {}

  /** Last stored seq of a device, 0 when none. */
  async lastSeq(consortiumId: string, deviceId: string): Promise<number> {
    const key = deviceKey(consortiumId, deviceId);
    const known = this.#lastSeq.get(key);
    if (known !== undefined) return known;
    const rows = await this.db.$queryRawUnsafe<{ n: bigint | number | null }[]>(
      `SELECT MAX("seq") AS n FROM "DeviceReading" WHERE "consortiumId" = ? AND "deviceId" = ?`,
      consortiumId,
      deviceId,
    );
    const last = rows[0]?.n === null || rows[0]?.n === undefined ? 0 : toNumber(rows[0].n);
    // A commit that finished during the read is newer.
    if (!this.#lastSeq.has(key)) this.#lastSeq.set(key, last);
    return this.#lastSeq.get(key)!;
  }

  /** Inserts readings in one transaction (the batch is durable when this resolves). Returns rows inserted. */
  async insert(rows: readonly StoredReadingInput[]): Promise<number> {
    if (rows.length === 0) return 0;
    const batch = new WriteBatch();
    let inserted = 0;
    // OR IGNORE: a redelivered reading already stored is not an error, and is not stored twice.
    const sql = `INSERT OR IGNORE INTO "DeviceReading" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;
    for (const r of rows) batch.add(sql, COLUMNS.map((c) => r[c]), (changes) => (inserted += changes));
    try {
      await commitWriteBatch(this.db, batch);
    } catch (err) {
      this.#unwindowed.forget();
      throw err;
    }
    for (const r of rows) {
      const key = deviceKey(r.consortiumId, r.deviceId);
      if (r.seq > (this.#lastSeq.get(key) ?? 0)) this.#lastSeq.set(key, r.seq);
    }
    // A row the store already had (the seq checks make this unexpected): the unwindowed rows are read again.
    if (inserted === rows.length) this.#unwindowed.remember(rows);
    else this.#unwindowed.forget();
    return inserted;
  }

  /** Readings not yet committed to a window record, per device in seq order. */
  async unassigned(limit = 50_000): Promise<StoredReading[]> {
    const rows = await this.db.$queryRawUnsafe<Record<string, unknown>[]>(
      `${SELECT} WHERE "windowRecordHash" IS NULL ORDER BY "consortiumId", "deviceId", "seq" LIMIT ?`,
      limit,
    );
    return rows.map(rowOf);
  }

  /**
   * The unwindowed readings by device: the memory, or the store's rows (at start, or after the
   * memory was dropped). Readings committed while the store is read are collected meanwhile and
   * follow the rows read.
   */
  async unwindowed(): Promise<Unwindowed> {
    if (this.#unwindowed.current) return this.#unwindowed.current;
    const collecting = this.#unwindowed.collect();
    let rows: StoredReading[];
    try {
      rows = await this.unassigned(UNWINDOWED_LOAD_LIMIT);
    } catch (err) {
      if (this.#unwindowed.current === collecting) this.#unwindowed.forget();
      throw err;
    }
    const loaded: Unwindowed = new Map();
    for (const r of rows) unwindowedDevice(loaded, r.consortiumId, r.deviceId).rows.push(unwindowedReading(r));
    // Only part of the store fits, or the memory was dropped meanwhile: the caller uses the rows read.
    if (rows.length >= UNWINDOWED_LOAD_LIMIT || this.#unwindowed.current !== collecting) {
      if (this.#unwindowed.current === collecting) this.#unwindowed.forget();
      return loaded;
    }
    this.#unwindowed.adopt(collecting, loaded, rows.length);
    return loaded;
  }

  /** Drops the unwindowed memory (after anything unexpected); the next read takes the store's rows. */
  forgetUnwindowed(): void {
    this.#unwindowed.forget();
  }

  /**
   * A window record's companion write: readings firstSeq..lastSeq of a device not yet in a window
   * point at it. Once committed they leave `from` (what unwindowed() returned), or, when not exactly
   * `count` rows changed, the memory is dropped.
   */
  windowAssignment(window: { consortiumId: string; deviceId: string; firstSeq: number; lastSeq: number; count: number }, recordHash: string, from: Unwindowed): WriteBatch {
    const batch = new WriteBatch();
    const { consortiumId, deviceId, firstSeq, lastSeq } = window;
    batch.add(
      `UPDATE "DeviceReading" SET "windowRecordHash" = ? WHERE "consortiumId" = ? AND "deviceId" = ? AND "seq" BETWEEN ? AND ? AND "windowRecordHash" IS NULL`,
      [recordHash, consortiumId, deviceId, firstSeq, lastSeq],
      (changes) => {
        if (changes === window.count) this.#unwindowed.windowed(from, consortiumId, deviceId, firstSeq, lastSeq);
        else this.#unwindowed.forget();
      },
    );
    return batch;
  }

  async get(consortiumId: string, deviceId: string, seq: number): Promise<StoredReading | undefined> {
    const rows = await this.db.$queryRawUnsafe<Record<string, unknown>[]>(
      `${SELECT} WHERE "consortiumId" = ? AND "deviceId" = ? AND "seq" = ?`,
      consortiumId,
      deviceId,
      seq,
    );
    return rows[0] ? rowOf(rows[0]) : undefined;
  }

  async ofWindow(recordHash: string): Promise<StoredReading[]> {
    const rows = await this.db.$queryRawUnsafe<Record<string, unknown>[]>(`${SELECT} WHERE "windowRecordHash" = ? ORDER BY "seq"`, recordHash);
    return rows.map(rowOf);
  }

  /** The sensor.window record committing to a window, and its block height once sealed. */
  async windowRecord(recordHash: string): Promise<{ body: string; blockHeight: number | null } | undefined> {
    const rows = await this.db.$queryRawUnsafe<{ body: string; blockHeight: bigint | number | null }[]>(
      `SELECT "body", "blockHeight" FROM "LedgerRecord" WHERE "hash" = ?`,
      recordHash,
    );
    const row = rows[0];
    return row ? { body: row.body, blockHeight: row.blockHeight === null ? null : toNumber(row.blockHeight) } : undefined;
  }

  async count(consortiumId: string, deviceId?: string): Promise<number> {
    const rows = deviceId
      ? await this.db.$queryRawUnsafe<{ n: bigint | number }[]>(
          `SELECT COUNT(*) AS n FROM "DeviceReading" WHERE "consortiumId" = ? AND "deviceId" = ?`,
          consortiumId,
          deviceId,
        )
      : await this.db.$queryRawUnsafe<{ n: bigint | number }[]>(`SELECT COUNT(*) AS n FROM "DeviceReading" WHERE "consortiumId" = ?`, consortiumId);
    return toNumber(rows[0]?.n ?? 0);
  }
}
