/** Reads of sealed chain rows for the read surfaces: records by hash, blocks by height and page, a block's records. */
import type { Block, LedgerRecord } from '../generated/prisma/client.js';
import type { Database } from './database.js';

/** A ledger record row as stored. */
export type StoredRecord = LedgerRecord;
/** A block row as stored. */
export type StoredBlock = Block;

export class ChainReadStore {
  constructor(private readonly db: Database) {}

  recordByHash(hash: string): Promise<StoredRecord | null> {
    return this.db.ledgerRecord.findUnique({ where: { hash } });
  }

  block(consortiumId: string, height: number): Promise<StoredBlock | null> {
    return this.db.block.findUnique({ where: { consortiumId_height: { consortiumId, height } } });
  }

  async blockHash(consortiumId: string, height: number): Promise<string | null> {
    return (await this.db.block.findUnique({ where: { consortiumId_height: { consortiumId, height } }, select: { hash: true } }))?.hash ?? null;
  }

  async merkleRoot(consortiumId: string, height: number): Promise<string | null> {
    return (await this.db.block.findUnique({ where: { consortiumId_height: { consortiumId, height } }, select: { merkleRoot: true } }))?.merkleRoot ?? null;
  }

  /** Record hashes of a block in block order. */
  async recordHashesOfBlock(consortiumId: string, height: number): Promise<string[]> {
    const rows = await this.db.ledgerRecord.findMany({ where: { consortiumId, blockHeight: height }, orderBy: { indexInBlock: 'asc' }, select: { hash: true } });
    return rows.map((r) => r.hash);
  }

  /** Blocks with heights strictly between the bounds, newest (or oldest) first. */
  blocks(consortiumId: string, page: { below?: number; above?: number; limit: number; newestFirst: boolean }): Promise<StoredBlock[]> {
    return this.db.block.findMany({
      where: { consortiumId, height: { ...(page.below !== undefined ? { lt: page.below } : {}), ...(page.above !== undefined ? { gt: page.above } : {}) } },
      orderBy: { height: page.newestFirst ? 'desc' : 'asc' },
      take: page.limit,
    });
  }

  /** A page of a block's records in block order. */
  recordsOfBlock(consortiumId: string, height: number, offset: number, limit: number): Promise<StoredRecord[]> {
    return this.db.ledgerRecord.findMany({ where: { consortiumId, blockHeight: height }, orderBy: { indexInBlock: 'asc' }, skip: offset, take: limit });
  }
}
