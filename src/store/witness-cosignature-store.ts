/**
 * Witnesses' cosignatures on this node's checkpoints. The service checks each against the stored
 * checkpoint before it gets here; this store keeps at most `max` per checkpoint, first come.
 */
import type { Checkpoint } from '../core/ledger/checkpoint.js';
import type { WitnessCosignature } from '../core/lineage/bundle-types.js';
import type { Database } from './database.js';

/** A witness key's largest cosigned checkpoint, with how many checkpoints it cosigned. */
export interface LatestCosignatureRow {
  keyId: string;
  publicKey: string;
  logSize: number;
  receivedAt: string;
  logRoot: string | null;
  blockHeight: number | null;
  blockHash: string | null;
  timestamp: string | null;
  checkpoints: number;
}

type Num = number | bigint;

export type StoreCosignatureOutcome = 'stored' | 'duplicate' | 'full';

export class WitnessCosignatureStore {
  constructor(readonly db: Database) {}

  /** The node's own checkpoint of this log size, or null. */
  async checkpointAt(consortiumId: string, logSize: number): Promise<Checkpoint | null> {
    const row = await this.db.checkpoint.findUnique({ where: { consortiumId_logSize: { consortiumId, logSize } } });
    if (!row) return null;
    return { v: 1, consortium: row.consortiumId, logSize: row.logSize, logRoot: row.logRoot, blockHeight: row.blockHeight, blockHash: row.blockHash, timestamp: row.timestamp };
  }

  /** Keeps the cosignature unless this key's is already kept or the checkpoint has `max` of them. */
  async add(consortiumId: string, logSize: number, keyId: string, cosignature: WitnessCosignature, receivedAt: string, max: number): Promise<StoreCosignatureOutcome> {
    return this.db.$transaction(async (tx) => {
      const key = { consortiumId_logSize_keyId: { consortiumId, logSize, keyId } };
      if (await tx.witnessCosignature.findUnique({ where: key, select: { keyId: true } })) return 'duplicate';
      if ((await tx.witnessCosignature.count({ where: { consortiumId, logSize } })) >= max) return 'full';
      // An upsert: the same key posted twice at once keeps the first, rather than failing on the key.
      await tx.witnessCosignature.upsert({ where: key, create: { consortiumId, logSize, keyId, publicKey: cosignature.publicKey, signature: cosignature.signature, receivedAt }, update: {} });
      return 'stored';
    });
  }

  /** The cosignatures kept for the checkpoint of this log size, oldest first. */
  async list(consortiumId: string, logSize: number): Promise<WitnessCosignature[]> {
    const rows = await this.db.witnessCosignature.findMany({ where: { consortiumId, logSize }, orderBy: [{ receivedAt: 'asc' }, { keyId: 'asc' }], select: { publicKey: true, signature: true } });
    return rows.map((r) => ({ publicKey: r.publicKey, signature: r.signature }));
  }

  /**
   * Per witness key, its cosignature of the largest log size, the most recently cosigned first
   * (at most `limit` keys; with `keyIds`, only those keys).
   */
  async latestByKey(consortiumId: string, limit: number, keyIds?: readonly string[]): Promise<LatestCosignatureRow[]> {
    if (keyIds?.length === 0) return [];
    const only = keyIds ? ` AND "keyId" IN (${keyIds.map(() => '?').join(',')})` : '';
    const rows = await this.db.$queryRawUnsafe<(Omit<LatestCosignatureRow, 'logSize' | 'blockHeight' | 'checkpoints'> & { logSize: Num; blockHeight: Num | null; checkpoints: Num })[]>(
      `SELECT w."keyId", w."publicKey", w."logSize", w."receivedAt", c."logRoot", c."blockHeight", c."blockHash", c."timestamp", t."checkpoints"
         FROM (SELECT "keyId", MAX("logSize") AS "top", COUNT(*) AS "checkpoints" FROM "WitnessCosignature" WHERE "consortiumId" = ?${only} GROUP BY "keyId") t
         JOIN "WitnessCosignature" w ON w."consortiumId" = ? AND w."keyId" = t."keyId" AND w."logSize" = t."top"
         LEFT JOIN "Checkpoint" c ON c."consortiumId" = w."consortiumId" AND c."logSize" = w."logSize"
        ORDER BY w."logSize" DESC, w."keyId" LIMIT ?`,
      consortiumId,
      ...(keyIds ?? []),
      consortiumId,
      limit,
    );
    return rows.map((r) => ({ ...r, logSize: Number(r.logSize), blockHeight: r.blockHeight === null ? null : Number(r.blockHeight), checkpoints: Number(r.checkpoints) }));
  }
}
