/**
 * Door rule: a door may open only inside an authorised location (geofence).
 *
 * An opening is a door=true reading whose previous reading from the same sensor was not true (or
 * the sensor's first reading); repeated true reports belong to the same opening, which ends at the
 * first false reading (or the last true one, openEnded). The opening is located at the moment it
 * starts: by the GPS fix (any device) nearest in time within door.gpsToleranceS, ties going to the
 * earlier fix, then lower deviceId and seq; failing that, by the declared location, if given.
 * Inside a geofence when distance to its centre <= radiusM (geometry as in route.ts).
 * - outside every authorised location: DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION (breach);
 * - no location: DOOR_OPEN_UNKNOWN_LOCATION (warning, so the verdict is inconclusive, not OK);
 * - inside: DOOR_OPENED_AT_AUTHORISED_LOCATION (info), kept as an audit trail.
 */
import { distanceSqM } from './route.js';
import {
  DEFAULT_RULESET,
  RuleError,
  applyWindow,
  buildVerdict,
  durationSeconds,
  evidenceOf,
  formatInstant,
  groupByDevice,
  isLatLon,
  prepareReadings,
  ruleSetRef,
  type EvaluationWindow,
  type Finding,
  type LatLon,
  type Reading,
  type RuleSet,
  type TimedReading,
  type Verdict,
} from './ruleset.js';

export interface Geofence {
  readonly id: string;
  readonly lat: number;
  readonly lon: number;
  readonly radiusM: number;
}
export interface DoorOptions {
  readonly authorisedLocations: readonly Geofence[];
  /** Where the asset is known to be when no GPS fix is near enough (e.g. a static cold store). */
  readonly declaredLocation?: LatLon;
  readonly ruleSet?: RuleSet;
  readonly window?: EvaluationWindow;
}

function checkDoorOptions(options: DoorOptions): Geofence[] {
  if (!Array.isArray(options.authorisedLocations)) {
    throw new RuleError('INVALID_OPTIONS', 'authorisedLocations must be an array of geofences', { field: 'authorisedLocations' });
  }
  options.authorisedLocations.forEach((g, i) => {
    const ok =
      typeof g === 'object' &&
      g !== null &&
      typeof g.id === 'string' &&
      g.id.length > 0 &&
      isLatLon(g) &&
      Number.isFinite(g.radiusM) &&
      g.radiusM >= 0;
    if (!ok) {
      throw new RuleError('INVALID_OPTIONS', `authorisedLocations[${i}] must be {id, lat, lon, radiusM >= 0}`, {
        field: `authorisedLocations[${i}]`,
      });
    }
  });
  if (options.declaredLocation !== undefined && !isLatLon(options.declaredLocation)) {
    throw new RuleError('INVALID_OPTIONS', 'declaredLocation must be {lat, lon} in degrees', { field: 'declaredLocation' });
  }
  // Id order, so which fence an opening is attributed to never depends on the input order.
  return [...options.authorisedLocations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function evaluateDoor(readings: readonly Reading[], options: DoorOptions): Verdict {
  const ruleSet = options.ruleSet ?? DEFAULT_RULESET;
  const ref = ruleSetRef(ruleSet);
  return buildVerdict(ref, doorFindings(prepareReadings(readings), ruleSet, options));
}

/** The fix nearest in time to atMs within the tolerance; fixes are sorted, so the first minimum wins. */
function nearestFix(fixes: readonly TimedReading[], atMs: number, toleranceMs: number): TimedReading | undefined {
  let best: TimedReading | undefined;
  let bestDt = Number.POSITIVE_INFINITY;
  for (const f of fixes) {
    const dt = Math.abs(f.atMs - atMs);
    if (dt <= toleranceMs && dt < bestDt) {
      best = f;
      bestDt = dt;
    }
  }
  return best;
}

export function doorFindings(sorted: readonly TimedReading[], ruleSet: RuleSet, options: DoorOptions): Finding[] {
  const fences = checkDoorOptions(options);
  const windowed = applyWindow(sorted, options.window);
  const fixes = windowed.readings.filter((t) => t.reading.type === 'gps');
  const doors = windowed.readings.filter((t) => t.reading.type === 'door');
  const toleranceMs = ruleSet.door.gpsToleranceS * 1000;
  const findings: Finding[] = [];

  for (const [deviceId, series] of groupByDevice(doors)) {
    let i = 0;
    while (i < series.length) {
      if (series[i]!.reading.value !== true) {
        i++;
        continue;
      }
      const open: TimedReading[] = [];
      while (i < series.length && series[i]!.reading.value === true) open.push(series[i++]!);
      const close = series[i]; // first false after the run, if any
      const start = open[0]!;
      const endMs = close ? close.atMs : open[open.length - 1]!.atMs;

      const fix = nearestFix(fixes, start.atMs, toleranceMs);
      const location: LatLon | undefined = fix ? (fix.reading.value as LatLon) : options.declaredLocation;
      const source = fix ? `GPS fix ${fix.reading.deviceId}#${fix.reading.seq}` : 'declared location';
      const fence = location
        ? fences.find((g) => distanceSqM(location, g) <= g.radiusM * g.radiusM)
        : undefined;
      const evidence = evidenceOf([...open, ...(close ? [close] : []), ...(fix ? [fix] : [])]);
      const base = {
        rule: 'door' as const,
        from: start.reading.observedAt,
        to: formatInstant(endMs),
        durationS: durationSeconds(start.atMs, endMs),
        ...(close ? {} : { openEnded: true }),
        deviceId,
        readings: evidence,
      };
      if (!location) {
        findings.push({
          ...base,
          code: 'DOOR_OPEN_UNKNOWN_LOCATION',
          severity: 'warning',
          message: `${deviceId} door opened at ${start.reading.observedAt} with no GPS fix within ${ruleSet.door.gpsToleranceS} s and no declared location`,
        });
      } else if (fence) {
        findings.push({
          ...base,
          code: 'DOOR_OPENED_AT_AUTHORISED_LOCATION',
          severity: 'info',
          location: { lat: location.lat, lon: location.lon },
          locationId: fence.id,
          message: `${deviceId} door opened at authorised location ${fence.id} (${source})`,
        });
      } else {
        findings.push({
          ...base,
          code: 'DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION',
          severity: 'breach',
          location: { lat: location.lat, lon: location.lon },
          message: `${deviceId} door opened at ${location.lat},${location.lon} (${source}), outside every authorised location`,
        });
      }
    }
  }
  return findings;
}
