/**
 * Writes derived tables back in one transaction (`rebuild-projections`, `import`) on a connection of
 * its own, so the chain is read through the store as committed while the new rows accumulate
 * uncommitted; commit makes them all visible at once, rollback leaves nothing.
 * - SQLite: a second connection to the file (WAL); statements run synchronously, prepared once.
 * - PostgreSQL: one client of the store's pool, with the written tables locked against other
 *   writers (readers go on, as under SQLite's write lock); statements queue and are sent in order
 *   at each flush(), so the rebuild flushes once per block.
 * Rows each method reports (links added, readings reached, persons erased) are counted in `tally`
 * as the database answers.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { BlockColumns, ConsortiumRow, CorrectionRow, CustodyRow, EventRows, MembershipProjection, WindowAssignment } from '../core/ledger/projections/rows.js';
import type { LocationLinkRow } from '../core/epcis/query/location-hierarchy.js';
import { orgIdentifierRowsOf } from '../core/ledger/projections/membership-rows.js';
import type { Database } from './database.js';
import { engineOf, postgresPoolOf } from './engine.js';
import type { PoolClient } from 'pg';
import type { SqlParam } from './raw-connection.js';
import { mergedStatements } from './write-batch.js';

/** Tables rebuilt whole from the chain (every row of the consortium is deleted first). */
export const REBUILT_TABLES = ['EpcisEvent', 'EventIdentifier', 'DocumentCitation', 'EventCorrection', 'LocationLink', 'Custody', 'Organisation', 'OrgIdentifier', 'OrgKey', 'Device'] as const;

/** Every table the writer changes: locked for the transaction on PostgreSQL. */
export const WRITTEN_TABLES = [...REBUILT_TABLES, 'DeviceReading', 'PersonData', 'Consortium', 'Block', 'LedgerRecord', 'Checkpoint', 'Document', 'WitnessCosignature'] as const;

/** Statements queued on PostgreSQL before the writer sends them without waiting for a flush. */
const QUEUED_MAX = 5_000;

type Tallied = 'LocationLink' | 'DeviceReading' | 'PersonData';

const STATEMENTS = {
  event: `INSERT INTO "EpcisEvent" ("consortiumId", "eventId", "recordHash", "eventType", "eventTime", "action", "bizStep", "disposition", "readPoint", "bizLocation", "submitterOrg", "declaredEventId") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
  correction: `INSERT INTO "EventCorrection" ("consortiumId", "eventId", "recordHash", "correctedRecordHash", "declarationTime", "reason", "correctiveEventIds", "declaration", "signerOrg") VALUES (?,?,?,?,?,?,?,?,?)`,
  identifier: `INSERT OR IGNORE INTO "EventIdentifier" ("consortiumId", "identifier", "eventId", "role", "eventTime") VALUES (?,?,?,?,?)`,
  citation: `INSERT OR IGNORE INTO "DocumentCitation" ("consortiumId", "sha256", "eventId") VALUES (?,?,?)`,
  locationLink: `INSERT OR IGNORE INTO "LocationLink" ("consortiumId", "vocabulary", "parentId", "orgId", "childId", "recordHash") VALUES (?,?,?,?,?,?)`,
  custody: `INSERT OR REPLACE INTO "Custody" ("consortiumId", "identifier", "orgId", "eventId", "eventTime") VALUES (?,?,?,?,?)`,
  org: `INSERT INTO "Organisation" ("consortiumId", "id", "name", "roles", "identifiers", "status", "isAuthority") VALUES (?,?,?,?,?,?,?)`,
  orgIdentifier: `INSERT INTO "OrgIdentifier" ("consortiumId", "scheme", "value", "orgId") VALUES (?,?,?,?)`,
  key: `INSERT INTO "OrgKey" ("consortiumId", "keyId", "orgId", "alg", "publicKey", "status", "addedAtLogIndex", "endedAtLogIndex") VALUES (?,?,?,?,?,?,?,?)`,
  device: `INSERT INTO "Device" ("consortiumId", "deviceId", "orgId", "keyId", "alg", "publicKey", "status", "registeredAtLogIndex", "revokedAtLogIndex", "attributes") VALUES (?,?,?,?,?,?,?,?,?,?)`,
  windowClear: `UPDATE "DeviceReading" SET "windowRecordHash" = NULL WHERE "consortiumId" = ? AND "windowRecordHash" IS NOT NULL`,
  windowAssign: `UPDATE "DeviceReading" SET "windowRecordHash" = ?, "gapFrom" = NULL WHERE "consortiumId" = ? AND "deviceId" = ? AND "seq" BETWEEN ? AND ?`,
  gapFrom: `UPDATE "DeviceReading" SET "gapFrom" = ? WHERE "consortiumId" = ? AND "deviceId" = ? AND "seq" = ?`,
  erase: `UPDATE "PersonData" SET "data" = NULL, "salt" = NULL, "erasedAt" = COALESCE("erasedAt", ?), "erasureRecordHash" = ? WHERE "consortiumId" = ? AND "commitment" = ?`,
  consortium: `UPDATE "Consortium" SET "name" = ?, "genesisHash" = ?, "quorumNumerator" = ?, "quorumDenominator" = ?, "createdAt" = ? WHERE "id" = ?`,
  blockColumns: `UPDATE "Block" SET "hash" = ?, "previousHash" = ?, "merkleRoot" = ?, "recordCount" = ?, "logSize" = ?, "timestamp" = ?, "authoritySetHash" = ? WHERE "consortiumId" = ? AND "height" = ?`,
  recordColumns: `UPDATE "LedgerRecord" SET "kind" = ?, "signer" = ?, "signedAt" = ? WHERE "consortiumId" = ? AND "hash" = ?`,
  checkpointDelete: `DELETE FROM "Checkpoint" WHERE "consortiumId" = ? AND "logSize" = ?`,
} as const;

interface Backend {
  /** Runs or queues one statement; `counted` receives the rows it changed. */
  run(sql: string, params: unknown[], counted?: (changes: number) => void): void;
  flush(): Promise<void>;
  commit(): Promise<void>;
  close(): Promise<void>;
}

class SqliteBackend implements Backend {
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  #open = true;

  constructor(readonly client: BetterSqlite3.Database) {}

  run(sql: string, params: unknown[], counted?: (changes: number) => void): void {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.client.prepare(sql)));
    const bound = params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
    const changes = statement.run(...bound).changes;
    counted?.(changes);
  }

  async flush(): Promise<void> {}

  async commit(): Promise<void> {
    if (!this.#open) return;
    this.client.prepare('COMMIT').run();
    this.#open = false;
  }

  async close(): Promise<void> {
    if (this.#open) this.client.prepare('ROLLBACK').run();
    this.#open = false;
    this.#statements.clear();
    if (this.client.open) this.client.close();
  }
}

class PostgresBackend implements Backend {
  #queue: { sql: string; params: unknown[]; counted?: (changes: number) => void }[] = [];
  #sending: Promise<void> = Promise.resolve();
  #failed: unknown;
  #open = true;

  constructor(readonly client: PoolClient) {}

  run(sql: string, params: unknown[], counted?: (changes: number) => void): void {
    if (this.#failed) throw this.#failed;
    this.#queue.push({ sql, params: params.map((p) => (p === undefined ? null : p)), counted });
    if (this.#queue.length >= QUEUED_MAX) void this.#send();
  }

  #send(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    this.#sending = this.#sending.then(async () => {
      if (this.#failed) return;
      try {
        // Runs of one INSERT go as multi-row INSERTs, as write batches do: a row per round trip is slow.
        for (const q of mergedStatements(batch.map((e) => ({ sql: e.sql, params: e.params as SqlParam[], onChanges: e.counted })))) {
          const result = await this.client.query(q.sql, q.params);
          q.onChanges?.(result.rowCount ?? 0);
        }
      } catch (err) {
        this.#failed = err;
      }
    });
    return this.#sending;
  }

  async flush(): Promise<void> {
    await this.#send();
    if (this.#failed) throw this.#failed;
  }

  async commit(): Promise<void> {
    if (!this.#open) return;
    await this.flush();
    await this.client.query('COMMIT');
    this.#open = false;
  }

  async close(): Promise<void> {
    await this.#sending;
    let broken: Error | undefined;
    try {
      if (this.#open) await this.client.query('ROLLBACK');
    } catch (err) {
      broken = err as Error;
    } finally {
      this.#open = false;
      // A client that could not roll back is not given back to the pool.
      this.client.release(broken);
    }
  }
}

export class ProjectionWriter {
  readonly #backend: Backend;
  /** Rows changed by the counted statements, by table. */
  readonly tally: Record<Tallied, number> = { LocationLink: 0, DeviceReading: 0, PersonData: 0 };

  private constructor(
    backend: Backend,
    readonly consortiumId: string,
  ) {
    this.#backend = backend;
  }

  /** A writer on the store, its transaction begun (it holds the write lock until commit or rollback). */
  static async open(db: Database, consortiumId: string): Promise<ProjectionWriter> {
    if (engineOf(db) === 'postgres') {
      const pool = postgresPoolOf(db);
      if (!pool) throw new Error('the PostgreSQL store was not opened by openDatabase: no pool to write through');
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`LOCK TABLE ${WRITTEN_TABLES.map((t) => `"${t}"`).join(', ')} IN EXCLUSIVE MODE`);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release();
        throw err;
      }
      return new ProjectionWriter(new PostgresBackend(client), consortiumId);
    }
    const files = await db.$queryRawUnsafe<{ name: string; file: string | null }[]>('PRAGMA database_list');
    const file = files.find((f) => f.name === 'main')?.file;
    if (!file) throw new Error('the store is not a file: projections are rebuilt only in an SQLite file store or PostgreSQL');
    const client = new BetterSqlite3(file, { fileMustExist: true, timeout: 30_000 });
    client.pragma('synchronous = FULL');
    client.prepare('BEGIN IMMEDIATE').run();
    return new ProjectionWriter(new SqliteBackend(client), consortiumId);
  }

  #run(sql: string, ...params: unknown[]): void {
    this.#backend.run(sql, params);
  }

  #counted(table: Tallied, sql: string, ...params: unknown[]): void {
    this.#backend.run(sql, params, (changes) => (this.tally[table] += changes));
  }

  /** Sends what is queued (PostgreSQL); throws the first statement's failure. */
  flush(): Promise<void> {
    return this.#backend.flush();
  }

  /** Raw statement inside the transaction (imports insert chain rows with it). */
  run(sql: string, ...params: unknown[]): void {
    this.#run(sql, ...params);
  }

  /** Deletes every derived row of the consortium and every reading's window mark. */
  clearDerived(): void {
    for (const table of REBUILT_TABLES) this.#run(`DELETE FROM "${table}" WHERE "consortiumId" = ?`, this.consortiumId);
    this.#run(STATEMENTS.windowClear, this.consortiumId);
  }

  event(rows: EventRows): void {
    const c = this.consortiumId;
    const e = rows.event;
    this.#run(STATEMENTS.event, c, e.eventId, e.recordHash, e.eventType, e.eventTime, e.action, e.bizStep, e.disposition, e.readPoint, e.bizLocation, e.submitterOrg, e.declaredEventId);
    for (const r of rows.identifiers) this.#run(STATEMENTS.identifier, c, r.identifier, r.eventId, r.role, r.eventTime);
    for (const r of rows.citations) this.#run(STATEMENTS.citation, c, r.sha256, r.eventId);
  }

  correction(r: CorrectionRow): void {
    this.#run(STATEMENTS.correction, this.consortiumId, r.eventId, r.recordHash, r.correctedRecordHash, r.declarationTime, r.reason, JSON.stringify(r.correctiveEventIds), r.declaration, r.signerOrg);
  }

  /** Hierarchy links a stored event's header declares; the first record declaring a link is kept (rows added: tally.LocationLink). */
  locationLinks(rows: Iterable<LocationLinkRow>, recordHash: string): void {
    for (const r of rows) this.#counted('LocationLink', STATEMENTS.locationLink, this.consortiumId, r.vocabulary, r.parentId, r.orgId, r.childId, recordHash);
  }

  custody(rows: Iterable<CustodyRow>): void {
    for (const r of rows) this.#run(STATEMENTS.custody, this.consortiumId, r.identifier, r.orgId, r.eventId, r.eventTime);
  }

  membership(projection: MembershipProjection): void {
    const c = this.consortiumId;
    for (const o of projection.orgs) this.#run(STATEMENTS.org, c, o.id, o.name, JSON.stringify(o.roles), JSON.stringify(o.identifiers), o.status, o.isAuthority);
    for (const r of orgIdentifierRowsOf(projection)) this.#run(STATEMENTS.orgIdentifier, c, r.scheme, r.value, r.orgId);
    for (const k of projection.keys) this.#run(STATEMENTS.key, c, k.keyId, k.orgId, k.alg, k.publicKey, k.status, k.addedAtLogIndex, k.endedAtLogIndex);
    for (const d of projection.devices) {
      this.#run(STATEMENTS.device, c, d.deviceId, d.orgId, d.keyId, d.alg, d.publicKey, d.status, d.registeredAtLogIndex, d.revokedAtLogIndex, JSON.stringify(d.attributes));
    }
  }

  /** Points the window's readings at it, with the gap marks it states (readings reached: tally.DeviceReading). */
  window(hash: string, w: WindowAssignment): void {
    this.#counted('DeviceReading', STATEMENTS.windowAssign, hash, this.consortiumId, w.deviceId, w.firstSeq, w.lastSeq);
    for (const [seq, from] of w.gapFrom) this.#run(STATEMENTS.gapFrom, from, this.consortiumId, w.deviceId, seq);
  }

  /** Erases the person the erasure record names, its time kept where the row had one (rows: tally.PersonData). */
  erase(commitment: string, recordHash: string, erasedAt: string): void {
    this.#counted('PersonData', STATEMENTS.erase, erasedAt, recordHash, this.consortiumId, commitment);
  }

  consortium(row: ConsortiumRow): void {
    this.#run(STATEMENTS.consortium, row.name, row.genesisHash, row.quorumNumerator, row.quorumDenominator, row.createdAt, row.id);
  }

  blockColumns(columns: BlockColumns): void {
    const b = columns;
    this.#run(STATEMENTS.blockColumns, b.hash, b.previousHash, b.merkleRoot, b.recordCount, b.logSize, b.timestamp, b.authoritySetHash, this.consortiumId, b.height);
  }

  recordColumns(hash: string, columns: { kind: string; signer: string; signedAt: string }): void {
    this.#run(STATEMENTS.recordColumns, columns.kind, columns.signer, columns.signedAt, this.consortiumId, hash);
  }

  deleteCheckpoint(logSize: number): void {
    this.#run(STATEMENTS.checkpointDelete, this.consortiumId, logSize);
  }

  /** Sends what is queued and commits: every row becomes visible at once. */
  commit(): Promise<void> {
    return this.#backend.commit();
  }

  /** Rolls back what was not committed and lets the connection go. */
  close(): Promise<void> {
    return this.#backend.close();
  }
}
