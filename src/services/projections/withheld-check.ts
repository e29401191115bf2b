/**
 * WithheldField (docs/redaction.md): every opening is of a commitment a replayed record's event
 * carries, at that path, and opens it (unless erased: value and salt both gone); every commitment
 * has its row. A failure names the table, the row (record hash, commitment) and the record.
 */
import { rowFailure } from '../../core/ledger/projections/compare.js';
import type { RowSource } from '../../core/ledger/projections/rows.js';
import { eventOfPayload } from '../../core/ledger/projections/event-rows.js';
import { checkOpening } from '../../core/privacy/withheld.js';
import { openingOfRow, WithheldStore, type WithheldRow } from '../../store/withheld-store.js';
import type { Database } from '../../store/database.js';
import { commitmentsOf } from '../withheld-reads.js';
import type { FailureSink } from './failure-sink.js';

const PAGE = 500;
const TABLE = { table: 'WithheldField' };

export class WithheldCheck {
  /** Record hash -> (commitment -> path), and the record as replayed. */
  readonly #committed = new Map<string, { paths: Map<string, string>; source: RowSource }>();
  #derived = 0;

  constructor(
    private readonly db: Database,
    private readonly consortiumId: string,
    private readonly sink: FailureSink,
  ) {}

  /** An admitted epcis.event record's payload. */
  add(payload: unknown, source: RowSource & { recordHash: string }): void {
    const commitments = commitmentsOf(eventOfPayload(payload));
    if (commitments.length === 0) return;
    this.#committed.set(source.recordHash, { paths: new Map(commitments.map((c) => [c.commitment, c.path])), source });
    this.#derived += commitments.length;
  }

  #row(row: WithheldRow, seen: Set<string>): void {
    const key = { recordHash: row.recordHash, commitment: row.commitment };
    const record = this.#committed.get(row.recordHash);
    const path = record?.paths.get(row.commitment);
    if (!record || path === undefined) {
      this.sink.add(rowFailure('ROW_UNEXPECTED', TABLE, key, { why: `no event record ${row.recordHash} on the chain commits to ${row.commitment}` }));
      return;
    }
    seen.add(`${row.recordHash}/${row.commitment}`);
    if (row.path !== path) this.sink.add(rowFailure('ROW_MISMATCH', TABLE, key, { column: 'path', expected: path, stored: row.path, source: record.source }));
    if (row.valueText === null && row.salt === null && row.erasedAt !== null) return;
    const opening = openingOfRow(row);
    if (opening === null || !checkOpening(opening)) {
      this.sink.add({
        ...rowFailure('COMMITMENT_MISMATCH', TABLE, key, { column: 'value', source: record.source }),
        message: `WithheldField row (recordHash=${row.recordHash}, commitment=${row.commitment}): value and salt do not open the commitment that record ${row.recordHash} (log index ${record.source.logIndex}) signs for "${path}"`,
      });
    }
  }

  async finish(): Promise<void> {
    const store = new WithheldStore(this.db);
    const seen = new Set<string>();
    let after: WithheldRow | null = null;
    let rows = 0;
    for (;;) {
      const page = await store.page(this.consortiumId, after, PAGE);
      for (const row of page) this.#row(row, seen);
      rows += page.length;
      if (page.length < PAGE) break;
      after = page[page.length - 1]!;
    }
    for (const [recordHash, { paths, source }] of this.#committed) {
      for (const commitment of paths.keys()) if (!seen.has(`${recordHash}/${commitment}`)) this.sink.add(rowFailure('ROW_MISSING', TABLE, { recordHash, commitment }, { source }));
    }
    this.sink.count('WithheldField', this.#derived, rows);
  }
}
