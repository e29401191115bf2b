/** Inspector: an animal's history — birth, dam, movements, feed, treatments, slaughter and inspection findings, as visibility allows. */
import { gql, type Session } from '../api.js';
import { formatTime } from '../format.js';
import { shortLabel } from '../identify.js';
import { href } from '../router.js';
import { useAsync } from '../use-async.js';
import { AsyncBlock, NeedId } from './common.js';

interface Summary {
  eventId: string;
  time: string;
  orgId: string;
  bizStep: string | null;
  readPoint: string | null;
  bizLocation: string | null;
  redacted: boolean;
  finding: Record<string, unknown> | null;
}

interface History {
  animal: string;
  birth: Summary | null;
  birthHolding: string | null;
  dam: string | null;
  movements: Summary[];
  feedLots: { lot: string; event: Summary }[];
  treatments: Summary[];
  slaughter: Summary | null;
  carcasses: string[];
  postMortem: Summary[];
}

const S = 'eventId time orgId bizStep readPoint bizLocation redacted finding';
const HISTORY_QUERY = `query ($c: ID!, $id: String!) { animalHistory(consortium: $c, earTag: $id) { __typename ... on Error { message code } ... on AnimalHistory {
  animal birth { ${S} } birthHolding dam movements { ${S} } feedLots { lot event { ${S} } } treatments { ${S} } slaughter { ${S} } carcasses postMortem { ${S} } } } }`;

function Event({ e }: { e: Summary }) {
  const place = e.bizLocation ?? e.readPoint;
  return (
    <>
      <time dateTime={e.time}>{formatTime(e.time)}</time> — {(e.bizStep ?? 'event').replace(/^urn:provenant:bizstep:/, '')} by {e.orgId}
      {place ? ` at ${shortLabel(place)}` : ''}
    </>
  );
}

function Finding({ e }: { e: Summary }) {
  if (e.redacted) return <p class="muted">Finding withheld: only the farms of origin, the inspecting abattoir and regulators read it.</p>;
  if (!e.finding) return null;
  return (
    <dl class="facts">
      {Object.entries(e.finding).map(([k, v]) => (
        <>
          <dt key={`k${k}`}>{k.replace(/^provenant:/, '')}</dt>
          <dd key={`v${k}`}>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
        </>
      ))}
    </dl>
  );
}

export function InspectorView({ session, id }: { session: Session; id: string }) {
  const history = useAsync(id ? () => gql<{ animalHistory: History }>(HISTORY_QUERY, { c: session.consortium, id }).then((d) => d.animalHistory) : null, [id]);
  if (!id) return <NeedId what="an animal by its ear tag" />;
  return (
    <section aria-labelledby="insp-h">
      <h1 id="insp-h">Animal {shortLabel(id)}</h1>
      <AsyncBlock result={history} what="the animal's history">
        {(h) => (
          <div class="grid2">
            <section class="card" aria-labelledby="birth-h">
              <h2 id="birth-h">Birth</h2>
              {h.birth ? <p><Event e={h.birth} /></p> : <p class="muted">No birth recorded.</p>}
              <p>Holding: {h.birthHolding ? shortLabel(h.birthHolding) : '—'}; dam: {h.dam ? <a href={href('inspector', { id: h.dam })}>{shortLabel(h.dam)}</a> : '—'}</p>
            </section>
            <section class="card" aria-labelledby="moves-h">
              <h2 id="moves-h">Movements</h2>
              {h.movements.length === 0 ? <p class="muted">None recorded.</p> : <ol>{h.movements.map((m) => <li key={m.eventId}><Event e={m} /></li>)}</ol>}
            </section>
            <section class="card" aria-labelledby="feed-h">
              <h2 id="feed-h">Feed and treatments</h2>
              <ul>
                {h.feedLots.map((f) => <li key={f.event.eventId + f.lot}>Feed lot {shortLabel(f.lot)}: <Event e={f.event} /></li>)}
                {h.treatments.map((t) => <li key={t.eventId}>Treatment: <Event e={t} /></li>)}
                {h.feedLots.length + h.treatments.length === 0 && <li class="muted">None recorded.</li>}
              </ul>
            </section>
            <section class="card" aria-labelledby="slaughter-h">
              <h2 id="slaughter-h">Slaughter and inspection</h2>
              {h.slaughter ? <p><Event e={h.slaughter} /></p> : <p class="muted">Not slaughtered.</p>}
              {h.carcasses.length > 0 && <p>Carcasses: {h.carcasses.map((c) => <a key={c} href={href('trace', { id: c, dir: 'DOWNSTREAM' })}>{shortLabel(c)} </a>)}</p>}
              <ol data-testid="findings">
                {h.postMortem.map((p) => (
                  <li key={p.eventId}>
                    <Event e={p} />
                    <Finding e={p} />
                  </li>
                ))}
              </ol>
            </section>
          </div>
        )}
      </AsyncBlock>
    </section>
  );
}
