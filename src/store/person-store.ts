/**
 * Personal data behind on-chain commitments (UK GDPR). Only this table holds it; the
 * chain holds the commitment. Erasure nulls data and salt in the same transaction that stores the
 * signed `privacy.erasure` record, and keeps a tombstone naming that record.
 */
import type { Database } from './database.js';
import type { PersonalData } from '../core/privacy/commitment.js';
import type { WriteBatch } from './write-batch.js';


export interface PersonRow {
  commitment: string;
  consortiumId: string;
  orgId: string;
  data: PersonalData | null;
  salt: string | null;
  createdAt: string;
  erasedAt: string | null;
  erasureRecordHash: string | null;
}

export class PersonStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async register(input: { commitment: string; consortiumId: string; orgId: string; data: PersonalData; salt: string }): Promise<PersonRow> {
    const row = await this.db.personData.create({
      data: { ...input, data: JSON.stringify(input.data), createdAt: this.now().toISOString() },
    });
    return toPerson(row);
  }

  async get(commitment: string): Promise<PersonRow | null> {
    const row = await this.db.personData.findUnique({ where: { commitment } });
    return row ? toPerson(row) : null;
  }

  /** Deletes data and salt inside the caller's transaction (the one storing the erasure record). */
  /** Adds the erasure to the erasure record's batch; `onErased` gets the number of rows erased once committed. */
  static eraseInBatch(batch: WriteBatch, commitment: string, recordHash: string, erasedAt: string, onErased: (count: number) => void): void {
    batch.add(
      `UPDATE "PersonData" SET "data" = NULL, "salt" = NULL, "erasedAt" = ?, "erasureRecordHash" = ? WHERE "commitment" = ? AND "erasedAt" IS NULL`,
      [erasedAt, recordHash, commitment],
      onErased,
    );
  }

}

function toPerson(row: { commitment: string; consortiumId: string; orgId: string; data: string | null; salt: string | null; createdAt: string; erasedAt: string | null; erasureRecordHash: string | null }): PersonRow {
  return { ...row, data: row.data === null ? null : (JSON.parse(row.data) as PersonalData) };
}
