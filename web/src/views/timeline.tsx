/** The item's journey in time: every event behind the trace's hops and custody links, oldest first. */
import { getJson } from '../api.js';
import { formatTime } from '../format.js';
import { shortLabel } from '../identify.js';
import type { Edge, EventRecord } from '../types.js';
import { useAsync } from '../use-async.js';
import { AsyncBlock } from './common.js';

const MAX_EVENTS = 60;

async function loadEvents(eventIds: string[]): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  const queue = eventIds.slice(0, MAX_EVENTS);
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        out.push(await getJson<EventRecord>(`/epcis/events/${encodeURIComponent(id)}`));
      } catch {
        // An event the viewer may not read is left out of the journey.
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return out.sort((a, b) => String(a.event['eventTime']).localeCompare(String(b.event['eventTime'])));
}

function step(e: EventRecord): string {
  const raw = String(e.event['bizStep'] ?? e.event['type'] ?? 'event');
  return raw.replace(/^urn:provenant:bizstep:/, '').replace(/^https:\/\/ref\.gs1\.org\/cbv\/BizStep-/, '').replace(/_/g, ' ');
}

function place(e: EventRecord): string | null {
  const id = (k: string) => ((e.event[k] as { id?: string } | undefined)?.id ?? null);
  const p = id('bizLocation') ?? id('readPoint');
  return p ? shortLabel(p) : null;
}

export function Timeline({ edges }: { edges: Edge[] }) {
  const ids = [...new Set(edges.map((e) => e.eventId))];
  const events = useAsync(() => loadEvents(ids), [ids.join(',')]);
  return (
    <section aria-labelledby="timeline-h" class="card">
      <h2 id="timeline-h">Journey</h2>
      <AsyncBlock result={events} what="the journey">
        {(list) =>
          list.length === 0 ? (
            <p class="muted">No events you may read.</p>
          ) : (
            <ol class="timeline" data-testid="timeline">
              {list.map((e) => (
                <li key={e.eventId}>
                  <time dateTime={String(e.event['eventTime'])}>{formatTime(String(e.event['eventTime']))}</time>
                  <span class="step">{step(e)}</span>
                  <span>
                    by {e.signer.orgId}
                    {place(e) ? ` at ${place(e)}` : ''}
                    {e.block ? '' : ' (not sealed yet)'}
                  </span>
                </li>
              ))}
            </ol>
          )
        }
      </AsyncBlock>
    </section>
  );
}
