/**
 * Breach evaluation of the breach monitor (src/iot/breach-eval.ts): the same readings give the
 * same breach record (payload and record hash) whatever their order, an excursion spanning windows
 * is reported by exactly one window, and excursions within the allowed time are not breaches.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../src/core/crypto/index.js';
import { recordHash } from '../../../src/core/ledger/record.js';
import {
  breachPayload,
  breachesEstablishedIn,
  deviceRuleContext,
  evaluateSpan,
  parseRuleSetRecord,
  ruleSetInForce,
  signBreachRecord,
  typesToEvaluate,
  type SpanReading,
} from '../../../src/core/readings/breach-eval.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { DEFAULT_RULESET, ruleSetPublishPayload, ruleSetRef, type RuleSet } from '../../../src/core/rules/index.js';

const T0 = Date.parse('2026-03-02T06:00:00.000Z');
const WINDOW_MS = 5 * 60_000;
const DEVICE = 'reefer/CSQU3054383';
const CONTAINER = 'urn:provenant:container:CSQU3054383';
const KEY = generateKeyPair('ed25519');
const ATTRIBUTES = {
  container: CONTAINER,
  category: 'chilled-red-meat',
  authorisedLocations: [{ id: 'depot', lat: 53.8, lon: -1.55, radiusM: 500 }],
};

/** One sample a minute: temperature (above the limit between the given minutes), door, gps. */
function leg(minutes: number, hot: { from: number; to: number } | undefined, doorOpenAt?: number): SpanReading[] {
  const out: SpanReading[] = [];
  let seq = 0;
  for (let m = 0; m < minutes; m++) {
    const at = T0 + m * 60_000;
    const observedAt = new Date(at).toISOString();
    const windowRecordHash = `w${Math.floor((at - T0) / WINDOW_MS)}`;
    const base = { v: 1 as const, consortium: 'uk-red-meat', deviceId: DEVICE, observedAt, subject: CONTAINER };
    const temp = hot && m >= hot.from && m < hot.to ? 9.5 : 2.5;
    out.push({ reading: { ...base, seq: ++seq, type: 'temperature', value: temp, uom: 'CEL' }, windowRecordHash });
    out.push({ reading: { ...base, seq: ++seq, type: 'door', value: m === doorOpenAt }, windowRecordHash });
    out.push({ reading: { ...base, seq: ++seq, type: 'gps', value: m < 10 ? { lat: 53.8, lon: -1.55 } : { lat: 53.5, lon: -1.1 } }, windowRecordHash });
  }
  return out;
}

const ctx = deviceRuleContext(ATTRIBUTES, DEFAULT_RULESET);

/** What each window reports when judged over all readings up to its end (as the monitor does). */
function reportsByWindow(readings: SpanReading[]): Map<string, ReturnType<typeof breachesEstablishedIn>> {
  const out = new Map<string, ReturnType<typeof breachesEstablishedIn>>();
  const windows = [...new Set(readings.map((r) => r.windowRecordHash))];
  windows.forEach((w, i) => {
    const upTo = new Set(windows.slice(0, i + 1));
    const established = breachesEstablishedIn(evaluateSpan(readings.filter((r) => upTo.has(r.windowRecordHash)), ctx, DEFAULT_RULESET), w);
    if (established.length > 0) out.set(w, established);
  });
  return out;
}

function recordOf(readings: SpanReading[], window: string) {
  const [candidate] = breachesEstablishedIn(evaluateSpan(readings, ctx, DEFAULT_RULESET), window);
  const payload = breachPayload(candidate!, { subject: CONTAINER, containedItems: ['b', 'a'], ruleSet: ruleSetRef(DEFAULT_RULESET), sensorWindow: window });
  return { payload, record: signBreachRecord('uk-red-meat', payload, candidate!.breachAt, KEY) };
}

describe('breach evaluation over a lookback span', () => {
  it('an excursion longer than the allowed time spanning several windows is reported once, by the window where it passed the allowed time', () => {
    // Above 7 °C from minute 12 to minute 50 (38 min > 30 min allowed).
    const readings = leg(70, { from: 12, to: 50 });
    const reports = reportsByWindow(readings);
    expect([...reports.keys()]).toEqual(['w8']); // minute 43, the first sample more than 30 min after 12, in window 40..45
    const [b] = reports.get('w8')!;
    expect(b!.finding.code).toBe('TEMPERATURE_BREACH');
    expect(b!.finding.from).toBe('2026-03-02T06:12:00.000Z');
    expect(b!.breachAt).toBe('2026-03-02T06:43:00.000Z');
    expect(b!.crossing.type).toBe('temperature');
  });

  it('excursions up to the allowed time are not breaches, however they fall across windows', () => {
    expect(reportsByWindow(leg(70, { from: 12, to: 42 })).size).toBe(0); // exactly 30 min: allowed
    expect(reportsByWindow(leg(70, { from: 3, to: 20 })).size).toBe(0);
    expect(reportsByWindow(leg(70, undefined)).size).toBe(0);
  });

  it('the same readings give the same payload and record hash, in any order and on any run', () => {
    const readings = leg(70, { from: 12, to: 50 });
    const reference = recordOf(readings, 'w8');
    expect(reference.payload.containedItems).toEqual(['a', 'b']);
    expect(reference.record.signedAt).toBe('2026-03-02T06:43:00.000Z');
    fc.assert(
      fc.property(fc.shuffledSubarray(readings, { minLength: readings.length, maxLength: readings.length }), (shuffled) => {
        const again = recordOf(shuffled, 'w8');
        expect(JSON.stringify(again.payload)).toBe(JSON.stringify(reference.payload));
        expect(recordHash(again.record)).toBe(recordHash(reference.record));
      }),
      { numRuns: 25 },
    );
  });

  it('a run starting at the first reading of the span is flagged, so the monitor looks further back', () => {
    const readings = leg(70, { from: 12, to: 50 });
    const fromMinute15 = readings.filter((r) => Date.parse(r.reading.observedAt) >= T0 + 15 * 60_000);
    const candidates = evaluateSpan(fromMinute15, ctx, DEFAULT_RULESET).breaches;
    expect(candidates).toHaveLength(1);
    expect(candidates[0]!.startsAtSpanEdge).toBe(true);
    // Seen from minute 15, the truncated run passes 30 min at minute 46 (window w9), not w8: the edge flag prevents a second report.
    expect(candidates[0]!.crossingWindow).toBe('w9');
    expect(evaluateSpan(readings, ctx, DEFAULT_RULESET).breaches[0]!.startsAtSpanEdge).toBe(false);
  });

  it('a door opened away from every authorised location is a breach established by the opening', () => {
    const reports = reportsByWindow(leg(30, undefined, 17));
    expect([...reports.keys()]).toEqual(['w3']);
    const [b] = reports.get('w3')!;
    expect(b!.finding.code).toBe('DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION');
    expect(b!.breachAt).toBe('2026-03-02T06:17:00.000Z');
    // At the depot it is not.
    expect(reportsByWindow(leg(30, undefined, 5)).size).toBe(0);
  });
});

describe('device attributes and rule sets on chain', () => {
  it('reads the container, category, fences and route, and ignores malformed ones', () => {
    const good = deviceRuleContext({ ...ATTRIBUTES, route: { points: [{ lat: 53.8, lon: -1.55 }, { lat: 53.5, lon: -1.1 }], corridorHalfWidthM: 3000 } }, DEFAULT_RULESET);
    expect(good).toMatchObject({ subject: CONTAINER, category: 'chilled-red-meat', authorisedLocations: [{ id: 'depot' }], route: { corridorHalfWidthM: 3000 }, ignored: [] });
    const bad = deviceRuleContext({ container: CONTAINER, category: 'fish', authorisedLocations: [{ id: 'x', lat: 200, lon: 0, radiusM: 1 }], route: { points: [] } }, DEFAULT_RULESET);
    expect(bad.category).toBeUndefined();
    expect(bad.route).toBeUndefined();
    expect(bad.ignored).toEqual(['category', 'authorisedLocations[0]', 'route']);
    expect(typesToEvaluate(bad, new Set(['temperature', 'gps']))).toEqual([]);
    expect(typesToEvaluate(good, new Set(['temperature']))).toEqual(['temperature']);
    expect(typesToEvaluate(good, new Set(['door']))).toEqual(['door', 'gps']);
  });

  it('uses the highest version published before the window, and ignores a rule set whose hash does not match', () => {
    const v2: RuleSet = { ...DEFAULT_RULESET, version: 2, categories: { ...DEFAULT_RULESET.categories, mince: { label: 'Minced meat', maxTempMilliC: 2000, allowedExcursionS: 600 } } };
    const publish = (rs: RuleSet, logIndex: number, tamper = false) => {
      const payload = ruleSetPublishPayload(rs);
      const record = signRecord({ consortium: 'uk-red-meat', kind: RecordKind.RULESET_PUBLISH, payload: tamper ? { ...payload, hash: ruleSetRef(DEFAULT_RULESET).hash } : payload }, KEY);
      return parseRuleSetRecord(record, recordHash(record), logIndex);
    };
    const v1 = publish(DEFAULT_RULESET, 5)!;
    const second = publish(v2, 20)!;
    expect(publish(v2, 30, true)).toBeUndefined();
    expect(ruleSetInForce([v1, second], DEFAULT_RULESET.id, 10)?.ref.version).toBe(1);
    expect(ruleSetInForce([v1, second], DEFAULT_RULESET.id, 21)?.ref).toEqual(ruleSetRef(v2));
    expect(ruleSetInForce([v1, second], DEFAULT_RULESET.id, 5)).toBeUndefined();
  });
});
