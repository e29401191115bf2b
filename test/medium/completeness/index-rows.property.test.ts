/**
 * Deleting or hiding any set of index rows of a real store is always caught by the completeness
 * proofs: a trace from each affected identifier (both directions) is FAILED with INCOMPLETE naming
 * it, and any answer that changed is FAILED. The rows are put back after each run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trace } from '../../../src/services/lineage/queries.js';
import { buildChain, packs, animals, type Chain } from './fixture.js';

interface Row {
  consortiumId: string;
  identifier: string;
  eventId: string;
  role: string;
  eventTime: string;
}

const C = 'uk-red-meat';

/** A row by its primary key (on either engine: no rowid). */
const ROW_KEY = `"consortiumId" = ? AND "identifier" = ? AND "eventId" = ? AND "role" = ?`;
const keyOf = (row: Row) => [row.consortiumId, row.identifier, row.eventId, row.role];

describe('completeness catches every deleted or hidden index row (property)', () => {
  let chain: Chain;
  let rows: Row[];
  const baseline = new Map<string, string>();
  const answerKey = (v: Awaited<ReturnType<typeof trace>>) => JSON.stringify([[...v.trace.events.keys()].sort(), v.verification.hops.map((h) => `${h.edge.kind}:${h.edge.from}>${h.edge.to}`).sort()]);

  beforeAll(async () => {
    chain = await buildChain();
    rows = await chain.temp.db.$queryRawUnsafe<Row[]>(`SELECT * FROM "EventIdentifier" WHERE "consortiumId" = ? ORDER BY "identifier", "eventId", "role"`, C);
    for (const start of [packs[0]!, animals[0]!]) {
      for (const direction of ['UPSTREAM', 'DOWNSTREAM'] as const) {
        const v = await trace(chain.ctx(), start, direction);
        expect(v.verification.verdict).toBe('VERIFIED');
        baseline.set(`${direction}:${start}`, answerKey(v));
      }
    }
  }, 120_000);

  afterAll(async () => {
    await chain?.close();
  });

  it('for any set of rows, deleted or hidden', async () => {
    const db = chain.temp.db;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ index: fc.integer({ min: 0, max: rows.length - 1 }), hide: fc.boolean() }), { minLength: 1, maxLength: 6, selector: (x) => x.index }),
        async (picks) => {
          const touched = picks.map((p) => ({ row: rows[p.index]!, hide: p.hide }));
          try {
            for (const { row, hide } of touched) {
              if (hide) await db.$executeRawUnsafe(`UPDATE "EventIdentifier" SET "identifier" = "identifier" || '#' WHERE ${ROW_KEY}`, ...keyOf(row));
              else await db.$executeRawUnsafe(`DELETE FROM "EventIdentifier" WHERE ${ROW_KEY}`, ...keyOf(row));
            }
            const ctx = chain.ctx();
            for (const { row } of touched) {
              for (const direction of ['UPSTREAM', 'DOWNSTREAM'] as const) {
                const v = await trace(ctx, row.identifier, direction);
                expect(v.verification.verdict, `${direction} ${row.identifier}`).toBe('FAILED');
                const c = v.verification.completeness!.byIdentifier.get(row.identifier)!;
                expect(c.status).toBe('INCOMPLETE');
                expect(c.reason!.code).toBe('INCOMPLETE');
                expect(c.reason!.details['identifier']).toBe(row.identifier);
              }
            }
            for (const [key, before] of baseline) {
              const [direction, start] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)] as ['UPSTREAM' | 'DOWNSTREAM', string];
              const v = await trace(ctx, start, direction);
              if (answerKey(v) !== before) expect(v.verification.verdict, `${key} changed`).toBe('FAILED');
            }
          } finally {
            for (const { row, hide } of touched) {
              if (hide) await db.$executeRawUnsafe(`UPDATE "EventIdentifier" SET "identifier" = ? WHERE ${ROW_KEY}`, row.identifier, ...keyOf({ ...row, identifier: `${row.identifier}#` }));
              else {
                // Appended as a new row (as any insert is), so lineage's change watch sees it.
                await db.$executeRawUnsafe(`INSERT INTO "EventIdentifier" ("consortiumId", "identifier", "eventId", "role", "eventTime") VALUES (?, ?, ?, ?, ?)`, row.consortiumId, row.identifier, row.eventId, row.role, row.eventTime);
              }
            }
          }
        },
      ),
      { numRuns: 25 },
    );
    // Restored: everything verifies again.
    for (const key of baseline.keys()) {
      const [direction, start] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)] as ['UPSTREAM' | 'DOWNSTREAM', string];
      expect((await trace(chain.ctx(), start, direction)).verification.verdict).toBe('VERIFIED');
    }
  }, 300_000);
});
