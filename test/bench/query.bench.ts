/**
 * EPCIS 2.0 query figures: real HTTP `GET /events` requests to the node's app, in this process, on
 * the lineage benchmark's store (1,000,000 signed, sealed events; BENCH_QUICK=1: 100,000), as the
 * food authority (an authority member, who sees every event) asks them:
 *  (1) MATCH_epc of one item, a different item each run (target p95 <= 50 ms);
 *  (2) EQ_bizStep plus a one-day eventTime window (GE_eventTime/LT_eventTime), perPage=100, paged to
 *      the end with nextPageToken, a different day each walk (target p95 per page request <= 50 ms).
 * Every answer is checked: (1) holds exactly the item's events (the events whose epcList or
 * childEPCs name it), (2) the pages together hold each event of that step and day once, as many as
 * the EpcisEvent table counts on its raw eventTime column, each of that step and inside the day.
 * The store is the lineage section's (BENCH_LINEAGE_STORE=DIR reuses it; else it is built here).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { canonicalIdentifier } from '../../src/core/rules/authorisation.js';
import { loadConfig } from '../../src/platform/config.js';
import { issueApiToken } from '../../src/services/auth.js';
import { Keystore } from '../../src/services/node/keystore.js';
import { createApp } from '../../src/transport/http/server.js';
import { generateLineageStore, type GeneratedStore } from './lineage-generator.js';
import { formatNumber, percentile, type BenchContext } from './harness.js';
import { prng } from '../helpers/prng.js';

const SECTION = 'query';
/** The member that asks: the food authority sees every event of the consortium in full. */
const ASKER = 'fsa';
/** The step of (2): a retailer's sales, a few hundred a day across the shops. */
const BIZ_STEP = 'retail_selling';
const PER_PAGE = 100;
const DAY_MS = 86_400_000;

interface QueryEvent {
  eventID: string;
  eventTime: string;
  bizStep?: string;
  epcList?: string[];
  childEPCs?: string[];
}

interface Page {
  events: QueryEvent[];
  /** The next page's path (from the Link header), or null on the last page. */
  next: string | null;
  ms: number;
  /** CPU milliseconds of this process (node and client, all threads) during the request: less sensitive to a busy machine. */
  cpuMs: number;
}

interface Served {
  base: string;
  authorization: string;
  close(): Promise<void>;
}

function fail(message: string): never {
  throw new Error(`query bench: ${message}`);
}


/** The node's whole HTTP app on 127.0.0.1 and a free port, over the generated store's node, and a token of the asker. */
async function serve(g: GeneratedStore, dataDir: string, keysDir: string): Promise<Served> {
  const config = loadConfig({ dataDir });
  const app = createApp({ node: g.node, store: g.store, db: g.db, config, keystore: new Keystore(keysDir) });
  // No warmUp(): the capture validation workers it starts would still be loading (seconds of CPU on
  // a busy machine) while the queries are timed; a node serving queries warmed them long before.
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { token } = await issueApiToken(g.db, g.consortiumId, ASKER, 'query bench');
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorization: `Bearer ${token}`,
    async close() {
      await new Promise((r) => server.close(r));
      await app.closeApi();
    },
  };
}

/** One real request: wall time until the whole body is read and parsed. */
async function getPage(s: Served, pathAndQuery: string): Promise<Page> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const res = await fetch(`${s.base}${pathAndQuery}`, { headers: { authorization: s.authorization, accept: 'application/json' } });
  const body = (await res.json()) as { epcisBody?: { queryResults?: { resultsBody?: { eventList?: QueryEvent[] } } } };
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  if (res.status !== 200) fail(`${pathAndQuery} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  const link = res.headers.get('link');
  const next = link ? (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? fail(`Link header ${link}`)) : null;
  return { events: body.epcisBody?.queryResults?.resultsBody?.eventList ?? fail('no eventList'), next, ms, cpuMs: (used.user + used.system) / 1000 };
}

function stats(ms: number[]): { p50: number; p95: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

function cpuNote(cpuMs: number[]): string {
  const c = stats(cpuMs);
  return `CPU p50 ${formatNumber(c.p50)} ms, p95 ${formatNumber(c.p95)} ms`;
}

/** Items to look up: identifiers (canonical, as the index keeps them) in an epcList or childEPCs, picked at random rows. */
async function pickItems(g: GeneratedStore, count: number, random: () => number): Promise<string[]> {
  const [row] = await g.db.$queryRawUnsafe<{ top: number | bigint | null }[]>(`SELECT max(rowid) AS top FROM "EventIdentifier"`);
  const top = Number(row?.top ?? 0);
  const items = new Set<string>();
  for (let tries = 0; items.size < count && tries < count * 20; tries++) {
    const rowid = 1 + Math.floor(random() * top);
    const rows = await g.db.$queryRawUnsafe<{ identifier: string }[]>(
      // NOT INDEXED: from that row on, whatever plan a store without statistics would pick.
      `SELECT "identifier" FROM "EventIdentifier" NOT INDEXED WHERE rowid >= ? AND "consortiumId" = ? AND "role" IN ('epc', 'child') LIMIT 1`,
      rowid,
      g.consortiumId,
    );
    if (rows[0]) items.add(rows[0].identifier);
  }
  if (items.size < count) fail(`found ${items.size} of ${count} items in the index`);
  return [...items];
}

/** The item's events as the index lists them: every event whose epcList or childEPCs names it. */
async function eventsOfItem(g: GeneratedStore, item: string): Promise<Set<string>> {
  const rows = await g.db.$queryRawUnsafe<{ eventId: string }[]>(
    `SELECT DISTINCT "eventId" FROM "EventIdentifier" WHERE "consortiumId" = ? AND "identifier" = ? AND "role" IN ('epc', 'child')`,
    g.consortiumId,
    item,
  );
  return new Set(rows.map((r) => r.eventId));
}

/** (1) MATCH_epc of one item per run: one request each (the items have a handful of events). */
async function matchEpc(ctx: BenchContext, s: Served, g: GeneratedStore, label: string, random: () => number): Promise<void> {
  const runs = ctx.quick ? 30 : 100;
  const warmup = 10;
  const items = await pickItems(g, runs + warmup + 1, random);
  ctx.progress(`(1) MATCH_epc of one item, ${runs} items, one request each`);
  const times: number[] = [];
  const cpu: number[] = [];
  let first = 0;
  let events = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const page = await getPage(s, `/events?MATCH_epc=${encodeURIComponent(item)}&perPage=${PER_PAGE}`);
    if (page.next !== null) fail(`(1) ${item} has more than ${PER_PAGE} events`);
    const expected = await eventsOfItem(g, item);
    const got = page.events.map((e) => e.eventID);
    if (expected.size === 0 || got.length !== expected.size || got.some((id) => !expected.has(id))) fail(`(1) ${item}: got ${got.length} events, the index has ${expected.size}`);
    if (page.events.some((e) => ![...(e.epcList ?? []), ...(e.childEPCs ?? [])].some((epc) => canonicalIdentifier(epc) === item))) fail(`(1) ${item}: an answered event does not name it in epcList or childEPCs`);
    if (i === 0) first = page.ms;
    else if (i > warmup) {
      times.push(page.ms);
      cpu.push(page.cpuMs);
      events += got.length;
    }
  }
  const m = stats(times);
  ctx.report({ section: SECTION, name: `(1) GET /events MATCH_epc of one item: p50`, value: m.p50, unit: 'ms', note: `${formatNumber(events / times.length)} events per answer on average, ${label}` });
  ctx.report({ section: SECTION, name: `(1) GET /events MATCH_epc: p95 (target <= 50 ms)`, value: m.p95, unit: 'ms', note: `${times.length} items, one each; ${cpuNote(cpu)}; first request ${formatNumber(first)} ms` });
}

/** The first and last day with sales: the walks pick days between them. */
async function salesDays(g: GeneratedStore): Promise<{ first: number; last: number }> {
  const [span] = await g.db.$queryRawUnsafe<{ lo: string | null; hi: string | null }[]>(
    `SELECT min("eventTime") AS lo, max("eventTime") AS hi FROM "EpcisEvent" WHERE "consortiumId" = ? AND "bizStep" = ?`,
    g.consortiumId,
    BIZ_STEP,
  );
  if (!span?.lo || !span.hi) fail(`no ${BIZ_STEP} events in the store`);
  return { first: Math.floor(Date.parse(span.lo) / DAY_MS), last: Math.floor(Date.parse(span.hi) / DAY_MS) };
}

/** Events of the step in [ge, lt), counted on the raw column (the generator writes UTC with milliseconds). */
async function countOfDay(g: GeneratedStore, ge: string, lt: string): Promise<number> {
  const [row] = await g.db.$queryRawUnsafe<{ n: number | bigint }[]>(
    `SELECT count(*) AS n FROM "EpcisEvent" WHERE "consortiumId" = ? AND "bizStep" = ? AND "eventTime" >= ? AND "eventTime" < ?`,
    g.consortiumId,
    BIZ_STEP,
    ge,
    lt,
  );
  return Number(row?.n ?? 0);
}

/** One day's walk: every page request's time, and the events it checked. */
async function walkDay(s: Served, g: GeneratedStore, day: number): Promise<{ pageMs: number[]; pageCpuMs: number[]; events: number; walkMs: number }> {
  const ge = new Date(day * DAY_MS).toISOString();
  const lt = new Date((day + 1) * DAY_MS).toISOString();
  const seen = new Set<string>();
  const pageMs: number[] = [];
  const pageCpuMs: number[] = [];
  let next: string | null = `/events?EQ_bizStep=${BIZ_STEP}&GE_eventTime=${encodeURIComponent(ge)}&LT_eventTime=${encodeURIComponent(lt)}&perPage=${PER_PAGE}`;
  while (next !== null) {
    const page: Page = await getPage(s, next);
    pageMs.push(page.ms);
    pageCpuMs.push(page.cpuMs);
    if (page.events.length > PER_PAGE) fail(`(2) a page of ${page.events.length} events`);
    for (const e of page.events) {
      if (seen.has(e.eventID)) fail(`(2) ${e.eventID} answered twice`);
      seen.add(e.eventID);
      const t = Date.parse(e.eventTime);
      if (!(e.bizStep ?? '').endsWith(BIZ_STEP) || t < day * DAY_MS || t >= (day + 1) * DAY_MS) fail(`(2) ${e.eventID} (${e.bizStep} at ${e.eventTime}) is not of the query`);
    }
    next = page.next;
    if (pageMs.length > 1000) fail('(2) more than 1,000 pages');
  }
  const expected = await countOfDay(g, ge, lt);
  if (seen.size !== expected) fail(`(2) ${ge}: the pages held ${seen.size} events, the table counts ${expected}`);
  return { pageMs, pageCpuMs, events: seen.size, walkMs: pageMs.reduce((a, b) => a + b, 0) };
}

/** (2) EQ_bizStep and a one-day window, paged to the end, a different day each walk. */
async function stepAndDay(ctx: BenchContext, s: Served, g: GeneratedStore, label: string, random: () => number): Promise<void> {
  const walks = ctx.quick ? 10 : 30;
  const { first, last } = await salesDays(g);
  ctx.progress(`(2) EQ_bizStep=${BIZ_STEP} over one day, perPage=${PER_PAGE} to the end, ${walks} days`);
  const day = () => first + 1 + Math.floor(random() * Math.max(1, last - first - 1));
  const cold = await walkDay(s, g, day());
  await walkDay(s, g, day());
  const pageMs: number[] = [];
  const pageCpuMs: number[] = [];
  const walkMs: number[] = [];
  let events = 0;
  for (let w = 0; w < walks; w++) {
    const r = await walkDay(s, g, day());
    pageMs.push(...r.pageMs);
    pageCpuMs.push(...r.pageCpuMs);
    walkMs.push(r.walkMs);
    events += r.events;
  }
  const page = stats(pageMs);
  const walk = stats(walkMs);
  ctx.report({
    section: SECTION,
    name: `(2) EQ_bizStep + one-day eventTime, perPage=100: p50 per page`,
    value: page.p50,
    unit: 'ms',
    note: `${pageMs.length} pages over ${walks} days, ${formatNumber(events / walks)} events a day on average, ${label}`,
  });
  ctx.report({ section: SECTION, name: `(2) p95 per page request (target <= 50 ms)`, value: page.p95, unit: 'ms', note: `${cpuNote(pageCpuMs)}; first (cold) walk ${cold.pageMs.length} pages, ${formatNumber(cold.walkMs)} ms` });
  ctx.report({ section: SECTION, name: `(2) whole day paged to the end: p50 / p95`, value: walk.p50, unit: 'ms', note: `p95 ${formatNumber(walk.p95)} ms; ${formatNumber(pageMs.length / walks)} pages a day on average` });
}

export async function queryBench(ctx: BenchContext): Promise<void> {
  await runQueryBench(ctx, ctx.quick ? 100_000 : 1_000_000);
}

/** The section on a store of `target` events (the benchmark uses 1,000,000; quick 100,000). */
export async function runQueryBench(ctx: BenchContext, target: number): Promise<void> {
  const label = target >= 1_000_000 ? '1M-event store' : `QUICK store, ${Math.round(target / 1000)}k events`;
  const keep = process.env.BENCH_LINEAGE_STORE;
  const dataDir = keep ? path.resolve(keep) : mkdtempSync(path.join(os.tmpdir(), 'provenant-bench-query-'));
  const keysDir = mkdtempSync(path.join(os.tmpdir(), 'provenant-bench-query-keys-'));
  ctx.progress(`opening the lineage store of ${target.toLocaleString('en-GB')} events (built first if absent: takes minutes)`);
  const g = await generateLineageStore({ targetEvents: target, dataDir, progress: (m) => ctx.progress(m) });
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  let served: Served | undefined;
  try {
    if (!g.reused) ctx.report({ section: SECTION, name: `store build: ${g.events.toLocaleString('en-GB')} events, signed + indexed + sealed`, value: g.events / g.seconds, unit: 'events/s', note: `(${g.seconds.toFixed(0)} s)` });
    served = await serve(g, dataDir, keysDir);
    // Other items and days on each run unless BENCH_QUERY_SEED repeats one.
    const seed = Number(process.env.BENCH_QUERY_SEED ?? Date.now() % 1_000_000);
    ctx.progress(`items and days drawn with BENCH_QUERY_SEED=${seed}`);
    const random = prng(seed);
    await matchEpc(ctx, served, g, label, random);
    await stepAndDay(ctx, served, g, label, random);
    ctx.report({ section: SECTION, name: 'peak RSS while serving the queries', value: Math.max(peakRss, process.memoryUsage.rss()) / (1024 * 1024), unit: 'MB', note: '(sampled every 50 ms; the node and its clients share the process)' });
  } finally {
    clearInterval(sampler);
    await served?.close();
    await g.close();
    rmSync(keysDir, { recursive: true, force: true });
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}
