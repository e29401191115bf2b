/**
 * Pure part of the breach monitor: which rules apply to a device, evaluation of a
 * device's readings over a lookback span, which breaches were *established* in a given sensor
 * window, the rule set on chain in force for it, and the deterministic coldchain.breach record.
 *
 * Why a lookback span: an excursion may start in one window and pass the allowed time in a later
 * one, so a window is judged together with the device's earlier windowed readings. A breach is
 * reported by exactly one window, the one holding the reading at which it was established (the
 * first sample past the allowed time; for a door, the opening), so a long excursion spanning many
 * windows gives one record, not one per window. The record states the breach as seen up to the end
 * of that window (durations of an excursion still going on are marked openEnded: a lower bound).
 *
 * No I/O: the monitor (breach-monitor.ts) loads the inputs through the store layer.
 */
import { RecordKind, signRecord, type SignedRecord } from '../ledger/record.js';
import type { BreachPayload } from '../ledger/records/coldchain-breach.js';
import type { PublishedRuleSet } from '../ledger/records/ruleset-publish.js';

export { parseRuleSetRecord, type PublishedRuleSet } from '../ledger/records/ruleset-publish.js';
export type { BreachPayload } from '../ledger/records/coldchain-breach.js';
import type { JsonValue, KeyPair } from '../crypto/index.js';
import {
  breachRecordPayload,
  buildVerdict,
  canonicalIdentifier,
  coldChainFindings,
  doorFindings,
  isLatLon,
  parseInstant,
  prepareReadings,
  routeFindings,
  ruleSetRef,
  type DeclaredRoute,
  type Finding,
  type Geofence,
  type LatLon,
  type Reading as RuleReading,
  type RuleSet,
  type RuleSetRef,
  type TimedReading,
  type Verdict,
} from '../rules/index.js';
import type { Reading } from './reading.js';

// ---------------------------------------------------------------------------------------------
// Device context from its device.register attributes

/**
 * Rule inputs a device's owner declares in its device.register attributes:
 * - `container` (or `subject`, or `lot`): the identifier the readings are about;
 * - `category`: product category of the rule set (e.g. "chilled-red-meat");
 * - `authorisedLocations`: [{ id, lat, lon, radiusM }] where the door may open;
 * - `declaredLocation`: { lat, lon } of a static asset (a cold store) without GPS;
 * - `route`: { points: [{ lat, lon }, …], corridorHalfWidthM? } for the route rule.
 * Malformed attributes are ignored (and listed in `ignored`), never fatal: the chain already
 * holds the registration, and every node must reach the same result from it.
 */
export interface DeviceRuleContext {
  subject?: string;
  category?: string;
  authorisedLocations: Geofence[];
  declaredLocation?: LatLon;
  route?: DeclaredRoute;
  ignored: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asLatLon(v: unknown): LatLon | undefined {
  if (!isObject(v) || typeof v.lat !== 'number' || typeof v.lon !== 'number') return undefined;
  const p = { lat: v.lat, lon: v.lon };
  return isLatLon(p) ? p : undefined;
}

export function deviceRuleContext(attributes: Record<string, unknown>, ruleSet: RuleSet): DeviceRuleContext {
  const ctx: DeviceRuleContext = { authorisedLocations: [], ignored: [] };
  for (const key of ['container', 'subject', 'lot']) {
    const v = attributes[key];
    if (typeof v === 'string' && v.length > 0) {
      ctx.subject = canonicalIdentifier(v);
      break;
    }
  }
  const category = attributes.category;
  if (typeof category === 'string' && Object.prototype.hasOwnProperty.call(ruleSet.categories, category)) ctx.category = category;
  else if (category !== undefined) ctx.ignored.push('category');
  const fences = attributes.authorisedLocations;
  if (Array.isArray(fences)) {
    fences.forEach((g, i) => {
      const at = asLatLon(g);
      if (at && isObject(g) && typeof g.id === 'string' && g.id.length > 0 && typeof g.radiusM === 'number' && Number.isFinite(g.radiusM) && g.radiusM >= 0) {
        ctx.authorisedLocations.push({ id: g.id, lat: at.lat, lon: at.lon, radiusM: g.radiusM });
      } else {
        ctx.ignored.push(`authorisedLocations[${i}]`);
      }
    });
  } else if (fences !== undefined) ctx.ignored.push('authorisedLocations');
  if (attributes.declaredLocation !== undefined) {
    const at = asLatLon(attributes.declaredLocation);
    if (at) ctx.declaredLocation = at;
    else ctx.ignored.push('declaredLocation');
  }
  const route = attributes.route;
  if (route !== undefined) {
    const points = isObject(route) && Array.isArray(route.points) ? route.points.map(asLatLon) : [];
    const width = isObject(route) ? route.corridorHalfWidthM : undefined;
    const widthOk = width === undefined || (typeof width === 'number' && Number.isFinite(width) && width >= 0);
    if (points.length >= 2 && points.every((p) => p !== undefined) && widthOk) {
      ctx.route = { points: points as LatLon[], ...(width !== undefined ? { corridorHalfWidthM: width as number } : {}) };
    } else {
      ctx.ignored.push('route');
    }
  }
  return ctx;
}

/** Reading types to load for a window holding readings of `windowTypes`; empty: no rule can fire. */
export function typesToEvaluate(ctx: DeviceRuleContext, windowTypes: ReadonlySet<string>): string[] {
  const types = new Set<string>();
  // A breach established in the window is established by one of the window's own readings.
  if (ctx.category && windowTypes.has('temperature')) types.add('temperature');
  if (windowTypes.has('door')) {
    types.add('door');
    types.add('gps');
  }
  if (ctx.route && windowTypes.has('gps')) types.add('gps');
  return [...types].sort();
}

/** How far back to look first: the longest allowed time, plus a sample gap, plus the GPS tolerance of the door rule. */
export function initialLookbackMs(ruleSet: RuleSet, ctx: DeviceRuleContext): number {
  const allowed = Math.max(ctx.category ? ruleSet.categories[ctx.category]!.allowedExcursionS : 0, ctx.route ? ruleSet.route.allowedOffRouteS : 0);
  const gap = Math.max(ruleSet.temperature.maxSampleGapS, ruleSet.route.maxFixGapS);
  return (allowed + gap + ruleSet.door.gpsToleranceS) * 1000;
}

// ---------------------------------------------------------------------------------------------
// Evaluation over a span

export interface SpanReading {
  reading: Reading;
  /** The sensor.window record that committed the reading. */
  windowRecordHash: string;
}

export interface BreachCandidate {
  finding: Finding;
  /** The reading at which the breach was established. */
  crossing: Reading;
  crossingWindow: string;
  /** RFC 3339: when the breach was established (the crossing reading's observedAt). */
  breachAt: string;
  /** The run starts at the first loaded reading of its series: it may have started earlier. */
  startsAtSpanEdge: boolean;
}

export interface SpanEvaluation {
  verdict: Verdict;
  /** Every breach finding of the span with its crossing reading. */
  breaches: BreachCandidate[];
  /** Readings left out because their value does not fit their type (e.g. a boolean temperature). */
  skippedReadings: number;
}

const RULE_TYPES = new Set(['temperature', 'door', 'gps', 'humidity']);

function toRuleReading(r: Reading): RuleReading | undefined {
  if (!RULE_TYPES.has(r.type)) return undefined;
  const v = r.value;
  const fits =
    r.type === 'door' ? typeof v === 'boolean' : r.type === 'gps' ? typeof v === 'object' && v !== null : typeof v === 'number' && Number.isFinite(v);
  if (!fits) return undefined;
  return { deviceId: r.deviceId, seq: r.seq, observedAt: r.observedAt, type: r.type as RuleReading['type'], value: v, ...(r.uom !== undefined ? { uom: r.uom } : {}) };
}

const SERIES_TYPE: Record<string, string> = { 'cold-chain': 'temperature', route: 'gps', door: 'door' };

/**
 * Evaluates the rules over one device's span. Throws RuleError when the readings cannot be judged
 * (e.g. a temperature in Fahrenheit): that is the same on every node.
 */
export function evaluateSpan(readings: readonly SpanReading[], ctx: DeviceRuleContext, ruleSet: RuleSet): SpanEvaluation {
  const ruleReadings: RuleReading[] = [];
  const byKey = new Map<string, SpanReading>();
  let skippedReadings = 0;
  for (const s of readings) {
    const r = toRuleReading(s.reading);
    if (!r) {
      skippedReadings += 1;
      continue;
    }
    ruleReadings.push(r);
    byKey.set(`${r.deviceId}\u0000${r.seq}`, s);
  }
  const sorted = prepareReadings(ruleReadings);
  const findings: Finding[] = [
    ...(ctx.category && sorted.some((t) => t.reading.type === 'temperature') ? coldChainFindings(sorted, ruleSet, { category: ctx.category }) : []),
    ...doorFindings(sorted, ruleSet, { authorisedLocations: ctx.authorisedLocations, declaredLocation: ctx.declaredLocation }),
    ...(ctx.route ? routeFindings(sorted, ruleSet, { route: ctx.route }) : []),
  ];
  const verdict = buildVerdict(ruleSetRef(ruleSet), findings);
  const firstOfSeries = new Map<string, number>();
  for (const t of sorted) {
    const key = `${t.reading.deviceId}\u0000${t.reading.type}`;
    if (!firstOfSeries.has(key)) firstOfSeries.set(key, t.atMs);
  }
  const timed = new Map<string, TimedReading>(sorted.map((t) => [`${t.reading.deviceId}\u0000${t.reading.seq}`, t]));
  const breaches: BreachCandidate[] = [];
  for (const finding of verdict.findings) {
    if (finding.severity !== 'breach') continue;
    const evidence = finding.readings.map((e) => timed.get(`${e.deviceId}\u0000${e.seq}`)).filter((t): t is TimedReading => t !== undefined);
    const crossing = crossingOf(finding, evidence, ctx, ruleSet);
    if (!crossing) continue;
    const source = byKey.get(`${crossing.reading.deviceId}\u0000${crossing.reading.seq}`)!;
    const fromMs = parseInstant(finding.from, 'finding.from');
    const seriesStart = firstOfSeries.get(`${finding.deviceId ?? crossing.reading.deviceId}\u0000${SERIES_TYPE[finding.rule]}`);
    breaches.push({
      finding,
      crossing: source.reading,
      crossingWindow: source.windowRecordHash,
      breachAt: crossing.reading.observedAt,
      startsAtSpanEdge: seriesStart !== undefined && fromMs <= seriesStart,
    });
  }
  return { verdict, breaches, skippedReadings };
}

/** The first evidence reading past the allowed time (cold chain, route); the opening itself (door). */
function crossingOf(finding: Finding, evidence: readonly TimedReading[], ctx: DeviceRuleContext, ruleSet: RuleSet): TimedReading | undefined {
  const inTime = [...evidence].sort((a, b) => a.atMs - b.atMs || a.reading.seq - b.reading.seq);
  if (finding.rule === 'door') return inTime.find((t) => t.reading.type === 'door');
  const allowedS = finding.rule === 'cold-chain' ? ruleSet.categories[ctx.category!]!.allowedExcursionS : ruleSet.route.allowedOffRouteS;
  const fromMs = parseInstant(finding.from, 'finding.from');
  return inTime.find((t) => t.atMs - fromMs > allowedS * 1000);
}

/** Breaches established by a reading of the given window: the ones that window reports. */
export function breachesEstablishedIn(evaluation: SpanEvaluation, windowRecordHash: string): BreachCandidate[] {
  return evaluation.breaches.filter((b) => b.crossingWindow === windowRecordHash);
}

// ---------------------------------------------------------------------------------------------
// Rule sets on chain

/** The highest version of rule set `id` published before `beforeLogIndex` (first published wins a tie). */
export function ruleSetInForce(published: readonly PublishedRuleSet[], id: string, beforeLogIndex: number): PublishedRuleSet | undefined {
  let best: PublishedRuleSet | undefined;
  for (const p of published) {
    if (p.ref.id !== id || p.logIndex >= beforeLogIndex) continue;
    if (!best || p.ref.version > best.ref.version || (p.ref.version === best.ref.version && p.logIndex < best.logIndex)) best = p;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// The record

export function breachPayload(
  candidate: BreachCandidate,
  context: { subject: string; containedItems: readonly string[]; ruleSet: RuleSetRef; sensorWindow: string },
): BreachPayload {
  return {
    ...breachRecordPayload(candidate.finding, { subject: context.subject, containedItems: context.containedItems, ruleSet: context.ruleSet }),
    sensorWindow: context.sensorWindow,
  };
}

/**
 * The signed coldchain.breach record. signedAt is the instant the breach was established, not
 * the wall clock, so the same key re-evaluating the same window makes the same record (same hash:
 * the node reports it as a duplicate).
 */
export function signBreachRecord(consortium: string, payload: BreachPayload, breachAt: string, key: KeyPair): SignedRecord {
  return signRecord({ consortium, kind: RecordKind.COLD_CHAIN_BREACH, payload: payload as unknown as JsonValue, signedAt: breachAt }, key);
}
