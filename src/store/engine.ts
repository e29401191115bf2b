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
