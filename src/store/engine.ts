import type { Pool } from 'pg';

/** Which engine a Prisma client opened by openDatabase runs on (database.ts records it). */
export type Engine = 'sqlite' | 'postgres';

const engines = new WeakMap<object, Engine>();

export function recordEngine(db: object, engine: Engine): void {
  engines.set(db, engine);
}

/** The engine of a client opened by openDatabase (SQLite for any other). */
export function engineOf(db: object): Engine {
  return engines.get(db) ?? 'sqlite';
}

/** The pool a PostgreSQL client runs on (its clients rewrite SQLite-dialect SQL), for work that needs one connection. */
const pools = new WeakMap<object, Pool>();

export function recordPostgresPool(db: object, pool: Pool): void {
  pools.set(db, pool);
}

export function postgresPoolOf(db: object): Pool | undefined {
  return pools.get(db);
}
