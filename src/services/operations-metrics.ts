/**
 * Prometheus series for operators, on prom-client's default registry (registered once per
 * process): HTTP requests by route and status with latency, capture outcomes by reason, block
 * height, seal latency and the pending queue, and verification failures by code.
 */
import client from 'prom-client';
import type { CaptureEventResult } from '../core/capture/errors.js';
import type { TraceVerification } from '../core/lineage/verify-hop.js';
import type { LedgerNode, SealedBlockEvent } from './node/ledger-node.js';

function metric<M>(name: string, make: () => M): M {
  return (client.register.getSingleMetric(name) as M | undefined) ?? make();
}

const httpRequests = () =>
  metric('provenant_http_requests_total', () => new client.Counter({ name: 'provenant_http_requests_total', help: 'HTTP requests answered, by method, route and status', labelNames: ['method', 'route', 'status'] }));
const httpDuration = () =>
  metric(
    'provenant_http_request_duration_seconds',
    () =>
      new client.Histogram({
        name: 'provenant_http_request_duration_seconds',
        help: 'HTTP request latency, by method and route',
        labelNames: ['method', 'route'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      }),
  );
const captureEvents = () =>
  metric(
    'provenant_capture_events_total',
    () => new client.Counter({ name: 'provenant_capture_events_total', help: 'Captured EPCIS events, by outcome (accepted, duplicate, rejected) and refusal reason', labelNames: ['consortium', 'outcome', 'reason'] }),
  );
const sealLatency = () =>
  metric(
    'provenant_seal_duration_seconds',
    () =>
      new client.Histogram({
        name: 'provenant_seal_duration_seconds',
        help: 'From the block timestamp (taken when sealing starts) to the sealed block being committed',
        labelNames: ['consortium'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      }),
  );
const verificationFailures = () =>
  metric(
    'provenant_verification_failures_total',
    () => new client.Counter({ name: 'provenant_verification_failures_total', help: 'Failed hop checks in lineage answers, by failure code', labelNames: ['consortium', 'code'] }),
  );

/** One answered HTTP request. `route` is the matched route pattern, never the raw path (bounded labels). */
export function recordHttpRequest(method: string, route: string, status: number, seconds: number): void {
  httpRequests().inc({ method, route, status: String(status) });
  httpDuration().observe({ method, route }, seconds);
}

export function recordCaptureResults(consortium: string, results: readonly (CaptureEventResult | undefined)[]): void {
  const counter = captureEvents();
  for (const r of results) if (r) counter.inc({ consortium, outcome: r.status, reason: r.status === 'rejected' ? (r.error?.code ?? 'UNKNOWN') : '' });
}

export function recordVerification(consortium: string, verification: TraceVerification): void {
  const counter = verificationFailures();
  for (const hop of verification.hops) for (const failure of hop.failures) counter.inc({ consortium, code: failure.code });
}

const watched = new Set<LedgerNode>();

/** A gauge labelled by consortium whose values are read at scrape time (registered once per process). */
export function consortiumGauge(name: string, help: string, values: () => Iterable<readonly [string, number]>): void {
  metric(
    name,
    () =>
      new client.Gauge({
        name,
        help,
        labelNames: ['consortium'],
        collect() {
          this.reset();
          for (const [consortium, value] of values()) this.set({ consortium }, value);
        },
      }),
  );
}

/** Gauges of every watched node's consortia (height, pending records), read at scrape time. */
function registerNodeGauges(): void {
  const gauge = (name: string, help: string, pick: (node: LedgerNode, id: string) => number) =>
    consortiumGauge(name, help, function* () {
      for (const node of watched) for (const id of node.consortia()) yield [id, pick(node, id)] as const;
    });
  gauge('provenant_block_height', 'Height of the last sealed block', (node, id) => node.state(id).height);
  gauge('provenant_pending_records', 'Records admitted and waiting for a block', (node, id) => node.sealStatus(id).pending);
  gauge('provenant_seal_blocked', '1 while this node cannot seal (too few authority keys), else 0', (node, id) => (node.sealStatus(id).blockedReason ? 1 : 0));
}

/** Watches a node's seals and gauges until the returned function is called. */
export function watchNode(node: LedgerNode, now: () => number = Date.now): () => void {
  registerNodeGauges();
  const onSealed = (event: SealedBlockEvent) => {
    const started = Date.parse(event.header.timestamp);
    if (Number.isFinite(started)) sealLatency().observe({ consortium: event.consortium }, Math.max(0, now() - started) / 1000);
  };
  watched.add(node);
  node.on('sealed', onSealed);
  return () => {
    watched.delete(node);
    node.off('sealed', onSealed);
  };
}
