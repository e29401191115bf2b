/**
 * Query subscriptions over WebSocket (GS1 openapi.json, GET /queries/{queryName}/events with
 * `Upgrade: websocket`): while the socket is open, the organisation's named query runs in
 * recordTime order after the subscription's cursor and each page goes out as one
 * EPCISQueryDocument message (with subscriptionID), as the subscribing token's viewer stands at
 * that moment: the read policy decides each event and reads are access-logged, as for GET /events.
 * A stream looks for new events every intervalMs; a schedule runs at its times (schedule.ts),
 * sending an empty document when nothing is new only with reportIfEmpty. A revoked token, a
 * removed organisation or a deleted query ends the subscription. Nothing is kept once the socket
 * closes: a subscriber that reconnects gives initialRecordTime to resume.
 */
import { queryOfDefinition } from '../../core/epcis/query/named-query.js';
import { nextRun, parseSocketControls, type SocketSubscriptionControls } from '../../core/epcis/query/schedule.js';
import { QueryError } from '../../core/epcis/query/query-errors.js';
import { firstLogIndexSince, lastLogIndex, recordOrderKey } from '../../store/event-query-store.js';
import { namedQuery } from '../../store/named-query-store.js';
import { AccessLogService } from '../access-log.js';
import { liveViewer } from '../auth.js';
import type { NodeHandles } from '../node-handles.js';
import { requireViewer, type ReadContext } from '../read-context.js';
import type { EventQueries, PageAfter } from './event-queries.js';
import type { NamedQueries } from './named-queries.js';

export interface SocketSubscriptionOptions {
  /** How often a stream looks for new events. */
  intervalMs: number;
  /** Events per message at most. */
  perPage: number;
}

export const DEFAULT_SOCKET_OPTIONS: SocketSubscriptionOptions = { intervalMs: 1_000, perPage: 100 };

/** Where a subscription's messages go. */
export interface SocketSink {
  send(message: string): void;
  /** Ends the subscription: `reason` says why (a revoked token, a deleted query). */
  end(reason: string): void;
}

export interface OpenSubscription {
  subscriptionId: string;
  /** Starts delivering to the sink; the returned stop() ends it (the socket closed). */
  start(sink: SocketSink): { stop(): void };
}

const eventCount = (document: Record<string, unknown>) => (document['epcisBody'] as { queryResults: { resultsBody: { eventList: unknown[] } } }).queryResults.resultsBody.eventList.length;

/**
 * WebSocket subscriptions one API token may hold open at once: each polls its query every
 * intervalMs while open, so without a bound one token could make the node run queries without end.
 */
export const MAX_SOCKETS_PER_TOKEN = 32;

const tooMany = (open: number) =>
  new QueryError('TOO_MANY_SUBSCRIPTIONS', `this API token already holds ${open} open WebSocket subscriptions; the limit is ${MAX_SOCKETS_PER_TOKEN}`, { limit: MAX_SOCKETS_PER_TOKEN, open });

export class SocketSubscriptions {
  readonly #accessLog: AccessLogService;
  /** Running subscriptions by token hash. */
  readonly #running = new Map<string, number>();

  constructor(
    private readonly handles: NodeHandles,
    private readonly named: NamedQueries,
    private readonly events: EventQueries,
    private readonly options: SocketSubscriptionOptions = DEFAULT_SOCKET_OPTIONS,
  ) {
    this.#accessLog = new AccessLogService(handles.db);
  }

  /** Checks the caller, the query and the controls (before the socket is accepted); the subscription starts when the socket is open. */
  async open(rc: ReadContext, queryName: string, params: Iterable<readonly [string, string]>): Promise<OpenSubscription> {
    const viewer = requireViewer(rc);
    const open = this.#running.get(viewer.tokenHash) ?? 0;
    if (open >= MAX_SOCKETS_PER_TOKEN) throw tooMany(open);
    await this.named.get(rc, queryName);
    const controls = parseSocketControls(params);
    const db = this.handles.db;
    const from = (controls.initialRecordTime ? await firstLogIndexSince(db, viewer.consortiumId, controls.initialRecordTime) : null) ?? (await lastLogIndex(db, viewer.consortiumId)) + 1;
    const subscriptionId = crypto.randomUUID();
    // The empty event ID sorts before every other: the record at `from` is delivered.
    const cursor: PageAfter = { key: recordOrderKey(from), eventId: '' };
    return { subscriptionId, start: (sink) => this.#counted(viewer.tokenHash, sink, () => this.#run(rc, queryName, subscriptionId, controls, cursor, sink)) };
  }

  /** Runs the subscription counted against its token; one started past the limit (handshakes racing) ends at once. */
  #counted(tokenHash: string, sink: SocketSink, run: () => { stop(): void }): { stop(): void } {
    const open = this.#running.get(tokenHash) ?? 0;
    if (open >= MAX_SOCKETS_PER_TOKEN) {
      sink.end(tooMany(open).message);
      return { stop: () => undefined };
    }
    this.#running.set(tokenHash, open + 1);
    const running = run();
    let stopped = false;
    return {
      stop: () => {
        running.stop();
        if (stopped) return;
        stopped = true;
        const left = (this.#running.get(tokenHash) ?? 1) - 1;
        if (left > 0) this.#running.set(tokenHash, left);
        else this.#running.delete(tokenHash);
      },
    };
  }

  #run(rc: ReadContext, queryName: string, subscriptionId: string, controls: SocketSubscriptionControls, start: PageAfter, sink: SocketSink): { stop(): void } {
    let cursor = start;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
    };
    /** Sends every page after the cursor; false when the subscription has ended. */
    const deliver = async (reportIfEmpty: boolean): Promise<boolean> => {
      const viewer = await liveViewer(this.handles.db, this.handles.node, requireViewer(rc));
      if (typeof viewer === 'string') return void sink.end(viewer), false;
      const definition = await namedQuery(this.handles.db, { consortiumId: viewer.consortiumId, orgId: viewer.orgId }, queryName);
      if (!definition) return void sink.end(`the named query ${queryName} was deleted`), false;
      const { eventCountLimit: _limit, ...defined } = queryOfDefinition(JSON.parse(definition.definition) as Record<string, unknown>);
      const live: ReadContext = { viewer, access: this.#accessLog.recorder(viewer) };
      let sent = 0;
      for (;;) {
        if (stopped) return false;
        const page = await this.events.page(live, { query: { ...defined, orderBy: 'recordTime', orderDirection: 'ASC' }, perPage: this.options.perPage }, { queryName, subscriptionId, after: cursor });
        cursor = page.last ?? cursor;
        const count = eventCount(page.document);
        if (count > 0 || (reportIfEmpty && sent === 0 && page.nextPageToken === null)) {
          if (stopped) return false;
          sink.send(JSON.stringify(page.document));
          sent++;
        }
        if (page.nextPageToken === null) return true;
      }
    };
    const schedule = controls.schedule;
    const loop = (run: () => Promise<boolean>, wait: () => number | null) => {
      const next = wait();
      if (stopped || next === null) return;
      timer = setTimeout(() => {
        run()
          .then((going) => going && loop(run, wait))
          .catch((err: unknown) => sink.end(err instanceof Error ? err.message : String(err)));
      }, next);
      timer.unref();
    };
    if (schedule) {
      loop(
        () => deliver(controls.reportIfEmpty),
        () => {
          const at = nextRun(schedule, new Date());
          return at ? at.getTime() - Date.now() : null;
        },
      );
    } else {
      // A stream delivers what is there at once (initialRecordTime), then polls.
      let first = true;
      loop(
        () => deliver(false),
        () => (first ? ((first = false), 0) : this.options.intervalMs),
      );
    }
    return { stop };
  }
}
