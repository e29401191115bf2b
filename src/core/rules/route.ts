/**
 * Route rule and the geometry shared with the door rule.
 *
 * Geometry: equirectangular projection on a sphere of radius 6 371 008.8 m (IUGG mean), centred on
 * the point being tested (for point-to-point distances, at the mean latitude of the two points).
 * Error against a haversine great-circle distance is under 0.1 % for distances up to ~50 km at
 * latitudes below 70°, growing with distance and latitude; routes should be given with points at
 * most ~50 km apart. Against the WGS-84 ellipsoid the sphere itself adds up to ~0.5 %.
 *
 * Determinism: only IEEE-754 basic operations (+ - * / and sqrt, all correctly rounded) are used.
 * Math.cos is implementation-approximated in ECMAScript and could differ between engines, so the
 * cosine is a fixed Taylor polynomial evaluated by Horner's rule (error < 1e-16 for |x| <= π/2).
 * Distances are compared squared against squared limits, so no rounding step decides a verdict.
 *
 * Route duration rule: as for temperature, off-route lasts from the first fix outside the corridor
 * to the first later fix back inside (or to the last fix, openEnded). Longer than allowedOffRouteS
 * is OFF_ROUTE (breach); otherwise OFF_ROUTE_EXCURSION (info). Each GPS device is its own series.
 */
import {
  DEFAULT_RULESET,
  RuleError,
  applyWindow,
  buildVerdict,
  dataGapFindings,
  durationSeconds,
  evidenceOf,
  formatInstant,
  groupByDevice,
  isLatLon,
  outOfBoundsRuns,
  prepareReadings,
  ruleSetRef,
  windowEdgeGaps,
  type EvaluationWindow,
  type Finding,
  type LatLon,
  type Reading,
  type RuleSet,
  type TimedReading,
  type Verdict,
} from './ruleset.js';

export const EARTH_RADIUS_M = 6371008.8;
const RAD_PER_DEG = Math.PI / 180;

// Taylor coefficients (-1)^k / (2k)!, k = 0..11, built with divisions only (deterministic).
const COS_COEFFS: readonly number[] = (() => {
  const c = [1];
  for (let k = 1; k <= 11; k++) c.push(-c[k - 1]! / ((2 * k - 1) * (2 * k)));
  return c;
})();

/** cos(x) for |x| <= π/2 (latitudes), engine-independent. */
export function deterministicCos(x: number): number {
  const x2 = x * x;
  let acc = 0;
  for (let k = COS_COEFFS.length - 1; k >= 0; k--) acc = acc * x2 + COS_COEFFS[k]!;
  return acc;
}

function wrapDegrees(d: number): number {
  if (d > 180) return d - 360;
  if (d < -180) return d + 360;
  return d;
}

/** Planar offset in metres of `p` from `origin`, x east, y north, scaled at latitude `scaleLatDeg`. */
function project(p: LatLon, origin: LatLon, scaleLatDeg: number): { x: number; y: number } {
  const k = EARTH_RADIUS_M * RAD_PER_DEG;
  return {
    x: wrapDegrees(p.lon - origin.lon) * k * deterministicCos(scaleLatDeg * RAD_PER_DEG),
    y: (p.lat - origin.lat) * k,
  };
}

/** Squared distance in m², equirectangular at the mean latitude. */
export function distanceSqM(a: LatLon, b: LatLon): number {
  const { x, y } = project(b, a, (a.lat + b.lat) / 2);
  return x * x + y * y;
}

export function distanceM(a: LatLon, b: LatLon): number {
  return Math.sqrt(distanceSqM(a, b));
}

/** Squared distance in m² from p to segment ab, projected around p. */
export function distanceToSegmentSqM(p: LatLon, a: LatLon, b: LatLon): number {
  const pa = project(a, p, p.lat);
  const pb = project(b, p, p.lat);
  const dx = pb.x - pa.x;
  const dy = pb.y - pa.y;
  const lenSq = dx * dx + dy * dy;
  let t = lenSq === 0 ? 0 : -(pa.x * dx + pa.y * dy) / lenSq;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const cx = pa.x + t * dx;
  const cy = pa.y + t * dy;
  return cx * cx + cy * cy;
}

export function distanceToPolylineSqM(p: LatLon, points: readonly LatLon[]): number {
  if (points.length === 1) return distanceSqM(p, points[0]!);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 1; i < points.length; i++) {
    const d = distanceToSegmentSqM(p, points[i - 1]!, points[i]!);
    if (d < best) best = d;
  }
  return best;
}

export interface DeclaredRoute {
  readonly points: readonly LatLon[];
  /** Overrides the rule set's corridorHalfWidthM for this route (metres either side of the line). */
  readonly corridorHalfWidthM?: number;
}
export interface RouteOptions {
  readonly route: DeclaredRoute;
  readonly ruleSet?: RuleSet;
  readonly window?: EvaluationWindow;
}

function checkRoute(route: DeclaredRoute): void {
  if (typeof route !== 'object' || route === null || !Array.isArray(route.points) || route.points.length < 2) {
    throw new RuleError('INVALID_OPTIONS', 'route.points must list at least 2 points', { field: 'route.points' });
  }
  route.points.forEach((p, i) => {
    if (typeof p !== 'object' || p === null || !isLatLon(p)) {
      throw new RuleError('INVALID_OPTIONS', `route.points[${i}] is not {lat, lon} in degrees`, { field: `route.points[${i}]` });
    }
  });
  const w = route.corridorHalfWidthM;
  if (w !== undefined && (!Number.isFinite(w) || w < 0)) {
    throw new RuleError('INVALID_OPTIONS', 'route.corridorHalfWidthM must be a non-negative number', {
      field: 'route.corridorHalfWidthM',
      value: w,
    });
  }
}

export function evaluateRoute(readings: readonly Reading[], options: RouteOptions): Verdict {
  const ruleSet = options.ruleSet ?? DEFAULT_RULESET;
  const ref = ruleSetRef(ruleSet);
  return buildVerdict(ref, routeFindings(prepareReadings(readings), ruleSet, options));
}

export function routeFindings(sorted: readonly TimedReading[], ruleSet: RuleSet, options: RouteOptions): Finding[] {
  checkRoute(options.route);
  const halfWidthM = options.route.corridorHalfWidthM ?? ruleSet.route.corridorHalfWidthM;
  const limitSq = halfWidthM * halfWidthM;
  const allowedMs = ruleSet.route.allowedOffRouteS * 1000;
  const windowed = applyWindow(sorted, options.window);
  const fixes = windowed.readings.filter((t) => t.reading.type === 'gps');
  const findings: Finding[] = [];

  if (fixes.length === 0) {
    findings.push({
      rule: 'route',
      code: 'NO_DATA',
      severity: 'warning',
      from: windowed.fromMs === undefined ? '' : formatInstant(windowed.fromMs),
      to: windowed.toMs === undefined ? '' : formatInstant(windowed.toMs),
      durationS: windowed.fromMs === undefined || windowed.toMs === undefined ? 0 : durationSeconds(windowed.fromMs, windowed.toMs),
      message: 'no GPS fixes: adherence to the declared route cannot be assessed',
      readings: [],
    });
    return findings;
  }

  const distSq = new Map<TimedReading, number>();
  for (const t of fixes) distSq.set(t, distanceToPolylineSqM(t.reading.value as LatLon, options.route.points));

  for (const [deviceId, series] of groupByDevice(fixes)) {
    findings.push(...windowEdgeGaps('route', series, windowed, ruleSet.route.maxFixGapS, 'GPS fix'));
    findings.push(...dataGapFindings('route', series, ruleSet.route.maxFixGapS, 'GPS fix'));
    for (const run of outOfBoundsRuns(series, (t) => distSq.get(t)! > limitSq)) {
      const farthest = run.samples.reduce((m, t) => Math.max(m, distSq.get(t)!), 0);
      const maxM = Math.round(Math.sqrt(farthest));
      const durationMs = run.toMs - run.fromMs;
      const breach = durationMs > allowedMs;
      findings.push({
        rule: 'route',
        code: breach ? 'OFF_ROUTE' : 'OFF_ROUTE_EXCURSION',
        severity: breach ? 'breach' : 'info',
        from: formatInstant(run.fromMs),
        to: formatInstant(run.toMs),
        durationS: durationSeconds(run.fromMs, run.toMs),
        ...(run.openEnded ? { openEnded: true } : {}),
        maxValue: maxM,
        limit: halfWidthM,
        deviceId,
        message:
          `${deviceId} more than ${halfWidthM} m from the declared route for ${durationMs / 1000} s` +
          `${run.openEnded ? ' (still off route at end of data)' : ''}, up to ${maxM} m; allowed ${ruleSet.route.allowedOffRouteS} s`,
        readings: evidenceOf(run.end ? [...run.samples, run.end] : run.samples),
      });
    }
  }
  return findings;
}
