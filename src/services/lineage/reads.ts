/**
 * Lineage reads as a viewer gets them (docs/access.md, "Per query"): the verified answer over
 * everything, cut down to what the read policy shows this viewer, with the reads of other
 * organisations' events access-logged. FORBIDDEN for an item that is not the viewer's to ask
 * about, and for one nobody recorded (NOT_FOUND only to a viewer who may ask about any item).
 */
import type { CargoLineage, EventSummary, ProductPassport, RecallRow } from '../../core/lineage/answers.js';
import type { HopVerdict } from '../../core/lineage/verify-hop.js';
import type { LineageEdge, TraceResult } from '../../core/lineage/graph.js';
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
import { lineageReadStats, type LineageReadStats } from '../../store/lineage-store.js';
import type { NodeHandles } from '../node-handles.js';
import { hostedState } from '../node-handles.js';
import type { ReadContext } from '../read-context.js';
import { Visibility } from '../visibility.js';
import { checkedDepth, checkedEarTag, checkedIdentifier } from './identifiers.js';
import { animalHistory, authenticity, cargoLineage, productPassport, recall, recallCsv, trace } from './queries.js';
import { contextEdgesOf, decide, hopNodes, lineageRequest, logShown, requireInScope, unrecorded, type LineageRequest } from './request.js';
import { ANIMAL_URN_PREFIX } from '../../core/rules/authorisation.js';

export interface TraceView {
  start: string;
  direction: 'UPSTREAM' | 'DOWNSTREAM';
  nodes: string[];
  hops: HopVerdict[];
  verdict: 'VERIFIED' | 'WARNING' | 'FAILED';
  contextEdges: LineageEdge[];
}

export type CargoView = Omit<CargoLineage, 'sealEvents'> & { sealEvents: EventSummaryView[] };

function requireSeen(req: LineageRequest, result: TraceResult, id: string): void {
  if (result.events.size === 0) throw unrecorded(req, id);
}

function summaryView(s: EventSummary, decisions: Decisions): EventSummaryView {
  return { ...s, redacted: decisions.get(s.eventId)?.visibility === 'REDACTED', finding: null };
}

export class LineageReads {
  readonly #visibility: Visibility;

  constructor(private readonly handles: NodeHandles) {
    this.#visibility = new Visibility(handles.db, (id) => hostedState(handles.node, id));
  }

  #request(rc: ReadContext, consortiumId: string): LineageRequest {
    return lineageRequest(rc, this.handles.db, this.handles.node, this.#visibility, consortiumId);
  }

  async trace(rc: ReadContext, consortiumId: string, idText: string, direction: 'UPSTREAM' | 'DOWNSTREAM', maxDepth?: number | null): Promise<TraceView> {
    const req = this.#request(rc, consortiumId);
    const id = checkedIdentifier(idText);
    const verified = await trace(req.lc, id, direction, checkedDepth(maxDepth));
    requireSeen(req, verified.trace, id);
    for (const [eventId, row] of verified.trace.events) req.rows.set(eventId, row);
    const decided = await decide(req, verified.trace.start, verified.trace.nodes);
    requireInScope(req, decided, verified.trace.start);
    const view = visibleTrace(verified.trace.start, direction, verified.verification.hops, verified.trace.edges, decided.decisions);
    logShown(req, decided, view.shownEventIds);
    return { start: view.start, direction, nodes: view.nodes, hops: view.hops, verdict: view.verdict, contextEdges: view.contextEdges };
  }

  async productPassport(rc: ReadContext, consortiumId: string, idText: string): Promise<ProductPassport> {
    const req = this.#request(rc, consortiumId);
    const id = checkedIdentifier(idText);
    const passport = await productPassport(req.lc, id);
    const touching = [...req.rows.values()].some((r) => r.identifiers.some((i) => i.identifier === passport.identifier));
    if (!touching && (await req.lc.source.eventsTouching([passport.identifier])).length === 0) throw unrecorded(req, id);
    const parties = [...passport.farmsOfBirth, ...passport.slaughter, ...passport.processing, ...passport.packing].map((p) => p.eventId);
    const decided = await decide(req, passport.identifier, hopNodes(passport.verification.hops), [...passport.verification.hops.map((h) => h.edge.eventId), ...parties]);
    requireInScope(req, decided, passport.identifier);
    const view = visibleTrace(passport.identifier, 'UPSTREAM', passport.verification.hops, contextEdgesOf(req.rows.values()), decided.decisions);
    const state = req.lc.state;
    const shown = visiblePassport(passport, view, req.rows, decided.decisions, (org) => state.hasRole(org, 'FARM'));
    logShown(req, decided, [...view.shownEventIds, ...[...shown.farmsOfBirth, ...shown.slaughter, ...shown.processing, ...shown.packing].map((p) => p.eventId)]);
    return shown;
  }

  async animalHistory(rc: ReadContext, consortiumId: string, earTag: string): Promise<AnimalHistoryView> {
    const req = this.#request(rc, consortiumId);
    const id = checkedEarTag(earTag);
    const history = await animalHistory(req.lc, id);
    if (history.events.length === 0) throw unrecorded(req, id);
    const summaries = [history.birth, history.slaughter, ...history.movements, ...history.treatments, ...history.postMortem, ...history.events, ...history.feedLots.map((f) => f.event)];
    const referenced = summaries.flatMap((s) => (s ? [s.eventId] : []));
    const decided = await decide(req, id, history.slaughter?.outputs ?? [], referenced);
    requireInScope(req, decided, id);
    const view = visibleAnimalHistory(history, req.rows, decided.decisions);
    const shownIds = [view.birth, view.slaughter, ...view.movements, ...view.treatments, ...view.postMortem, ...view.events, ...view.feedLots.map((f) => f.event)].flatMap((s) => (s ? [s.eventId] : []));
    logShown(req, decided, shownIds);
    return view;
  }

  /** Recall rows the viewer may see: the downstream part reached through shown events, rows recomputed from those events. */
  async recall(rc: ReadContext, consortiumId: string, from: string, maxDepth?: number | null): Promise<RecallRow[]> {
    const req = this.#request(rc, consortiumId);
    const id = checkedIdentifier(from);
    const { rows, trace: result } = await recall(req.lc, id, checkedDepth(maxDepth));
    requireSeen(req, result, id);
    for (const [eventId, row] of result.events) req.rows.set(eventId, row);
    const decided = await decide(req, result.start, result.nodes);
    requireInScope(req, decided, result.start);
    const reached = reach(result.start, 'DOWNSTREAM', result.edges, decided.decisions);
    const custody = await req.facts.custodyOf([...reached.depth.keys()]);
    const view = visibleRecallRows(rows, reached, result.events, decided.decisions, custody, req.viewer.orgId);
    logShown(req, decided, [...reached.edges.map((e) => e.eventId), ...view.usedEventIds]);
    return view.rows;
  }

  async recallCsv(rc: ReadContext, consortiumId: string, from: string, maxDepth?: number | null): Promise<{ csv: string; rowCount: number }> {
    const rows = await this.recall(rc, consortiumId, from, maxDepth);
    return { csv: recallCsv(rows), rowCount: rows.length };
  }

  async cargoLineage(rc: ReadContext, consortiumId: string, containerId: string): Promise<CargoView> {
    const req = this.#request(rc, consortiumId);
    const id = checkedIdentifier(containerId);
    const cargo = await cargoLineage(req.lc, id);
    if (cargo.contents.length === 0 && cargo.parties.length === 0) throw unrecorded(req, id);
    const referenced = [...cargo.verification.hops.map((h) => h.edge.eventId), ...cargo.documents.map((d) => d.eventId), ...cargo.sealEvents.map((e) => e.eventId)];
    const decided = await decide(req, cargo.container, hopNodes(cargo.verification.hops), referenced);
    requireInScope(req, decided, cargo.container);
    const view = visibleTrace(cargo.container, 'UPSTREAM', cargo.verification.hops, contextEdgesOf(req.rows.values()), decided.decisions);
    const shown = visibleCargo(cargo, view, req.rows, decided.decisions);
    logShown(req, decided, [...view.shownEventIds, ...shown.documents.map((d) => d.eventId), ...shown.sealEvents.map((e) => e.eventId)]);
    return { ...shown, sealEvents: shown.sealEvents.map((e) => summaryView(e, decided.decisions)) };
  }

  /** Open to every member: the verdict in full; parties and events behind it only as far as the viewer may see them. */
  async authenticity(rc: ReadContext, consortiumId: string, idText: string): Promise<AuthenticityView> {
    const req = this.#request(rc, consortiumId);
    const id = checkedIdentifier(idText);
    const result = await authenticity(req.lc, id);
    let rows = [...req.rows.values()].filter((r) => r.identifiers.some((i) => i.identifier === result.identifier));
    if (rows.length === 0) rows = await req.lc.source.eventsTouching([result.identifier]);
    // Every event behind the verdict is logged, a hidden one as having decided it.
    const decided = await decide(req, result.identifier, [], [], true);
    // An animal's verdict is no retail check: an ear tag out of the viewer's scope is refused as an
    // unknown one is, so the answer does not tell which of another farm's tags exist.
    if (result.identifier.startsWith(ANIMAL_URN_PREFIX)) requireInScope(req, decided, result.identifier);
    const view = visibleAuthenticity(result, rows, decided.decisions);
    for (const r of rows) rc.access.record(decided.decisions.get(r.eventId));
    return view;
  }

  /** Lineage read counters of a consortium (for metrics). */
  stats(consortiumId: string): Readonly<LineageReadStats> {
    return lineageReadStats(this.handles.db, consortiumId);
  }
}
