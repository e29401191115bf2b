/** Trace: an item's lineage as a graph of verified hops, the hop in detail, its journey and its cold chain. */
import { useState } from 'preact/hooks';
import { gql, type Session } from '../api.js';
import { LineageGraph, Legend } from '../graph/lineage-graph.js';
import { href } from '../router.js';
import { HOP_FIELDS, hopRecordHashes, type Edge, type Hop } from '../types.js';
import { useAsync } from '../use-async.js';
import { classifyHop, worstVerdict, type HopVerdictName } from '../verdict.js';
import { BundleButton } from './bundle-button.js';
import { AsyncBlock, Badge, NeedId } from './common.js';
import { HopPanel } from './hop-panel.js';
import { BreachLegs, TemperatureLegs } from './temperature.js';
import { Timeline } from './timeline.js';
import { shortLabel } from '../identify.js';

interface TraceAnswer {
  start: string;
  verdict: string;
  nodes: string[];
  hops: Hop[];
  contextEdges: Edge[];
  /** Every identifier the answer visited (each proven complete at its checkpoint). */
  completeness: { identifier: string }[];
}

const TRACE_QUERY = `query ($c: ID!, $id: String!, $dir: LineageDirection!) { trace(consortium: $c, id: $id, direction: $dir) {
  __typename ... on Error { message code } ... on LineageTrace { start verdict nodes hops { ${HOP_FIELDS} } contextEdges { from to kind eventId time item } completeness { identifier } } } }`;

/** The breach records the hops' cold-chain warnings cite. */
function breachRecords(hops: Hop[]): string[] {
  const out = new Set<string>();
  for (const h of hops) for (const w of h.warnings) if (w.code === 'COLD_CHAIN_BREACH' && typeof w.details?.['recordHash'] === 'string') out.add(w.details['recordHash'] as string);
  return [...out].sort();
}

export function Counts({ hops }: { hops: Hop[] }) {
  const counts = new Map<HopVerdictName, number>();
  for (const h of hops) counts.set(classifyHop(h), (counts.get(classifyHop(h)) ?? 0) + 1);
  const overall = worstVerdict(counts.keys());
  return (
    <p class="summary" data-testid="hop-summary" data-hops={hops.length}>
      <Badge verdict={overall} /> {hops.length} hops: {(['verified', 'warning', 'failed', 'incomplete'] as const).filter((v) => counts.get(v)).map((v) => `${counts.get(v)} ${v}`).join(', ')}
    </p>
  );
}

export function TraceView({ session, id, direction }: { session: Session; id: string; direction: 'UPSTREAM' | 'DOWNSTREAM' }) {
  const [selected, setSelected] = useState<number | null>(null);
  const trace = useAsync(id ? () => gql<{ trace: TraceAnswer }>(TRACE_QUERY, { c: session.consortium, id, dir: direction }).then((d) => d.trace) : null, [id, direction]);
  if (!id) return <NeedId what="an item to trace" />;
  return (
    <section aria-labelledby="trace-h">
      <h1 id="trace-h">Trace {shortLabel(id)}</h1>
      <p class="toggle">
        <a href={href('trace', { id, dir: 'UPSTREAM' })} aria-current={direction === 'UPSTREAM' ? 'true' : undefined}>Where it came from</a>
        <a href={href('trace', { id, dir: 'DOWNSTREAM' })} aria-current={direction === 'DOWNSTREAM' ? 'true' : undefined}>Where it went</a>
      </p>
      <AsyncBlock result={trace} what="the trace">
        {(t) => {
          const hop = selected !== null ? t.hops[selected] : undefined;
          return (
            <>
              <Counts hops={t.hops} />
              <Legend />
              <div class={hop ? 'split' : ''}>
                <LineageGraph hops={t.hops} start={t.start} selected={selected} onSelect={setSelected} label={`Lineage graph of ${shortLabel(t.start)}: ${t.hops.length} hops`} />
                {hop && <HopPanel hop={hop} session={session} onClose={() => setSelected(null)} />}
              </div>
              <details class="card">
                <summary>Hops as a table</summary>
                <table>
                  <caption class="visually-hidden">Every hop of the trace and its verdict</caption>
                  <thead><tr><th scope="col">From</th><th scope="col">To</th><th scope="col">Kind</th><th scope="col">Verdict</th><th scope="col">Findings</th></tr></thead>
                  <tbody>
                    {t.hops.map((h, i) => (
                      <tr key={i}>
                        <td>{shortLabel(h.edge.from)}</td>
                        <td>{shortLabel(h.edge.to)}</td>
                        <td>{h.edge.kind.toLowerCase()}</td>
                        <td><button type="button" class="link" onClick={() => setSelected(i)}><Badge verdict={classifyHop(h)} /></button></td>
                        <td>{[...h.failures, ...h.warnings].map((f) => f.code).join(', ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </details>
              <BundleButton
                recordHashes={hopRecordHashes(t.hops)}
                name={`trace-${shortLabel(t.start).replace(/\W+/g, '-')}`}
                query={{ kind: 'trace', identifier: id, direction }}
              />
              {t.start.startsWith('urn:provenant:container:') ? <TemperatureLegs subject={t.start} /> : <BreachLegs breachRecords={breachRecords(t.hops)} />}
              <Timeline edges={[...t.hops.map((h) => h.edge), ...t.contextEdges]} />
            </>
          );
        }}
      </AsyncBlock>
    </section>
  );
}
