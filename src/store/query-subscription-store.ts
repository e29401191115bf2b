/**
 * Query subscriptions of the EPCIS 2.0 REST binding and their delivery log (node state: what
 * each subscriber was sent, from where the next delivery continues, and every attempt).
 */
import type { Database } from './database.js';

export interface SubscriptionRow {
  subscriptionId: string;
  consortiumId: string;
  orgId: string;
  queryName: string;
  tokenHash: string;
  dest: string;
  signatureToken: string | null;
  createdAt: string;
  initialRecordTime: string | null;
  lastNotifiedAt: string | null;
  cursorKey: string;
  cursorEventId: string;
  failures: number;
  nextAttemptAt: string;
  stoppedReason: string | null;
  /** A scheduled subscription's schedule (JSON object of the field texts); null for a stream. */
  schedule: string | null;
  reportIfEmpty: boolean;
  /** Pages delivered so far in the scheduled run under way (0 between runs). */
  runDelivered: number;
}

export interface DeliveryRow {
  id: number;
  subscriptionId: string;
  attemptedAt: string;
  eventCount: number;
  httpStatus: number | null;
  ok: boolean;
  error: string | null;
}

const COLUMNS = [
  'subscriptionId',
  'consortiumId',
  'orgId',
  'queryName',
  'tokenHash',
  'dest',
  'signatureToken',
  'createdAt',
  'initialRecordTime',
  'lastNotifiedAt',
  'cursorKey',
  'cursorEventId',
  'failures',
  'nextAttemptAt',
  'stoppedReason',
  'schedule',
  'reportIfEmpty',
  'runDelivered',
] as const;
const SELECT = `SELECT ${COLUMNS.map((c) => `"${c}"`).join(', ')} FROM "QuerySubscription"`;

type Raw = Omit<SubscriptionRow, 'failures' | 'reportIfEmpty' | 'runDelivered'> & { failures: number | bigint; reportIfEmpty: number | bigint | boolean; runDelivered: number | bigint };
const rowOf = (r: Raw): SubscriptionRow => ({ ...r, failures: Number(r.failures), reportIfEmpty: Boolean(Number(r.reportIfEmpty)), runDelivered: Number(r.runDelivered) });

export async function insertSubscription(db: Database, row: SubscriptionRow): Promise<void> {
  await db.$executeRawUnsafe(`INSERT INTO "QuerySubscription" (${COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`, ...COLUMNS.map((c) => (c === 'reportIfEmpty' ? (row[c] ? 1 : 0) : row[c])));
}

/** The organisation's subscriptions to one of its named queries, oldest first. */
export async function subscriptionsOf(db: Database, consortiumId: string, orgId: string, queryName: string): Promise<SubscriptionRow[]> {
  const rows = await db.$queryRawUnsafe<Raw[]>(`${SELECT} WHERE "consortiumId" = ? AND "orgId" = ? AND "queryName" = ? ORDER BY "createdAt", "subscriptionId"`, consortiumId, orgId, queryName);
  return rows.map(rowOf);
}

export async function subscriptionById(db: Database, subscriptionId: string): Promise<SubscriptionRow | null> {
  const rows = await db.$queryRawUnsafe<Raw[]>(`${SELECT} WHERE "subscriptionId" = ?`, subscriptionId);
  return rows[0] ? rowOf(rows[0]) : null;
}

/** Live subscriptions whose next delivery is due. */
export async function dueSubscriptions(db: Database, now: string, limit: number): Promise<SubscriptionRow[]> {
  const rows = await db.$queryRawUnsafe<Raw[]>(`${SELECT} WHERE "stoppedReason" IS NULL AND "nextAttemptAt" <= ? ORDER BY "nextAttemptAt" LIMIT ?`, now, limit);
  return rows.map(rowOf);
}

/** Subscriptions of an organisation not stopped, across its named queries. */
export async function liveSubscriptionCount(db: Database, consortiumId: string, orgId: string): Promise<number> {
  const rows = await db.$queryRawUnsafe<{ n: number | bigint }[]>(
    `SELECT count(*) AS n FROM "QuerySubscription" WHERE "consortiumId" = ? AND "orgId" = ? AND "stoppedReason" IS NULL`,
    consortiumId,
    orgId,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Whether any subscription still delivers (the delivery timer runs only then). */
export async function hasLiveSubscriptions(db: Database): Promise<boolean> {
  const rows = await db.$queryRawUnsafe<{ n: number | bigint }[]>(`SELECT EXISTS (SELECT 1 FROM "QuerySubscription" WHERE "stoppedReason" IS NULL) AS n`);
  return Number(rows[0]?.n ?? 0) === 1;
}

/**
 * After a delivery (or a pass that found nothing): the new cursor, and when to look again
 * (`runDelivered`: a scheduled subscription's pages delivered in the run under way; kept when absent).
 */
export async function advanceSubscription(
  db: Database,
  subscriptionId: string,
  update: { cursorKey: string; cursorEventId: string; failures: number; nextAttemptAt: string; lastNotifiedAt?: string; runDelivered?: number },
): Promise<void> {
  await db.$executeRawUnsafe(
    `UPDATE "QuerySubscription" SET "cursorKey" = ?, "cursorEventId" = ?, "failures" = ?, "nextAttemptAt" = ?, "lastNotifiedAt" = COALESCE(?, "lastNotifiedAt"), "runDelivered" = COALESCE(?, "runDelivered") WHERE "subscriptionId" = ?`,
    update.cursorKey,
    update.cursorEventId,
    update.failures,
    update.nextAttemptAt,
    update.lastNotifiedAt ?? null,
    update.runDelivered ?? null,
    subscriptionId,
  );
}

export async function stopSubscription(db: Database, subscriptionId: string, reason: string): Promise<void> {
  await db.$executeRawUnsafe(`UPDATE "QuerySubscription" SET "stoppedReason" = ? WHERE "subscriptionId" = ?`, reason, subscriptionId);
}

/** Deletes the subscription and its delivery log; false when there was none. */
export async function deleteSubscription(db: Database, subscriptionId: string): Promise<boolean> {
  const changed = await db.$executeRawUnsafe(`DELETE FROM "QuerySubscription" WHERE "subscriptionId" = ?`, subscriptionId);
  await db.$executeRawUnsafe(`DELETE FROM "SubscriptionDelivery" WHERE "subscriptionId" = ?`, subscriptionId);
  return changed > 0;
}

export async function logDelivery(db: Database, row: Omit<DeliveryRow, 'id'>): Promise<void> {
  await db.$executeRawUnsafe(
    `INSERT INTO "SubscriptionDelivery" ("subscriptionId", "attemptedAt", "eventCount", "httpStatus", "ok", "error") VALUES (?, ?, ?, ?, ?, ?)`,
    row.subscriptionId,
    row.attemptedAt,
    row.eventCount,
    row.httpStatus,
    row.ok ? 1 : 0,
    row.error,
  );
}

/** The subscription's latest delivery attempts, newest first. */
export async function deliveriesOf(db: Database, subscriptionId: string, limit: number): Promise<DeliveryRow[]> {
  const rows = await db.$queryRawUnsafe<(Omit<DeliveryRow, 'id' | 'ok' | 'eventCount' | 'httpStatus'> & { id: number | bigint; ok: number | bigint | boolean; eventCount: number | bigint; httpStatus: number | bigint | null })[]>(
    `SELECT "id", "subscriptionId", "attemptedAt", "eventCount", "httpStatus", "ok", "error" FROM "SubscriptionDelivery" WHERE "subscriptionId" = ? ORDER BY "id" DESC LIMIT ?`,
    subscriptionId,
    limit,
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), ok: Boolean(Number(r.ok)), eventCount: Number(r.eventCount), httpStatus: r.httpStatus === null ? null : Number(r.httpStatus) }));
}
