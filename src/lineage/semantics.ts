/**
 * Semantic checks along a trace (issue #4 §3): each finding is a WARNING reason on a hop, never a
 * failure: the records are authentic, but what they say does not add up.
 */
import { eventType, identifiersOf } from '../events/epcis-model.js';
import { canonicalIdentifier, ruleFor, type CustodyPart } from '../rules/authorisation.js';
import type { BreachEvidence } from './evidence.js';
import { itemEdges, type EventRow, type LineageEdge, type TraceResult } from './graph.js';

export type WarningCode = 'TIME_ORDER' | 'CUSTODY' | 'MASS_BALANCE' | 'DOUBLE_USE' | 'COLD_CHAIN_BREACH' | 'NOT_SEALED' | 'AUTHORITY_SET_CHANGED';

export interface HopReason {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function partsOf(event: unknown): Record<CustodyPart, string[]> {
  const ids = identifiersOf(event);
  const c = (xs: string[]) => xs.map(canonicalIdentifier);
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
    for (const id of new Set(row.identifiers.filter((i) => i.role === 'input').map((i) => i.identifier))) uses.set(id, [...(uses.get(id) ?? []), row.eventId]);
  }
  return uses;
}

/** Warning reasons per item edge, keyed by edge index in itemEdges(trace). */
export function semanticReasons(result: Pick<TraceResult, 'edges' | 'events'>, breaches: readonly BreachEvidence[] = []): Map<LineageEdge, HopReason[]> {
  const edges = itemEdges(result);
  const uses = inputUses(result.events.values());
  const breachesOf = new Map<string, BreachEvidence[]>();
  for (const b of breaches) {
    for (const id of new Set([b.subject, ...b.containedItems].map(canonicalIdentifier))) breachesOf.set(id, [...(breachesOf.get(id) ?? []), b]);
  }
  const out = new Map<LineageEdge, HopReason[]>();
  for (const edge of edges) {
    const reasons: HopReason[] = [];
    const row = result.events.get(edge.eventId);
    for (const before of edges) {
      if (before.to === edge.from && before.time > edge.time) {
        reasons.push({ code: 'TIME_ORDER', message: `${edge.from} was produced at ${before.time}, after it was used at ${edge.time}`, details: { expected: `<= ${edge.time}`, computed: before.time, eventId: before.eventId } });
      }
    }
    if (row) {
      const rule = ruleFor(row.event);
      const parts = partsOf(row.event);
      const held = new Set((rule?.custody.check ?? []).flatMap((p) => parts[p]));
      for (const id of [edge.from, edge.to]) {
        if (!held.has(id)) continue;
        const holder = custodianBefore(result.events.values(), id, row);
        if (holder !== undefined && holder !== null && holder !== row.signerOrg) {
          reasons.push({ code: 'CUSTODY', message: `${row.signerOrg} acted on ${id}, held by ${holder}`, details: { identifier: id, expected: row.signerOrg, computed: holder } });
        }
      }
      reasons.push(...massBalanceProblems(row.event));
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
