/**
 * Temperature per transport leg (one leg per sensor registered to the container or lot): the
 * readings the sensor committed to the chain, the rule set's limit, and the breaches the
 * consortium sealed, shaded. The chart is uPlot (loaded when a leg is shown); a text summary and
 * the breach list carry the same facts for screen readers.
 */
import { useEffect, useRef } from 'preact/hooks';
import { getJson, gql } from '../api.js';
import { formatTime } from '../format.js';
import { useAsync } from '../use-async.js';
import { AsyncBlock } from './common.js';

export interface Leg {
  deviceId: string;
  ownerOrg: string;
  subject: string;
  categoryLabel: string | null;
  maxC: number | null;
  allowedExcursionS: number | null;
  ruleSet: { id: string; version: number } | null;
  points: { t: string; c: number }[];
  doorOpen: { t: string; open: boolean }[];
  /** Readings the viewer may not see: only the device's organisation, regulators and customs read a sensor's windows. */
  readingsWithheld: boolean;
  breaches: { recordHash: string; code: string; message: string; from: string | null; to: string | null }[];
}

function Chart({ leg }: { leg: Leg }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let plot: { destroy(): void } | undefined;
    let live = true;
    void (async () => {
      const [{ default: UPlot }] = await Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]);
      if (!live || !box.current) return;
      const xs = leg.points.map((p) => Date.parse(p.t) / 1000);
      const ys = leg.points.map((p) => p.c);
      const limit = leg.points.map(() => leg.maxC);
      const spans = leg.breaches.filter((b) => b.from).map((b) => [Date.parse(b.from!) / 1000, Date.parse(b.to ?? b.from!) / 1000] as const);
      const doors = leg.doorOpen.filter((d) => d.open).map((d) => Date.parse(d.t) / 1000);
      const width = Math.max(280, Math.min(900, box.current.clientWidth || 600));
      plot = new UPlot(
        {
          width,
          height: 240,
          scales: { x: { time: true } },
          axes: [{}, { label: '°C' }],
          series: [{}, { label: 'Temperature °C', stroke: '#0b4f8a', width: 1.5 }, { label: `Limit ${leg.maxC ?? '—'} °C`, stroke: '#b3261e', dash: [6, 4], width: 1.5 }],
          hooks: {
            drawClear: [
              (u) => {
                const ctx = u.ctx;
                ctx.save();
                ctx.fillStyle = 'rgba(179, 38, 30, 0.16)';
                for (const [a, b] of spans) {
                  const x0 = u.valToPos(a, 'x', true);
                  const x1 = u.valToPos(b, 'x', true);
                  ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
                }
                ctx.strokeStyle = '#6b4f00';
                for (const d of doors) {
                  const x = u.valToPos(d, 'x', true);
                  ctx.beginPath();
                  ctx.moveTo(x, u.bbox.top);
                  ctx.lineTo(x, u.bbox.top + u.bbox.height);
                  ctx.stroke();
                }
                ctx.restore();
              },
            ],
          },
        },
        [xs, ys, limit],
        box.current,
      );
    })();
    return () => {
      live = false;
      plot?.destroy();
    };
  }, [leg]);
  const max = leg.points.reduce((m, p) => Math.max(m, p.c), -Infinity);
  const summary = `${leg.points.length} readings from ${formatTime(leg.points[0]?.t)} to ${formatTime(leg.points[leg.points.length - 1]?.t)}, highest ${Number.isFinite(max) ? max.toFixed(1) : '—'} °C, limit ${leg.maxC ?? '—'} °C, ${leg.breaches.length} breach(es).`;
  return (
    <figure class="chart">
      <div ref={box} role="img" aria-label={`Temperature of ${leg.deviceId}: ${summary}`} />
      <figcaption>{summary}</figcaption>
    </figure>
  );
}

export function TemperatureLegs({ subject }: { subject: string }) {
  const legs = useAsync(() => getJson<{ legs: Leg[] }>(`/explorer/api/temperature-legs?subject=${encodeURIComponent(subject)}`).then((r) => r.legs), [subject]);
  return (
    <AsyncBlock result={legs} what="temperatures">
      {(list) =>
        list.length === 0 ? null : (
          <section class="card" aria-labelledby={`temp-${subject}`}>
            <h2 id={`temp-${subject}`}>Cold chain</h2>
            {list.map((leg) => (
              <div key={leg.deviceId} class="leg" data-testid="temperature-leg">
                <h3>
                  Leg: {leg.deviceId} <span class="muted">({leg.categoryLabel ?? 'no category'}; rule set {leg.ruleSet ? `${leg.ruleSet.id} v${leg.ruleSet.version}` : 'none'})</span>
                </h3>
                {leg.points.length > 0 ? (
                  <Chart leg={leg} />
                ) : (
                  <p class="muted">{leg.readingsWithheld ? "Readings withheld: only the sensor's organisation, regulators and customs see them." : 'No readings on the chain yet.'}</p>
                )}
                {leg.breaches.length > 0 && (
                  <ul class="findings">
                    {leg.breaches.map((b) => (
                      <li key={b.recordHash} class="failed-text">
                        <strong>{b.code}</strong> {formatTime(b.from)} – {formatTime(b.to)}: {b.message}
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            ))}
          </section>
        )
      }
    </AsyncBlock>
  );
}

/** The cold chain of the containers or lots that sealed breach records name (breaches seen on a trace's hops). */
export function BreachLegs({ breachRecords }: { breachRecords: string[] }) {
  const subjects = useAsync(async () => {
    const found = new Set<string>();
    for (const hash of breachRecords.slice(0, 10)) {
      const d = await gql<{ record: { payload?: { payload?: { subject?: string } } & { subject?: string } } }>(
        `query ($h: String!) { record(hash: $h) { __typename ... on Error { message } ... on LedgerRecord { payload } } }`,
        { h: hash },
      ).catch(() => null);
      const payload = d?.record.payload as { subject?: unknown } | undefined;
      if (typeof payload?.subject === 'string') found.add(payload.subject);
    }
    return [...found];
  }, [breachRecords.join(',')]);
  return subjects.state === 'done' ? <>{subjects.value.map((s) => <TemperatureLegs key={s} subject={s} />)}</> : null;
}
