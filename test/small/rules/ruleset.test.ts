import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashTag, canonicalize, hashCanonical } from '../../../src/core/crypto/index.js';
import {
  DEFAULT_RULESET,
  RuleError,
  breachRecordPayload,
  evaluateAll,
  ruleSetHash,
  ruleSetPublishPayload,
  ruleSetRef,
  validateRuleSet,
  type Finding,
  type Reading,
  type RuleSet,
} from '../../../src/core/rules/index.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
const clone = (r: RuleSet): RuleSet => JSON.parse(JSON.stringify(r)) as RuleSet;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RuleError);
    return (e as RuleError).code;
  }
  throw new Error('expected a RuleError');
}

describe('rule sets', () => {
  it('DEFAULT_RULESET carries the domain brief limits in milli-degrees and is frozen', () => {
    expect(DEFAULT_RULESET.version).toBe(1);
    const limits = Object.fromEntries(Object.entries(DEFAULT_RULESET.categories).map(([k, c]) => [k, c.maxTempMilliC]));
    expect(limits).toEqual({ 'chilled-red-meat': 7000, offal: 3000, mince: 2000, frozen: -18000 });
    expect(DEFAULT_RULESET.categories['chilled-red-meat']!.allowedExcursionS).toBe(1800);
    expect(DEFAULT_RULESET.categories.mince!.allowedExcursionS).toBe(900);
    expect(Object.isFrozen(DEFAULT_RULESET.categories.mince)).toBe(true);
  });

  it('the hash is the RULESET-tagged hash of the JCS form, independent of key order', () => {
    const h = ruleSetHash(DEFAULT_RULESET);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).toBe(hashCanonical(HashTag.RULESET, DEFAULT_RULESET));
    expect(h).not.toBe(hashCanonical(HashTag.RECORD, DEFAULT_RULESET));
    const reordered = Object.fromEntries(Object.entries(clone(DEFAULT_RULESET)).reverse()) as unknown as RuleSet;
    expect(Object.keys(reordered)[0]).toBe('route');
    expect(ruleSetHash(reordered)).toBe(h);
    expect(ruleSetRef(DEFAULT_RULESET)).toEqual({ id: DEFAULT_RULESET.id, version: 1, hash: h });
  });

  it('the hash changes when any limit or parameter changes', () => {
    const base = ruleSetHash(DEFAULT_RULESET);
    const mutations: Array<(r: { -readonly [K in keyof RuleSet]: any }) => void> = [
      (r) => (r.categories['chilled-red-meat'].maxTempMilliC = 6999),
      (r) => (r.categories.mince.allowedExcursionS = 901),
      (r) => (r.temperature.maxSampleGapS = 600),
      (r) => (r.door.gpsToleranceS = 60),
      (r) => (r.route.corridorHalfWidthM = 1000),
      (r) => (r.version = 2),
    ];
    const hashes = mutations.map((mutate) => {
      const r = clone(DEFAULT_RULESET) as any;
      mutate(r);
      return ruleSetHash(r);
    });
    for (const h of hashes) expect(h).not.toBe(base);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('rejects malformed rule sets', () => {
    const bad = (mutate: (r: any) => void): string => {
      const r = clone(DEFAULT_RULESET) as any;
      mutate(r);
      return codeOf(() => validateRuleSet(r));
    };
    expect(bad((r) => (r.version = 0))).toBe('INVALID_RULESET');
    expect(bad((r) => (r.version = 1.5))).toBe('INVALID_RULESET');
    expect(bad((r) => (r.categories.mince.maxTempMilliC = 2.5))).toBe('INVALID_RULESET');
    expect(bad((r) => (r.categories.mince.allowedExcursionS = -1))).toBe('INVALID_RULESET');
    expect(bad((r) => delete r.route)).toBe('INVALID_RULESET');
    expect(bad((r) => (r.id = ''))).toBe('INVALID_RULESET');
  });

  it('the rules.publish payload lets a node recompute the hash', () => {
    const p = ruleSetPublishPayload(DEFAULT_RULESET);
    expect(p.hash).toBe(ruleSetHash(p.ruleSet as unknown as RuleSet));
    expect(canonicalize(p.ruleSet)).toBe(canonicalize(DEFAULT_RULESET));
  });

  it('a verdict cites the rule set it was evaluated under', () => {
    const tighter = clone(DEFAULT_RULESET) as any;
    tighter.version = 2;
    tighter.categories['chilled-red-meat'].maxTempMilliC = 5000;
    const readings: Reading[] = [0, 5, 10].map((m, i) => ({ deviceId: 't', seq: i, observedAt: at(m), type: 'temperature', value: 6 }));
    const v1 = evaluateAll(readings, { category: 'chilled-red-meat' });
    const v2 = evaluateAll(readings, { category: 'chilled-red-meat', ruleSet: tighter });
    expect(v1.ok).toBe(true);
    expect(v2.findings.map((f) => f.code)).toEqual(['TEMPERATURE_EXCURSION']);
    expect(v2.ruleSet).toEqual({ id: DEFAULT_RULESET.id, version: 2, hash: ruleSetHash(tighter) });
    expect(v2.ruleSet.hash).not.toBe(v1.ruleSet.hash);
  });
});

const DEPOT = { id: 'depot', lat: 51.95, lon: 1.3, radiusM: 500 };
const ROUTE = { points: [{ lat: 51.95, lon: 1.3 }, { lat: 51.95, lon: 0.3 }] };

function journey(): Reading[] {
  const out: Reading[] = [];
  for (let i = 0; i <= 12; i++) {
    out.push({ deviceId: 'temp', seq: i, observedAt: at(i * 5), type: 'temperature', value: i >= 2 && i <= 9 ? 8.5 : 4 });
    out.push({ deviceId: 'gps', seq: i, observedAt: at(i * 5), type: 'gps', value: { lat: 51.95, lon: 1.3 - i * 0.05 } });
    out.push({ deviceId: 'hum', seq: i, observedAt: at(i * 5), type: 'humidity', value: 85 });
  }
  out.push({ deviceId: 'door', seq: 0, observedAt: at(0), type: 'door', value: true });
  out.push({ deviceId: 'door', seq: 1, observedAt: at(2), type: 'door', value: false });
  out.push({ deviceId: 'door', seq: 2, observedAt: at(30), type: 'door', value: true });
  out.push({ deviceId: 'door', seq: 3, observedAt: at(31), type: 'door', value: false });
  return out;
}

describe('evaluateAll', () => {
  it('combines the cold-chain, door and route rules into one verdict in time order', () => {
    const v = evaluateAll(journey(), { category: 'chilled-red-meat', authorisedLocations: [DEPOT], route: ROUTE });
    expect(v.ok).toBe(false);
    expect(v.findings.map((f) => [f.rule, f.code, f.from])).toEqual([
      ['door', 'DOOR_OPENED_AT_AUTHORISED_LOCATION', at(0)],
      ['cold-chain', 'TEMPERATURE_BREACH', at(10)],
      ['door', 'DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION', at(30)],
    ]);
  });

  it('skips the route rule without a route, and treats every opening as unauthorised without geofences', () => {
    const v = evaluateAll(journey(), { category: 'frozen' });
    expect(v.findings.filter((f) => f.rule === 'route')).toEqual([]);
    expect(v.findings.filter((f) => f.rule === 'door').map((f) => f.code)).toEqual([
      'DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION',
      'DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION',
    ]);
  });

  it('property: any permutation of the journey gives an identical verdict (JCS equal)', () => {
    const readings = journey();
    const options = { category: 'chilled-red-meat', authorisedLocations: [DEPOT], route: ROUTE };
    const expected = canonicalize(evaluateAll(readings, options));
    fc.assert(
      fc.property(fc.shuffledSubarray(readings, { minLength: readings.length, maxLength: readings.length }), (perm) => {
        expect(canonicalize(evaluateAll(perm, options))).toBe(expected);
      }),
      { numRuns: 100 },
    );
  });
});

describe('breachRecordPayload', () => {
  const verdict = evaluateAll(journey(), { category: 'chilled-red-meat', authorisedLocations: [DEPOT], route: ROUTE });
  const breach = verdict.findings.find((f) => f.code === 'TEMPERATURE_BREACH')!;
  const subject = 'urn:epc:id:sscc:5012345.0000000001';

  it('links the breach to the subject, the sorted contents and the rule set', () => {
    const p = breachRecordPayload(breach, {
      subject,
      containedItems: ['urn:epc:id:sgtin:5012345.012345.B', 'urn:epc:id:sgtin:5012345.012345.A', 'urn:epc:id:sgtin:5012345.012345.B'],
      ruleSet: verdict.ruleSet,
    });
    expect(p).toEqual({
      subject,
      containedItems: ['urn:epc:id:sgtin:5012345.012345.A', 'urn:epc:id:sgtin:5012345.012345.B'],
      ruleSet: verdict.ruleSet,
      finding: JSON.parse(JSON.stringify(breach)),
    });
    expect(() => canonicalize(p)).not.toThrow();
  });

  it('refuses non-breach findings and malformed context', () => {
    const info: Finding = { ...breach, code: 'TEMPERATURE_EXCURSION', severity: 'info' };
    expect(codeOf(() => breachRecordPayload(info, { subject, containedItems: [], ruleSet: verdict.ruleSet }))).toBe('NOT_A_BREACH');
    expect(codeOf(() => breachRecordPayload(breach, { subject: '', containedItems: [], ruleSet: verdict.ruleSet }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => breachRecordPayload(breach, { subject, containedItems: [''], ruleSet: verdict.ruleSet }))).toBe('INVALID_OPTIONS');
    expect(
      codeOf(() => breachRecordPayload(breach, { subject, containedItems: [], ruleSet: { ...verdict.ruleSet, hash: 'abc' } })),
    ).toBe('INVALID_OPTIONS');
  });
});
