/**
 * Versioned rule sets and the shared vocabulary of the cold-chain and integrity rules.
 * Everything here is pure and deterministic: the same readings and rule set give the same verdict,
 * byte for byte under JCS, on every node. Times are integer milliseconds, temperatures integer
 * milli-degrees Celsius, so no comparison depends on floating-point rounding of the inputs.
 */
import { HashTag, hashCanonical, type JsonValue } from '../crypto/index.js';
import { CodedError } from '../coded-error.js';

export type RuleErrorCode = 'INVALID_RULESET' | 'INVALID_READING' | 'DUPLICATE_READING' | 'INVALID_OPTIONS' | 'NOT_A_BREACH';

export class RuleError extends CodedError<RuleErrorCode> {
  override readonly name = 'RuleError';
}

// ---------------------------------------------------------------------------------------------
// Readings

export type ReadingType = 'temperature' | 'door' | 'gps' | 'humidity';
export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}
export interface Reading {
  readonly deviceId: string;
  readonly seq: number;
  /** RFC 3339 UTC with milliseconds, e.g. 2026-01-02T03:04:05.678Z. */
  readonly observedAt: string;
  readonly type: ReadingType;
  readonly value: number | boolean | LatLon;
  readonly uom?: string;
}

/** A reading after validation, with its time as integer epoch milliseconds. */
export interface TimedReading {
  readonly reading: Reading;
  readonly atMs: number;
}

const RFC3339_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function parseInstant(value: string, what: string): number {
  const ms = RFC3339_UTC_MS.test(value) ? Date.parse(value) : Number.NaN;
  // Date.parse accepts 2026-02-30; the round trip rejects it.
  if (!Number.isFinite(ms) || new Date(ms).toISOString() !== value) {
    throw new RuleError('INVALID_READING', `${what}: ${JSON.stringify(value)} is not an RFC 3339 UTC millisecond instant`, {
      field: what,
      value,
    });
  }
  return ms;
}

export function formatInstant(ms: number): string {
  return new Date(ms).toISOString();
}

function checkReading(r: Reading, index: number): void {
  const where = `readings[${index}]`;
  const bad = (message: string, field: string): never => {
    throw new RuleError('INVALID_READING', `${where}.${field}: ${message}`, { index, field, deviceId: r?.deviceId, seq: r?.seq });
  };
  if (typeof r !== 'object' || r === null) bad('not an object', '');
  if (typeof r.deviceId !== 'string' || r.deviceId.length === 0) bad('deviceId must be a non-empty string', 'deviceId');
  if (!Number.isSafeInteger(r.seq) || r.seq < 0) bad('seq must be a non-negative safe integer', 'seq');
  switch (r.type) {
    case 'temperature':
    case 'humidity':
      if (typeof r.value !== 'number' || !Number.isFinite(r.value)) bad(`${r.type} value must be a finite number`, 'value');
      break;
    case 'door':
      if (typeof r.value !== 'boolean') bad('door value must be a boolean (true = open)', 'value');
      break;
    case 'gps': {
      const v = r.value as LatLon;
      if (typeof v !== 'object' || v === null || !isLatLon(v)) bad('gps value must be {lat, lon} in degrees', 'value');
      break;
    }
    default:
      bad(`unknown reading type ${JSON.stringify(r.type)}`, 'type');
  }
  if (r.uom !== undefined && typeof r.uom !== 'string') bad('uom must be a string', 'uom');
}

export function isLatLon(v: LatLon): boolean {
  return (
    typeof v.lat === 'number' &&
    typeof v.lon === 'number' &&
    Number.isFinite(v.lat) &&
    Number.isFinite(v.lon) &&
    v.lat >= -90 &&
    v.lat <= 90 &&
    v.lon >= -180 &&
    v.lon <= 180
  );
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The total order every rule uses: (observedAt, deviceId, seq). Input order is never trusted. */
export function compareReadings(a: TimedReading, b: TimedReading): number {
  return a.atMs - b.atMs || compareCodeUnits(a.reading.deviceId, b.reading.deviceId) || a.reading.seq - b.reading.seq;
}

function sameReading(a: Reading, b: Reading): boolean {
  const va = typeof a.value === 'object' ? `${a.value.lat},${a.value.lon}` : String(a.value);
  const vb = typeof b.value === 'object' ? `${b.value.lat},${b.value.lon}` : String(b.value);
  return a.observedAt === b.observedAt && a.type === b.type && va === vb && a.uom === b.uom;
}

/**
 * Validates and sorts readings. A (deviceId, seq) delivered twice with identical content (MQTT
 * at-least-once) is kept once; with different content it is a conflict, since either choice would
 * make the verdict depend on arrival order.
 */
export function prepareReadings(readings: readonly Reading[]): TimedReading[] {
  if (!Array.isArray(readings)) throw new RuleError('INVALID_READING', 'readings must be an array', {});
  const byKey = new Map<string, TimedReading>();
  readings.forEach((r, i) => {
    checkReading(r, i);
    const atMs = parseInstant(r.observedAt, `readings[${i}].observedAt`);
    const key = `${r.deviceId}\u0000${r.seq}`;
    const seen = byKey.get(key);
    if (seen) {
      if (!sameReading(seen.reading, r)) {
        throw new RuleError('DUPLICATE_READING', `device ${r.deviceId} seq ${r.seq} was reported twice with different content`, {
          deviceId: r.deviceId,
          seq: r.seq,
        });
      }
      return;
    }
    byKey.set(key, { reading: r, atMs });
  });
  return [...byKey.values()].sort(compareReadings);
}

// ---------------------------------------------------------------------------------------------
// Rule sets

export interface CategoryLimit {
  readonly label: string;
  /** Highest allowed temperature, inclusive, in milli-degrees Celsius (7 °C = 7000). */
  readonly maxTempMilliC: number;
  /** An excursion lasting longer than this is a breach; this long or shorter is informational. */
  readonly allowedExcursionS: number;
}
export interface RuleSet {
  readonly id: string;
  /** Positive integer; bump on any change. The hash, not the number, is what verdicts are bound to. */
  readonly version: number;
  readonly categories: { readonly [category: string]: CategoryLimit };
  readonly temperature: {
    /** Consecutive samples of one sensor further apart than this leave the interval unknown. */
    readonly maxSampleGapS: number;
  };
  readonly door: {
    /** A GPS fix this close in time to a door opening locates it. */
    readonly gpsToleranceS: number;
  };
  readonly route: {
    /** Default maximum distance from the route's centre line (half the corridor width). */
    readonly corridorHalfWidthM: number;
    readonly allowedOffRouteS: number;
    readonly maxFixGapS: number;
  };
}
export interface RuleSetRef {
  readonly id: string;
  readonly version: number;
  readonly hash: string;
}

/** Limits from the domain brief (EU/UK hygiene rules for food of animal origin). */
export const DEFAULT_RULESET: RuleSet = deepFreeze({
  id: 'provenant-cold-chain',
  version: 1,
  categories: {
    'chilled-red-meat': { label: 'Chilled red meat', maxTempMilliC: 7000, allowedExcursionS: 1800 },
    offal: { label: 'Offal', maxTempMilliC: 3000, allowedExcursionS: 900 },
    mince: { label: 'Minced meat', maxTempMilliC: 2000, allowedExcursionS: 900 },
    frozen: { label: 'Frozen', maxTempMilliC: -18000, allowedExcursionS: 1800 },
  },
  temperature: { maxSampleGapS: 900 },
  door: { gpsToleranceS: 300 },
  route: { corridorHalfWidthM: 2000, allowedOffRouteS: 900, maxFixGapS: 900 },
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function validateRuleSet(ruleSet: RuleSet): void {
  const bad = (field: string, message: string): never => {
    throw new RuleError('INVALID_RULESET', `ruleSet.${field}: ${message}`, { field, ruleSetId: ruleSet?.id });
  };
  const nonNegInt = (v: unknown, field: string): void => {
    if (!Number.isSafeInteger(v) || (v as number) < 0) bad(field, 'must be a non-negative integer');
  };
  if (typeof ruleSet !== 'object' || ruleSet === null) bad('', 'must be an object');
  if (typeof ruleSet.id !== 'string' || ruleSet.id.length === 0) bad('id', 'must be a non-empty string');
  if (!Number.isSafeInteger(ruleSet.version) || ruleSet.version < 1) bad('version', 'must be a positive integer');
  if (typeof ruleSet.categories !== 'object' || ruleSet.categories === null) bad('categories', 'must be an object');
  for (const [name, c] of Object.entries(ruleSet.categories)) {
    if (typeof c?.label !== 'string') bad(`categories.${name}.label`, 'must be a string');
    if (!Number.isSafeInteger(c.maxTempMilliC)) bad(`categories.${name}.maxTempMilliC`, 'must be an integer (milli-°C)');
    nonNegInt(c.allowedExcursionS, `categories.${name}.allowedExcursionS`);
  }
  nonNegInt(ruleSet.temperature?.maxSampleGapS, 'temperature.maxSampleGapS');
  nonNegInt(ruleSet.door?.gpsToleranceS, 'door.gpsToleranceS');
  nonNegInt(ruleSet.route?.corridorHalfWidthM, 'route.corridorHalfWidthM');
  nonNegInt(ruleSet.route?.allowedOffRouteS, 'route.allowedOffRouteS');
  nonNegInt(ruleSet.route?.maxFixGapS, 'route.maxFixGapS');
}

/** SHA-256 under the RULESET tag of the JCS form: what a 'rules.publish' record carries on chain. */
export function ruleSetHash(ruleSet: RuleSet): string {
  validateRuleSet(ruleSet);
  return hashCanonical(HashTag.RULESET, ruleSet);
}

export function ruleSetRef(ruleSet: RuleSet): RuleSetRef {
  return { id: ruleSet.id, version: ruleSet.version, hash: ruleSetHash(ruleSet) };
}

/** Payload of a 'rules.publish' record: the full rule set and its hash, so any node can recheck it. */
export function ruleSetPublishPayload(ruleSet: RuleSet): { ruleSet: JsonValue; hash: string } {
  const hash = ruleSetHash(ruleSet);
  return { ruleSet: JSON.parse(JSON.stringify(ruleSet)) as JsonValue, hash };
}

// ---------------------------------------------------------------------------------------------
// Findings and verdicts

export type RuleName = 'cold-chain' | 'door' | 'route';
export type FindingCode =
  | 'TEMPERATURE_BREACH'
  | 'TEMPERATURE_EXCURSION'
  | 'DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION'
  | 'DOOR_OPEN_UNKNOWN_LOCATION'
  | 'DOOR_OPENED_AT_AUTHORISED_LOCATION'
  | 'OFF_ROUTE'
  | 'OFF_ROUTE_EXCURSION'
  | 'DATA_GAP'
  | 'NO_DATA';
export type Severity = 'breach' | 'warning' | 'info';

export interface EvidenceRef {
  readonly deviceId: string;
  readonly seq: number;
}
export interface Finding {
  readonly rule: RuleName;
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly from: string;
  readonly to: string;
  /** to - from in seconds, with millisecond resolution. */
  readonly durationS: number;
  /** True when the data ends before the condition did, so the duration is a lower bound. */
  readonly openEnded?: boolean;
  /** Highest observed value: °C for temperature, metres from the route for OFF_ROUTE. */
  readonly maxValue?: number;
  readonly limit?: number;
  readonly deviceId?: string;
  /** Authorised location id (door findings at an authorised site). */
  readonly locationId?: string;
  readonly location?: LatLon;
  readonly message: string;
  readonly readings: readonly EvidenceRef[];
}

/**
 * 'pass' only with no breach and no warning. A data gap is a warning: the verdict is then
 * 'inconclusive' (ok = false), never silently OK.
 */
export type VerdictStatus = 'pass' | 'fail' | 'inconclusive';
export interface Verdict {
  readonly ok: boolean;
  readonly status: VerdictStatus;
  readonly ruleSet: RuleSetRef;
  readonly findings: readonly Finding[];
}

export function buildVerdict(ref: RuleSetRef, findings: readonly Finding[]): Verdict {
  const status: VerdictStatus = findings.some((f) => f.severity === 'breach')
    ? 'fail'
    : findings.some((f) => f.severity === 'warning')
      ? 'inconclusive'
      : 'pass';
  return { ok: status === 'pass', status, ruleSet: ref, findings: [...findings].sort(compareFindings) };
}

/** Findings in time order; ties broken on fields only, so the order never reflects evaluation order. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareCodeUnits(a.from, b.from) ||
    compareCodeUnits(a.rule, b.rule) ||
    compareCodeUnits(a.deviceId ?? '', b.deviceId ?? '') ||
    compareCodeUnits(a.code, b.code) ||
    compareCodeUnits(a.to, b.to)
  );
}

export function evidenceOf(items: readonly TimedReading[]): EvidenceRef[] {
  return items.map((t) => ({ deviceId: t.reading.deviceId, seq: t.reading.seq }));
}

export function durationSeconds(fromMs: number, toMs: number): number {
  return (toMs - fromMs) / 1000;
}

/** Finding for consecutive samples of one series further apart than the allowed gap. */
export function dataGapFindings(
  rule: RuleName,
  series: readonly TimedReading[],
  maxGapS: number,
  what: string,
): Finding[] {
  const out: Finding[] = [];
  const maxGapMs = maxGapS * 1000;
  for (let i = 1; i < series.length; i++) {
    const prev = series[i - 1]!;
    const next = series[i]!;
    const gapMs = next.atMs - prev.atMs;
    if (gapMs > maxGapMs) {
      out.push({
        rule,
        code: 'DATA_GAP',
        severity: 'warning',
        from: prev.reading.observedAt,
        to: next.reading.observedAt,
        durationS: durationSeconds(prev.atMs, next.atMs),
        limit: maxGapS,
        deviceId: next.reading.deviceId,
        message: `no ${what} from ${next.reading.deviceId} for ${gapMs / 1000} s (allowed gap ${maxGapS} s): state unknown`,
        readings: evidenceOf([prev, next]),
      });
    }
  }
  return out;
}

/**
 * A run of consecutive samples where a condition holds ("out of bounds"). Duration rule, shared by
 * temperature and route: from the first out-of-bounds sample to the first later sample back in
 * bounds; if the series ends out of bounds, to the last sample (open-ended, a lower bound).
 * Missing data inside a run is not evidence of a return, so a gap never ends a run.
 */
export interface Run {
  readonly samples: TimedReading[];
  /** The in-bounds sample that ended the run, if any. */
  readonly end?: TimedReading;
  readonly fromMs: number;
  readonly toMs: number;
  readonly openEnded: boolean;
}

export function outOfBoundsRuns(series: readonly TimedReading[], isOut: (t: TimedReading) => boolean): Run[] {
  const runs: Run[] = [];
  let current: TimedReading[] | undefined;
  for (const t of series) {
    if (isOut(t)) {
      (current ??= []).push(t);
    } else if (current) {
      runs.push({ samples: current, end: t, fromMs: current[0]!.atMs, toMs: t.atMs, openEnded: false });
      current = undefined;
    }
  }
  if (current) {
    runs.push({ samples: current, fromMs: current[0]!.atMs, toMs: current[current.length - 1]!.atMs, openEnded: true });
  }
  return runs;
}

export function groupByDevice(readings: readonly TimedReading[]): Map<string, TimedReading[]> {
  const out = new Map<string, TimedReading[]>();
  for (const t of readings) {
    const list = out.get(t.reading.deviceId);
    if (list) list.push(t);
    else out.set(t.reading.deviceId, [t]);
  }
  // Map keeps insertion order; re-insert in device-id order so iteration never depends on input.
  return new Map([...out.entries()].sort(([a], [b]) => compareCodeUnits(a, b)));
}

/** Optional evaluation window: readings outside are ignored; the edges count toward data gaps. */
export interface EvaluationWindow {
  readonly from: string;
  readonly to: string;
}

export function applyWindow(
  readings: readonly TimedReading[],
  window: EvaluationWindow | undefined,
): { readings: TimedReading[]; fromMs?: number; toMs?: number } {
  if (!window) return { readings: [...readings] };
  const fromMs = parseInstant(window.from, 'window.from');
  const toMs = parseInstant(window.to, 'window.to');
  if (toMs < fromMs) {
    throw new RuleError('INVALID_OPTIONS', 'window.to is before window.from', { from: window.from, to: window.to });
  }
  return { readings: readings.filter((t) => t.atMs >= fromMs && t.atMs <= toMs), fromMs, toMs };
}

/** Gaps between the window's edges and the first/last sample of a series. */
export function windowEdgeGaps(
  rule: RuleName,
  series: readonly TimedReading[],
  window: { fromMs?: number; toMs?: number },
  maxGapS: number,
  what: string,
): Finding[] {
  const out: Finding[] = [];
  const first = series[0];
  const last = series[series.length - 1];
  if (!first || !last || window.fromMs === undefined || window.toMs === undefined) return out;
  const maxGapMs = maxGapS * 1000;
  const edge = (fromMs: number, toMs: number, at: TimedReading): void => {
    if (toMs - fromMs > maxGapMs) {
      out.push({
        rule,
        code: 'DATA_GAP',
        severity: 'warning',
        from: formatInstant(fromMs),
        to: formatInstant(toMs),
        durationS: durationSeconds(fromMs, toMs),
        limit: maxGapS,
        deviceId: at.reading.deviceId,
        message: `no ${what} from ${at.reading.deviceId} between ${formatInstant(fromMs)} and ${formatInstant(toMs)} (window edge)`,
        readings: evidenceOf([at]),
      });
    }
  };
  edge(window.fromMs, first.atMs, first);
  edge(last.atMs, window.toMs, last);
  return out;
}
