/**
 * Semantic checks along a trace: each finding is a WARNING reason on a hop, never a
 * failure: the records are authentic, but what they say does not add up.
 */
import { eventType, identifiersOf } from '../epcis/epcis-model.js';
import { ruleFor, type CustodyPart } from '../rules/authorisation.js';
import type { BreachEvidence } from './evidence.js';
import { canonical, itemEdges, type EventRow, type LineageEdge, type TraceResult } from './graph.js';
import { MemoKey, type LineageMemo } from './lineage-memo.js';

export type WarningCode = 'TIME_ORDER' | 'CUSTODY' | 'MASS_BALANCE' | 'DOUBLE_USE' | 'COLD_CHAIN_BREACH' | 'NOT_SEALED';

export interface HopReason {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

// Hot paths avoid closures created per item: under tsx (esbuild keepNames) each one costs a defineProperty.
function canonicalAll(xs: string[], memo: LineageMemo | undefined): string[] {
  if (!memo) return xs.map(canonical);
  const out = new Array<string>(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = memo.canonical(xs[i]!);
  return out;
}

function partsOf(event: unknown, memo?: LineageMemo): Record<CustodyPart, string[]> {
  const ids = identifiersOf(event);
  return {
    epc: canonicalAll(ids.epcs, memo),
    parent: canonicalAll(ids.parentID !== undefined ? [ids.parentID] : [], memo),
    child: canonicalAll(ids.childEPCs, memo),
    input: canonicalAll(ids.inputEPCs, memo),
    output: canonicalAll(ids.outputEPCs, memo),
  };
}

/** Appends to a lazily created list. */
function pushTo<T>(list: T[] | undefined, item: T): T[] {
  if (!list) return [item];
  list.push(item);
  return list;
}

function byTime(a: EventRow, b: EventRow): number {
  return a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0;
}

/** Who held the item just before `before` (strictly earlier events), from the events of the trace; undefined when unknown. */
export function custodianBefore(events: Iterable<EventRow>, identifier: string, before: EventRow): string | null | undefined {
  let holder: string | null | undefined;
  for (const row of [...events].sort(byTime)) {
    if (row.eventId === before.eventId || row.eventTime >= before.eventTime) continue;
    const rule = ruleFor(row.event);
    if (!rule) continue;
    const parts = partsOf(row.event);
    if (rule.custody.release.some((p) => parts[p].includes(identifier))) holder = null;
    if (rule.custody.take.some((p) => parts[p].includes(identifier))) holder = row.signerOrg;
  }
  return holder;
}

function sumsByUom(event: unknown, role: 'input' | 'output'): Map<string, number> {
  const out = new Map<string, number>();
  for (const q of identifiersOf(event).quantities) {
    if (q.role !== role || typeof q.quantity !== 'number') continue;
    const uom = q.uom ?? '(count)';
    out.set(uom, (out.get(uom) ?? 0) + q.quantity);
  }
  return out;
}

/** Transformation outputs exceeding inputs in the same unit; empty when balanced or not comparable. */
export function massBalanceProblems(event: unknown): HopReason[] {
  if (eventType(event) !== 'TransformationEvent') return [];
  const inputs = sumsByUom(event, 'input');
  const outputs = sumsByUom(event, 'output');
  const problems: HopReason[] = [];
  for (const [uom, out] of outputs) {
    const inp = inputs.get(uom);
    if (inp !== undefined && out > inp + 1e-9) {
      problems.push({ code: 'MASS_BALANCE', message: `outputs total ${out} ${uom}, more than the inputs' ${inp} ${uom}`, details: { uom, inputs: inp, outputs: out } });
    }
  }
  return problems;
}

/** Identifier -> transformation event ids that consumed it as an input. */
export function inputUses(events: Iterable<EventRow>): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  for (const row of events) {
    if (eventType(row.event) !== 'TransformationEvent') continue;
    for (const id of new Set(row.identifiers.filter((i) => i.role === 'input').map((i) => i.identifier))) {
      let list = uses.get(id);
      if (!list) uses.set(id, (list = []));
      list.push(row.eventId);
    }
  }
  return uses;
}

// Kept in a memo per row object (stores reuse a row only for identical stored text), so these hold across queries.
const FACTS_OF_ROW = new MemoKey<WeakMap<EventRow, EventFacts>>('semantic facts of a row');

/** An event's effect on custody: `holder` takes the item (null: the item leaves everyone's custody). */
interface CustodyEffect {
  id: string;
  holder: string | null;
}

interface EventFacts {
  /** Identifiers whose custody the event's rule checks. */
  held: ReadonlySet<string>;
  massBalance: HopReason[];
  /** Releases first, then takes: within one event the take wins, as in custodianBefore. */
  effects: CustodyEffect[];
  /** Distinct identifiers the transformation's index rows name as inputs (empty for other events). */
  inputs: string[];
  /** The event's index identifiers, built when first asked for. */
  indexed?: ReadonlySet<string>;
}

function factsOf(row: EventRow, memo: LineageMemo | undefined): EventFacts {
  const kept = memo?.state(FACTS_OF_ROW, () => new WeakMap<EventRow, EventFacts>());
  let f = kept?.get(row);
  if (f) return f;
  const rule = ruleFor(row.event);
  const parts = partsOf(row.event, memo);
  const effects: CustodyEffect[] = [];
  const held = new Set<string>();
  if (rule) {
    for (const p of rule.custody.check) for (const id of parts[p]) held.add(id);
    for (const p of rule.custody.release) for (const id of parts[p]) effects.push({ id, holder: null });
    for (const p of rule.custody.take) for (const id of parts[p]) effects.push({ id, holder: row.signerOrg });
  }
  const isTransformation = eventType(row.event) === 'TransformationEvent';
  const inputs: string[] = [];
  if (isTransformation) {
    const seen = new Set<string>();
    for (const i of row.identifiers) if (i.role === 'input' && !seen.has(i.identifier)) {
      seen.add(i.identifier);
      inputs.push(i.identifier);
    }
  }
  f = { held, massBalance: massBalanceProblems(row.event), effects, inputs };
  kept?.set(row, f);
  return f;
}

/** True when one of the event's index rows names a wanted identifier. */
function namesAny(row: EventRow, f: EventFacts, wanted: ReadonlySet<string>): boolean {
  for (const e of f.effects) {
    if (!wanted.has(e.id)) continue;
    if (!f.indexed) f.indexed = new Set(row.identifiers.map((i) => i.identifier));
    if (f.indexed.has(e.id)) return true;
  }
  for (const i of row.identifiers) if (wanted.has(i.identifier)) return true;
  return false;
}

interface TimedEffect {
  time: string;
  eventId: string;
  holder: string | null;
}

/**
 * custodianBefore for many identifiers and events at once: each identifier's custody effects in
 * event-time order (stable in the order events were fetched, as custodianBefore sorts), so "who
 * held it before" is a binary search. Only events whose index rows name a wanted identifier count.
 */
class CustodyTimeline {
  readonly #effects = new Map<string, TimedEffect[]>();

  constructor(events: Iterable<EventRow>, wanted: ReadonlySet<string>, memo: LineageMemo | undefined) {
    for (const row of events) {
      const f = factsOf(row, memo);
      let counted: boolean | undefined;
      for (const e of f.effects) {
        if (!wanted.has(e.id)) continue;
        counted ??= namesAny(row, f, wanted);
        if (!counted) break;
        const effect: TimedEffect = { time: row.eventTime, eventId: row.eventId, holder: e.holder };
        const list = this.#effects.get(e.id);
        if (list) list.push(effect);
        else this.#effects.set(e.id, [effect]);
      }
    }
    // Array sort is stable: equal times keep the fetch order, and one event's release before its take.
    for (const list of this.#effects.values()) if (list.length > 1) list.sort(byEffectTime);
  }

  /** Holder after every effect strictly before `before` (undefined: no effect seen). */
  before(identifier: string, before: EventRow): string | null | undefined {
    const list = this.#effects.get(identifier);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.time < before.eventTime) lo = mid + 1;
      else hi = mid;
    }
    // Effects of `before` itself are never earlier than it; equal times are excluded by the search.
    for (let i = lo - 1; i >= 0; i--) if (list[i]!.eventId !== before.eventId) return list[i]!.holder;
    return undefined;
  }
}

function byEffectTime(a: TimedEffect, b: TimedEffect): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}

/** Edges that produced an item, with the latest of their times (most items are never used after a later production). */
interface Producers {
  latest: string;
  edges: LineageEdge[];
}

/** Warning reasons per item edge (edges without any are left out of the map). */
export function semanticReasons(
  result: Pick<TraceResult, 'edges' | 'events' | 'memo'>,
  breaches: readonly BreachEvidence[] = [],
  edges: readonly LineageEdge[] = itemEdges(result),
): Map<LineageEdge, HopReason[]> {
  const byIndex = semanticReasonsByIndex(result, breaches, edges);
  const out = new Map<LineageEdge, HopReason[]>();
  for (let i = 0; i < edges.length; i++) if (byIndex[i]) out.set(edges[i]!, byIndex[i]!);
  return out;
}

/** A result of semanticReasonsByIndex with exactly what it was computed from. */
interface SemanticsMemo {
  rows: EventRow[];
  edges: readonly LineageEdge[];
  breaches: string;
  out: readonly (HopReason[] | undefined)[];
}

/** The last few traces' reasons in a memo, most recent first (the same trace asked again, e.g. a recall and its export). */
const RECENT_SEMANTICS = new MemoKey<SemanticsMemo[]>('recent semantic reasons');
const SEMANTICS_MEMOS = 8;

function sameEdge(a: LineageEdge, b: LineageEdge): boolean {
  return a === b || (a.kind === b.kind && a.from === b.from && a.to === b.to && a.eventId === b.eventId && a.time === b.time && a.item === b.item && a.validFrom === b.validFrom && a.validTo === b.validTo);
}

function sameInputs(m: SemanticsMemo, events: ReadonlyMap<string, EventRow>, edges: readonly LineageEdge[], breaches: string): boolean {
  if (m.rows.length !== events.size || m.edges.length !== edges.length || m.breaches !== breaches) return false;
  let i = 0;
  for (const row of events.values()) if (row !== m.rows[i++]) return false;
  for (let k = 0; k < edges.length; k++) if (!sameEdge(edges[k]!, m.edges[k]!)) return false;
  return true;
}

/**
 * semanticReasons as an array parallel to `edges` (undefined: no warning; read-only). The reasons
 * are a pure function of the trace's event rows, its edges and the breach records, so they are
 * reused, when the trace result carries a memo, while every row is the very object the store
 * handed out before (which it does only for byte-identical stored text), in the same order, with
 * equal edges and breaches.
 */
export function semanticReasonsByIndex(
  result: Pick<TraceResult, 'edges' | 'events' | 'memo'>,
  breaches: readonly BreachEvidence[] = [],
  edges: readonly LineageEdge[] = itemEdges(result),
): readonly (HopReason[] | undefined)[] {
  const memo = result.memo;
  if (!memo) return computeSemanticReasons(result, breaches, edges, undefined);
  const semanticsMemos = memo.state(RECENT_SEMANTICS, () => []);
  const breachKey = breaches.length === 0 ? '' : JSON.stringify(breaches);
  for (let k = 0; k < semanticsMemos.length; k++) {
    const m = semanticsMemos[k]!;
    if (!sameInputs(m, result.events, edges, breachKey)) continue;
    if (k > 0) {
      semanticsMemos.splice(k, 1);
      semanticsMemos.unshift(m);
    }
    return m.out;
  }
  const out = computeSemanticReasons(result, breaches, edges, memo);
  semanticsMemos.unshift({ rows: [...result.events.values()], edges: [...edges], breaches: breachKey, out });
  if (semanticsMemos.length > SEMANTICS_MEMOS) semanticsMemos.length = SEMANTICS_MEMOS;
  return out;
}

/** Identifier -> transformations that consumed it (inputUses over the remembered inputs). */
function usesOf(events: ReadonlyMap<string, EventRow>, memo: LineageMemo | undefined): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  for (const row of events.values()) {
    const inputs = factsOf(row, memo).inputs;
    for (let k = 0; k < inputs.length; k++) {
      const list = uses.get(inputs[k]!);
      if (list) list.push(row.eventId);
      else uses.set(inputs[k]!, [row.eventId]);
    }
  }
  return uses;
}

/**
 * One pass over the edges: the row of each edge's event, the identifiers its custody check needs
 * a holder for, and which edges produced each item (for time order).
 */
function edgeFacts(events: ReadonlyMap<string, EventRow>, edges: readonly LineageEdge[], memo: LineageMemo | undefined) {
  const n = edges.length;
  const rowOfEdge: (EventRow | undefined)[] = new Array(n);
  const wanted = new Set<string>();
  const producedBy = new Map<string, Producers>();
  let lastEventId: string | undefined;
  let lastRow: EventRow | undefined;
  let lastHeld: ReadonlySet<string> | undefined;
  let lastTo: string | undefined;
  let lastProducers: Producers | undefined;
  for (let i = 0; i < n; i++) {
    const edge = edges[i]!;
    if (edge.eventId !== lastEventId) {
      lastEventId = edge.eventId;
      lastRow = events.get(edge.eventId);
      lastHeld = lastRow ? factsOf(lastRow, memo).held : undefined;
    }
    rowOfEdge[i] = lastRow;
    if (lastHeld !== undefined && lastHeld.size > 0) {
      if (lastHeld.has(edge.from)) wanted.add(edge.from);
      if (lastHeld.has(edge.to)) wanted.add(edge.to);
    }
    let p = edge.to === lastTo ? lastProducers : producedBy.get(edge.to);
    if (!p) producedBy.set(edge.to, (p = { latest: edge.time, edges: [edge] }));
    else {
      p.edges.push(edge);
      if (edge.time > p.latest) p.latest = edge.time;
    }
    lastTo = edge.to;
    lastProducers = p;
  }
  return { rowOfEdge, wanted, producedBy };
}

/**
 * Edges come in runs of one event (a pack-off's outputs, a case's children), and within a run
 * often from one item: what depends only on the event or on the item is looked up once per run.
 */
function computeSemanticReasons(
  result: Pick<TraceResult, 'edges' | 'events'>,
  breaches: readonly BreachEvidence[],
  edges: readonly LineageEdge[],
  memo: LineageMemo | undefined,
): (HopReason[] | undefined)[] {
  const events = result.events;
  const uses = usesOf(events, memo);
  const breachesOf = new Map<string, BreachEvidence[]>();
  for (const b of breaches) {
    for (const id of new Set(canonicalAll([b.subject, ...b.containedItems], memo))) breachesOf.set(id, [...(breachesOf.get(id) ?? []), b]);
  }
  const n = edges.length;
  const { rowOfEdge, wanted, producedBy } = edgeFacts(events, edges, memo);
  const timeline = wanted.size > 0 ? new CustodyTimeline(events.values(), wanted, memo) : undefined;
  const out: (HopReason[] | undefined)[] = new Array(n);
  // Per run: the event's facts; per item within it: time order, its holder, double use.
  let runRow: EventRow | undefined;
  let runFacts: EventFacts | undefined;
  let lastFrom: string | undefined;
  let lastTime: string | undefined;
  let timeOrder: HopReason[] | undefined;
  let fromHolder: HopReason | undefined;
  let doubleUse: HopReason | undefined;
  let lastKind: string | undefined;
  for (let i = 0; i < n; i++) {
    const edge = edges[i]!;
    const row = rowOfEdge[i];
    let sameFrom = edge.from === lastFrom && edge.time === lastTime && edge.kind === lastKind;
    if (row !== runRow || i === 0) {
      runRow = row;
      runFacts = row ? factsOf(row, memo) : undefined;
      sameFrom = false;
    }
    const f = runFacts;
    if (!sameFrom) {
      lastFrom = edge.from;
      lastTime = edge.time;
      lastKind = edge.kind;
      timeOrder = undefined;
      const produced = producedBy.get(edge.from);
      if (produced && produced.latest > edge.time) {
        for (const before of produced.edges) {
          if (before.time > edge.time) {
            timeOrder = pushTo(timeOrder, { code: 'TIME_ORDER', message: `${edge.from} was produced at ${before.time}, after it was used at ${edge.time}`, details: { expected: `<= ${edge.time}`, computed: before.time, eventId: before.eventId } });
          }
        }
      }
      fromHolder = f && row && f.held.size > 0 && f.held.has(edge.from) ? custodyReason(timeline!, edge.from, row) : undefined;
      doubleUse = undefined;
      if (edge.kind === 'TRANSFORMATION') {
        const used = uses.get(edge.from);
        if (used && used.length > 1) doubleUse = { code: 'DOUBLE_USE', message: `${edge.from} was consumed by ${used.length} transformations`, details: { identifier: edge.from, eventIds: used } };
      }
    }
    let reasons: HopReason[] | undefined;
    // Each hop gets its own objects, in the order custodianBefore-based checks always gave them.
    if (timeOrder) for (const r of timeOrder) reasons = pushTo(reasons, { ...r, details: { ...r.details } });
    if (f) {
      if (f.held.size > 0) {
        if (fromHolder) reasons = pushTo(reasons, { ...fromHolder, details: { ...fromHolder.details } });
        if (edge.to !== edge.from && f.held.has(edge.to)) {
          const toHolder = custodyReason(timeline!, edge.to, row!);
          if (toHolder) reasons = pushTo(reasons, toHolder);
        } else if (edge.to === edge.from && fromHolder) reasons = pushTo(reasons, { ...fromHolder, details: { ...fromHolder.details } });
      }
      for (const r of f.massBalance) reasons = pushTo(reasons, r);
    }
    if (doubleUse) reasons = pushTo(reasons, { ...doubleUse, details: { ...doubleUse.details } });
    if (breachesOf.size > 0) {
      for (const id of edge.from === edge.to ? [edge.from] : [edge.from, edge.to]) {
        for (const b of breachesOf.get(id) ?? []) {
          reasons = pushTo(reasons, { code: 'COLD_CHAIN_BREACH', message: `cold-chain breach recorded for ${id}`, details: { identifier: id, recordHash: b.recordHash } });
        }
      }
    }
    out[i] = reasons;
  }
  return out;
}

/** The CUSTODY warning for acting on `id` in `row`, when someone else held it just before. */
function custodyReason(timeline: CustodyTimeline, id: string, row: EventRow): HopReason | undefined {
  const holder = timeline.before(id, row);
  if (holder === undefined || holder === null || holder === row.signerOrg) return undefined;
  return { code: 'CUSTODY', message: `${row.signerOrg} acted on ${id}, held by ${holder}`, details: { identifier: id, expected: row.signerOrg, computed: holder } };
}
