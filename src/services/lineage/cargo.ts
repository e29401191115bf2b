/** Cargo lineage: a container's contents nested through aggregation now, their origins, documents, seal and door events, excursions and handlers. */
import type { CargoLineage, CargoNode } from '../../core/lineage/answers.js';
import { rootsAbove } from '../../core/lineage/answers.js';
import { DOCUMENTS_FIELD, itemEdges, linkActiveAt, type EventRow, type LineageEdge, type TraceResult } from '../../core/lineage/graph.js';
import { canonicalIdentifier } from '../../core/rules/authorisation.js';
import { byTime, summary } from './summary.js';
import { DEFAULT_MAX_DEPTH, trace, type LineageContext } from './verify.js';

/** Links into each node and the origins above it, per trace result (what cargo lineage derives from the edges alone). */
interface CargoGraph {
  incoming: Map<string, LineageEdge[]>;
  originsOf: (id: string) => string[];
}

const cargoGraphs = new WeakMap<TraceResult, CargoGraph>();

function cargoGraphOf(result: TraceResult): CargoGraph {
  const known = cargoGraphs.get(result);
  if (known) return known;
  // The trace closed its aggregation links already (closeLinks over the same events).
  const edges = itemEdges(result);
  const incoming = new Map<string, LineageEdge[]>();
  let lastTo: string | undefined;
  let lastList: LineageEdge[] | undefined;
  for (const e of edges) {
    // A case's children arrive together.
    if (e.to !== lastTo || !lastList) {
      lastTo = e.to;
      lastList = incoming.get(e.to);
      if (!lastList) incoming.set(e.to, (lastList = []));
    }
    lastList.push(e);
  }
  // Roots reachable upstream of each node, memoised: items of one lot share all their ancestry.
  const rootsMemo = new Map<string, ReadonlySet<string>>();
  const inProgress = new Set<string>();
  let cyclic = false;
  const rootsOf = (node: string): ReadonlySet<string> => {
    const done = rootsMemo.get(node);
    if (done) return done;
    const ins = incoming.get(node);
    if (!ins || ins.length === 0) {
      const leaf = new Set([node]);
      rootsMemo.set(node, leaf);
      return leaf;
    }
    if (inProgress.has(node)) {
      cyclic = true;
      return new Set();
    }
    inProgress.add(node);
    let roots: ReadonlySet<string>;
    const only = ins[0]!.from;
    if (ins.every((e) => e.from === only)) roots = rootsOf(only);
    else {
      const parentRoots = [...new Set(ins.map((e) => e.from))].map(rootsOf);
      const first = parentRoots[0]!;
      // Parents from one lot share one set: reuse it rather than building an equal union.
      roots = parentRoots.every((r) => r === first) ? first : new Set(parentRoots.flatMap((r) => [...r]));
    }
    inProgress.delete(node);
    if (!cyclic) rootsMemo.set(node, roots);
    return roots;
  };
  // Items share root sets (packs of one lot): each set is sorted once.
  const sortedRoots = new WeakMap<ReadonlySet<string>, string[]>();
  const originsOf = (id: string): string[] => {
    // A cycle makes the memo order-dependent: fall back to the plain walk from this item.
    const roots = cyclic ? undefined : rootsOf(id);
    if (cyclic || !roots) return rootsAbove(id, incoming);
    if (roots.has(id)) return [...roots].filter((r) => r !== id).sort();
    let sorted = sortedRoots.get(roots);
    if (!sorted) sortedRoots.set(roots, (sorted = [...roots].sort()));
    return sorted.slice();
  };
  const graph = { incoming, originsOf };
  // Roots are independent of the order they are asked for only without cycles: only then is this kept.
  if (isAcyclic(incoming)) cargoGraphs.set(result, graph);
  return graph;
}

/** True when following links upstream never comes back to a node (iterative depth-first search). */
function isAcyclic(incoming: ReadonlyMap<string, readonly LineageEdge[]>): boolean {
  const state = new Map<string, 1 | 2>();
  for (const root of incoming.keys()) {
    if (state.has(root)) continue;
    const stack: { node: string; next: number }[] = [{ node: root, next: 0 }];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const ins = incoming.get(top.node);
      if (ins && top.next < ins.length) {
        const from = ins[top.next++]!.from;
        const seen = state.get(from);
        if (seen === 1) return false;
        if (seen === undefined) {
          state.set(from, 1);
          stack.push({ node: from, next: 0 });
        }
      } else {
        state.set(top.node, 2);
        stack.pop();
      }
    }
  }
  return true;
}

const SEAL_OR_DOOR = /seal|door/i;

/** What is in the cargo at a time, and what the trace says about it; the same for every time in [from, until). */
interface CargoAt {
  from: string;
  until: string | undefined;
  contents: CargoNode[];
  inCargo: ReadonlySet<string>;
  cargoEvents: EventRow[];
  parties: string[];
}

const cargoAtMemo = new WeakMap<TraceResult, CargoAt>();

/**
 * The container's contents nested through the links active at `now`. Links change only at their
 * own validFrom/validTo times, so the nesting (and all derived from it) is kept for the trace
 * result with the span between the link times around `now` (trace results are read-only).
 */
function cargoAt(result: TraceResult, now: string): CargoAt {
  const known = cargoAtMemo.get(result);
  if (known && known.from <= now && (known.until === undefined || now < known.until)) return known;
  const { incoming, originsOf } = cargoGraphOf(result);
  // What is nested in `id` now; `path` holds the nodes above it (a link back up is not followed).
  const path = new Set<string>();
  const build = (id: string): CargoNode[] => {
    const out: CargoNode[] = [];
    const ins = incoming.get(id);
    if (!ins) return out;
    path.add(id);
    for (const e of ins) {
      if ((e.kind !== 'AGGREGATION' && e.kind !== 'ASSOCIATION') || !linkActiveAt(e, now) || path.has(e.from)) continue;
      out.push({ identifier: e.from, contents: build(e.from), origins: originsOf(e.from) });
    }
    path.delete(id);
    return out;
  };
  const contents = build(result.start);
  const inCargo = new Set<string>([result.start]);
  const collect = (nodes: CargoNode[]) => nodes.forEach((n) => (inCargo.add(n.identifier), collect(n.contents)));
  collect(contents);
  const cargoEvents = [...result.events.values()].filter((r) => r.identifiers.some((i) => inCargo.has(i.identifier))).sort(byTime);
  const parties = new Set<string>(cargoEvents.map((r) => r.signerOrg));
  for (const e of result.edges) if (e.kind === 'CUSTODY' && e.item && inCargo.has(e.item)) for (const p of [e.from, e.to]) if (p !== '(unknown)') parties.add(p);
  // The span around `now` in which no link starts or ends.
  let from = '';
  let until: string | undefined;
  for (const e of itemEdges(result)) {
    if (e.kind !== 'AGGREGATION' && e.kind !== 'ASSOCIATION') continue;
    for (const t of [e.validFrom ?? e.time, e.validTo]) {
      if (t === undefined) continue;
      if (t <= now) {
        if (t > from) from = t;
      } else if (until === undefined || t < until) until = t;
    }
  }
  const out: CargoAt = { from, until, contents, inCargo, cargoEvents, parties: [...parties].sort() };
  cargoAtMemo.set(result, out);
  return out;
}

/** A container's contents nested through aggregation as of now, their origins, documents, seal/door events, excursions and handlers. */
export async function cargoLineage(ctx: LineageContext, containerId: string, maxDepth = DEFAULT_MAX_DEPTH): Promise<CargoLineage> {
  const now = ctx.now?.() ?? new Date().toISOString();
  const verified = await trace(ctx, containerId, 'UPSTREAM', maxDepth);
  const result = verified.trace;
  const { contents, cargoEvents, inCargo, parties } = cargoAt(result, now);
  return {
    container: result.start,
    contents,
    documents: cargoEvents.filter((r) => r.event[DOCUMENTS_FIELD] !== undefined).map((r) => ({ eventId: r.eventId, documents: r.event[DOCUMENTS_FIELD] })),
    sealEvents: cargoEvents.filter((r) => SEAL_OR_DOOR.test(`${String(r.event['bizStep'] ?? '')} ${String(r.event['disposition'] ?? '')}`) || Object.keys(r.event).some((k) => /^provenant:(seal|door)/.test(k))).map(summary),
    temperatureExcursions: verified.breaches.filter((b) => [b.subject, ...b.containedItems].map(canonicalIdentifier).some((x) => inCargo.has(x))),
    parties,
    verification: verified.verification,
  };
}

