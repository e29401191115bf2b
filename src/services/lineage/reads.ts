/**
 * Lineage reads as a viewer gets them (docs/access.md, "Per query"): the verified answer over
 * everything, cut down to what the read policy shows this viewer, with the reads of other
 * organisations' events access-logged. FORBIDDEN for an item that is not the viewer's to ask
 * about, and for one nobody recorded (NOT_FOUND only to a viewer who may ask about any item).
 * Every answer names its checkpoint and proves each identifier it shows complete
 * (answer-extras.ts); an index row deleted or hidden makes it FAILED with INCOMPLETE, even when
 * nothing at all was found. `asOf` answers as the ledger stood then.
 */
import type { CargoLineage, EventSummary, ProductPassport, RecallRow } from '../../core/lineage/answers.js';
import type { LineageEdge } from '../../core/lineage/graph.js';
import type { HopStatus } from '../../core/lineage/verify-hop.js';
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
import { answerExtras, contextFor, laterRecordsOf, type AnswerExtras } from './answer-extras.js';
import type { AsOfInput } from './as-of.js';
import { worse, type HopView } from './completeness-view.js';
import { checkedDepth, checkedEarTag, checkedIdentifier } from './identifiers.js';
import { animalHistory, authenticity, cargoLineage, productPassport, recall, recallCsv, trace } from './queries.js';
import { contextEdgesOf, decide, hopNodes, lineageRequest, logShown, requireInScope, unrecorded, type LineageRequest } from './request.js';
import { completenessOf, pinnedVersion, verifyTraceResult } from './verify.js';
import { ANIMAL_URN_PREFIX } from '../../core/rules/authorisation.js';

/** What every answer carries beside its content (answer-extras.ts). */
export type Extras = Pick<AnswerExtras, 'checkpoint' | 'completeness' | 'laterRecords'>;

export interface TraceView extends Extras {
  start: string;
  direction: 'UPSTREAM' | 'DOWNSTREAM';
  nodes: string[];
  hops: HopView[];
  verdict: HopStatus;
  contextEdges: LineageEdge[];
}

export type CargoView = Omit<CargoLineage, 'sealEvents' | 'verification'> & Extras & { sealEvents: EventSummaryView[]; verification: { verdict: HopStatus; hops: HopView[] } };
export type PassportView = Omit<ProductPassport, 'verification'> & Extras & { verification: { verdict: HopStatus; hops: HopView[] } };
export type HistoryView = AnimalHistoryView & Extras & { verdict: HopStatus };
export interface RecallView extends Extras {
  rows: RecallRow[];
  verdict: HopStatus;
}

export interface LineageOptions {
  maxDepth?: number | null;
  asOf?: AsOfInput | null;
}

function extrasOf(x: AnswerExtras): Extras {
  return { checkpoint: x.checkpoint, completeness: x.completeness, laterRecords: x.laterRecords };
}

/** Nothing recorded for the item: refused (unrecorded), unless the index says there is (a deleted row: the FAILED answer says so). */
function requireFound(req: LineageRequest, found: boolean, verdict: HopStatus, id: string): void {
  if (!found && verdict !== 'FAILED') throw unrecorded(req, id);
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

  async trace(rc: ReadContext, consortiumId: string, idText: string, direction: 'UPSTREAM' | 'DOWNSTREAM', options: LineageOptions = {}): Promise<TraceView> {
    const req = this.#request(rc, consortiumId);
    const id = checkedIdentifier(idText);
    const lc = await contextFor(req, options.asOf);
    const verified = await trace(lc, id, direction, checkedDepth(options.maxDepth));
    requireFound(req, verified.trace.events.size > 0, verified.verification.verdict, id);
    for (const [eventId, row] of verified.trace.events) req.rows.set(eventId, row);
    const later = await laterRecordsOf(req, lc, verified.verification.completeness, verified.trace.events.keys());
    const decided = await decide(req, verified.trace.start, verified.trace.nodes);
    requireInScope(req, decided, verified.trace.start);
    const view = visibleTrace(verified.trace.start, direction, verified.verification.hops, verified.trace.edges, decided.decisions);
    const extras = await answerExtras(lc, verified.verification.completeness, view.nodes, decided.decisions, later);
    logShown(req, decided, view.shownEventIds);
    const verdict = worse(view.verdict, extras.verdict);
    return { start: view.start, direction, nodes: view.nodes, hops: extras.withEnds(view.hops), verdict, contextEdges: view.contextEdges, ...extrasOf(extras) };
  }

  async productPassport(rc: ReadContext, consortiumId: string, idText: string, options: LineageOptions = {}): Promise<PassportView> {
    const req = this.#request(rc, consortiumId);
    const id = checkedIdentifier(idText);
    const lc = await contextFor(req, options.asOf);
    const passport = await productPassport(lc, id);
    const touching = [...req.rows.values()].some((r) => r.identifiers.some((i) => i.identifier === passport.identifier));
    requireFound(req, touching || (await lc.source.eventsTouching([passport.identifier])).length > 0, passport.verdict, id);
    const later = await laterRecordsOf(req, lc, passport.verification.completeness, [...req.rows.keys()]);
    const parties = [...passport.farmsOfBirth, ...passport.slaughter, ...passport.processing, ...passport.packing].map((p) => p.eventId);
    const decided = await decide(req, passport.identifier, hopNodes(passport.verification.hops), [...passport.verification.hops.map((h) => h.edge.eventId), ...parties]);
    requireInScope(req, decided, passport.identifier);
    const view = visibleTrace(passport.identifier, 'UPSTREAM', passport.verification.hops, contextEdgesOf(req.rows.values()), decided.decisions);
    const state = req.lc.state;
    const shown = visiblePassport(passport, view, req.rows, decided.decisions, (org) => state.hasRole(org, 'FARM'));
    const extras = await answerExtras(lc, passport.verification.completeness, view.nodes, decided.decisions, later);
    logShown(req, decided, [...view.shownEventIds, ...[...shown.farmsOfBirth, ...shown.slaughter, ...shown.processing, ...shown.packing].map((p) => p.eventId)]);
    const verdict = worse(shown.verdict, extras.verdict);
    return { ...shown, verdict, verification: { verdict, hops: extras.withEnds(shown.verification.hops) }, ...extrasOf(extras) };
  }

  async animalHistory(rc: ReadContext, consortiumId: string, earTag: string, options: LineageOptions = {}): Promise<HistoryView> {
    const req = this.#request(rc, consortiumId);
    const id = checkedEarTag(earTag);
    const lc = await contextFor(req, options.asOf);
    const pinned = pinnedVersion(lc);
    const history = await animalHistory(lc, id);
    const identifiers = [id, ...(history.slaughter?.outputs ?? [])];
    const report = await completenessOf(lc, identifiers, pinned);
    const incomplete = [...report.byIdentifier.values()].some((c) => c.status === 'INCOMPLETE');
    requireFound(req, history.events.length > 0, incomplete ? 'FAILED' : 'VERIFIED', id);
    const later = await laterRecordsOf(req, lc, report, history.events.map((e) => e.eventId));
    const summaries = [history.birth, history.slaughter, ...history.movements, ...history.treatments, ...history.postMortem, ...history.events, ...history.feedLots.map((f) => f.event)];
    const referenced = summaries.flatMap((s) => (s ? [s.eventId] : []));
    const decided = await decide(req, id, history.slaughter?.outputs ?? [], referenced);
    requireInScope(req, decided, id);
    const view = visibleAnimalHistory(history, req.rows, decided.decisions);
    const extras = await answerExtras(lc, report, [id, ...(view.slaughter?.outputs ?? [])], decided.decisions, later);
    const shownIds = [view.birth, view.slaughter, ...view.movements, ...view.treatments, ...view.postMortem, ...view.events, ...view.feedLots.map((f) => f.event)].flatMap((s) => (s ? [s.eventId] : []));
    logShown(req, decided, shownIds);
    return { ...view, verdict: extras.verdict, ...extrasOf(extras) };
  }

  /**
   * Recall rows the viewer may see: the downstream part reached through shown events, rows
   * recomputed from those events; the verdict covers every hop of that part and its completeness.
   */
  async recall(rc: ReadContext, consortiumId: string, from: string, options: LineageOptions = {}): Promise<RecallView> {
    const req = this.#request(rc, consortiumId);
    const id = checkedIdentifier(from);
    const lc = await contextFor(req, options.asOf);
    const pinned = pinnedVersion(lc);
    const { rows, trace: result } = await recall(lc, id, checkedDepth(options.maxDepth));
    const verified = await verifyTraceResult(lc, result, pinned);
    requireFound(req, result.events.size > 0, verified.verification.verdict, id);
    for (const [eventId, row] of result.events) req.rows.set(eventId, row);
    const later = await laterRecordsOf(req, lc, verified.verification.completeness, result.events.keys());
    const decided = await decide(req, result.start, result.nodes);
    requireInScope(req, decided, result.start);
    const reached = reach(result.start, 'DOWNSTREAM', result.edges, decided.decisions);
    const custody = await req.facts.custodyOf([...reached.depth.keys()]);
    const view = visibleRecallRows(rows, reached, result.events, decided.decisions, lc.asOf ? new Map() : custody, req.viewer.orgId);
    const shownHops = visibleTrace(result.start, 'DOWNSTREAM', verified.verification.hops, [], decided.decisions);
    const extras = await answerExtras(lc, verified.verification.completeness, reached.depth.keys(), decided.decisions, later);
    logShown(req, decided, [...reached.edges.map((e) => e.eventId), ...view.usedEventIds]);
    return { rows: view.rows, verdict: worse(shownHops.verdict, extras.verdict), ...extrasOf(extras) };
  }

  async recallCsv(rc: ReadContext, consortiumId: string, from: string, options: LineageOptions = {}): Promise<{ csv: string; rowCount: number; verdict: HopStatus }> {
    const recalled = await this.recall(rc, consortiumId, from, options);
    return { csv: recallCsv(recalled.rows), rowCount: recalled.rows.length, verdict: recalled.verdict };
  }

  async cargoLineage(rc: ReadContext, consortiumId: string, containerId: string, options: LineageOptions = {}): Promise<CargoView> {
    const req = this.#request(rc, consortiumId);
    const id = checkedIdentifier(containerId);
    const lc = await contextFor(req, options.asOf);
    const cargo = await cargoLineage(lc, id);
    requireFound(req, cargo.contents.length > 0 || cargo.parties.length > 0, cargo.verification.verdict, id);
    const later = await laterRecordsOf(req, lc, cargo.verification.completeness, [...req.rows.keys()]);
    const referenced = [...cargo.verification.hops.map((h) => h.edge.eventId), ...cargo.documents.map((d) => d.eventId), ...cargo.sealEvents.map((e) => e.eventId)];
    const decided = await decide(req, cargo.container, hopNodes(cargo.verification.hops), referenced);
    requireInScope(req, decided, cargo.container);
    const view = visibleTrace(cargo.container, 'UPSTREAM', cargo.verification.hops, contextEdgesOf(req.rows.values()), decided.decisions);
    const shown = visibleCargo(cargo, view, req.rows, decided.decisions);
    const extras = await answerExtras(lc, cargo.verification.completeness, view.nodes, decided.decisions, later);
    logShown(req, decided, [...view.shownEventIds, ...shown.documents.map((d) => d.eventId), ...shown.sealEvents.map((e) => e.eventId)]);
    const verdict = worse(shown.verification.verdict, extras.verdict);
    return {
      ...shown,
      sealEvents: shown.sealEvents.map((e) => summaryView(e, decided.decisions)),
      verification: { verdict, hops: extras.withEnds(shown.verification.hops) },
      ...extrasOf(extras),
    };
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
