/**
 * Query subscriptions of the EPCIS 2.0 REST binding (POST /queries/{name}/subscriptions): webhook
 * streams. Each delivery runs the organisation's named query in recordTime order after the
 * subscription's cursor, as the subscribing token's viewer stands now (the read policy decides
 * each event, and reads are access-logged, as for GET /events), and POSTs the EPCISQueryDocument
 * with GS1-Signature. A failed delivery is logged and retried with back-off from the same cursor,
 * so nothing is skipped; a revoked token, a removed organisation or a deleted query stops it.
 */
import { queryOfDefinition } from '../../core/epcis/query/named-query.js';
import { QueryError } from '../../core/epcis/query/query-errors.js';
import { DEFAULT_BACK_OFF, gs1Signature, parseSubscriptionControls, retryDelayMs, type BackOff } from '../../core/epcis/query/subscription.js';
import { firstLogIndexSince, lastLogIndex, recordOrderKey } from '../../store/event-query-store.js';
import { namedQuery } from '../../store/named-query-store.js';
import {
  advanceSubscription,
  deleteSubscription,
  deliveriesOf,
  dueSubscriptions,
  hasLiveSubscriptions,
  insertSubscription,
  logDelivery,
  stopSubscription,
  subscriptionById,
  subscriptionsOf,
  type DeliveryRow,
  type SubscriptionRow,
} from '../../store/query-subscription-store.js';
import { AccessLogService } from '../access-log.js';
import { liveViewer } from '../auth.js';
import type { NodeHandles } from '../node-handles.js';
import { requireViewer, type ReadContext } from '../read-context.js';
import type { EventQueries } from './event-queries.js';
import { WebhookGuard } from './webhook-guard.js';
import type { NamedQueries } from './named-queries.js';

/**
 * Sends one delivery; resolves with the receiver's status, rejects when it cannot be reached.
 * `addresses`: the only addresses it may connect to (the destination check's answer).
 */
export type WebhookSender = (dest: string, body: string, headers: Record<string, string>, addresses?: readonly string[]) => Promise<{ status: number }>;

export interface SubscriptionOptions {
  /** How often due subscriptions are looked at. */
  intervalMs: number;
  backOff: BackOff;
  /** Events per delivery at most. */
  perPage: number;
}

export const DEFAULT_SUBSCRIPTION_OPTIONS: SubscriptionOptions = { intervalMs: 1_000, backOff: DEFAULT_BACK_OFF, perPage: 100 };

/** A subscription as the binding shows it (AbstractQuerySubscriptionResponse and QueryStreamSubscription); the signatureToken never. */
export interface SubscriptionView {
  subscriptionID: string;
  dest: string;
  stream: true;
  createdAt: string;
  initialRecordTime?: string;
  lastNotifiedAt?: string;
  'provenant:stoppedReason'?: string;
}

function viewOf(row: SubscriptionRow): SubscriptionView {
  return {
    subscriptionID: row.subscriptionId,
    dest: row.dest,
    stream: true,
    createdAt: row.createdAt,
    ...(row.initialRecordTime ? { initialRecordTime: row.initialRecordTime } : {}),
    ...(row.lastNotifiedAt ? { lastNotifiedAt: row.lastNotifiedAt } : {}),
    ...(row.stoppedReason ? { 'provenant:stoppedReason': row.stoppedReason } : {}),
  };
}

const noSuchSubscription = (id: string) => new QueryError('NO_SUCH_SUBSCRIPTION', `no subscription ${id} to this query`, { subscriptionID: id });

export class QuerySubscriptions {
  readonly #accessLog: AccessLogService;
  #onSubscribe: () => void = () => undefined;

  constructor(
    private readonly handles: NodeHandles,
    private readonly named: NamedQueries,
    private readonly events: EventQueries,
    private readonly send: WebhookSender,
    private readonly options: SubscriptionOptions = DEFAULT_SUBSCRIPTION_OPTIONS,
    private readonly guard: WebhookGuard = new WebhookGuard(),
  ) {
    this.#accessLog = new AccessLogService(handles.db);
  }

  async subscribe(rc: ReadContext, queryName: string, body: unknown): Promise<SubscriptionView> {
    const viewer = requireViewer(rc);
    await this.named.get(rc, queryName);
    const controls = parseSubscriptionControls(body);
    await this.guard.check(controls.dest);
    const db = this.handles.db;
    // Delivered from the first record at or after initialRecordTime, else from what is recorded next.
    const from = (controls.initialRecordTime ? await firstLogIndexSince(db, viewer.consortiumId, controls.initialRecordTime) : null) ?? (await lastLogIndex(db, viewer.consortiumId)) + 1;
    const now = new Date().toISOString();
    const row: SubscriptionRow = {
      subscriptionId: crypto.randomUUID(),
      consortiumId: viewer.consortiumId,
      orgId: viewer.orgId,
      queryName,
      tokenHash: viewer.tokenHash,
      dest: controls.dest,
      signatureToken: controls.signatureToken ?? null,
      createdAt: now,
      initialRecordTime: controls.initialRecordTime ?? null,
      lastNotifiedAt: null,
      // The empty event ID sorts before every other: the record at `from` is delivered.
      cursorKey: recordOrderKey(from),
      cursorEventId: '',
      failures: 0,
      nextAttemptAt: now,
      stoppedReason: null,
    };
    await insertSubscription(db, row);
    this.#onSubscribe();
    return viewOf(row);
  }

  async list(rc: ReadContext, queryName: string): Promise<SubscriptionView[]> {
    const viewer = requireViewer(rc);
    await this.named.get(rc, queryName);
    return (await subscriptionsOf(this.handles.db, viewer.consortiumId, viewer.orgId, queryName)).map(viewOf);
  }

  async #own(rc: ReadContext, queryName: string, id: string): Promise<SubscriptionRow> {
    const viewer = requireViewer(rc);
    const row = await subscriptionById(this.handles.db, id);
    if (!row || row.consortiumId !== viewer.consortiumId || row.orgId !== viewer.orgId || row.queryName !== queryName) throw noSuchSubscription(id);
    return row;
  }

  async get(rc: ReadContext, queryName: string, id: string): Promise<SubscriptionView> {
    return viewOf(await this.#own(rc, queryName, id));
  }

  async unsubscribe(rc: ReadContext, queryName: string, id: string): Promise<void> {
    await this.#own(rc, queryName, id);
    await deleteSubscription(this.handles.db, id);
  }

  /** The subscription's delivery log, newest first. */
  async deliveries(rc: ReadContext, queryName: string, id: string, limit = 100): Promise<DeliveryRow[]> {
    await this.#own(rc, queryName, id);
    return deliveriesOf(this.handles.db, id, limit);
  }

  /** One pass: every due subscription delivers what it has (one page each). Returns the deliveries attempted. */
  async deliverDue(now = new Date()): Promise<number> {
    let attempted = 0;
    for (const row of await dueSubscriptions(this.handles.db, now.toISOString(), 100)) {
      if (await this.#deliver(row, now)) attempted++;
    }
    return attempted;
  }

  async #deliver(row: SubscriptionRow, now: Date): Promise<boolean> {
    const db = this.handles.db;
    const at = now.toISOString();
    const later = (ms: number) => new Date(now.getTime() + ms).toISOString();
    const stop = async (reason: string) => {
      await stopSubscription(db, row.subscriptionId, reason);
      await logDelivery(db, { subscriptionId: row.subscriptionId, attemptedAt: at, eventCount: 0, httpStatus: null, ok: false, error: `stopped: ${reason}` });
      return false;
    };
    const viewer = await liveViewer(db, this.handles.node, { consortiumId: row.consortiumId, orgId: row.orgId, tokenHash: row.tokenHash, roles: new Set(), isRegulator: false });
    if (typeof viewer === 'string') return stop(viewer);
    const definition = await namedQuery(db, { consortiumId: row.consortiumId, orgId: row.orgId }, row.queryName);
    if (!definition) return stop(`the named query ${row.queryName} was deleted`);
    const { eventCountLimit: _limit, ...defined } = queryOfDefinition(JSON.parse(definition.definition) as Record<string, unknown>);
    const rc: ReadContext = { viewer, access: this.#accessLog.recorder(viewer) };
    const page = await this.events.page(
      rc,
      { query: { ...defined, orderBy: 'recordTime', orderDirection: 'ASC' }, perPage: this.options.perPage },
      { queryName: row.queryName, subscriptionId: row.subscriptionId, after: { key: row.cursorKey, eventId: row.cursorEventId } },
    );
    const cursor = page.last ?? { key: row.cursorKey, eventId: row.cursorEventId };
    const count = (page.document['epcisBody'] as { queryResults: { resultsBody: { eventList: unknown[] } } }).queryResults.resultsBody.eventList.length;
    const nextLook = page.nextPageToken !== null ? at : later(this.options.intervalMs);
    if (count === 0) {
      await advanceSubscription(db, row.subscriptionId, { cursorKey: cursor.key, cursorEventId: cursor.eventId, failures: 0, nextAttemptAt: nextLook });
      return false;
    }
    const body = JSON.stringify(page.document);
    const headers: Record<string, string> = { 'content-type': 'application/ld+json', 'GS1-EPCIS-Version': '2.0.0', 'GS1-CBV-Version': '2.0.0' };
    if (row.signatureToken) headers['GS1-Signature'] = gs1Signature(row.signatureToken, body);
    let status: number | null = null;
    let error: string | null = null;
    try {
      // Checked again at each delivery: what the host resolves to may have changed since.
      const addresses = await this.guard.check(row.dest);
      status = (await this.send(row.dest, body, headers, addresses)).status;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const ok = status !== null && status >= 200 && status < 300;
    await logDelivery(db, { subscriptionId: row.subscriptionId, attemptedAt: at, eventCount: count, httpStatus: status, ok, error: ok ? null : (error ?? `the receiver answered ${status}`) });
    if (ok) {
      await advanceSubscription(db, row.subscriptionId, { cursorKey: cursor.key, cursorEventId: cursor.eventId, failures: 0, nextAttemptAt: nextLook, lastNotifiedAt: at });
    } else {
      const failures = row.failures + 1;
      await advanceSubscription(db, row.subscriptionId, { cursorKey: row.cursorKey, cursorEventId: row.cursorEventId, failures, nextAttemptAt: later(retryDelayMs(failures, this.options.backOff)) });
    }
    return true;
  }

  /**
   * Delivers due subscriptions every intervalMs until closed. The timer only runs once a
   * subscription exists (one made earlier, or the first made now), so a node without any does nothing.
   */
  start(onError: (err: unknown) => void = (err) => console.error(err)): { close(): Promise<void> } {
    let running: Promise<unknown> = Promise.resolve();
    let busy = false;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const begin = () => {
      if (timer || closed) return;
      timer = setInterval(() => {
        if (busy) return;
        busy = true;
        running = this.deliverDue()
          .catch(onError)
          .finally(() => {
            busy = false;
          });
      }, this.options.intervalMs);
      timer.unref();
    };
    this.#onSubscribe = begin;
    running = hasLiveSubscriptions(this.handles.db)
      .then((any) => any && begin())
      .catch(onError);
    return {
      async close() {
        closed = true;
        clearInterval(timer);
        await running;
      },
    };
  }
}
