/**
 * Query subscriptions of the EPCIS 2.0 REST binding (POST /queries/{name}/subscriptions): webhook
 * streams and scheduled webhooks. Each delivery runs the organisation's named query in recordTime order after the
 * subscription's cursor, as the subscribing token's viewer stands now (the read policy decides
 * each event, and reads are access-logged, as for GET /events), and POSTs the EPCISQueryDocument
 * with GS1-Signature. A failed delivery is logged and retried with back-off from the same cursor,
 * so nothing is skipped; a revoked token, a removed organisation or a deleted query stops it.
 *
 * A stream looks for new events every intervalMs. A scheduled subscription runs at its schedule's
 * times (UTC; schedule.ts): each run delivers every page recorded since the previous run, and with
 * reportIfEmpty an empty document when there is none. Its state is stored (the cursor, the next
 * run as nextAttemptAt, the pages delivered in the run under way), so a restarted node continues
 * where the stored subscription stands: a run already delivered is not delivered again, and runs
 * missed while the node was down are made up by one run.
 */
import { queryOfDefinition } from '../../core/epcis/query/named-query.js';
import { QueryError } from '../../core/epcis/query/query-errors.js';
import type { ScheduleField } from '../../core/epcis/query/schedule.js';
import { DEFAULT_BACK_OFF, firstScheduledRun, gs1Signature, nextScheduledRun, parseSubscriptionControls, retryDelayMs, type BackOff } from '../../core/epcis/query/subscription.js';
import { firstLogIndexSince, lastLogIndex, recordOrderKey } from '../../store/event-query-store.js';
import { namedQuery } from '../../store/named-query-store.js';
import {
  advanceSubscription,
  deleteSubscription,
  deliveriesOf,
  dueSubscriptions,
  hasLiveSubscriptions,
  insertSubscription,
  liveSubscriptionCount,
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
  /** The time now (tests move it instead of waiting for scheduled times). */
  clock: () => Date;
}

export const DEFAULT_SUBSCRIPTION_OPTIONS: SubscriptionOptions = { intervalMs: 1_000, backOff: DEFAULT_BACK_OFF, perPage: 100, clock: () => new Date() };

type ScheduleTexts = Partial<Record<ScheduleField, string>>;

/**
 * A subscription as the binding shows it (AbstractQuerySubscriptionResponse with
 * QueryStreamSubscription or QueryScheduleSubscription); the signatureToken never.
 */
export interface SubscriptionView {
  subscriptionID: string;
  dest: string;
  stream?: true;
  schedule?: ScheduleTexts;
  reportIfEmpty?: boolean;
  createdAt: string;
  initialRecordTime?: string;
  lastNotifiedAt?: string;
  'provenant:stoppedReason'?: string;
}

function viewOf(row: SubscriptionRow): SubscriptionView {
  return {
    subscriptionID: row.subscriptionId,
    dest: row.dest,
    ...(row.schedule ? { schedule: JSON.parse(row.schedule) as ScheduleTexts, reportIfEmpty: row.reportIfEmpty } : { stream: true as const }),
    createdAt: row.createdAt,
    ...(row.initialRecordTime ? { initialRecordTime: row.initialRecordTime } : {}),
    ...(row.lastNotifiedAt ? { lastNotifiedAt: row.lastNotifiedAt } : {}),
    ...(row.stoppedReason ? { 'provenant:stoppedReason': row.stoppedReason } : {}),
  };
}

/**
 * Live (not stopped) webhook subscriptions one organisation may hold: each is polled every
 * intervalMs and runs its query, so an unbounded number is a way to make the node work for nothing.
 */
export const MAX_SUBSCRIPTIONS_PER_ORGANISATION = 100;

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
    const clock = this.options.clock();
    const firstRun = controls.schedule ? firstScheduledRun(controls.schedule, clock) : null;
    await this.guard.check(controls.dest);
    const db = this.handles.db;
    const live = await liveSubscriptionCount(db, viewer.consortiumId, viewer.orgId);
    if (live >= MAX_SUBSCRIPTIONS_PER_ORGANISATION) {
      throw new QueryError('TOO_MANY_SUBSCRIPTIONS', `organisation ${viewer.orgId} already holds ${live} live subscriptions; the limit is ${MAX_SUBSCRIPTIONS_PER_ORGANISATION} (delete one first)`, {
        limit: MAX_SUBSCRIPTIONS_PER_ORGANISATION,
        live,
      });
    }
    // Delivered from the first record at or after initialRecordTime, else from what is recorded next.
    const from = (controls.initialRecordTime ? await firstLogIndexSince(db, viewer.consortiumId, controls.initialRecordTime) : null) ?? (await lastLogIndex(db, viewer.consortiumId)) + 1;
    const now = clock.toISOString();
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
      nextAttemptAt: firstRun ? firstRun.toISOString() : now,
      stoppedReason: null,
      schedule: controls.schedule ? JSON.stringify(controls.schedule) : null,
      reportIfEmpty: controls.reportIfEmpty ?? false,
      runDelivered: 0,
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
  async deliverDue(now = this.options.clock()): Promise<number> {
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
    const more = page.nextPageToken !== null;
    // A scheduled run goes on while pages remain; once done, the next run is the schedule's next time.
    let nextLook = more ? at : later(this.options.intervalMs);
    if (row.schedule && !more) {
      const next = nextScheduledRun(JSON.parse(row.schedule) as ScheduleTexts, now);
      if (!next) return stop('the schedule has no further run');
      nextLook = next.toISOString();
    }
    const reportEmpty = row.schedule !== null && row.reportIfEmpty && row.runDelivered === 0 && !more;
    if (count === 0 && !reportEmpty) {
      await advanceSubscription(db, row.subscriptionId, { cursorKey: cursor.key, cursorEventId: cursor.eventId, failures: 0, nextAttemptAt: nextLook, runDelivered: more ? row.runDelivered : 0 });
      return false;
    }
    if (await this.#post(row, JSON.stringify(page.document), count, at)) {
      await advanceSubscription(db, row.subscriptionId, { cursorKey: cursor.key, cursorEventId: cursor.eventId, failures: 0, nextAttemptAt: nextLook, lastNotifiedAt: at, runDelivered: more ? row.runDelivered + 1 : 0 });
    } else {
      const failures = row.failures + 1;
      await advanceSubscription(db, row.subscriptionId, { cursorKey: row.cursorKey, cursorEventId: row.cursorEventId, failures, nextAttemptAt: later(retryDelayMs(failures, this.options.backOff)) });
    }
    return true;
  }

  /** POSTs one document to the subscription's destination, signed, and logs the attempt; true when the receiver took it (2xx). */
  async #post(row: SubscriptionRow, body: string, count: number, at: string): Promise<boolean> {
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
    await logDelivery(this.handles.db, { subscriptionId: row.subscriptionId, attemptedAt: at, eventCount: count, httpStatus: status, ok, error: ok ? null : (error ?? `the receiver answered ${status}`) });
    return ok;
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
