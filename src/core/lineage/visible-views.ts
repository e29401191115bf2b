/**
 * What a viewer is shown of each lineage answer, given a visibility decision per event
 * (visibility.ts). Pure. Verification runs over everything first (so a hidden event still counts
 * towards anomalies such as double use); the answer is then cut down to the part of the graph the
 * viewer reaches from the item it asked about through events it may see. Hidden event ids are
 * scrubbed from hop reasons; redacted events keep their hop and verdict.
 */
import { eventType } from '../epcis/epcis-model.js';
import { canonicalIdentifier, normaliseAuthBizStep, PROVENANT_BIZSTEP } from '../rules/authorisation.js';
import type { BreachEvidence } from './evidence.js';
import { eventsOfItem, ITEM_EDGE_KINDS, type Direction, type EventRow, type LineageEdge } from './graph.js';
import { rootsAbove, type AnimalHistory, type AnimalHistoryOf, type AuthenticityResult, type CargoLineage, type CargoNode, type EventSummary, type PartyAt, type ProductPassport, type RecallRow } from './answers.js';
import type { HopReason } from './semantics.js';
import type { HopStatus, HopVerdict } from './verify-hop.js';
import { findingOf, isInspectionFinding, isShown, type VisibilityDecision } from './visibility.js';

export type Decisions = ReadonlyMap<string, VisibilityDecision>;

const RANK: Record<HopStatus, number> = { VERIFIED: 0, WARNING: 1, FAILED: 2 };

function worstOf(hops: readonly HopVerdict[]): HopStatus {
  let w: HopStatus = 'VERIFIED';
  for (const h of hops) if (RANK[h.status] > RANK[w]) w = h.status;
  return w;
}

/** Removes event ids the viewer may not see from a reason's details (the reason itself stays). */
export function scrubReason(reason: HopReason, shown: (eventId: string) => boolean): HopReason {
  const details = reason.details;
  if (!details) return reason;
  let changed = false;
  const out: Record<string, unknown> = { ...details };
  if (typeof out['eventId'] === 'string' && !shown(out['eventId'])) {
    delete out['eventId'];
    changed = true;
  }
  if (Array.isArray(out['eventIds'])) {
    const kept = (out['eventIds'] as unknown[]).filter((id) => typeof id !== 'string' || shown(id));
    if (kept.length !== (out['eventIds'] as unknown[]).length) {
      out['eventIds'] = kept;
      changed = true;
    }
  }
  return changed ? { ...reason, details: out } : reason;
}

export interface VisibleTrace {
  start: string;
  direction: Direction;
  /** Nodes reached from the start through shown hops (the start always). */
  nodes: string[];
  depth: Map<string, number>;
  hops: HopVerdict[];
  /** Custody and location edges of reached items, from shown events. */
  contextEdges: LineageEdge[];
  verdict: HopStatus;
  /** Events the answer shows (hops and context edges). */
  shownEventIds: Set<string>;
}

export interface Reach {
  start: string;
  /** Depth at which each reached node was first reached (start = 0). */
  depth: Map<string, number>;
  /** Item edges walked to reach them, from shown events. */
  edges: LineageEdge[];
}

/**
 * Breadth-first from the start over item edges whose event is shown, in the trace's direction. An
 * edge beyond a hidden one is not reached even if its own event is shown (so a farm cannot learn
 * which packs its animals ended in by tracing a pack).
 */
export function reach(start: string, direction: Direction, edges: readonly LineageEdge[], decisions: Decisions): Reach {
  const near = (e: LineageEdge) => (direction === 'UPSTREAM' ? e.to : e.from);
  const far = (e: LineageEdge) => (direction === 'UPSTREAM' ? e.from : e.to);
  const byNear = new Map<string, LineageEdge[]>();
  for (const e of edges) {
    if (!ITEM_EDGE_KINDS.has(e.kind) || !isShown(decisions.get(e.eventId))) continue;
    const list = byNear.get(near(e));
    if (list) list.push(e);
    else byNear.set(near(e), [e]);
  }
  const depth = new Map<string, number>([[start, 0]]);
  const kept: LineageEdge[] = [];
  let frontier = [start];
  for (let level = 0; frontier.length > 0; level++) {
    const next: string[] = [];
    for (const node of frontier) {
      for (const e of byNear.get(node) ?? []) {
        kept.push(e);
        const there = far(e);
        if (!depth.has(there)) {
          depth.set(there, level + 1);
          next.push(there);
        }
      }
    }
    frontier = next;
  }
  return { start, depth, edges: kept };
}

/** The part of a verified trace the viewer sees: hops reached from the start (see reach), with hidden event ids scrubbed. */
export function visibleTrace(start: string, direction: Direction, hops: readonly HopVerdict[], contextEdges: readonly LineageEdge[], decisions: Decisions): VisibleTrace {
  const shown = (id: string) => isShown(decisions.get(id));
  const reached = reach(start, direction, hops.map((h) => h.edge), decisions);
  const keptEdges = new Set(reached.edges);
  const kept = hops.filter((h) => keptEdges.has(h.edge));
  const context = contextEdges.filter((e) => !ITEM_EDGE_KINDS.has(e.kind) && e.item !== undefined && reached.depth.has(e.item) && shown(e.eventId));
  const shownEventIds = new Set<string>([...kept.map((h) => h.edge.eventId), ...context.map((e) => e.eventId)]);
  const scrubbed = kept.map((h) => ({ ...h, failures: h.failures.map((r) => scrubReason(r, shown)), warnings: h.warnings.map((r) => scrubReason(r, shown)) }));
  return { start, direction, nodes: [...reached.depth.keys()], depth: reached.depth, hops: scrubbed, contextEdges: context, verdict: worstOf(scrubbed), shownEventIds };
}

function locationOf(row: EventRow): string | null {
  for (const key of ['bizLocation', 'readPoint']) {
    const v = row.event[key];
    if (v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string') return (v as { id: string }).id;
  }
  return null;
}

export interface CustodyFact {
  orgId: string | null;
  eventId: string;
  eventTime: string;
}

/**
 * Recall rows for the reached items only, recomputed from shown events: the last custodian is
 * shown when the event that gave custody is shown (or the custodian is the viewer).
 */
export function visibleRecallRows(
  rows: readonly RecallRow[],
  view: Pick<Reach, 'start' | 'depth'>,
  events: ReadonlyMap<string, EventRow>,
  decisions: Decisions,
  custody: ReadonlyMap<string, CustodyFact>,
  viewerOrg: string,
): { rows: RecallRow[]; usedEventIds: Set<string> } {
  const shownEvents = new Map([...events].filter(([id]) => isShown(decisions.get(id))));
  const used = new Set<string>();
  const out: RecallRow[] = [];
  for (const row of rows) {
    if (row.identifier === view.start || !view.depth.has(row.identifier)) continue;
    const evs = eventsOfItem({ events: shownEvents }, row.identifier);
    const last = evs[evs.length - 1];
    const located = [...evs].reverse().find((r) => locationOf(r) !== null);
    const c = custody.get(row.identifier);
    const custodyShown = c !== undefined && (c.orgId === viewerOrg || isShown(decisions.get(c.eventId)));
    if (last) used.add(last.eventId);
    if (located) used.add(located.eventId);
    if (custodyShown) used.add(c!.eventId);
    out.push({
      identifier: row.identifier,
      kind: row.kind,
      lastCustodian: custodyShown ? c!.orgId : null,
      lastLocation: located ? locationOf(located) : null,
      lastEventTime: last?.eventTime ?? (custodyShown ? c!.eventTime : null),
      pathLength: view.depth.get(row.identifier) ?? row.pathLength,
    });
  }
  out.sort((a, b) => a.pathLength - b.pathLength || (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0));
  return { rows: out, usedEventIds: used };
}

function touchesAny(row: EventRow | undefined, nodes: ReadonlyMap<string, unknown>): boolean {
  return row !== undefined && row.identifiers.some((i) => nodes.has(i.identifier));
}

function breachReaches(b: BreachEvidence, nodes: ReadonlyMap<string, unknown>): boolean {
  return [b.subject, ...b.containedItems].some((x) => nodes.has(canonicalIdentifier(x)));
}

/** The passport over the reached part: parties from shown events about reached items, breaches of reached items. */
export function visiblePassport(passport: ProductPassport, view: VisibleTrace, events: ReadonlyMap<string, EventRow>, decisions: Decisions, isFarm: (orgId: string) => boolean): ProductPassport {
  const keep = (list: readonly PartyAt[]) => list.filter((p) => isShown(decisions.get(p.eventId)) && touchesAny(events.get(p.eventId), view.depth));
  const animals = passport.animals.filter((a) => view.depth.has(a));
  const animalSet = new Set(animals);
  const rearing = new Set<string>();
  for (const row of events.values()) {
    if (!isShown(decisions.get(row.eventId)) || !isFarm(row.signerOrg)) continue;
    if (row.identifiers.some((i) => animalSet.has(i.identifier))) rearing.add(row.signerOrg);
  }
  const breaches = passport.coldChainBreaches.filter((b) => breachReaches(b, view.depth));
  return {
    ...passport,
    animals,
    farmsOfBirth: keep(passport.farmsOfBirth),
    rearingFarms: [...rearing].sort(),
    slaughter: keep(passport.slaughter),
    processing: keep(passport.processing),
    packing: keep(passport.packing),
    coldChainCompliant: breaches.length === 0,
    coldChainBreaches: breaches,
    verdict: view.verdict,
    verification: { verdict: view.verdict, hops: view.hops },
  };
}

export interface EventSummaryView extends EventSummary {
  /** The event is shown but its finding is withheld. */
  redacted: boolean;
  /** Inspection events the viewer may read: disposition and extension fields; otherwise null. */
  finding: Record<string, unknown> | null;
}

export type AnimalHistoryView = AnimalHistoryOf<EventSummaryView>;

/** The history with only shown events; inspection findings only where the viewer may read them. */
export function visibleAnimalHistory(history: AnimalHistory, events: ReadonlyMap<string, EventRow>, decisions: Decisions): AnimalHistoryView {
  const shown = (s: EventSummary) => isShown(decisions.get(s.eventId));
  const wrap = <T extends EventSummary>(s: T): T & EventSummaryView => {
    const d = decisions.get(s.eventId);
    const event = events.get(s.eventId)?.event;
    const readable = d?.visibility === 'VISIBLE' && event !== undefined && isInspectionFinding(event);
    return { ...s, redacted: d?.visibility === 'REDACTED', finding: readable ? findingOf(event) : null };
  };
  const list = (xs: readonly EventSummary[]) => xs.filter(shown).map(wrap);
  const birth = history.birth && shown(history.birth) ? wrap(history.birth) : null;
  return {
    animal: history.animal,
    birth,
    dam: birth ? history.dam : null,
    movements: list(history.movements),
    feedLots: history.feedLots.filter((f) => shown(f.event)).map((f) => ({ lot: f.lot, event: wrap(f.event) })),
    treatments: list(history.treatments),
    slaughter: history.slaughter && shown(history.slaughter) ? wrap(history.slaughter) : null,
    postMortem: list(history.postMortem),
    events: list(history.events),
  };
}


/** Cargo lineage over the reached part: contents linked by shown hops, origins within them, documents of fully visible events. */
export function visibleCargo(cargo: CargoLineage, view: VisibleTrace, events: ReadonlyMap<string, EventRow>, decisions: Decisions): CargoLineage {
  const shownLinks = new Set(view.hops.filter((h) => h.edge.kind === 'AGGREGATION' || h.edge.kind === 'ASSOCIATION').map((h) => `${h.edge.from}\u0000${h.edge.to}`));
  const incoming = new Map<string, LineageEdge[]>();
  for (const h of view.hops) incoming.set(h.edge.to, [...(incoming.get(h.edge.to) ?? []), h.edge]);
  const prune = (nodes: readonly CargoNode[], parent: string): CargoNode[] =>
    nodes
      .filter((n) => shownLinks.has(`${n.identifier}\u0000${parent}`))
      .map((n) => ({ identifier: n.identifier, contents: prune(n.contents, n.identifier), origins: rootsAbove(n.identifier, incoming) }));
  const contents = prune(cargo.contents, cargo.container);
  const inCargo = new Set<string>([cargo.container]);
  const collect = (nodes: CargoNode[]) => nodes.forEach((n) => (inCargo.add(n.identifier), collect(n.contents)));
  collect(contents);
  const parties = new Set<string>();
  for (const row of events.values()) {
    if (isShown(decisions.get(row.eventId)) && row.identifiers.some((i) => inCargo.has(i.identifier))) parties.add(row.signerOrg);
  }
  for (const e of view.contextEdges) if (e.kind === 'CUSTODY' && e.item && inCargo.has(e.item)) for (const p of [e.from, e.to]) if (p !== '(unknown)') parties.add(p);
  return {
    container: cargo.container,
    contents,
    documents: cargo.documents.filter((d) => decisions.get(d.eventId)?.visibility === 'VISIBLE'),
    sealEvents: cargo.sealEvents.filter((s) => isShown(decisions.get(s.eventId))),
    temperatureExcursions: cargo.temperatureExcursions.filter((b) => [b.subject, ...b.containedItems].map(canonicalIdentifier).some((x) => inCargo.has(x))),
    parties: [...parties].sort(),
    verification: { verdict: view.verdict, hops: view.hops },
  };
}

export interface AuthenticityView extends AuthenticityResult {
  /** Some reason's parties or events, or a commissioning party, came from events the viewer may not see. */
  detailsWithheld: boolean;
}

const RECEIVING = new Set(['receiving', 'arriving', 'accepting']);

function isCommissioning(row: EventRow, identifier: string): boolean {
  const touches = (...roles: string[]) => row.identifiers.some((i) => i.identifier === identifier && roles.includes(i.role));
  const step = normaliseAuthBizStep(row.event);
  return (
    (touches('epc') && row.event['action'] === 'ADD' && (step === 'commissioning' || step === PROVENANT_BIZSTEP.BIRTH)) ||
    (eventType(row.event) === 'TransformationEvent' && touches('output'))
  );
}

/**
 * The verdict is open to every member (a retailer checks goods before taking them); who
 * commissioned or received the item, and which events say so, only as far as the viewer may see them.
 */
export function visibleAuthenticity(result: AuthenticityResult, rows: readonly EventRow[], decisions: Decisions): AuthenticityView {
  const shown = (id: string) => isShown(decisions.get(id));
  const commissioning = rows.filter((r) => isCommissioning(r, result.identifier));
  const receivings = rows.filter((r) => RECEIVING.has(normaliseAuthBizStep(r.event) ?? ''));
  const commissionedBy = result.commissionedBy.filter((org) => commissioning.some((r) => r.signerOrg === org && shown(r.eventId)));
  let withheld = commissionedBy.length !== result.commissionedBy.length;
  const reasons = result.reasons.map((r): AuthenticityResult['reasons'][number] => {
    if (r.code === 'NOT_COMMISSIONED_BY_BRAND_OWNER' && commissioning.some((c) => !shown(c.eventId))) {
      withheld = true;
      return { code: r.code, message: `${result.identifier} was not commissioned by its brand owner ${result.brandOwner ?? '(unknown)'}`, details: { expected: result.brandOwner } };
    }
    if (r.code === 'DUPLICATE_CUSTODY' && !receivings.every((x) => shown(x.eventId))) {
      withheld = true;
      return { code: r.code, message: `${result.identifier} was received by two parties without a shipment between` };
    }
    const scrubbed = scrubReason(r, shown) as AuthenticityResult['reasons'][number];
    if (scrubbed !== r) withheld = true;
    return scrubbed;
  });
  return { ...result, commissionedBy, reasons, detailsWithheld: withheld };
}
