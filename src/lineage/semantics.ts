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

function partsOf(event: unknown): Record<CustodyPart, string[]> {
  const ids = identifiersOf(event);
  const c = (xs: string[]) => xs.map(canonical);
  return { epc: c(ids.epcs), parent: c(ids.parentID !== undefined ? [ids.parentID] : []), child: c(ids.childEPCs), input: c(ids.inputEPCs), output: c(ids.outputEPCs) };
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
      const add = (id: string, holder: string | null) => {
        if (!wanted.has(id)) return;
        let list = this.#effects.get(id);
        if (!list) this.#effects.set(id, (list = []));
        list.push({ time: row.eventTime, eventId: row.eventId, holder });
      };
      // Release first, then take: within one event the take wins, as in custodianBefore.
      for (const p of rule.custody.release) for (const id of parts[p]) add(id, null);
      for (const p of rule.custody.take) for (const id of parts[p]) add(id, row.signerOrg);
    }
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

/** Warning reasons per item edge, keyed by edge index in itemEdges(trace). */
export function semanticReasons(result: Pick<TraceResult, 'edges' | 'events'>, breaches: readonly BreachEvidence[] = []): Map<LineageEdge, HopReason[]> {
  const edges = itemEdges(result);
  const uses = inputUses(result.events.values());
  const breachesOf = new Map<string, BreachEvidence[]>();
  for (const b of breaches) {
    for (const id of new Set([b.subject, ...b.containedItems].map(canonical))) breachesOf.set(id, [...(breachesOf.get(id) ?? []), b]);
  }
  // Per event once (not per edge): the rule, its canonical parts, what it must hold, its mass balance.
  const factsOf = (row: EventRow): EventFacts => {
    let f = factMemo.get(row);
    if (!f) {
      const { rule, parts } = partsOfRow(row);
      f = { rule, held: new Set((rule?.custody.check ?? []).flatMap((p) => parts[p])), massBalance: massBalanceProblems(row.event) };
      factMemo.set(row, f);
    }
    return f;
  };
  // Identifiers some hop's rule needs a custodian for: the timeline tracks only those.
  const wanted = new Set<string>();
  for (const edge of edges) {
    const row = result.events.get(edge.eventId);
    if (!row) continue;
    const f = factsOf(row);
    for (const id of [edge.from, edge.to]) if (f.held.has(id)) wanted.add(id);
  }
  const timeline = wanted.size > 0 ? new CustodyTimeline(result.events.values(), wanted, partsOfRow) : undefined;
  const producedBy = new Map<string, LineageEdge[]>();
  for (const e of edges) {
    let list = producedBy.get(e.to);
    if (!list) producedBy.set(e.to, (list = []));
    list.push(e);
  }
  const out = new Map<LineageEdge, HopReason[]>();
  for (const edge of edges) {
    const reasons: HopReason[] = [];
    const row = result.events.get(edge.eventId);
    for (const before of producedBy.get(edge.from) ?? []) {
      if (before.time > edge.time) {
        reasons.push({ code: 'TIME_ORDER', message: `${edge.from} was produced at ${before.time}, after it was used at ${edge.time}`, details: { expected: `<= ${edge.time}`, computed: before.time, eventId: before.eventId } });
      }
    }
    if (row) {
      const f = factsOf(row);
      for (const id of [edge.from, edge.to]) {
        if (!f.held.has(id)) continue;
        const holder = timeline!.before(id, row);
        if (holder !== undefined && holder !== null && holder !== row.signerOrg) {
          reasons.push({ code: 'CUSTODY', message: `${row.signerOrg} acted on ${id}, held by ${holder}`, details: { identifier: id, expected: row.signerOrg, computed: holder } });
        }
      }
      reasons.push(...f.massBalance);
    }
    const used = uses.get(edge.from) ?? [];
    if (edge.kind === 'TRANSFORMATION' && used.length > 1) {
      reasons.push({ code: 'DOUBLE_USE', message: `${edge.from} was consumed by ${used.length} transformations`, details: { identifier: edge.from, eventIds: used } });
    }
    for (const id of new Set([edge.from, edge.to])) {
      for (const b of breachesOf.get(id) ?? []) {
        reasons.push({ code: 'COLD_CHAIN_BREACH', message: `cold-chain breach recorded for ${id}`, details: { identifier: id, recordHash: b.recordHash } });
      }
    }
    out.set(edge, reasons);
  }
  return out;
}
