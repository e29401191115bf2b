/**
 * Reads of a consortium's chain rows as stored, page by page, for `provenant export`
 * (docs/export-format.md): blocks, sealed records, checkpoints, documents and the device readings
 * its windows commit to. Nothing is parsed or re-encoded: the signed texts go out as stored.
 */
import type { Database } from './database.js';
import type { ReadingRowInput } from '../core/ledger/projections/readings-check.js';

type Num = number | bigint;

export interface ExportedBlockRow {
  height: number;
  hash: string;
  header: string;
  seals: string;
}

export interface ExportedRecordRow {
  logIndex: number;
  hash: string;
  body: string;
  receivedAt: string;
}

export interface ExportedDocumentRow {
  sha256: string;
  mediaType: string;
  size: number;
  uploadedByOrg: string | null;
  uploadedAt: string;
  bytes: Uint8Array;
}

/** A committed DeviceReading row as exported: every reading is in a window by then. */
export type ExportedReadingRow = Omit<ReadingRowInput, 'windowRecordHash'> & { receivedAt: string; windowRecordHash: string };

export class ExportStore {
  constructor(
    private readonly db: Database,
    readonly consortiumId: string,
  ) {}

  async consortium(): Promise<{ id: string; name: string; genesisHash: string; quorumNumerator: number; quorumDenominator: number; createdAt: string } | undefined> {
    const rows = await this.db.$queryRawUnsafe<{ id: string; name: string; genesisHash: string; quorumNumerator: Num; quorumDenominator: Num; createdAt: string }[]>(
      `SELECT "id", "name", "genesisHash", "quorumNumerator", "quorumDenominator", "createdAt" FROM "Consortium" WHERE "id" = ?`,
      this.consortiumId,
    );
    const r = rows[0];
    return r ? { ...r, quorumNumerator: Number(r.quorumNumerator), quorumDenominator: Number(r.quorumDenominator) } : undefined;
  }

  async blocks(fromHeight: number, limit: number): Promise<ExportedBlockRow[]> {
    const rows = await this.db.$queryRawUnsafe<{ height: Num; hash: string; header: string; seals: string }[]>(
      `SELECT "height", "hash", "header", "seals" FROM "Block" WHERE "consortiumId" = ? AND "height" >= ? ORDER BY "height" LIMIT ?`,
      this.consortiumId,
      fromHeight,
      limit,
    );
    return rows.map((r) => ({ ...r, height: Number(r.height) }));
  }

  /** Sealed records in log order from `fromIndex`. */
  async records(fromIndex: number, limit: number): Promise<ExportedRecordRow[]> {
    const rows = await this.db.$queryRawUnsafe<{ logIndex: Num; hash: string; body: string; receivedAt: string }[]>(
      `SELECT "logIndex", "hash", "body", "receivedAt" FROM "LedgerRecord" WHERE "consortiumId" = ? AND "logIndex" >= ? AND "blockHeight" IS NOT NULL ORDER BY "logIndex" LIMIT ?`,
      this.consortiumId,
      fromIndex,
      limit,
    );
    return rows.map((r) => ({ ...r, logIndex: Number(r.logIndex) }));
  }

  async checkpoints(): Promise<{ logSize: number; logRoot: string; blockHeight: number; blockHash: string; timestamp: string; signatures: string }[]> {
    const rows = await this.db.$queryRawUnsafe<{ logSize: Num; logRoot: string; blockHeight: Num; blockHash: string; timestamp: string; signatures: string }[]>(
      `SELECT "logSize", "logRoot", "blockHeight", "blockHash", "timestamp", "signatures" FROM "Checkpoint" WHERE "consortiumId" = ? ORDER BY "logSize"`,
      this.consortiumId,
    );
    return rows.map((r) => ({ ...r, logSize: Number(r.logSize), blockHeight: Number(r.blockHeight) }));
  }

  /** Witnesses' cosignatures with the checkpoint each signs, by log size then key id. */
  async cosignatures(): Promise<ExportedCosignatureRow[]> {
    const rows = await this.db.$queryRawUnsafe<(Omit<ExportedCosignatureRow, 'logSize' | 'blockHeight'> & { logSize: Num; blockHeight: Num })[]>(
      `SELECT w."logSize", w."keyId", w."publicKey", w."signature", w."receivedAt", c."logRoot", c."blockHeight", c."blockHash", c."timestamp"
         FROM "WitnessCosignature" w JOIN "Checkpoint" c ON c."consortiumId" = w."consortiumId" AND c."logSize" = w."logSize"
        WHERE w."consortiumId" = ? ORDER BY w."logSize", w."keyId"`,
      this.consortiumId,
    );
    return rows.map((r) => ({ ...r, logSize: Number(r.logSize), blockHeight: Number(r.blockHeight) }));
  }

  async documents(after: string, limit: number): Promise<ExportedDocumentRow[]> {
    const rows = await this.db.$queryRawUnsafe<(Omit<ExportedDocumentRow, 'size'> & { size: Num })[]>(
      `SELECT "sha256", "mediaType", "size", "uploadedByOrg", "uploadedAt", "bytes" FROM "Document" WHERE "consortiumId" = ? AND "sha256" > ? ORDER BY "sha256" LIMIT ?`,
      this.consortiumId,
      after,
      limit,
    );
    return rows.map((r) => ({ ...r, size: Number(r.size) }));
  }

  /** Readings a window commits to, by device and seq, after (deviceId, seq). */
  async readings(after: { deviceId: string; seq: number }, limit: number): Promise<ExportedReadingRow[]> {
    const rows = await this.db.$queryRawUnsafe<(Omit<ExportedReadingRow, 'seq' | 'gapFrom'> & { seq: Num; gapFrom: Num | null })[]>(
      `SELECT "deviceId", "seq", "observedAt", "type", "body", "signature", "digest", "gapFrom", "receivedAt", "windowRecordHash" FROM "DeviceReading"
        WHERE "consortiumId" = ? AND "windowRecordHash" IS NOT NULL AND ("deviceId" > ? OR ("deviceId" = ? AND "seq" > ?))
        ORDER BY "deviceId", "seq" LIMIT ?`,
      this.consortiumId,
      after.deviceId,
      after.deviceId,
      after.seq,
      limit,
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq), gapFrom: r.gapFrom === null ? null : Number(r.gapFrom) }));
  }

  /** Personal data behind the commitments events cite, in commitment order after `after` (erased ones hold no data or salt). */
  async persons(after: string, limit: number): Promise<ExportedPersonRow[]> {
    return this.db.$queryRawUnsafe<ExportedPersonRow[]>(
      `SELECT "commitment", "orgId", "data", "salt", "createdAt", "erasedAt", "erasureRecordHash" FROM "PersonData" WHERE "consortiumId" = ? AND "commitment" > ? ORDER BY "commitment" LIMIT ?`,
      this.consortiumId,
      after,
      limit,
    );
  }
}

export interface ExportedPersonRow {
  commitment: string;
  orgId: string;
  /** JCS text of the data, or null once erased. */
  data: string | null;
  salt: string | null;
  createdAt: string;
  erasedAt: string | null;
  erasureRecordHash: string | null;
}

export interface ExportedCosignatureRow {
  logSize: number;
  keyId: string;
  publicKey: string;
  signature: string;
  receivedAt: string;
  logRoot: string;
  blockHeight: number;
  blockHash: string;
  timestamp: string;
}
