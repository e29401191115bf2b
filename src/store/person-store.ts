/**
 * Personal data behind on-chain commitments (design §9, UK GDPR). Only this table holds it; the
 * chain holds the commitment. Erasure nulls data and salt in the same transaction that stores the
 * signed `privacy.erasure` record, and keeps a tombstone naming that record.
 */
import type { Database } from './database.js';
import type { PersonalData } from '../privacy/commitment.js';

type Tx = Parameters<Parameters<Database['$transaction']>[0]>[0];

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
  static async eraseInTransaction(tx: unknown, commitment: string, recordHash: string, erasedAt: string): Promise<number> {
    const client = tx as Tx;
    const result = await client.personData.updateMany({
      where: { commitment, erasedAt: null },
      data: { data: null, salt: null, erasedAt, erasureRecordHash: recordHash },
    });
    return result.count;
  }
}

function toPerson(row: { commitment: string; consortiumId: string; orgId: string; data: string | null; salt: string | null; createdAt: string; erasedAt: string | null; erasureRecordHash: string | null }): PersonRow {
  return { ...row, data: row.data === null ? null : (JSON.parse(row.data) as PersonalData) };
}
