/** Named queries of the EPCIS 2.0 REST binding (POST /queries), per organisation of a consortium. */
import type { Database } from './database.js';

export interface NamedQueryRow {
  name: string;
  /** JSON text of the query's parameters, as posted. */
  definition: string;
  createdAt: string;
}

export interface QueryOwner {
  consortiumId: string;
  orgId: string;
}

/** Stores the query; false when the organisation has a query of that name already. */
export async function createNamedQuery(db: Database, owner: QueryOwner, row: NamedQueryRow): Promise<boolean> {
  const changed = await db.$executeRawUnsafe(
    `INSERT OR IGNORE INTO "NamedQuery" ("consortiumId", "orgId", "name", "definition", "createdAt") VALUES (?, ?, ?, ?, ?)`,
    owner.consortiumId,
    owner.orgId,
    row.name,
    row.definition,
    row.createdAt,
  );
  return changed > 0;
}

export async function namedQuery(db: Database, owner: QueryOwner, name: string): Promise<NamedQueryRow | null> {
  const rows = await db.$queryRawUnsafe<NamedQueryRow[]>(
    `SELECT "name", "definition", "createdAt" FROM "NamedQuery" WHERE "consortiumId" = ? AND "orgId" = ? AND "name" = ?`,
    owner.consortiumId,
    owner.orgId,
    name,
  );
  return rows[0] ?? null;
}

/** The organisation's queries by name, after `afterName` (keyset paging), at most `limit`. */
export function namedQueries(db: Database, owner: QueryOwner, limit: number, afterName?: string): Promise<NamedQueryRow[]> {
  return db.$queryRawUnsafe<NamedQueryRow[]>(
    `SELECT "name", "definition", "createdAt" FROM "NamedQuery" WHERE "consortiumId" = ? AND "orgId" = ? AND "name" > ? ORDER BY "name" LIMIT ?`,
    owner.consortiumId,
    owner.orgId,
    afterName ?? '',
    limit,
  );
}

/** Deletes the query; false when there was none of that name. */
export async function deleteNamedQuery(db: Database, owner: QueryOwner, name: string): Promise<boolean> {
  const changed = await db.$executeRawUnsafe(`DELETE FROM "NamedQuery" WHERE "consortiumId" = ? AND "orgId" = ? AND "name" = ?`, owner.consortiumId, owner.orgId, name);
  return changed > 0;
}
