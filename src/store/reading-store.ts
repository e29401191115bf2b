/**
 * Durable store of signed device readings (issue #5 §3). A reading is committed here before its
 * MQTT acknowledgement; (consortium, device, seq) is the primary key, so redelivery cannot double it.
 */
import type { Database } from './database.js';
import { WriteBatch, commitWriteBatch } from './write-batch.js';

type Tx = Parameters<Parameters<Database['$transaction']>[0]>[0];
type Executor = Pick<Database, '$executeRawUnsafe' | '$queryRawUnsafe'> | Tx;

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

/** What the window flusher needs to decide which windows close, without the bodies. */
export interface UnassignedReading {
  consortiumId: string;
  deviceId: string;
  seq: number;
  observedAt: string;
  gapFrom: number | null;
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

export class ReadingStore {
  constructor(readonly db: Database) {}

  /** Last stored seq of a device, 0 when none. */
  async lastSeq(consortiumId: string, deviceId: string): Promise<number> {
    const rows = await this.db.$queryRawUnsafe<{ n: bigint | number | null }[]>(
      `SELECT MAX("seq") AS n FROM "DeviceReading" WHERE "consortiumId" = ? AND "deviceId" = ?`,
      consortiumId,
      deviceId,
    );
    return rows[0]?.n === null || rows[0]?.n === undefined ? 0 : toNumber(rows[0].n);
  }

  /** Inserts readings in one transaction (the batch is durable when this resolves). Returns rows inserted. */
  async insert(rows: readonly StoredReadingInput[]): Promise<number> {
    if (rows.length === 0) return 0;
    const batch = new WriteBatch();
    let inserted = 0;
    // OR IGNORE: a redelivered reading already stored is not an error, and is not stored twice.
    const sql = `INSERT OR IGNORE INTO "DeviceReading" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;
    for (const r of rows) batch.add(sql, COLUMNS.map((c) => r[c]), (changes) => (inserted += changes));
    await commitWriteBatch(this.db, batch);
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

  /** Keys of the readings not yet committed to a window record, per device in seq order. */
  async unassignedKeys(limit = 50_000): Promise<UnassignedReading[]> {
    const rows = await this.db.$queryRawUnsafe<{ consortiumId: string; deviceId: string; seq: bigint | number; observedAt: string; gapFrom: bigint | number | null }[]>(
      `SELECT "consortiumId", "deviceId", "seq", "observedAt", "gapFrom" FROM "DeviceReading"
        WHERE "windowRecordHash" IS NULL ORDER BY "consortiumId", "deviceId", "seq" LIMIT ?`,
      limit,
    );
    return rows.map((r) => ({
      consortiumId: r.consortiumId,
      deviceId: r.deviceId,
      seq: toNumber(r.seq),
      observedAt: r.observedAt,
      gapFrom: r.gapFrom === null ? null : toNumber(r.gapFrom),
    }));
  }

  /** Bodies and digests of a device's unassigned readings firstSeq..lastSeq, in seq order. */
  async unassignedRange(consortiumId: string, deviceId: string, firstSeq: number, lastSeq: number): Promise<{ seq: number; body: string; digest: string }[]> {
    const rows = await this.db.$queryRawUnsafe<{ seq: bigint | number; body: string; digest: string }[]>(
      `SELECT "seq", "body", "digest" FROM "DeviceReading"
        WHERE "consortiumId" = ? AND "deviceId" = ? AND "seq" BETWEEN ? AND ? AND "windowRecordHash" IS NULL ORDER BY "seq"`,
      consortiumId,
      deviceId,
      firstSeq,
      lastSeq,
    );
    return rows.map((r) => ({ seq: toNumber(r.seq), body: r.body, digest: r.digest }));
  }

  /** Marks readings firstSeq..lastSeq of a device as committed by a window record, inside the record's transaction. */
  /** Adds to the window record's batch: its readings point at it. */
  assignWindow(batch: WriteBatch, consortiumId: string, deviceId: string, firstSeq: number, lastSeq: number, recordHash: string): void {
    batch.add(
      `UPDATE "DeviceReading" SET "windowRecordHash" = ? WHERE "consortiumId" = ? AND "deviceId" = ? AND "seq" BETWEEN ? AND ? AND "windowRecordHash" IS NULL`,
      [recordHash, consortiumId, deviceId, firstSeq, lastSeq],
    );
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
