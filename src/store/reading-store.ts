/**
 * Durable store of signed device readings. A reading is committed here before its
 * MQTT acknowledgement; (consortium, device, seq) is the primary key, so redelivery cannot double it.
 */
import type { Database } from './database.js';
import { WriteBatch, commitWriteBatch } from './write-batch.js';


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

  /**
   * Adds to the window record's batch: readings firstSeq..lastSeq of a device not yet in a window
   * point at it. onChanges gets how many did, once the batch has committed.
   */
  assignWindow(batch: WriteBatch, consortiumId: string, deviceId: string, firstSeq: number, lastSeq: number, recordHash: string, onChanges?: (changes: number) => void): void {
    batch.add(
      `UPDATE "DeviceReading" SET "windowRecordHash" = ? WHERE "consortiumId" = ? AND "deviceId" = ? AND "seq" BETWEEN ? AND ? AND "windowRecordHash" IS NULL`,
      [recordHash, consortiumId, deviceId, firstSeq, lastSeq],
      onChanges,
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
