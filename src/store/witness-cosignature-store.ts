/**
 * Witnesses' cosignatures on this node's checkpoints. The service checks each against the stored
 * checkpoint before it gets here; this store keeps at most `max` per checkpoint, first come.
 */
import type { Checkpoint } from '../core/ledger/checkpoint.js';
import type { WitnessCosignature } from '../core/lineage/bundle-types.js';
import type { Database } from './database.js';

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
}
