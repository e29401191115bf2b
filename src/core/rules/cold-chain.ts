/**
 * Cold-chain rule: temperature must stay at or below the product category's limit.
 *
 * Each temperature sensor is a separate series (a reefer may carry several; one sensor's silence
 * is not covered by another's readings). Per series:
 * - a sample is "above" when its value in integer milli-degrees exceeds the limit; exactly at the
 *   limit is compliant;
 * - an excursion lasts from the first sample above the limit to the first later sample at or below
 *   it, or to the last sample if the series ends above (openEnded, a lower bound);
 * - an excursion longer than the category's allowedExcursionS is a TEMPERATURE_BREACH, otherwise a
 *   TEMPERATURE_EXCURSION (info);
 * - samples further apart than maxSampleGapS give a DATA_GAP warning. A gap inside an excursion
 *   does not end it: unknown time is counted against the shipment, not for it.
 * Humidity readings carry no rule yet and are ignored.
 */
import {
  RuleError,
  applyWindow,
  buildVerdict,
  dataGapFindings,
  durationSeconds,
  evidenceOf,
  formatInstant,
  groupByDevice,
  outOfBoundsRuns,
  prepareReadings,
  ruleSetRef,
  windowEdgeGaps,
  type EvaluationWindow,
  type Finding,
  type Reading,
  type RuleSet,
  type TimedReading,
  type Verdict,
  DEFAULT_RULESET,
} from './ruleset.js';

export interface ColdChainOptions {
  readonly category: string;
  readonly ruleSet?: RuleSet;
  readonly window?: EvaluationWindow;
}

const CELSIUS_UNITS = new Set(['CEL', 'Cel', '°C', 'C', 'degC']);

/** Temperature in integer milli-degrees Celsius (UN/CEFACT CEL or UCUM Cel; absent means Celsius). */
export function toMilliCelsius(reading: Reading): number {
  if (reading.uom !== undefined && !CELSIUS_UNITS.has(reading.uom)) {
    throw new RuleError('INVALID_READING', `temperature uom ${JSON.stringify(reading.uom)} is not Celsius`, {
      deviceId: reading.deviceId,
      seq: reading.seq,
      uom: reading.uom,
      expected: [...CELSIUS_UNITS],
    });
  }
  // Sensors report at most 0.001 °C resolution; rounding here is the only float step.
  return Math.round((reading.value as number) * 1000);
}

export function evaluateColdChain(readings: readonly Reading[], options: ColdChainOptions): Verdict {
  const ruleSet = options.ruleSet ?? DEFAULT_RULESET;
  const ref = ruleSetRef(ruleSet);
  return buildVerdict(ref, coldChainFindings(prepareReadings(readings), ruleSet, options));
}

/** Findings over already validated and sorted readings (used by evaluateAll). */
export function coldChainFindings(sorted: readonly TimedReading[], ruleSet: RuleSet, options: ColdChainOptions): Finding[] {
  const limits = Object.prototype.hasOwnProperty.call(ruleSet.categories, options.category)
    ? ruleSet.categories[options.category]
    : undefined;
  if (!limits) {
    throw new RuleError('INVALID_OPTIONS', `unknown product category ${JSON.stringify(options.category)}`, {
      category: options.category,
      known: Object.keys(ruleSet.categories).sort(),
      ruleSetId: ruleSet.id,
      version: ruleSet.version,
    });
  }
  const windowed = applyWindow(sorted, options.window);
  const temperatures = windowed.readings.filter((t) => t.reading.type === 'temperature');
  const findings: Finding[] = [];

  if (temperatures.length === 0) {
    const fromMs = windowed.fromMs ?? windowed.readings[0]?.atMs;
    const toMs = windowed.toMs ?? windowed.readings[windowed.readings.length - 1]?.atMs;
    findings.push({
      rule: 'cold-chain',
      code: 'NO_DATA',
      severity: 'warning',
      from: fromMs === undefined ? '' : formatInstant(fromMs),
      to: toMs === undefined ? '' : formatInstant(toMs),
      durationS: fromMs === undefined || toMs === undefined ? 0 : durationSeconds(fromMs, toMs),
      message: 'no temperature readings: cold chain cannot be assessed',
      readings: [],
    });
    return findings;
  }

  const limitMilliC = limits.maxTempMilliC;
  const allowedMs = limits.allowedExcursionS * 1000;
  const milliC = new Map<TimedReading, number>();
  for (const t of temperatures) milliC.set(t, toMilliCelsius(t.reading));

  for (const [deviceId, series] of groupByDevice(temperatures)) {
    findings.push(...windowEdgeGaps('cold-chain', series, windowed, ruleSet.temperature.maxSampleGapS, 'temperature'));
    findings.push(...dataGapFindings('cold-chain', series, ruleSet.temperature.maxSampleGapS, 'temperature'));
    for (const run of outOfBoundsRuns(series, (t) => milliC.get(t)! > limitMilliC)) {
      const maxMilliC = run.samples.reduce((m, t) => Math.max(m, milliC.get(t)!), Number.NEGATIVE_INFINITY);
      const durationMs = run.toMs - run.fromMs;
      const breach = durationMs > allowedMs;
      const evidence = run.end ? [...run.samples, run.end] : run.samples;
      findings.push({
        rule: 'cold-chain',
        code: breach ? 'TEMPERATURE_BREACH' : 'TEMPERATURE_EXCURSION',
        severity: breach ? 'breach' : 'info',
        from: formatInstant(run.fromMs),
        to: formatInstant(run.toMs),
        durationS: durationSeconds(run.fromMs, run.toMs),
        ...(run.openEnded ? { openEnded: true } : {}),
        maxValue: maxMilliC / 1000,
        limit: limitMilliC / 1000,
        deviceId,
        message:
          `${limits.label}: ${deviceId} above ${limitMilliC / 1000} °C for ${durationMs / 1000} s` +
          `${run.openEnded ? ' (still above at end of data)' : ''}, max ${maxMilliC / 1000} °C; ` +
          `allowed ${limits.allowedExcursionS} s`,
        readings: evidenceOf(evidence),
      });
    }
  }
  return findings;
}
