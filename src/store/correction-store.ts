/**
 * Error declarations about captured events (EventCorrection, written with the records that carry
 * them: docs/design/capture-submission.md, "Corrections"). Read by event reads, lineage and queries.
 */
import type { CorrectionRow } from '../core/ledger/projections/rows.js';
import type { Executor } from './event-index.js';

/** The row shape is the projection's (core/ledger/projections/rows.ts), so both stay one. */
export type StoredCorrection = CorrectionRow;

const CHUNK = 20_000;

/** The declarations about each of the events, oldest declaration first (events without any are absent). */
export async function correctionsOf(db: Executor, consortiumId: string, eventIds: readonly string[]): Promise<Map<string, StoredCorrection[]>> {
  const out = new Map<string, StoredCorrection[]>();
  const unique = [...new Set(eventIds)];
  // Most consortia hold few declarations: a lineage read over many events then costs one probe.
  if (unique.length > 1) {
    const any = await db.$queryRawUnsafe<{ n: number | bigint }[]>(`SELECT EXISTS (SELECT 1 FROM "EventCorrection" WHERE "consortiumId" = ?) AS n`, consortiumId);
    if (Number(any[0]?.n ?? 0) === 0) return out;
  }
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const rows = await db.$queryRawUnsafe<(Omit<StoredCorrection, 'correctiveEventIds'> & { correctiveEventIds: string })[]>(
      `SELECT c."eventId", c."recordHash", c."correctedRecordHash", c."declarationTime", c."reason", c."correctiveEventIds", c."declaration", c."signerOrg"
         FROM json_each(?) j CROSS JOIN "EventCorrection" c
        WHERE c."consortiumId" = ? AND c."eventId" = j.value
        ORDER BY c."eventId", c."declarationTime", c."recordHash"`,
      JSON.stringify(chunk),
      consortiumId,
    );
    for (const row of rows) {
      let ids: unknown;
      try {
        ids = JSON.parse(row.correctiveEventIds);
      } catch {
        ids = [];
      }
      const correction: StoredCorrection = { ...row, correctiveEventIds: Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [] };
      const list = out.get(row.eventId);
      if (list) list.push(correction);
      else out.set(row.eventId, [correction]);
    }
  }
  return out;
}
