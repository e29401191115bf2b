/**
 * A small layered layout for lineage graphs (a Sugiyama-style sketch): each node's layer is its
 * longest path from a source, so animals sit left of carcasses and carcasses left of packs; within
 * a layer, nodes are ordered by the mean position of their neighbours, in a few sweeps, to keep
 * edges short and crossings few. Pure, deterministic, and safe on cycles (a link back is ignored).
 */
export interface LayoutEdge {
  from: string;
  to: string;
}

export interface Layout {
  /** Nodes per layer, in display order, left to right. */
  layers: string[][];
  position: Map<string, { layer: number; order: number }>;
}

function layersOf(nodes: readonly string[], edges: readonly LayoutEdge[]): Map<string, number> {
  const incoming = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const e of edges) if (incoming.has(e.to) && incoming.has(e.from) && e.from !== e.to) incoming.get(e.to)!.push(e.from);
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (node: string): number => {
    const known = layer.get(node);
    if (known !== undefined) return known;
    if (visiting.has(node)) return 0;
    visiting.add(node);
    let d = 0;
    for (const from of incoming.get(node) ?? []) d = Math.max(d, depth(from) + 1);
    visiting.delete(node);
    layer.set(node, d);
    return d;
  };
  for (const n of nodes) depth(n);
  return layer;
}

const SWEEPS = 4;

export function layoutLayers(nodes: readonly string[], edges: readonly LayoutEdge[]): Layout {
  const unique = [...new Set(nodes)];
  const layerOf = layersOf(unique, edges);
  const count = Math.max(0, ...layerOf.values()) + 1;
  const layers: string[][] = Array.from({ length: unique.length === 0 ? 0 : count }, () => []);
  for (const n of [...unique].sort()) layers[layerOf.get(n)!]!.push(n);
  const neighbours = new Map<string, string[]>(unique.map((n) => [n, []]));
  for (const e of edges) {
    if (!neighbours.has(e.from) || !neighbours.has(e.to)) continue;
    neighbours.get(e.from)!.push(e.to);
    neighbours.get(e.to)!.push(e.from);
  }
  const orderIn = new Map<string, number>();
  const index = () => layers.forEach((l) => l.forEach((n, i) => orderIn.set(n, i)));
  index();
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const range = sweep % 2 === 0 ? layers.map((_, i) => i).slice(1) : layers.map((_, i) => i).reverse().slice(1);
    for (const li of range) {
      const adjacent = sweep % 2 === 0 ? li - 1 : li + 1;
      const score = new Map<string, number>();
      for (const n of layers[li]!) {
        const ns = neighbours.get(n)!.filter((m) => layerOf.get(m) === adjacent);
        score.set(n, ns.length === 0 ? orderIn.get(n)! : ns.reduce((s, m) => s + orderIn.get(m)!, 0) / ns.length);
      }
      layers[li]!.sort((a, b) => score.get(a)! - score.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
      index();
    }
  }
  const position = new Map<string, { layer: number; order: number }>();
  layers.forEach((l, li) => l.forEach((n, order) => position.set(n, { layer: li, order })));
  return { layers, position };
}

/** Edge crossings between adjacent layers (for tests and for choosing between layouts). */
export function crossings(layout: Layout, edges: readonly LayoutEdge[]): number {
  const segs = edges
    .map((e) => ({ a: layout.position.get(e.from), b: layout.position.get(e.to) }))
    .filter((s): s is { a: { layer: number; order: number }; b: { layer: number; order: number } } => !!s.a && !!s.b && s.b.layer === s.a.layer + 1);
  let n = 0;
  for (let i = 0; i < segs.length; i++)
    for (let j = i + 1; j < segs.length; j++) {
      const s = segs[i]!;
      const t = segs[j]!;
      if (s.a.layer === t.a.layer && (s.a.order - t.a.order) * (s.b.order - t.b.order) < 0) n++;
    }
  return n;
}
