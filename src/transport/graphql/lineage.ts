/**
 * Lineage domain: trace, productPassport, animalHistory, recall (Relay connection)
 * and recallCsv, cargoLineage, authenticityCheck. Expected failures are union members
 * (NotFound, InvalidIdentifier, Forbidden/Unauthenticated by default).
 */
import { resolveArrayConnection } from '@pothos/plugin-relay';
import { parseContainerNumber, parseIdentifier } from '../../core/identifiers/index.js';
import { ANIMAL_URN_PREFIX, canonicalIdentifier } from '../../core/rules/authorisation.js';
import { edgesOfEvent, ITEM_EDGE_KINDS, type EventRow, type LineageEdge, type LineageSource, type TraceResult } from '../../core/lineage/graph.js';
import {
  animalHistory,
  authenticity,
  cargoLineage,
  productPassport,
  recall,
  recallCsv,
  trace,
  DEFAULT_MAX_DEPTH,
  type AuthenticityResult,
  type CargoLineage,
  type CargoNode,
  type EventSummary,
  type LineageContext,
  type PartyAt,
  type ProductPassport,
  type RecallRow,
} from '../../services/lineage/queries.js';
import type { HopVerdict } from '../../core/lineage/verify-hop.js';
import type { HopReason } from '../../core/lineage/semantics.js';
import { LineageStore } from '../../store/lineage-store.js';
import { VisibilityStore } from '../../store/visibility-store.js';
import { itemInScope, isShown, type ItemLink, type ViewerScope, type VisibilityViewer } from '../../core/lineage/visibility.js';
import {
  reach,
  visibleAnimalHistory,
  visibleAuthenticity,
  visibleCargo,
  visiblePassport,
  visibleRecallRows,
  visibleTrace,
  type AnimalHistoryView,
  type AuthenticityView,
  type Decisions,
  type EventSummaryView,
} from '../../core/lineage/visible-views.js';
import { ACCESS_SUBJECT, recordEventAccess } from './access-log.js';
import { requireMember, type Builder, type GraphqlContext } from './builder.js';
import { ForbiddenError, InvalidIdentifierError, NotFoundError } from './errors.js';

const MAX_DEPTH_LIMIT = 64;

interface TraceView {
  start: string;
  direction: 'UPSTREAM' | 'DOWNSTREAM';
  nodes: string[];
  hops: HopVerdict[];
  verdict: 'VERIFIED' | 'WARNING' | 'FAILED';
  contextEdges: LineageEdge[];
}

interface LineageRequest {
  lc: LineageContext;
  viewer: VisibilityViewer;
  visibility: VisibilityStore;
  /** Every event row the query read, by event id (recorded from the source). */
  rows: Map<string, EventRow>;
}

/** The query's lineage context, with its source wrapped so every event row it reads is kept for the visibility decisions. */
function lineageRequest(ctx: GraphqlContext, consortiumId: string): LineageRequest {
  const viewer = requireMember(ctx, consortiumId);
  if (!ctx.app.node.consortia().includes(consortiumId)) throw new NotFoundError(`unknown consortium "${consortiumId}"`, { consortium: consortiumId });
  const store = new LineageStore(ctx.app.db, consortiumId);
  const state = ctx.app.node.state(consortiumId);
  const rows = new Map<string, EventRow>();
  const keep = (list: EventRow[]) => {
    for (const r of list) rows.set(r.eventId, r);
    return list;
  };
  // A proxy, so methods the lineage store gains later pass straight through.
  const source = new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'eventsTouching' || prop === 'eventsById') return async (...args: unknown[]) => keep((await fn.apply(target, args)) as EventRow[]);
      return fn.bind(target);
    },
  }) as LineageStore & LineageSource;
  return {
    lc: { source, evidence: source, state },
    viewer: { orgId: viewer.orgId, consortiumId, roles: viewer.roles },
    visibility: new VisibilityStore(ctx.app.db, consortiumId, state),
    rows,
  };
}

const CONTAINER_URN_PREFIX = 'urn:provenant:container:';

/** Canonical identifier, or InvalidIdentifier when it is not a known kind (queries and subscriptions). */
export function checkedIdentifier(text: string): string {
  // The simulators and the demo name containers `urn:provenant:container:<ISO 6346>`.
  if (text.startsWith(CONTAINER_URN_PREFIX)) {
    try {
      return `${CONTAINER_URN_PREFIX}${parseContainerNumber(text.slice(CONTAINER_URN_PREFIX.length)).canonical}`;
    } catch (err) {
      throw new InvalidIdentifierError(`"${text}" is not a recognised identifier: ${(err as Error).message}`, { identifier: text });
    }
  }
  const bare = text.startsWith(ANIMAL_URN_PREFIX) ? text.slice(ANIMAL_URN_PREFIX.length) : text;
  try {
    parseIdentifier(bare);
  } catch (err) {
    throw new InvalidIdentifierError(`"${text}" is not a recognised identifier: ${(err as Error).message}`, { identifier: text });
  }
  return canonicalIdentifier(text);
}

function checkedDepth(depth: number | null | undefined): number {
  const d = depth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isSafeInteger(d) || d < 0 || d > MAX_DEPTH_LIMIT) throw new InvalidIdentifierError(`maxDepth must be 0..${MAX_DEPTH_LIMIT}`, { maxDepth: depth });
  return d;
}

function requireSeen(result: TraceResult, id: string): void {
  if (result.events.size === 0) throw new NotFoundError(`no events for ${id}`, { identifier: id });
}

/** Lineage edges of the rows, as links for deciding what is upstream of what. */
function itemLinks(rows: Iterable<EventRow>): ItemLink[] {
  const out: ItemLink[] = [];
  for (const row of rows) for (const e of edgesOfEvent(row)) if (ITEM_EDGE_KINDS.has(e.kind)) out.push({ from: e.from, to: e.to, kind: e.kind });
  return out;
}

/** Custody and location edges of the rows (the trace's context edges). */
function contextEdgesOf(rows: Iterable<EventRow>): LineageEdge[] {
  return [...rows].flatMap((r) => edgesOfEvent(r).filter((e) => !ITEM_EDGE_KINDS.has(e.kind)));
}

interface Decided {
  decisions: Decisions;
  scope: ViewerScope;
}

/**
 * Loads any referenced event the source did not hand back, then decides every row for the viewer.
 * `nodes`: the items the answer can show (walked in the index if the query's links leave them open).
 */
async function decide(req: LineageRequest, start: string, nodes: Iterable<string>, referenced: Iterable<string> = []): Promise<Decided> {
  const missing = [...new Set(referenced)].filter((id) => !req.rows.has(id));
  if (missing.length > 0) for (const r of await req.visibility.eventRows(missing)) req.rows.set(r.eventId, r);
  const rows = [...req.rows.values()];
  const consortiumId = req.viewer.consortiumId;
  return req.visibility.decideEvents(
    req.viewer,
    rows.map((r) => ({ eventId: r.eventId, consortiumId, signerOrg: r.signerOrg, event: r.event })),
    itemLinks(rows),
    { alsoScope: [start], probe: [start, ...nodes] },
  );
}

/** Item queries answer only about items the viewer holds or held, their lineage, cargo (customs), or items of its own events. */
function requireInScope(req: LineageRequest, decided: Decided, identifier: string): void {
  const own = new Set<string>();
  for (const r of req.rows.values()) if (r.signerOrg === req.viewer.orgId) for (const i of r.identifiers) own.add(i.identifier);
  if (!itemInScope(req.viewer, identifier, decided.scope, own)) {
    throw new ForbiddenError(`${identifier} is not in your custody, its lineage or your events; ask its holder or a regulator`, { identifier });
  }
}

/** Access log: every shown event of another organisation, marked when its finding was withheld. */
function logShown(ctx: GraphqlContext, req: LineageRequest, decisions: Decisions, eventIds: Iterable<string>): void {
  for (const id of new Set(eventIds)) {
    const row = req.rows.get(id);
    const d = decisions.get(id);
    if (row && isShown(d)) recordEventAccess(ctx, row.signerOrg, id, d!.visibility === 'REDACTED' ? ACCESS_SUBJECT.REDACTED_EVENT : ACCESS_SUBJECT.EVENT);
  }
}

function hopNodes(hops: readonly HopVerdict[]): string[] {
  return [...new Set(hops.flatMap((h) => [h.edge.from, h.edge.to]))];
}

function summaryView(s: EventSummary, decisions: Decisions): EventSummaryView {
  return { ...s, redacted: decisions.get(s.eventId)?.visibility === 'REDACTED', finding: null };
}

/** `_chain` is accepted so schema.ts can call it like the other domains; lineage links no chain types yet. */
export type LineageRefs = ReturnType<typeof registerLineage>;

export function registerLineage(builder: Builder, _chain?: unknown) {
  const Direction = builder.enumType('LineageDirection', { values: ['UPSTREAM', 'DOWNSTREAM'] as const });
  const HopStatus = builder.enumType('HopStatus', { values: ['VERIFIED', 'WARNING', 'FAILED'] as const });
  const EdgeKind = builder.enumType('LineageEdgeKind', { values: ['TRANSFORMATION', 'AGGREGATION', 'CUSTODY', 'LOCATION', 'FEEDING', 'DAM', 'ASSOCIATION'] as const });

  const Finding = builder.objectRef<HopReason>('HopFinding').implement({
    description: 'Why a hop failed or carries a warning (details name expected vs computed values).',
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      details: t.field({ type: 'JSON', nullable: true, resolve: (r) => r.details ?? null }),
    }),
  });

  const Edge = builder.objectRef<LineageEdge>('LineageEdge').implement({
    fields: (t) => ({
      from: t.exposeString('from'),
      to: t.exposeString('to'),
      kind: t.field({ type: EdgeKind, resolve: (e) => e.kind }),
      eventId: t.exposeString('eventId'),
      time: t.exposeString('time'),
      item: t.string({ nullable: true, resolve: (e) => e.item ?? null }),
      validFrom: t.string({ nullable: true, resolve: (e) => e.validFrom ?? null }),
      validTo: t.string({ nullable: true, resolve: (e) => e.validTo ?? null }),
    }),
  });

  const Hop = builder.objectRef<HopVerdict>('LineageHop').implement({
    description: 'One edge of a trace and the verification of the record behind it.',
    fields: (t) => ({
      edge: t.field({ type: Edge, resolve: (h) => h.edge }),
      recordHash: t.exposeString('recordHash'),
      status: t.field({ type: HopStatus, resolve: (h) => h.status }),
      failures: t.field({ type: [Finding], resolve: (h) => h.failures }),
      warnings: t.field({ type: [Finding], resolve: (h) => h.warnings }),
    }),
  });

  const Trace = builder.objectRef<TraceView>('LineageTrace').implement({
    fields: (t) => ({
      start: t.exposeString('start'),
      direction: t.field({ type: Direction, resolve: (v) => v.direction }),
      nodes: t.exposeStringList('nodes'),
      verdict: t.field({ type: HopStatus, description: 'The worst hop.', resolve: (v) => v.verdict }),
      hops: t.field({ type: [Hop], resolve: (v) => v.hops }),
      contextEdges: t.field({ type: [Edge], description: 'Custody and location edges of the traced items.', resolve: (v) => v.contextEdges }),
    }),
  });

  const Party = builder.objectRef<PartyAt>('PartyAt').implement({
    fields: (t) => ({ orgId: t.exposeString('orgId'), eventId: t.exposeString('eventId'), time: t.exposeString('time') }),
  });

  const Passport = builder.objectRef<ProductPassport>('ProductPassport').implement({
    fields: (t) => ({
      identifier: t.exposeString('identifier'),
      animals: t.exposeStringList('animals'),
      farmsOfBirth: t.field({ type: [Party], resolve: (p) => p.farmsOfBirth }),
      rearingFarms: t.exposeStringList('rearingFarms'),
      slaughter: t.field({ type: [Party], resolve: (p) => p.slaughter }),
      processing: t.field({ type: [Party], resolve: (p) => p.processing }),
      packing: t.field({ type: [Party], resolve: (p) => p.packing }),
      coldChainCompliant: t.exposeBoolean('coldChainCompliant'),
      coldChainBreaches: t.field({ type: 'JSON', resolve: (p) => p.coldChainBreaches }),
      verdict: t.field({ type: HopStatus, resolve: (p) => p.verdict }),
      hops: t.field({ type: [Hop], resolve: (p) => p.verification.hops }),
    }),
  });

  const Summary = builder.objectRef<EventSummaryView>('LineageEventSummary').implement({
    fields: (t) => ({
      redacted: t.exposeBoolean('redacted', { description: 'The event is shown but its inspection finding is withheld from you (docs/access.md).' }),
      finding: t.field({
        type: 'JSON',
        nullable: true,
        description: 'Inspection events you may read in full: the disposition and finding fields. Null otherwise.',
        resolve: (e) => e.finding,
      }),
      eventId: t.exposeString('eventId'),
      time: t.exposeString('time'),
      orgId: t.exposeString('orgId'),
      bizStep: t.string({ nullable: true, resolve: (e) => e.bizStep }),
      eventType: t.string({ nullable: true, resolve: (e) => e.eventType }),
      readPoint: t.string({ nullable: true, resolve: (e) => e.readPoint }),
      bizLocation: t.string({ nullable: true, resolve: (e) => e.bizLocation }),
    }),
  });

  const FeedLot = builder.objectRef<{ lot: string; event: EventSummaryView }>('FeedLotUse').implement({
    fields: (t) => ({ lot: t.exposeString('lot'), event: t.field({ type: Summary, resolve: (f) => f.event }) }),
  });

  const History = builder.objectRef<AnimalHistoryView>('AnimalHistory').implement({
    fields: (t) => ({
      animal: t.exposeString('animal'),
      birth: t.field({ type: Summary, nullable: true, resolve: (h) => h.birth }),
      birthHolding: t.string({ nullable: true, resolve: (h) => h.birth?.holding ?? null }),
      dam: t.string({ nullable: true, resolve: (h) => h.dam }),
      movements: t.field({ type: [Summary], resolve: (h) => h.movements }),
      feedLots: t.field({ type: [FeedLot], resolve: (h) => h.feedLots }),
      treatments: t.field({ type: [Summary], resolve: (h) => h.treatments }),
      slaughter: t.field({ type: Summary, nullable: true, resolve: (h) => h.slaughter }),
      carcasses: t.stringList({ resolve: (h) => h.slaughter?.outputs ?? [] }),
      postMortem: t.field({ type: [Summary], resolve: (h) => h.postMortem }),
    }),
  });

  const RecallItem = builder.objectRef<RecallRow>('RecallItem').implement({
    fields: (t) => ({
      identifier: t.exposeString('identifier'),
      kind: t.exposeString('kind'),
      lastCustodian: t.string({ nullable: true, resolve: (r) => r.lastCustodian }),
      lastLocation: t.string({ nullable: true, resolve: (r) => r.lastLocation }),
      lastEventTime: t.string({ nullable: true, resolve: (r) => r.lastEventTime }),
      pathLength: t.exposeInt('pathLength'),
    }),
  });

  const RecallCsv = builder.objectRef<{ csv: string; rowCount: number }>('RecallCsv').implement({
    fields: (t) => ({ csv: t.exposeString('csv'), rowCount: t.exposeInt('rowCount') }),
  });

  const Cargo: ReturnType<typeof builder.objectRef<CargoNode>> = builder.objectRef<CargoNode>('CargoItem');
  Cargo.implement({
    fields: (t) => ({
      identifier: t.exposeString('identifier'),
      origins: t.exposeStringList('origins'),
      contents: t.field({ type: [Cargo], resolve: (n) => n.contents }),
    }),
  });

  const CargoView = builder.objectRef<CargoLineage>('CargoLineage').implement({
    fields: (t) => ({
      container: t.exposeString('container'),
      contents: t.field({ type: [Cargo], resolve: (c) => c.contents }),
      documents: t.field({ type: 'JSON', resolve: (c) => c.documents }),
      sealEvents: t.field({ type: [Summary], resolve: (c) => c.sealEvents as EventSummaryView[] }),
      temperatureExcursions: t.field({ type: 'JSON', resolve: (c) => c.temperatureExcursions }),
      parties: t.exposeStringList('parties'),
      verdict: t.field({ type: HopStatus, resolve: (c) => c.verification.verdict }),
      hops: t.field({ type: [Hop], resolve: (c) => c.verification.hops }),
    }),
  });

  const Reason = builder.objectRef<AuthenticityResult['reasons'][number]>('AuthenticityReason').implement({
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      details: t.field({ type: 'JSON', nullable: true, resolve: (r) => r.details ?? null }),
    }),
  });

  const Authenticity = builder.objectRef<AuthenticityView>('AuthenticityCheck').implement({
    fields: (t) => ({
      detailsWithheld: t.exposeBoolean('detailsWithheld', {
        description: 'Some parties or events behind the verdict are not yours to see; the verdict itself is complete.',
      }),
      identifier: t.exposeString('identifier'),
      likelyCounterfeit: t.exposeBoolean('likelyCounterfeit'),
      reasons: t.field({ type: [Reason], resolve: (a) => a.reasons }),
      brandOwner: t.string({ nullable: true, resolve: (a) => a.brandOwner }),
      commissionedBy: t.exposeStringList('commissionedBy'),
    }),
  });

  builder.queryFields((t) => ({
    trace: t.field({
      type: Trace,
      description: 'Lineage of an item, every hop verified (signature, signer standing, inclusion, seal, hash link) and checked for anomalies. Shows the part you may see (docs/access.md).',
      args: {
        consortium: t.arg.id({ required: true }),
        id: t.arg.string({ required: true }),
        direction: t.arg({ type: Direction, required: true }),
        maxDepth: t.arg.int({ required: false }),
      },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const req = lineageRequest(ctx, String(args.consortium));
        const id = checkedIdentifier(args.id);
        const verified = await trace(req.lc, id, args.direction, checkedDepth(args.maxDepth));
        requireSeen(verified.trace, id);
        for (const [eventId, row] of verified.trace.events) req.rows.set(eventId, row);
        const decided = await decide(req, verified.trace.start, verified.trace.nodes);
        requireInScope(req, decided, verified.trace.start);
        const view = visibleTrace(verified.trace.start, args.direction, verified.verification.hops, verified.trace.edges, decided.decisions);
        logShown(ctx, req, decided.decisions, view.shownEventIds);
        return { start: view.start, direction: args.direction, nodes: view.nodes, hops: view.hops, verdict: view.verdict, contextEdges: view.contextEdges };
      },
    }),

    productPassport: t.field({
      type: Passport,
      args: { consortium: t.arg.id({ required: true }), id: t.arg.string({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const req = lineageRequest(ctx, String(args.consortium));
        const id = checkedIdentifier(args.id);
        const passport = await productPassport(req.lc, id);
        const touching = [...req.rows.values()].some((r) => r.identifiers.some((i) => i.identifier === passport.identifier));
        if (!touching && (await req.lc.source.eventsTouching([passport.identifier])).length === 0) throw new NotFoundError(`no events for ${id}`, { identifier: id });
        const parties = [...passport.farmsOfBirth, ...passport.slaughter, ...passport.processing, ...passport.packing].map((p) => p.eventId);
        const decided = await decide(req, passport.identifier, hopNodes(passport.verification.hops), [...passport.verification.hops.map((h) => h.edge.eventId), ...parties]);
        requireInScope(req, decided, passport.identifier);
        const view = visibleTrace(passport.identifier, 'UPSTREAM', passport.verification.hops, contextEdgesOf(req.rows.values()), decided.decisions);
        const state = req.lc.state;
        const shown = visiblePassport(passport, view, req.rows, decided.decisions, (org) => state.hasRole(org, 'FARM'));
        logShown(ctx, req, decided.decisions, [...view.shownEventIds, ...[...shown.farmsOfBirth, ...shown.slaughter, ...shown.processing, ...shown.packing].map((p) => p.eventId)]);
        return shown;
      },
    }),

    animalHistory: t.field({
      type: History,
      args: { consortium: t.arg.id({ required: true }), earTag: t.arg.string({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const req = lineageRequest(ctx, String(args.consortium));
        const id = checkedIdentifier(args.earTag);
        if (!id.startsWith(ANIMAL_URN_PREFIX)) throw new InvalidIdentifierError(`"${args.earTag}" is not a UK ear tag`, { identifier: args.earTag });
        const history = await animalHistory(req.lc, id);
        if (history.events.length === 0) throw new NotFoundError(`no events for ${id}`, { identifier: id });
        const summaries = [history.birth, history.slaughter, ...history.movements, ...history.treatments, ...history.postMortem, ...history.events, ...history.feedLots.map((f) => f.event)];
        const referenced = summaries.flatMap((s) => (s ? [s.eventId] : []));
        const decided = await decide(req, id, history.slaughter?.outputs ?? [], referenced);
        requireInScope(req, decided, id);
        const view = visibleAnimalHistory(history, req.rows, decided.decisions);
        const shownIds = [view.birth, view.slaughter, ...view.movements, ...view.treatments, ...view.postMortem, ...view.events, ...view.feedLots.map((f) => f.event)].flatMap((s) => (s ? [s.eventId] : []));
        logShown(ctx, req, decided.decisions, shownIds);
        return view;
      },
    }),

    recall: t.connection({
      type: RecallItem,
      description: 'Every item downstream of the given one that you may see, nearest first, with its current custodian and last location.',
      args: { consortium: t.arg.id({ required: true }), from: t.arg.string({ required: true }), maxDepth: t.arg.int({ required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => resolveArrayConnection({ args }, await visibleRecall(ctx, String(args.consortium), args.from, args.maxDepth)),
    }),

    recallCsv: t.field({
      type: RecallCsv,
      description: 'The recall as RFC 4180 CSV: identifier,kind,last_custodian,last_location,last_event_time,path_length.',
      args: { consortium: t.arg.id({ required: true }), from: t.arg.string({ required: true }), maxDepth: t.arg.int({ required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const rows = await visibleRecall(ctx, String(args.consortium), args.from, args.maxDepth);
        return { csv: recallCsv(rows), rowCount: rows.length };
      },
    }),

    cargoLineage: t.field({
      type: CargoView,
      args: { consortium: t.arg.id({ required: true }), containerId: t.arg.string({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const req = lineageRequest(ctx, String(args.consortium));
        const id = checkedIdentifier(args.containerId);
        const cargo = await cargoLineage(req.lc, id);
        if (cargo.contents.length === 0 && cargo.parties.length === 0) throw new NotFoundError(`no events for ${id}`, { identifier: id });
        const referenced = [...cargo.verification.hops.map((h) => h.edge.eventId), ...cargo.documents.map((d) => d.eventId), ...cargo.sealEvents.map((e) => e.eventId)];
        const decided = await decide(req, cargo.container, hopNodes(cargo.verification.hops), referenced);
        requireInScope(req, decided, cargo.container);
        const view = visibleTrace(cargo.container, 'UPSTREAM', cargo.verification.hops, contextEdgesOf(req.rows.values()), decided.decisions);
        const shown = visibleCargo(cargo, view, req.rows, decided.decisions);
        logShown(ctx, req, decided.decisions, [...view.shownEventIds, ...shown.documents.map((d) => d.eventId), ...shown.sealEvents.map((e) => e.eventId)]);
        return { ...shown, sealEvents: shown.sealEvents.map((e) => summaryView(e, decided.decisions)) };
      },
    }),

    authenticityCheck: t.field({
      type: Authenticity,
      description: 'Likely counterfeit or clone? Open to every member; parties and events behind the verdict only as far as you may see them.',
      args: { consortium: t.arg.id({ required: true }), id: t.arg.string({ required: true }) },
      errors: { types: [InvalidIdentifierError, NotFoundError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const req = lineageRequest(ctx, String(args.consortium));
        const id = checkedIdentifier(args.id);
        const result = await authenticity(req.lc, id);
        let rows = [...req.rows.values()].filter((r) => r.identifiers.some((i) => i.identifier === result.identifier));
        if (rows.length === 0) rows = await req.lc.source.eventsTouching([result.identifier]);
        const decided = await decide(req, result.identifier, []);
        const view = visibleAuthenticity(result, rows, decided.decisions);
        for (const r of rows) {
          const d = decided.decisions.get(r.eventId);
          // A hidden event still decided the verdict the viewer saw.
          recordEventAccess(ctx, r.signerOrg, r.eventId, !isShown(d) ? ACCESS_SUBJECT.VERDICT_EVENT : d!.visibility === 'REDACTED' ? ACCESS_SUBJECT.REDACTED_EVENT : ACCESS_SUBJECT.EVENT);
        }
        return view;
      },
    }),
  }));
  return { RecallItem };
}

/** Recall rows the viewer may see: the downstream part reached through shown events, rows recomputed from those events. */
async function visibleRecall(ctx: GraphqlContext, consortiumId: string, from: string, maxDepth: number | null | undefined): Promise<RecallRow[]> {
  const req = lineageRequest(ctx, consortiumId);
  const id = checkedIdentifier(from);
  const { rows, trace: result } = await recall(req.lc, id, checkedDepth(maxDepth));
  requireSeen(result, id);
  for (const [eventId, row] of result.events) req.rows.set(eventId, row);
  const decided = await decide(req, result.start, result.nodes);
  requireInScope(req, decided, result.start);
  const reached = reach(result.start, 'DOWNSTREAM', result.edges, decided.decisions);
  const custody = await req.visibility.custodyOf([...reached.depth.keys()]);
  const view = visibleRecallRows(rows, reached, result.events, decided.decisions, custody, req.viewer.orgId);
  logShown(ctx, req, decided.decisions, [...reached.edges.map((e) => e.eventId), ...view.usedEventIds]);
  return view.rows;
}
