/**
 * Semantic checks along a trace (issue #4 §3): each finding is a WARNING reason on a hop, never a
 * failure: the records are authentic, but what they say does not add up.
 */
import { eventType, identifiersOf } from '../events/epcis-model.js';
import { ruleFor, type AuthorisationRule, type CustodyPart } from '../rules/authorisation.js';
import type { BreachEvidence } from './evidence.js';
import { canonical, itemEdges, type EventRow, type LineageEdge, type TraceResult } from './graph.js';

export type WarningCode = 'TIME_ORDER' | 'CUSTODY' | 'MASS_BALANCE' | 'DOUBLE_USE' | 'COLD_CHAIN_BREACH' | 'NOT_SEALED';

export interface HopReason {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

// Hot paths avoid closures created per item: under tsx (esbuild keepNames) each one costs a defineProperty.
function canonicalAll(xs: string[]): string[] {
  return xs.map(canonical);
}

function partsOf(event: unknown): Record<CustodyPart, string[]> {
  const ids = identifiersOf(event);
  return {
    epc: canonicalAll(ids.epcs),
    parent: canonicalAll(ids.parentID !== undefined ? [ids.parentID] : []),
    child: canonicalAll(ids.childEPCs),
    input: canonicalAll(ids.inputEPCs),
    output: canonicalAll(ids.outputEPCs),
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

// Per row object (stores reuse a row only for identical stored text), so these hold across queries.
const partsMemo = new WeakMap<EventRow, { rule: AuthorisationRule | undefined; parts: Record<CustodyPart, string[]> }>();
const factMemo = new WeakMap<EventRow, EventFacts>();

function partsOfRow(row: EventRow): { rule: AuthorisationRule | undefined; parts: Record<CustodyPart, string[]> } {
  let rp = partsMemo.get(row);
  if (!rp) partsMemo.set(row, (rp = { rule: ruleFor(row.event), parts: partsOf(row.event) }));
  return rp;
}

interface EventFacts {
  rule: AuthorisationRule | undefined;
  /** Identifiers whose custody the event's rule checks. */
  held: Set<string>;
  massBalance: HopReason[];
}

/**
 * custodianBefore for many identifiers and events at once: each identifier's custody effects in
 * event-time order (stable, as custodianBefore sorts), so "who held it before" is a binary search.
 */
class CustodyTimeline {
  readonly #effects = new Map<string, { time: string; eventId: string; holder: string | null }[]>();

  /** Only the `wanted` identifiers are tracked, from the events whose index rows name one of them. */
  constructor(events: Iterable<EventRow>, wanted: ReadonlySet<string>, facts: (row: EventRow) => { rule: AuthorisationRule | undefined; parts: Record<CustodyPart, string[]> }) {
    const sorted = [...events].filter((row) => row.identifiers.some((i) => wanted.has(i.identifier))).sort(byTime);
    for (const row of sorted) {
      const { rule, parts } = facts(row);
      if (!rule) continue;
      // Release first, then take: within one event the take wins, as in custodianBefore.
      for (const p of rule.custody.release) for (const id of parts[p]) this.#add(wanted, id, row, null);
      for (const p of rule.custody.take) for (const id of parts[p]) this.#add(wanted, id, row, row.signerOrg);
    }
  }

  #add(wanted: ReadonlySet<string>, id: string, row: EventRow, holder: string | null): void {
    if (!wanted.has(id)) return;
    const effect = { time: row.eventTime, eventId: row.eventId, holder };
    const list = this.#effects.get(id);
    if (list) list.push(effect);
    else this.#effects.set(id, [effect]);
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

/** Warning reasons per item edge (edges without any are left out of the map). */
export function semanticReasons(
  result: Pick<TraceResult, 'edges' | 'events'>,
  breaches: readonly BreachEvidence[] = [],
  edges: readonly LineageEdge[] = itemEdges(result),
): Map<LineageEdge, HopReason[]> {
  const uses = inputUses(result.events.values());
  const breachesOf = new Map<string, BreachEvidence[]>();
  for (const b of breaches) {
    for (const id of new Set([b.subject, ...b.containedItems].map(canonical))) breachesOf.set(id, [...(breachesOf.get(id) ?? []), b]);
  }
  // One pass: the facts of each edge's event (per event once, not per edge), what its custody
  // check needs a holder for, and which edge produced each item (for time order).
  const factsOfEdge: (EventFacts | undefined)[] = new Array(edges.length);
  const wanted = new Set<string>();
  const producedBy = new Map<string, LineageEdge[]>();
  // Edges of one event are mostly adjacent: remember the last event's facts.
  let lastEventId: string | undefined;
  let lastFacts: EventFacts | undefined;
  edges.forEach((edge, i) => {
    let f: EventFacts | undefined;
    if (edge.eventId === lastEventId) f = lastFacts;
    else {
      const row = result.events.get(edge.eventId);
      if (row) {
        f = factMemo.get(row);
        if (!f) {
          const { rule, parts } = partsOfRow(row);
          f = { rule, held: new Set((rule?.custody.check ?? []).flatMap((p) => parts[p])), massBalance: massBalanceProblems(row.event) };
          factMemo.set(row, f);
        }
      }
      lastEventId = edge.eventId;
      lastFacts = f;
    }
    if (f) {
      factsOfEdge[i] = f;
      if (f.held.size > 0) {
        if (f.held.has(edge.from)) wanted.add(edge.from);
        if (f.held.has(edge.to)) wanted.add(edge.to);
      }
    }
    const list = producedBy.get(edge.to);
    if (list) list.push(edge);
    else producedBy.set(edge.to, [edge]);
  });
  const timeline = wanted.size > 0 ? new CustodyTimeline(result.events.values(), wanted, partsOfRow) : undefined;
  const out = new Map<LineageEdge, HopReason[]>();
  for (let i = 0; i < edges.length; i++) {
    const edge = edges[i]!;
    let reasons: HopReason[] | undefined;
    const produced = producedBy.get(edge.from);
    if (produced) {
      for (const before of produced) {
        if (before.time > edge.time) {
          reasons = pushTo(reasons, { code: 'TIME_ORDER', message: `${edge.from} was produced at ${before.time}, after it was used at ${edge.time}`, details: { expected: `<= ${edge.time}`, computed: before.time, eventId: before.eventId } });
        }
      }
    }
    const f = factsOfEdge[i];
    if (f) {
      if (f.held.size > 0) {
        const row = result.events.get(edge.eventId)!;
        for (const id of [edge.from, edge.to]) {
          if (!f.held.has(id)) continue;
          const holder = timeline!.before(id, row);
          if (holder !== undefined && holder !== null && holder !== row.signerOrg) {
            reasons = pushTo(reasons, { code: 'CUSTODY', message: `${row.signerOrg} acted on ${id}, held by ${holder}`, details: { identifier: id, expected: row.signerOrg, computed: holder } });
          }
        }
      }
      for (const r of f.massBalance) reasons = pushTo(reasons, r);
    }
    if (edge.kind === 'TRANSFORMATION') {
      const used = uses.get(edge.from);
      if (used && used.length > 1) {
        reasons = pushTo(reasons, { code: 'DOUBLE_USE', message: `${edge.from} was consumed by ${used.length} transformations`, details: { identifier: edge.from, eventIds: used } });
      }
    }
    if (breachesOf.size > 0) {
      for (const id of edge.from === edge.to ? [edge.from] : [edge.from, edge.to]) {
        for (const b of breachesOf.get(id) ?? []) {
          reasons = pushTo(reasons, { code: 'COLD_CHAIN_BREACH', message: `cold-chain breach recorded for ${id}`, details: { identifier: id, recordHash: b.recordHash } });
        }
      }
    }
    if (reasons) out.set(edge, reasons);
  }
  return out;
}
