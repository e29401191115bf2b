/**
 * Writes derived tables back in one transaction (`rebuild-projections`, `import`): a connection of
 * its own beside Prisma's (WAL), so the chain is read through the store as committed while the new
 * rows accumulate uncommitted; commit makes them all visible at once, rollback leaves nothing.
 * Statements are synchronous and prepared once.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { BlockColumns, ConsortiumRow, CorrectionRow, CustodyRow, EventRows, MembershipProjection, WindowAssignment } from '../core/ledger/projections/rows.js';
import type { LocationLinkRow } from '../core/epcis/query/location-hierarchy.js';
import { orgIdentifierRowsOf } from '../core/ledger/projections/membership-rows.js';
import type { Database } from './database.js';
import { engineOf } from './engine.js';

/** Tables rebuilt whole from the chain (every row of the consortium is deleted first). */
export const REBUILT_TABLES = ['EpcisEvent', 'EventIdentifier', 'DocumentCitation', 'EventCorrection', 'LocationLink', 'Custody', 'Organisation', 'OrgIdentifier', 'OrgKey', 'Device'] as const;

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

export class ProjectionWriter {
  readonly #client: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  #open = false;

  private constructor(
    client: BetterSqlite3.Database,
    readonly consortiumId: string,
  ) {
    this.#client = client;
  }

  /** A writer on the store's file, its transaction begun (it holds the write lock until commit or rollback). */
  static async open(db: Database, consortiumId: string): Promise<ProjectionWriter> {
    if (engineOf(db) === 'postgres') throw new Error('projections are rebuilt only in an SQLite file store (not yet on PostgreSQL)');
    const files = await db.$queryRawUnsafe<{ name: string; file: string | null }[]>('PRAGMA database_list');
    const file = files.find((f) => f.name === 'main')?.file;
    if (!file) throw new Error('the store is not a file: projections are rebuilt only in an SQLite file store');
    const writer = new ProjectionWriter(new BetterSqlite3(file, { fileMustExist: true, timeout: 30_000 }), consortiumId);
    writer.#client.pragma('synchronous = FULL');
    writer.#client.prepare('BEGIN IMMEDIATE').run();
    writer.#open = true;
    return writer;
  }

  #run(sql: string, ...params: unknown[]): number {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.#client.prepare(sql)));
    const bound = params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
    return statement.run(...bound).changes;
  }

  /** Raw statement inside the transaction (imports insert chain rows with it). */
  run(sql: string, ...params: unknown[]): number {
    return this.#run(sql, ...params);
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

  /** Hierarchy links a stored event's header declares; the first record declaring a link is kept. Returns the rows added. */
  locationLinks(rows: Iterable<LocationLinkRow>, recordHash: string): number {
    let added = 0;
    for (const r of rows) added += this.#run(STATEMENTS.locationLink, this.consortiumId, r.vocabulary, r.parentId, r.orgId, r.childId, recordHash);
    return added;
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

  /** Points the window's readings at it, with the gap marks it states; returns how many readings it reached. */
  window(hash: string, w: WindowAssignment): number {
    const n = this.#run(STATEMENTS.windowAssign, hash, this.consortiumId, w.deviceId, w.firstSeq, w.lastSeq);
    for (const [seq, from] of w.gapFrom) this.#run(STATEMENTS.gapFrom, from, this.consortiumId, w.deviceId, seq);
    return n;
  }

  /** Erases the person the erasure record names (its time is kept where the row had one). */
  erase(commitment: string, recordHash: string, erasedAt: string): number {
    return this.#run(STATEMENTS.erase, erasedAt, recordHash, this.consortiumId, commitment);
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

  commit(): void {
    if (!this.#open) return;
    this.#client.prepare('COMMIT').run();
    this.#open = false;
  }

  rollback(): void {
    if (!this.#open) return;
    this.#client.prepare('ROLLBACK').run();
    this.#open = false;
  }

  close(): void {
    this.rollback();
    this.#statements.clear();
    if (this.#client.open) this.#client.close();
  }
}
