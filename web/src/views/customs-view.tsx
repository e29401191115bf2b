/** Customs: a container's contents (pallets, cases, items), their origins, documents and seals, and its cold chain. */
import { useState } from 'preact/hooks';
import { gql, type Session } from '../api.js';
import { LineageGraph, Legend } from '../graph/lineage-graph.js';
import { formatTime } from '../format.js';
import { shortLabel } from '../identify.js';
import { HOP_FIELDS, hopRecordHashes, type Hop } from '../types.js';
import { useAsync } from '../use-async.js';
import { BundleButton } from './bundle-button.js';
import { AsyncBlock, NeedId } from './common.js';
import { HopPanel } from './hop-panel.js';
import { TemperatureLegs } from './temperature.js';
import { Counts } from './trace-view.js';

interface CargoItem {
  identifier: string;
  origins: string[];
  contents: CargoItem[];
}

interface Cargo {
  container: string;
  verdict: string;
  parties: string[];
  documents: { eventId: string; documents: unknown }[];
  sealEvents: { eventId: string; time: string; orgId: string; bizStep: string | null }[];
  contents: CargoItem[];
  hops: Hop[];
}

const ITEM = 'identifier origins';
const CARGO_QUERY = `query ($c: ID!, $id: String!) { cargoLineage(consortium: $c, containerId: $id) { __typename ... on Error { message code } ... on CargoLineage {
  container verdict parties documents sealEvents { eventId time orgId bizStep }
  contents { ${ITEM} contents { ${ITEM} contents { ${ITEM} contents { ${ITEM} } } } } hops { ${HOP_FIELDS} } } } }`;

function Tree({ items }: { items: CargoItem[] }) {
  return (
    <ul class="tree">
      {items.map((i) => (
        <li key={i.identifier}>
          <span title={i.identifier}>{shortLabel(i.identifier)}</span>
          {i.contents.length === 0 && i.origins.length > 0 && <span class="muted"> — from {i.origins.map(shortLabel).join(', ')}</span>}
          {i.contents.length > 0 && <Tree items={i.contents} />}
        </li>
      ))}
    </ul>
  );
}

export function CustomsView({ session, id }: { session: Session; id: string }) {
  const [selected, setSelected] = useState<number | null>(null);
  const cargo = useAsync(id ? () => gql<{ cargoLineage: Cargo }>(CARGO_QUERY, { c: session.consortium, id }).then((d) => d.cargoLineage) : null, [id]);
  if (!id) return <NeedId what="a container" />;
  // The container's own shape: container → pallets → cases → items.
  return (
    <section aria-labelledby="customs-h">
      <h1 id="customs-h">Container {shortLabel(id)}</h1>
      <AsyncBlock result={cargo} what="the container">
        {(c) => {
          const packing = c.hops.filter((h) => h.edge.kind === 'AGGREGATION' || h.edge.kind === 'ASSOCIATION');
          const hop = selected !== null ? packing[selected] : undefined;
          const origins = [...new Set(c.contents.flatMap(function all(i: CargoItem): string[] { return [...i.origins, ...i.contents.flatMap(all)]; }))];
          return (
            <>
              <Counts hops={c.hops} />
              <Legend />
              <div class={hop ? 'split' : ''}>
                <LineageGraph hops={packing} start={c.container} selected={selected} onSelect={setSelected} label={`Contents of ${shortLabel(c.container)}: ${packing.length} packing links`} />
                {hop && <HopPanel hop={hop} session={session} onClose={() => setSelected(null)} />}
              </div>
              <div class="grid2">
                <section class="card" aria-labelledby="contents-h">
                  <h2 id="contents-h">Contents</h2>
                  {c.contents.length > 0 ? <Tree items={c.contents} /> : <p class="muted">Empty now.</p>}
                </section>
                <section class="card" aria-labelledby="origins-h">
                  <h2 id="origins-h">Origins</h2>
                  <ul>{origins.map((o) => <li key={o}>{shortLabel(o)}</li>)}</ul>
                  <h2>Handled by</h2>
                  <p>{c.parties.join(', ') || '—'}</p>
                </section>
                <section class="card" aria-labelledby="docs-h">
                  <h2 id="docs-h">Documents</h2>
                  {c.documents.length === 0 ? <p class="muted">None cited.</p> : <ul>{c.documents.map((d) => <li key={d.eventId}><code>{JSON.stringify(d.documents)}</code></li>)}</ul>}
                </section>
                <section class="card" aria-labelledby="seals-h">
                  <h2 id="seals-h">Seals and doors</h2>
                  {c.sealEvents.length === 0 ? <p class="muted">No seal or door events.</p> : <ul>{c.sealEvents.map((s) => <li key={s.eventId}>{formatTime(s.time)}: {s.bizStep} by {s.orgId}</li>)}</ul>}
                </section>
              </div>
              <BundleButton recordHashes={hopRecordHashes(c.hops)} name={`cargo-${shortLabel(c.container)}`} query={{ kind: 'cargo', identifier: id }} />
              <TemperatureLegs subject={c.container} />
            </>
          );
        }}
      </AsyncBlock>
    </section>
  );
}
