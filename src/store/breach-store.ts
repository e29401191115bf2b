/**
 * Reads the breach monitor needs: sensor.window records of a sealed block, a
 * device's windowed readings over a lookback span, published rule sets and existing breach records.
 * Every read is bounded by a log position, so its answer depends on the chain only.
 */
import type { Database } from './database.js';

type Num = number | bigint;
const IN_CHUNK = 400;
const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

export interface StoredRecordRow {
  hash: string;
  logIndex: number;
  blockHeight: number | null;
  /** JCS text of the signed record. */
  body: string;
}

export interface WindowedReadingRow {
  seq: number;
  observedAt: string;
  type: string;
  /** JCS of the reading as signed. */
  body: string;
  windowRecordHash: string;
}

export interface ReadingSpan {
  /** Readings in [from, to), oldest seq first. */
  rows: WindowedReadingRow[];
  /** True when the device has windowed readings of these types before `from`. */
  earlierExists: boolean;
}

const PAGE = 5000;

function rowOf(r: { hash: string; logIndex: Num; blockHeight: Num | null; body: string }): StoredRecordRow {
  return { hash: r.hash, logIndex: Number(r.logIndex), blockHeight: r.blockHeight === null ? null : Number(r.blockHeight), body: r.body };
}

export class BreachStore {
  constructor(readonly db: Database) {}

  /** Records of one kind among the given hashes, in log order. */
  async recordsOfKind(consortiumId: string, kind: string, hashes: readonly string[]): Promise<StoredRecordRow[]> {
    const out: StoredRecordRow[] = [];
    const unique = [...new Set(hashes)];
    for (let i = 0; i < unique.length; i += IN_CHUNK) {
      const chunk = unique.slice(i, i + IN_CHUNK);
      const rows = await this.db.$queryRawUnsafe<{ hash: string; logIndex: Num; blockHeight: Num | null; body: string }[]>(
        `SELECT "hash", "logIndex", "blockHeight", "body" FROM "LedgerRecord"
          WHERE "consortiumId" = ? AND "kind" = ? AND "hash" IN (${marks(chunk.length)})`,
        consortiumId,
        kind,
        ...chunk,
      );
      out.push(...rows.map(rowOf));
    }
    return out.sort((a, b) => a.logIndex - b.logIndex);
  }

  /** Every record of a kind, in log order (rule sets and breaches are few). */
  async allOfKind(consortiumId: string, kind: string): Promise<StoredRecordRow[]> {
    const rows = await this.db.$queryRawUnsafe<{ hash: string; logIndex: Num; blockHeight: Num | null; body: string }[]>(
      `SELECT "hash", "logIndex", "blockHeight", "body" FROM "LedgerRecord" WHERE "consortiumId" = ? AND "kind" = ? ORDER BY "logIndex"`,
      consortiumId,
      kind,
    );
    return rows.map(rowOf);
  }

  /** The newest `limit` sealed records of a kind, in log order. */
  async latestSealedOfKind(consortiumId: string, kind: string, limit: number): Promise<StoredRecordRow[]> {
    const rows = await this.db.$queryRawUnsafe<{ hash: string; logIndex: Num; blockHeight: Num | null; body: string }[]>(
      `SELECT "hash", "logIndex", "blockHeight", "body" FROM "LedgerRecord"
        WHERE "consortiumId" = ? AND "kind" = ? AND "blockHeight" IS NOT NULL ORDER BY "logIndex" DESC LIMIT ?`,
      consortiumId,
      kind,
      limit,
    );
    return rows.map(rowOf).reverse();
  }

  /** coldchain.breach records citing a sensor.window record (payload.sensorWindow). */
  async breachesOfWindow(consortiumId: string, windowRecordHash: string): Promise<StoredRecordRow[]> {
    const rows = await this.db.$queryRawUnsafe<{ hash: string; logIndex: Num; blockHeight: Num | null; body: string }[]>(
      `SELECT "hash", "logIndex", "blockHeight", "body" FROM "LedgerRecord"
        WHERE "consortiumId" = ? AND "kind" = 'coldchain.breach' AND json_extract("body", '$.payload.sensorWindow') = ?
        ORDER BY "logIndex"`,
      consortiumId,
      windowRecordHash,
    );
    return rows.map(rowOf);
  }

  /** Reading types committed by a sensor.window record. */
  async windowTypes(windowRecordHash: string): Promise<string[]> {
    const rows = await this.db.$queryRawUnsafe<{ type: string }[]>(`SELECT DISTINCT "type" FROM "DeviceReading" WHERE "windowRecordHash" = ?`, windowRecordHash);
    return rows.map((r) => r.type).sort();
  }

  /**
   * A device's readings of the given types with observedAt in [from, to), committed by
   * sensor.window records at log index <= maxLogIndex, and whether earlier ones exist. Walks back
   * from maxSeq in pages along the primary key and stops at the first page reaching before
   * `from`: this assumes observedAt does not decrease with seq (a device clock that jumps back by
   * more than the span can hide older readings from it).
   */
  async windowedReadings(
    consortiumId: string,
    deviceId: string,
    span: { types: readonly string[]; from: string; to: string; maxSeq: number; maxLogIndex: number },
  ): Promise<ReadingSpan> {
    const rows: WindowedReadingRow[] = [];
    let earlierExists = false;
    let below = span.maxSeq + 1;
    for (;;) {
      const page = await this.db.$queryRawUnsafe<{ seq: Num; observedAt: string; type: string; body: string; windowRecordHash: string; logIndex: Num }[]>(
        `SELECT d."seq", d."observedAt", d."type", d."body", d."windowRecordHash", r."logIndex"
           FROM "DeviceReading" d JOIN "LedgerRecord" r ON r."hash" = d."windowRecordHash"
          WHERE d."consortiumId" = ? AND d."deviceId" = ? AND d."seq" < ? AND d."type" IN (${marks(span.types.length)})
          ORDER BY d."seq" DESC LIMIT ?`,
        consortiumId,
        deviceId,
        below,
        ...span.types,
        PAGE,
      );
      for (const r of page) {
        if (Number(r.logIndex) > span.maxLogIndex) continue;
        if (r.observedAt < span.from) {
          earlierExists = true;
          continue;
        }
        if (r.observedAt >= span.to) continue;
        rows.push({ seq: Number(r.seq), observedAt: r.observedAt, type: r.type, body: r.body, windowRecordHash: r.windowRecordHash });
      }
      if (page.length < PAGE || earlierExists) break;
      below = Number(page[page.length - 1]!.seq);
    }
    return { rows: rows.reverse(), earlierExists };
  }
}
