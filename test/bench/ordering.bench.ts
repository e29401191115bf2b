/**
 * Ordering benchmark (not yet a section of `npm run bench`; run it with
 * `npx tsx test/bench/ordering.bench.ts`, BENCH_QUICK=1 for a short run): 1 KB messages on a
 * 3-server nats-server JetStream cluster on loopback, stream R=3, every node a separate
 * connection with its own credentials.
 *  - saturated: appends/s with 4 clients keeping 32 appends each in flight, and append → delivery
 *    latency seen meanwhile by a subscriber on a fifth connection;
 *  - paced at 500 appends/s: append → acknowledgement and append → delivery latency p50/p95.
 * The file-backed in-process adapter's appends/s is printed for comparison.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openFileOrdering } from '../../src/platform/ordering/file-ordering-log.js';
import { JetStreamOrdering } from '../../src/platform/ordering/jetstream-ordering.js';
import type { Ordering } from '../../src/platform/ordering/ordering.js';
import { NatsCluster, OPERATOR } from '../helpers/nats-cluster.js';
import { findNatsServer } from '../helpers/nats-server-binary.js';
import { createBenchContext, type BenchContext } from './harness.js';

const C = 'bench-ordering';
const MESSAGE_BYTES = 1024;
const CLIENTS = 4;
const IN_FLIGHT = 32;

/** A 1 KB message: 8 bytes of send time (performance.now, ms), 8 of counter, then padding. */
function message(counter: number): Uint8Array {
  const bytes = new Uint8Array(MESSAGE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setFloat64(0, performance.now());
  view.setFloat64(8, counter);
  bytes.fill(0x61, 16);
  return bytes;
}
const sentAt = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(0);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Records append → delivery latency for every message delivered after `after`, until stopped. */
function watchDeliveries(ordering: Ordering, after: number) {
  const latencies: number[] = [];
  const subscription = ordering.subscribe(C, { afterSequence: after });
  let last = after;
  const done = (async () => {
    for await (const m of subscription) {
      latencies.push(performance.now() - sentAt(m.bytes));
      last = m.sequence;
    }
  })();
  return {
    latencies,
    lastSequence: () => last,
    async stop(through: number, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (last < through && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await subscription.close();
      await done;
      if (last < through) throw new Error(`delivery stopped at ${last}, expected ${through}`);
    },
  };
}

let counter = 0;

async function saturate(clients: Ordering[], seconds: number): Promise<{ appended: number; elapsed: number; last: number }> {
  const end = performance.now() + seconds * 1000;
  let appended = 0;
  let last = 0;
  const start = performance.now();
  await Promise.all(
    clients.flatMap((client) =>
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < end) {
          const { sequence } = await client.append(C, message(counter++));
          appended++;
          last = Math.max(last, sequence);
        }
      }),
    ),
  );
  return { appended, elapsed: (performance.now() - start) / 1000, last };
}

async function paced(client: Ordering, perSecond: number, seconds: number): Promise<{ ack: number[]; last: number }> {
  const ack: number[] = [];
  const pending: Promise<void>[] = [];
  let last = 0;
  const total = perSecond * seconds;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const sent = performance.now();
    pending.push(
      client.append(C, message(counter++)).then(({ sequence }) => {
        ack.push(performance.now() - sent);
        last = Math.max(last, sequence);
      }),
    );
  }
  await Promise.all(pending);
  return { ack, last };
}

export async function orderingBench(ctx: BenchContext): Promise<void> {
  if (!findNatsServer()) {
    ctx.progress('ordering: nats-server is not installed; skipped');
    return;
  }
  const seconds = ctx.quick ? 3 : 10;
  const cluster = await NatsCluster.start({
    users: Array.from({ length: CLIENTS + 1 }, (_, i) => ({ user: `node${i}`, password: `node${i}-secret`, consortia: [C] })),
  });
  const opened: JetStreamOrdering[] = [];
  try {
    const connectAs = async (user: string, password: string) => {
      const o = await JetStreamOrdering.connect({ servers: cluster.urls, credentials: { kind: 'password', user, password } });
      opened.push(o);
      return o;
    };
    await (await connectAs(OPERATOR.user, OPERATOR.password)).provision(C, { maxBytes: 512 * 1024 * 1024 });
    const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => connectAs(`node${i}`, `node${i}-secret`)));
    const reader = await connectAs(`node${CLIENTS}`, `node${CLIENTS}-secret`);

    ctx.progress(`ordering: ${seconds} s saturated, ${CLIENTS} clients × ${IN_FLIGHT} in flight, 1 KB, R=3`);
    const watched = watchDeliveries(reader, (await reader.info(C)).lastSequence);
    const run = await saturate(clients, seconds);
    await watched.stop(run.last);
    const sat = [...watched.latencies].sort((a, b) => a - b);
    ctx.report({ section: 'ordering', name: 'JetStream R=3 appends/s, 1 KB, saturated', value: run.appended / run.elapsed, unit: 'appends/s' });
    ctx.report({ section: 'ordering', name: 'append → delivery p50, saturated', value: percentile(sat, 50), unit: 'ms' });
    ctx.report({ section: 'ordering', name: 'append → delivery p95, saturated', value: percentile(sat, 95), unit: 'ms' });

    ctx.progress(`ordering: ${seconds} s paced at 500 appends/s`);
    const pacedWatch = watchDeliveries(reader, (await reader.info(C)).lastSequence);
    const p = await paced(clients[0]!, 500, seconds);
    await pacedWatch.stop(p.last);
    const ack = [...p.ack].sort((a, b) => a - b);
    const delivery = [...pacedWatch.latencies].sort((a, b) => a - b);
    ctx.report({ section: 'ordering', name: 'append → ack p50, 500/s', value: percentile(ack, 50), unit: 'ms' });
    ctx.report({ section: 'ordering', name: 'append → ack p95, 500/s', value: percentile(ack, 95), unit: 'ms' });
    ctx.report({ section: 'ordering', name: 'append → delivery p50, 500/s', value: percentile(delivery, 50), unit: 'ms' });
    ctx.report({ section: 'ordering', name: 'append → delivery p95, 500/s', value: percentile(delivery, 95), unit: 'ms' });
  } finally {
    await Promise.all(opened.map((o) => o.close()));
    await cluster.stop();
  }
  await inProcessBench(ctx, seconds);
}

async function inProcessBench(ctx: BenchContext, seconds: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-ordering-bench-'));
  try {
    const ordering = await openFileOrdering(path.join(dir, 'ordering.log'));
    const run = await saturate([ordering], seconds);
    ctx.report({ section: 'ordering', name: 'in-process (file, fdatasync) appends/s, 1 KB', value: run.appended / run.elapsed, unit: 'appends/s' });
    await ordering.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const ctx = createBenchContext(process.env.BENCH_QUICK === '1');
  console.log(`Ordering benchmark on ${os.cpus().length} cores, Node ${process.version}, ${findNatsServer() ?? 'no nats-server'}`);
  await orderingBench(ctx);
}
