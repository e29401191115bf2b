/**
 * Openings of withheld event fields (docs/redaction.md): the signed record holds the salted
 * commitment, this table the value and salt, written in the transaction that stores the record.
 */
import type { Database } from './database.js';
import type { JsonValue } from '../core/crypto/index.js';
import { canonicalize } from '../core/crypto/index.js';
import type { WithheldOpening } from '../core/privacy/withheld.js';
import { selectWhereIn, type WriteBatch } from './write-batch.js';

/** One stored row; `value` is the parsed JSON (null once erased, or when the text is not JSON). */
export interface WithheldRow {
  recordHash: string;
  commitment: string;
  path: string;
  /** JCS text as stored (null once erased). */
  valueText: string | null;
  salt: string | null;
  erasedAt: string | null;
}

const COLUMNS = `"recordHash", "commitment", "path", "value" AS "valueText", "salt", "erasedAt"`;

export class WithheldStore {
  constructor(private readonly db: Database) {}

  /** Queues the openings of one record into the batch that stores it. */
  static addInBatch(batch: WriteBatch, consortiumId: string, recordHash: string, openings: readonly WithheldOpening[], createdAt: string): void {
    batch.insert(
      'WithheldField',
      ['consortiumId', 'commitment', 'recordHash', 'path', 'value', 'salt', 'createdAt'],
      openings.map((o) => [consortiumId, o.commitment, recordHash, o.path, canonicalize(o.value), o.salt, createdAt]),
      'OR IGNORE',
    );
  }

  /** Rows of these records, by record hash. */
  async byRecords(consortiumId: string, recordHashes: readonly string[]): Promise<Map<string, WithheldRow[]>> {
    const out = new Map<string, WithheldRow[]>();
    if (recordHashes.length === 0) return out;
    const rows = await selectWhereIn<WithheldRow>(this.db, { before: `SELECT ${COLUMNS} FROM "WithheldField" WHERE "consortiumId" = ? AND "recordHash"` }, [consortiumId], [...new Set(recordHashes)]);
    for (const r of rows) {
      const list = out.get(r.recordHash);
      if (list) list.push(r);
      else out.set(r.recordHash, [r]);
    }
    return out;
  }

  /** Rows in (recordHash, commitment) order after `after`. */
  async page(consortiumId: string, after: { recordHash: string; commitment: string } | null, limit: number): Promise<WithheldRow[]> {
    return this.db.$queryRawUnsafe<WithheldRow[]>(
      `SELECT ${COLUMNS} FROM "WithheldField" WHERE "consortiumId" = ? AND ("recordHash" > ? OR ("recordHash" = ? AND "commitment" > ?)) ORDER BY "recordHash", "commitment" LIMIT ?`,
      consortiumId,
      after?.recordHash ?? '',
      after?.recordHash ?? '',
      after?.commitment ?? '',
      limit,
    );
  }
}

/** The opening a row holds, or null (erased, or its value text is not JSON). */
export function openingOfRow(row: WithheldRow): WithheldOpening | null {
  if (row.valueText === null || row.salt === null) return null;
  try {
    return { path: row.path, commitment: row.commitment, value: JSON.parse(row.valueText) as JsonValue, salt: row.salt };
  } catch {
    return null;
  }
}
