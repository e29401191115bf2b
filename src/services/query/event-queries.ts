/**
 * The EPCIS 2.0 query interface's use case (EPCIS 2.0 section 8.2.7.1, SimpleEventQuery): the
 * store narrows by its indexes, the residual parameters are checked on each event, and every
 * event passes the one read policy before it is shown: a member sees in a query exactly what
 * GET /epcis/events/{id} and GraphQL record() show it, redacted the same way, and each event of
 * another organisation shown is access-logged the same way.
 */
import { matchesResidual } from '../../core/epcis/query/event-match.js';
import type { EventQuery, PagedEventQuery } from '../../core/epcis/query/event-query.js';
import { decodePageToken, encodePageToken, type PageCursor } from '../../core/epcis/query/page-token.js';
import { epcisQueryDocument } from '../../core/epcis/query/query-document.js';
import { parseEpcisEventPayload, type EpcisEventPayload } from '../../core/ledger/records/epcis-event.js';
import { redactEvent } from '../../core/lineage/visibility.js';
import { openedEvent, withheldViews } from '../withheld-reads.js';
import { correctionsOf } from '../../store/correction-store.js';
import { locationLinksFrom, scanEvents, type EventScan, type ScannedEvent } from '../../store/event-query-store.js';
import { DescendantWalk, MAX_DESCENDANTS, MAX_HIERARCHY_DEPTH, type LocationScope, type LocationVocabulary } from '../../core/epcis/query/location-hierarchy.js';
import { QueryError } from '../../core/epcis/query/query-errors.js';
import { dispositionOf, normaliseDisposition } from '../../core/epcis/epcis-model.js';
import { hostedState, type NodeHandles } from '../node-handles.js';
import type { Viewer } from '../auth.js';
import { requireViewer, type ReadContext } from '../read-context.js';
import { isShownRead, type ReadDecision } from '../read-policy.js';
import { Visibility } from '../visibility.js';

/** Rows looked at per request at most: a page may hold fewer events than asked, its token continues the scan. */
const SCAN_BUDGET = 5_000;
const MIN_BATCH = 50;
const MAX_BATCH = 500;

export interface QueryPage {
  /** The EPCISQueryDocument of this page. */
  document: Record<string, unknown>;
  /** Continues the query after this page; null on the last page. */
  nextPageToken: string | null;
  /** Where the scan stopped (the last event looked at, shown or not), to continue from later. */
  last: PageAfter | undefined;
}

export interface PageAfter {
  key: string;
  eventId: string;
}

interface Candidate {
  row: ScannedEvent;
  payload: EpcisEventPayload;
}

function candidateOf(row: ScannedEvent): Candidate | null {
  try {
    const record = JSON.parse(row.recordBody) as { payload?: unknown };
    return { row, payload: parseEpcisEventPayload(record.payload) };
  } catch {
    // A record the ledger admitted always parses; anything else is not an event to show.
    return null;
  }
}

interface Shown extends Candidate {
  decision: ReadDecision;
}

export class EventQueries {
  readonly #visibility: Visibility;

  constructor(private readonly handles: NodeHandles) {
    this.#visibility = new Visibility(handles.db, (id) => hostedState(handles.node, id));
  }

  /** One page of the query's events in the viewer's consortium, as the read policy shows them. */
  async page(rc: ReadContext, paged: PagedEventQuery, options: { queryName?: string; subscriptionId?: string; after?: PageAfter } = {}): Promise<QueryPage> {
    const viewer = requireViewer(rc);
    const { query } = paged;
    const cursor: PageCursor | undefined = paged.nextPageToken !== undefined ? decodePageToken(query, paged.nextPageToken) : options.after ? { ...options.after, returned: 0 } : undefined;
    const returnedBefore = cursor?.returned ?? 0;
    const want = Math.max(0, Math.min(paged.perPage, (query.eventCountLimit ?? Infinity) - returnedBefore));
    const { shown, after, more } = await this.#scan(viewer, query, cursor ? { key: cursor.key, eventId: cursor.eventId } : undefined, want, isShownRead);
    const returned = returnedBefore + shown.length;
    const limitReached = query.eventCountLimit !== undefined && returned >= query.eventCountLimit;
    const nextPageToken = more && !limitReached && after ? encodePageToken(query, { ...after, returned }) : null;
    for (const s of shown) rc.access.record(s.decision);
    const document = await this.#document(viewer.consortiumId, shown, options.queryName ?? 'SimpleEventQuery', options.subscriptionId);
    return { document, nextPageToken, last: after };
  }

  /**
   * Whether the viewer may see at least one event of the query (full events only unless
   * `redacted`), without showing it: nothing is access-logged. Looks at up to SCAN_BUDGET rows.
   */
  async anyShown(rc: ReadContext, query: EventQuery, options: { redacted: boolean }): Promise<boolean> {
    const viewer = requireViewer(rc);
    const shows = (d: ReadDecision) => isShownRead(d) && (options.redacted || d.visibility !== 'REDACTED');
    return (await this.#scan(viewer, query, undefined, 1, shows)).shown.length > 0;
  }

  /** The next `want` events of the query the decision shows, after the cursor, looking at up to SCAN_BUDGET rows. */
  async #scan(viewer: Viewer, query: EventQuery, from: PageAfter | undefined, want: number, shows: (d: ReadDecision) => boolean): Promise<{ shown: Shown[]; after: PageAfter | undefined; more: boolean }> {
    const shown: Shown[] = [];
    let after = from;
    let more = want > 0;
    let scanned = 0;
    const within = want > 0 ? await this.#within(viewer.consortiumId, query) : {};
    while (more && shown.length < want && scanned < SCAN_BUDGET) {
      const limit = Math.min(MAX_BATCH, Math.max(MIN_BATCH, (want - shown.length) * 2));
      const rows = await scanEvents(this.handles.db, { consortiumId: viewer.consortiumId, query, after, limit, within });
      scanned += rows.length;
      const candidates = rows.map(candidateOf).filter((c): c is Candidate => c !== null && matchesResidual(query, c.payload.event));
      const { decisions } = await this.#visibility.decideEvents(
        viewer,
        candidates.map((c) => ({ eventId: c.row.eventId, consortiumId: viewer.consortiumId, signerOrg: c.row.submitterOrg, event: c.payload.event })),
      );
      const unopened = await this.#unopenedDispositions(viewer.consortiumId, query, candidates, decisions);
      const byId = new Map(candidates.filter((c) => !unopened.has(c.row.eventId)).map((c) => [c.row.eventId, c]));
      let consumed = 0;
      for (const row of rows) {
        consumed++;
        after = { key: row.sortKey, eventId: row.eventId };
        const candidate = byId.get(row.eventId);
        const decision = decisions.get(row.eventId);
        if (candidate && decision && shows(decision)) shown.push({ ...candidate, decision });
        if (shown.length === want) break;
      }
      more = rows.length === limit || consumed < rows.length;
    }
    return { shown, after, more };
  }

  /**
   * Candidates EQ_disposition found by a withheld disposition that the viewer may not open, or
   * whose opening does not verify or is not one of the values: they are not shown, so the query
   * tells a viewer nothing about a withheld value it could not read itself.
   */
  async #unopenedDispositions(consortiumId: string, query: EventQuery, candidates: readonly Candidate[], decisions: ReadonlyMap<string, ReadDecision>): Promise<Set<string>> {
    const wanted = query.dispositions;
    if (!wanted) return new Set();
    const withheld = candidates.filter((c) => dispositionOf(c.payload.event) === undefined);
    if (withheld.length === 0) return new Set();
    const open = withheld.filter((c) => decisions.get(c.row.eventId)?.visibility === 'VISIBLE');
    const views = await withheldViews(this.handles.db, consortiumId, open.map((c) => ({ recordHash: c.row.recordHash, event: c.payload.event, open: true })));
    const opened = new Set(
      open
        .filter((c) => (views.get(c.row.recordHash) ?? []).some((v) => v.path === 'disposition' && v.verdict === 'VERIFIED' && wanted.includes(normaliseDisposition(v.value) ?? '')))
        .map((c) => c.row.eventId),
    );
    return new Set(withheld.map((c) => c.row.eventId).filter((id) => !opened.has(id)));
  }

  /** WD_readPoint and WD_bizLocation expanded over the consortium's stored location hierarchy. */
  async #within(consortiumId: string, query: EventQuery): Promise<NonNullable<EventScan['within']>> {
    const out: NonNullable<EventScan['within']> = {};
    const asked: [LocationVocabulary, string[] | undefined, string][] = [
      ['readPoint', query.readPointsWithin, 'WD_readPoint'],
      ['bizLocation', query.bizLocationsWithin, 'WD_bizLocation'],
    ];
    for (const [vocabulary, values, parameter] of asked) {
      if (values) out[vocabulary] = await this.#descendants(consortiumId, vocabulary, values, parameter);
    }
    return out;
  }

  async #descendants(consortiumId: string, vocabulary: LocationVocabulary, values: string[], parameter: string): Promise<LocationScope> {
    const walk = new DescendantWalk(values);
    while (!walk.done) {
      if (!walk.add(await locationLinksFrom(this.handles.db, consortiumId, vocabulary, walk.frontier()))) {
        throw new QueryError('QUERY_TOO_COMPLEX', `${parameter} expands to more than ${MAX_DESCENDANTS} descendant locations or ${MAX_HIERARCHY_DEPTH} levels`, { parameter, maxDescendants: MAX_DESCENDANTS, maxDepth: MAX_HIERARCHY_DEPTH });
      }
    }
    return walk.scope();
  }

  /** The shown events as the binding returns them: eventID and recordTime filled in, the latest error declaration attached. */
  async #document(consortiumId: string, shown: readonly Shown[], queryName: string, subscriptionId?: string): Promise<Record<string, unknown>> {
    const corrections = await correctionsOf(this.handles.db, consortiumId, shown.map((s) => s.row.eventId));
    // A viewer of the whole event gets its withheld fields opened, as GET /epcis/events/{id} gives them.
    const withheld = await withheldViews(this.handles.db, consortiumId, shown.filter((s) => s.decision.visibility !== 'REDACTED').map((s) => ({ recordHash: s.row.recordHash, event: s.payload.event, open: true })));
    const events = shown.map(({ row, payload, decision }) => {
      const event = decision.visibility === 'REDACTED' ? redactEvent(payload.event).event : { ...(openedEvent(payload.event, withheld.get(row.recordHash) ?? []) as Record<string, unknown>) };
      const latest = corrections.get(row.eventId)?.at(-1);
      return {
        ...event,
        eventID: typeof event['eventID'] === 'string' ? event['eventID'] : row.eventId,
        // A client-supplied eventID: the event hash ID too, which GET /epcis/events/{id} and the proofs know it by.
        ...(typeof event['eventID'] === 'string' && event['eventID'] !== row.eventId ? { 'provenant:eventHashId': row.eventId } : {}),
        // The repository sets recordTime (EPCIS 2.0 section 7.4.1): one a client put in the event is ignored.
        recordTime: row.recordTime,
        ...(latest && event['errorDeclaration'] === undefined ? { errorDeclaration: JSON.parse(latest.declaration) as unknown } : {}),
        // Marks an event shown with its finding withheld (docs/access.md), as GET /epcis/events/{id} says `redacted`.
        ...(decision.visibility === 'REDACTED' ? { 'provenant:redacted': true } : {}),
      };
    });
    return epcisQueryDocument(events, { queryName, ...(subscriptionId !== undefined ? { subscriptionID: subscriptionId } : {}), creationDate: new Date().toISOString(), contexts: shown.map((s) => s.payload.context ?? null) });
  }
}
