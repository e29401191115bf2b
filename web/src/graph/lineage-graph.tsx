/**
 * A lineage graph as accessible SVG: items are boxes in layers (animals → carcasses → packs;
 * container → pallets → cases → items), each hop an edge coloured, dashed and labelled by its
 * verdict. Every hop is a focusable button: Enter, Space or a click opens its detail panel.
 */
import { useMemo } from 'preact/hooks';
import { nodeKinds, shortLabel } from '../identify.js';
import type { Hop } from '../types.js';
import { classifyHop, VERDICT_TEXT } from '../verdict.js';
import { layoutLayers } from './layout.js';

const COL = 210;
const ROW = 44;
const BOX_W = 168;
const BOX_H = 30;
const PAD = 16;
const HEAD = 28;

const PLURAL: Record<string, string> = { animal: 'animals', feed: 'feed lots', carcass: 'carcasses', product: 'products', 'logistic unit': 'pallets and cases', container: 'containers', item: 'items' };

export function LineageGraph({ hops, start, selected, onSelect, label }: { hops: Hop[]; start: string; selected: number | null; onSelect: (i: number) => void; label: string }) {
  const layout = useMemo(() => {
    const nodes = [start, ...hops.flatMap((h) => [h.edge.from, h.edge.to])];
    return { ...layoutLayers(nodes, hops.map((h) => h.edge)), kinds: nodeKinds(hops.map((h) => h.edge), nodes) };
  }, [hops, start]);
  const nodeKind = (id: string) => layout.kinds.get(id) ?? 'item';
  const tall = Math.max(1, ...layout.layers.map((l) => l.length));
  const width = PAD * 2 + Math.max(1, layout.layers.length) * COL - (COL - BOX_W);
  const height = HEAD + PAD * 2 + tall * ROW;
  const at = (id: string) => {
    const p = layout.position.get(id)!;
    const column = layout.layers[p.layer]!;
    const offset = ((tall - column.length) * ROW) / 2;
    return { x: PAD + p.layer * COL, y: HEAD + PAD + offset + p.order * ROW };
  };
  // Hops between the same two boxes are fanned out a little so each stays clickable.
  const seen = new Map<string, number>();
  return (
    <div class="graph-scroll">
      <svg class="graph" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="group" aria-label={label}>
        {layout.layers.map((layer, i) => {
          const kinds = [...new Set(layer.map(nodeKind))].map((k) => PLURAL[k] ?? k);
          return (
            <text key={`h${i}`} x={PAD + i * COL} y={18} class="col-head">
              {kinds.join(', ')}
            </text>
          );
        })}
        {hops.map((hop, i) => {
          const a = at(hop.edge.from);
          const b = at(hop.edge.to);
          const key = `${hop.edge.from}>${hop.edge.to}`;
          const n = seen.get(key) ?? 0;
          seen.set(key, n + 1);
          const dy = n * 4;
          const x1 = a.x + BOX_W;
          const y1 = a.y + BOX_H / 2 + dy;
          const x2 = b.x;
          const y2 = b.y + BOX_H / 2 + dy;
          const mid = (x1 + x2) / 2;
          const d = x2 > x1 ? `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` : `M${a.x + BOX_W / 2},${a.y + BOX_H} C${a.x},${a.y + 90} ${b.x + BOX_W},${b.y + 90} ${b.x + BOX_W / 2},${b.y + BOX_H}`;
          const verdict = classifyHop(hop);
          const text = `${VERDICT_TEXT[verdict].label} hop: ${hop.edge.kind.toLowerCase()} from ${shortLabel(hop.edge.from)} to ${shortLabel(hop.edge.to)}`;
          const activate = () => onSelect(i);
          return (
            <g
              key={`e${i}`}
              class={`hop ${verdict}${selected === i ? ' selected' : ''}`}
              data-hop={i}
              data-verdict={verdict}
              tabindex={0}
              role="button"
              aria-label={text}
              aria-pressed={selected === i}
              onClick={activate}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  activate();
                }
              }}
            >
              <title>{text}</title>
              <path d={d} class="hit" />
              <path d={d} class="line" />
            </g>
          );
        })}
        {[...layout.position.keys()].map((id) => {
          const p = at(id);
          return (
            <g key={id} class={`node ${nodeKind(id).replace(' ', '-')}${id === start ? ' start' : ''}`} transform={`translate(${p.x},${p.y})`}>
              <title>{id}</title>
              <rect width={BOX_W} height={BOX_H} rx={6} />
              <text x={8} y={19}>
                {shortLabel(id).slice(0, 22)}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

export function Legend() {
  return (
    <ul class="legend" aria-label="Hop verdicts">
      {(['verified', 'warning', 'failed', 'incomplete'] as const).map((v) => (
        <li key={v}>
          <svg width="34" height="10" aria-hidden="true">
            <line x1="0" y1="5" x2="34" y2="5" class={`legend-line ${v}`} />
          </svg>
          {VERDICT_TEXT[v].symbol} {VERDICT_TEXT[v].label}
        </li>
      ))}
    </ul>
  );
}
