/**
 * The node's bookkeeping around derived blocks: where a restart resumes the ordering log, which
 * blocks this node's authority keys sealed (written before a seal is published), the evidence found
 * in the log, and the pending record rows the log's decisions call for. None of it is chain data.
 */
import { canonicalize, sha256, toHex } from '../core/crypto/index.js';
import type { SignedRecord } from '../core/ledger/record.js';
import type { Database } from './database.js';
import { WriteBatch, commitWriteBatch, selectWhereIn } from './write-batch.js';

export interface EvidenceInput {
  consortium: string;
  kind: string;
  height: number;
  keyId: string;
  orgId: string;
  sequence: number;
  /** The evidence itself (signed headers included); stored as JCS. */
  body: unknown;
}

export interface StoredEvidence extends Omit<EvidenceInput, 'body'> {
  id: string;
  body: string;
  detectedAt: string;
}

export interface AdmittedRow {
  record: SignedRecord;
  hash: string;
  logIndex: number;
}

const toNumber = (value: unknown): number => (typeof value === 'bigint' ? Number(value) : (value as number));
const RECORD_COLUMNS = ['hash', 'consortiumId', 'logIndex', 'kind', 'signer', 'signedAt', 'receivedAt', 'body'];

export class DerivationStore {
  constructor(readonly db: Database) {}

  /** The cut sequence of the head block (0 for a chain stored before blocks were derived from the log). */
  async resumeSequence(consortiumId: string): Promise<number> {
    const rows = await this.db.$queryRawUnsafe<{ s: bigint | number | null }[]>(
      `SELECT "cutSequence" AS s FROM "Block" WHERE "consortiumId" = ? ORDER BY "height" DESC LIMIT 1`,
      consortiumId,
    );
    return toNumber(rows[0]?.s ?? 0);
  }

  /**
   * Records that these keys seal `blockHash` at `height`, durably (one transaction), except a key
   * that sealed another block there already: for it nothing is written and that block's hash is
   * returned. Returns, per key id, the hash it has sealed at that height.
   */
  async recordOwnSeals(consortiumId: string, height: number, blockHash: string, keyIds: readonly string[], at: string): Promise<Map<string, string>> {
    const batch = new WriteBatch();
    for (const keyId of keyIds) {
      batch.add(`INSERT OR IGNORE INTO "SealLedger" ("consortiumId", "keyId", "height", "blockHash", "sealedAt") VALUES (?, ?, ?, ?, ?)`, [consortiumId, keyId, height, blockHash, at]);
    }
    await commitWriteBatch(this.db, batch);
    const rows = await selectWhereIn<{ keyId: string; blockHash: string }>(
      this.db,
      { before: `SELECT "keyId", "blockHash" FROM "SealLedger" WHERE "consortiumId" = ? AND "height" = ? AND "keyId"` },
      [consortiumId, height],
      keyIds,
    );
    return new Map(rows.map((r) => [r.keyId, r.blockHash]));
  }

  /** Stores evidence once (by the hash of its body); returns how many rows were new. */
  async saveEvidence(items: readonly EvidenceInput[], at: string): Promise<number> {
    let added = 0;
    const batch = new WriteBatch();
    for (const e of items) {
      const body = canonicalize(e.body as never);
      const id = toHex(sha256(new TextEncoder().encode(body)));
      batch.add(
        `INSERT OR IGNORE INTO "ChainEvidence" ("id", "consortiumId", "kind", "height", "keyId", "orgId", "sequence", "body", "detectedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, e.consortium, e.kind, e.height, e.keyId, e.orgId, e.sequence, body, at],
        (n) => (added += n),
      );
    }
    await commitWriteBatch(this.db, batch);
    return added;
  }

  async listEvidence(consortiumId: string): Promise<StoredEvidence[]> {
    const rows = await this.db.chainEvidence.findMany({ where: { consortiumId }, orderBy: [{ height: 'asc' }, { sequence: 'asc' }] });
    return rows.map((r) => ({ id: r.id, consortium: r.consortiumId, kind: r.kind, height: r.height, keyId: r.keyId, orgId: r.orgId, sequence: r.sequence, body: r.body, detectedAt: r.detectedAt }));
  }

  async evidenceById(consortiumId: string, id: string): Promise<StoredEvidence | undefined> {
    return (await this.listEvidence(consortiumId)).find((e) => e.id === id);
  }

  /** Which of these record hashes a final (stored) block holds. */
  async finalRecordHashes(consortiumId: string, hashes: readonly string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const rows = await selectWhereIn<{ hash: string }>(
      this.db,
      { before: `SELECT "hash" FROM "LedgerRecord" WHERE "consortiumId" = ? AND "blockHeight" IS NOT NULL AND "hash"` },
      [consortiumId],
      hashes,
    );
    return new Set(rows.map((r) => r.hash));
  }

  /** Every record row not in a block yet, in log order. */
  async pendingRows(consortiumId: string): Promise<{ hash: string; logIndex: number; record: SignedRecord }[]> {
    const rows = await this.db.ledgerRecord.findMany({
      where: { consortiumId, blockHeight: null },
      orderBy: { logIndex: 'asc' },
      select: { hash: true, logIndex: true, body: true },
    });
    return rows.map((r) => ({ hash: r.hash, logIndex: r.logIndex, record: JSON.parse(r.body) as SignedRecord }));
  }

  /**
   * Makes the pending rows hold these admitted records at these log indexes: a pending row of
   * another record in one of those places is deleted (its own decision comes later in the log), a
   * row of the same record elsewhere is moved, a missing one is inserted. One transaction, with
   * `rows` (the records' query-table rows) after them.
   */
  async placeAdmitted(consortiumId: string, rows: readonly AdmittedRow[], receivedAt: string, projected?: WriteBatch): Promise<void> {
    if (rows.length === 0) return;
    const batch = new WriteBatch();
    for (const r of rows) {
      batch.add(`DELETE FROM "LedgerRecord" WHERE "consortiumId" = ? AND "logIndex" = ? AND "blockHeight" IS NULL AND "hash" <> ?`, [consortiumId, r.logIndex, r.hash]);
      batch.add(`UPDATE "LedgerRecord" SET "logIndex" = ? WHERE "hash" = ? AND "consortiumId" = ? AND "blockHeight" IS NULL AND "logIndex" <> ?`, [r.logIndex, r.hash, consortiumId, r.logIndex]);
    }
    batch.insert(
      'LedgerRecord',
      RECORD_COLUMNS,
      rows.map((r) => [r.hash, consortiumId, r.logIndex, r.record.kind, r.record.signer, r.record.signedAt, receivedAt, canonicalize(r.record)]),
      'OR IGNORE',
    );
    if (projected) batch.append(projected);
    await commitWriteBatch(this.db, batch);
  }

  /** Replaces a stored block's seals (a later authority's seal joins them). */
  async updateSeals(consortiumId: string, height: number, blockHash: string, seals: readonly { keyId: string; signature: string }[]): Promise<void> {
    await this.db.$executeRawUnsafe(`UPDATE "Block" SET "seals" = ? WHERE "consortiumId" = ? AND "height" = ? AND "hash" = ?`, JSON.stringify(seals), consortiumId, height, blockHash);
  }

  /** Deletes pending (unsealed) record rows by hash. */
  async deletePending(consortiumId: string, hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return;
    const batch = new WriteBatch();
    for (const h of hashes) batch.add(`DELETE FROM "LedgerRecord" WHERE "consortiumId" = ? AND "hash" = ? AND "blockHeight" IS NULL`, [consortiumId, h]);
    await commitWriteBatch(this.db, batch);
  }
}
