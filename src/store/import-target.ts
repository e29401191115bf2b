/**
 * The store `provenant import` builds into, on PostgreSQL: it must hold no chain yet, and what a
 * failed import wrote is deleted again (the import writes in two transactions: the chain rows, then
 * the projections derived from them, so a failure after the first leaves rows to remove).
 */
import type { Database } from './database.js';
import { WRITTEN_TABLES } from './projection-writer.js';

/** The ids of the consortia the store already holds (an import target must hold none). */
export async function consortiaHeld(db: Database): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<{ id: string }[]>(`SELECT "id" FROM "Consortium" ORDER BY "id" LIMIT 10`);
  return rows.map((r) => r.id);
}

/** Deletes every row an import of this consortium writes, in one transaction. */
export async function deleteImportedRows(db: Database, consortiumId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    for (const table of WRITTEN_TABLES) {
      if (table === 'Consortium') continue;
      await tx.$executeRawUnsafe(`DELETE FROM "${table}" WHERE "consortiumId" = ?`, consortiumId);
    }
    await tx.$executeRawUnsafe(`DELETE FROM "Consortium" WHERE "id" = ?`, consortiumId);
  }, { timeout: 600_000 });
}
