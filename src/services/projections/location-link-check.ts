/**
 * LocationLink (docs/epcis-query.md, location hierarchy): every parent-child link a replayed
 * epcis.event record's signed `epcisHeader` declares, for the organisation that signed it, is
 * stored once, naming the first record (in log order) that declared it; no other row is stored.
 * Used by `verify` and by the start-up check alike: the links are few (one row per distinct link),
 * so the whole table is compared. A failure names the table, the row's key and the record.
 */
import { epcisHeaderOf, locationLinksOf } from '../../core/epcis/query/location-hierarchy.js';
import { rowFailure, type ProjectionFailure } from '../../core/ledger/projections/compare.js';
import type { RowSource } from '../../core/ledger/projections/rows.js';
import type { ProjectionStore, StoredLocationLinkRow } from '../../store/projection-store.js';

const PAGE = 1000;
const TABLE = { table: 'LocationLink' };

type Key = Pick<StoredLocationLinkRow, 'vocabulary' | 'parentId' | 'orgId' | 'childId'>;
const keyText = (k: Key) => JSON.stringify([k.vocabulary, k.parentId, k.orgId, k.childId]);
const keyOf = (k: Key): Record<string, unknown> => ({ vocabulary: k.vocabulary, parentId: k.parentId, orgId: k.orgId, childId: k.childId });

/** Why a derived link may be missing from a store that is otherwise sound. */
const MISSING_HINT = 'documents captured before the location hierarchy was indexed (migration 20261207151000) get their links from `provenant rebuild-projections`';

export class LocationLinkCheck {
  /** Link key -> the first record declaring it. */
  readonly #derived = new Map<string, { key: Key; source: RowSource & { recordHash: string } }>();

  /** An admitted epcis.event record (event or correction) signed by `orgId`. */
  add(payload: unknown, orgId: string, source: RowSource & { recordHash: string }): void {
    const header = epcisHeaderOf(payload);
    if (!header) return;
    for (const link of locationLinksOf(header, orgId)) {
      const text = keyText(link);
      if (!this.#derived.has(text)) this.#derived.set(text, { key: link, source });
    }
  }

  get derived(): number {
    return this.#derived.size;
  }

  /** Compares the whole stored table with the derived links; `count` receives the derived and stored row counts. */
  async compare(store: ProjectionStore, count?: (derived: number, stored: number) => void): Promise<ProjectionFailure[]> {
    const out: ProjectionFailure[] = [];
    const seen = new Set<string>();
    let after: StoredLocationLinkRow | null = null;
    let stored = 0;
    for (;;) {
      const page = await store.locationLinkPage(after, PAGE);
      for (const row of page) {
        const text = keyText(row);
        const derived = this.#derived.get(text);
        if (!derived) {
          out.push(rowFailure('ROW_UNEXPECTED', TABLE, { ...keyOf(row), recordHash: row.recordHash }, { why: `no record's signed epcisHeader declares this link for ${row.orgId}` }));
          continue;
        }
        seen.add(text);
        if (row.recordHash !== derived.source.recordHash) out.push(rowFailure('ROW_MISMATCH', TABLE, keyOf(row), { column: 'recordHash', expected: derived.source.recordHash, stored: row.recordHash, source: derived.source }));
      }
      stored += page.length;
      if (page.length < PAGE) break;
      after = page[page.length - 1]!;
    }
    for (const [text, { key, source }] of this.#derived) {
      if (seen.has(text)) continue;
      const failure = rowFailure('ROW_MISSING', TABLE, keyOf(key), { source });
      out.push({ ...failure, message: `${failure.message} (${MISSING_HINT})` });
    }
    count?.(this.#derived.size, stored);
    return out;
  }
}
