/**
 * The EPCIS query interface's reads (EPCIS 2.0 section 8.2.7.1): captured events of one consortium
 * narrowed by the EpcisEvent, EventIdentifier and EventCorrection indexes, in the query's order,
 * one keyset page at a time. Event times are compared and ordered in UTC (the stored text keeps
 * the event's own offset), through the expression the query indexes are built on.
 */
import type { EventQuery, IdentifierField, IdentifierValue, OrderDirection } from '../core/epcis/query/event-query.js';
import type { LocationLinkRow, LocationScope, LocationVocabulary } from '../core/epcis/query/location-hierarchy.js';
import type { Database } from './database.js';
import type { Executor } from './event-index.js';
import { selectWhereIn } from './write-batch.js';

/** UTC with milliseconds; the same text as the migration's expression indexes, so they are used. */
const EVENT_TIME_UTC = `strftime('%Y-%m-%dT%H:%M:%fZ', e."eventTime")`;

/**
 * recordTime order is the order this node recorded the events in: the consortium log's position,
 * as fixed-width text so that it compares like the time keys do.
 */
const RECORD_ORDER = `printf('%012d', r."logIndex")`;

/** The sort key of the recordTime order just past a log position (a subscription's starting point). */
export function recordOrderKey(logIndex: number): string {
  return String(logIndex).padStart(12, '0');
}

/** EventIdentifier roles of each event field (src/services/capture/index-rows.ts writes them). */
const ROLE_OF_FIELD: Record<IdentifierField, string> = {
  epcList: 'epc',
  childEPCs: 'child',
  parentID: 'parent',
  inputEPCList: 'input',
  outputEPCList: 'output',
  quantityList: 'quantity',
  childQuantityList: 'child',
  inputQuantityList: 'input',
  outputQuantityList: 'output',
};

export interface EventScan {
  consortiumId: string;
  query: EventQuery;
  /** The sort key and event hash ID of the last event of the page before. */
  after?: { key: string; eventId: string };
  limit: number;
  /** WD_readPoint / WD_bizLocation expanded over the stored hierarchy (required when the query has them). */
  within?: Partial<Record<LocationVocabulary, LocationScope>>;
}

export interface ScannedEvent {
  eventId: string;
  submitterOrg: string;
  recordHash: string;
  /** JCS text of the signed record. */
  recordBody: string;
  /** When this node stored the record (the event's recordTime). */
  recordTime: string;
  /** The value the scan is ordered by (UTC eventTime, or the log position for recordTime). */
  sortKey: string;
}

class Where {
  readonly clauses: string[] = [];
  readonly args: unknown[] = [];

  add(clause: string, ...args: unknown[]): void {
    this.clauses.push(clause);
    this.args.push(...args);
  }

  in(column: string, values: readonly unknown[] | undefined): void {
    if (values === undefined) return;
    this.add(`${column} IN (${values.map(() => '?').join(', ')})`, ...values);
  }

  range(expr: string, range: { ge?: string; lt?: string }): void {
    if (range.ge !== undefined) this.add(`${expr} >= ?`, range.ge);
    if (range.lt !== undefined) this.add(`${expr} < ?`, range.lt);
  }
}

/** One MATCH_ parameter: the event has one of the identifiers in one of the roles (the exact field is checked after). */
function matchClause(where: Where, consortiumId: string, fields: readonly IdentifierField[], values: readonly IdentifierValue[]): void {
  const roles = [...new Set(fields.map((f) => ROLE_OF_FIELD[f]))];
  const parts: string[] = [];
  const args: unknown[] = [];
  const exact = values.filter((v): v is { exact: string } => 'exact' in v).map((v) => v.exact);
  if (exact.length > 0) {
    parts.push(`i."identifier" IN (${exact.map(() => '?').join(', ')})`);
    args.push(...exact);
  }
  for (const v of values) {
    if (!('classOf' in v)) continue;
    // Every identifier of the class: the class itself, and what lies between "<class>/" and "<class>0" ('0' follows '/').
    parts.push(`(i."identifier" = ? OR (i."identifier" >= ? AND i."identifier" < ?))`);
    args.push(v.classOf, `${v.classOf}/`, `${v.classOf}0`);
  }
  where.add(
    `e."eventId" IN (SELECT i."eventId" FROM "EventIdentifier" i WHERE i."consortiumId" = ? AND (${parts.join(' OR ')}) AND i."role" IN (${roles.map(() => '?').join(', ')}))`,
    consortiumId,
    ...args,
    ...roles,
  );
}

/**
 * EQ_disposition: the indexed disposition, or a withheld one (WithheldField, docs/redaction.md)
 * whose stored opening is one of the values in any CBV form. A withheld match is only a candidate:
 * the caller shows it to a viewer who may open the field, once the opening is verified.
 */
function dispositionClause(where: Where, dispositions: readonly string[]): void {
  const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const forms = dispositions.flatMap((d) => (d.includes(':') ? [d] : [d, `urn:epcglobal:cbv:disp:${d}`, `https://ref.gs1.org/cbv/Disp-${d}`])).map((f) => JSON.stringify(f));
  where.add(
    `(e."disposition" IN (${marks(dispositions.length)}) OR (e."disposition" IS NULL AND EXISTS (SELECT 1 FROM "WithheldField" w WHERE w."consortiumId" = e."consortiumId" AND w."recordHash" = e."recordHash" AND w."path" = 'disposition' AND w."value" IN (${marks(forms.length)}))))`,
    ...dispositions,
    ...forms,
  );
}

/** WD_: the location is one of the values, or a descendant the event's own organisation declared. */
function withinClause(where: Where, column: string, scope: LocationScope | undefined): void {
  if (!scope) throw new Error(`a WD_ query on ${column} reached the store unexpanded`);
  const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const parts = [`${column} IN (${marks(scope.values.length)})`];
  const args: unknown[] = [...scope.values];
  for (const [org, locations] of scope.byOrg) {
    parts.push(`(e."submitterOrg" = ? AND ${column} IN (${marks(locations.length)}))`);
    args.push(org, ...locations);
  }
  where.add(`(${parts.join(' OR ')})`, ...args);
}

function whereOf(scan: EventScan, sortExpr: string, direction: OrderDirection): Where {
  const { query, consortiumId } = scan;
  const where = new Where();
  where.add(`e."consortiumId" = ?`, consortiumId);
  where.in(`e."eventType"`, query.eventTypes);
  where.range(EVENT_TIME_UTC, query.eventTime);
  where.range(`r."receivedAt"`, query.recordTime);
  where.in(`e."action"`, query.actions);
  where.in(`e."bizStep"`, query.bizSteps);
  if (query.dispositions) dispositionClause(where, query.dispositions);
  where.in(`e."readPoint"`, query.readPoints);
  where.in(`e."bizLocation"`, query.bizLocations);
  if (query.readPointsWithin) withinClause(where, `e."readPoint"`, scan.within?.readPoint);
  if (query.bizLocationsWithin) withinClause(where, `e."bizLocation"`, scan.within?.bizLocation);
  if (query.eventIds) {
    const marks = query.eventIds.map(() => '?').join(', ');
    where.add(`(e."eventId" IN (${marks}) OR e."declaredEventId" IN (${marks}))`, ...query.eventIds, ...query.eventIds);
  }
  for (const m of query.matches) matchClause(where, consortiumId, m.fields, m.values);
  if (query.errorDeclaration !== undefined || query.errorReasons !== undefined) {
    const reasons = query.errorReasons ? ` AND c."reason" IN (${query.errorReasons.map(() => '?').join(', ')})` : '';
    const exists = `EXISTS (SELECT 1 FROM "EventCorrection" c WHERE c."consortiumId" = e."consortiumId" AND c."eventId" = e."eventId"${reasons})`;
    // EQ_errorReason alone implies a declaration exists; EXISTS_errorDeclaration=false with reasons matches nothing.
    where.add(query.errorDeclaration === false ? `NOT ${exists}` : exists, ...(query.errorReasons ?? []));
    if (query.errorDeclaration === false && query.errorReasons) where.add('1 = 0');
  }
  if (scan.after) {
    const op = direction === 'ASC' ? '>' : '<';
    // The plain bound lets the index seek to the cursor; the row value breaks ties by event hash ID.
    where.add(`${sortExpr} ${op}= ?`, scan.after.key);
    where.add(`(${sortExpr}, e."eventId") ${op} (?, ?)`, scan.after.key, scan.after.eventId);
  }
  return where;
}

/** The next events of the query in its order (at most `limit`), after the cursor. */
export async function scanEvents(db: Executor, scan: EventScan): Promise<ScannedEvent[]> {
  const sortExpr = scan.query.orderBy === 'recordTime' ? RECORD_ORDER : EVENT_TIME_UTC;
  const direction = scan.query.orderDirection;
  const where = whereOf(scan, sortExpr, direction);
  // An item's or an event's few rows are found by their keys and sorted. Ordered by the bare
  // expression, a store without planner statistics (a node never runs ANALYZE) walks the whole
  // consortium's time index instead, testing each event against the list: seconds at 1M events.
  const byKeys = scan.query.matches.length > 0 || scan.query.eventIds !== undefined;
  const orderKey = byKeys ? `${sortExpr} || ''` : `"sortKey"`;
  return db.$queryRawUnsafe<ScannedEvent[]>(
    `SELECT e."eventId", e."submitterOrg", e."recordHash", r."body" AS "recordBody", r."receivedAt" AS "recordTime", ${sortExpr} AS "sortKey"
       FROM "EpcisEvent" e JOIN "LedgerRecord" r ON r."hash" = e."recordHash"
      WHERE ${where.clauses.join(' AND ')}
      ORDER BY ${orderKey} ${direction}, e."eventId" ${direction}
      LIMIT ?`,
    ...where.args,
    scan.limit,
  );
}

/** The hierarchy links of the vocabulary whose parent is one of `parents`, every organisation's. */
export function locationLinksFrom(db: Database, consortiumId: string, vocabulary: LocationVocabulary, parents: readonly string[]): Promise<Pick<LocationLinkRow, 'orgId' | 'parentId' | 'childId'>[]> {
  return selectWhereIn(db, { before: `SELECT "orgId", "parentId", "childId" FROM "LocationLink" WHERE "consortiumId" = ? AND "vocabulary" = ? AND "parentId"` }, [consortiumId, vocabulary], parents);
}

/** The consortium's last log position (-1 for an empty log): a stream subscription delivers what comes after. */
export async function lastLogIndex(db: Executor, consortiumId: string): Promise<number> {
  const rows = await db.$queryRawUnsafe<{ n: number | bigint | null }[]>(`SELECT max("logIndex") AS n FROM "LedgerRecord" WHERE "consortiumId" = ?`, consortiumId);
  return rows[0]?.n === null || rows[0]?.n === undefined ? -1 : Number(rows[0].n);
}

/** The first log position recorded at or after the time (RFC 3339 UTC); null when none is yet. */
export async function firstLogIndexSince(db: Executor, consortiumId: string, time: string): Promise<number | null> {
  const rows = await db.$queryRawUnsafe<{ n: number | bigint | null }[]>(`SELECT min("logIndex") AS n FROM "LedgerRecord" WHERE "consortiumId" = ? AND "receivedAt" >= ?`, consortiumId, time);
  return rows[0]?.n === null || rows[0]?.n === undefined ? null : Number(rows[0].n);
}

/** Where each top-level list's values are kept: an EpcisEvent column, or the EventIdentifier rows of the EPC roles. */
const VALUE_SOURCES: Record<string, { table: string; column: string; extra: string }> = {
  bizSteps: { table: 'EpcisEvent', column: 'bizStep', extra: '' },
  dispositions: { table: 'EpcisEvent', column: 'disposition', extra: '' },
  readPoints: { table: 'EpcisEvent', column: 'readPoint', extra: '' },
  bizLocations: { table: 'EpcisEvent', column: 'bizLocation', extra: '' },
  // Quantity rows share the child, input and output roles: the query of each value decides whether it is an EPC there.
  epcs: { table: 'EventIdentifier', column: 'identifier', extra: ` AND "role" IN ('epc', 'child', 'parent', 'input', 'output')` },
};

/** The distinct values of a top-level list in the consortium's events, ascending, after `after` (every event, shown or not: the caller decides). */
export async function distinctEventValues(db: Executor, consortiumId: string, resource: string, after: string | undefined, limit: number): Promise<string[]> {
  const source = VALUE_SOURCES[resource];
  if (!source) throw new Error(`no list of ${resource}`);
  const rows = await db.$queryRawUnsafe<{ value: string }[]>(
    `SELECT DISTINCT "${source.column}" AS value FROM "${source.table}"
      WHERE "consortiumId" = ? AND "${source.column}" IS NOT NULL${source.extra}${after !== undefined ? ` AND "${source.column}" > ?` : ''}
      ORDER BY value LIMIT ?`,
    consortiumId,
    ...(after !== undefined ? [after] : []),
    limit,
  );
  return rows.map((r) => r.value);
}
