import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/core/crypto/index.js';
import {
  DEFAULT_RULESET,
  RuleError,
  evaluateColdChain,
  ruleSetRef,
  type Reading,
} from '../../../src/core/rules/index.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

/** One temperature series, one sample per entry: [minute, °C]. */
function series(deviceId: string, samples: Array<[number, number]>, seq0 = 0): Reading[] {
  return samples.map(([m, c], i) => ({ deviceId, seq: seq0 + i, observedAt: at(m), type: 'temperature', value: c, uom: 'CEL' }));
}
/** Samples every 5 minutes. */
function every5(deviceId: string, temps: number[]): Reading[] {
  return series(
    deviceId,
    temps.map((c, i) => [i * 5, c]),
  );
}

function expectRuleError(fn: () => unknown, code: string): RuleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RuleError);
    expect((e as RuleError).code).toBe(code);
    return e as RuleError;
  }
  throw new Error(`expected RuleError ${code}`);
}

describe('evaluateColdChain', () => {
  it('passes readings at or below the limit, including exactly at 7 °C', () => {
    const v = evaluateColdChain(every5('t1', [4, 5.5, 7, 7, 6.999, 3]), { category: 'chilled-red-meat' });
    expect(v).toEqual({ ok: true, status: 'pass', ruleSet: ruleSetRef(DEFAULT_RULESET), findings: [] });
  });

  it('reports a short excursion as informational, not a breach', () => {
    // Above from minute 10 to minute 25 (back at 7.0 exactly): 15 min < 30 min allowed.
    const v = evaluateColdChain(every5('t1', [5, 6, 7.4, 8.25, 7.1, 7, 6]), { category: 'chilled-red-meat' });
    expect(v.ok).toBe(true);
    expect(v.findings).toHaveLength(1);
    expect(v.findings[0]).toMatchObject({
      rule: 'cold-chain',
      code: 'TEMPERATURE_EXCURSION',
      severity: 'info',
      from: at(10),
      to: at(25),
      durationS: 900,
      maxValue: 8.25,
      limit: 7,
      deviceId: 't1',
    });
    expect(v.findings[0]!.readings.map((r) => r.seq)).toEqual([2, 3, 4, 5]);
    expect(v.findings[0]!.openEnded).toBeUndefined();
  });

  it('an excursion lasting exactly the allowed time is not a breach; one millisecond more is', () => {
    const exact = series('t1', [
      [0, 5],
      [10, 7.5],
      [20, 7.5],
      [30, 7.5],
      [40, 6],
    ]);
    const v1 = evaluateColdChain(exact, { category: 'chilled-red-meat' });
    expect(v1.findings.map((f) => [f.code, f.durationS])).toEqual([['TEMPERATURE_EXCURSION', 1800]]);

    const longer = exact.map((r, i) => (i === 4 ? { ...r, observedAt: '2026-03-01T00:40:00.001Z' } : r));
    const v2 = evaluateColdChain(longer, { category: 'chilled-red-meat' });
    expect(v2.ok).toBe(false);
    expect(v2.status).toBe('fail');
    expect(v2.findings.map((f) => [f.code, f.severity, f.durationS])).toEqual([['TEMPERATURE_BREACH', 'breach', 1800.001]]);
  });

  it('reports a long excursion as a breach', () => {
    const temps = [5, ...Array.from({ length: 8 }, () => 9), 5]; // above from 5 to 45 min: 40 min
    const v = evaluateColdChain(every5('t1', temps), { category: 'chilled-red-meat' });
    expect(v.ok).toBe(false);
    expect(v.findings).toHaveLength(1);
    expect(v.findings[0]).toMatchObject({ code: 'TEMPERATURE_BREACH', from: at(5), to: at(45), durationS: 2400, maxValue: 9 });
  });

  it('measures an excursion still running at the end of data to the last sample (openEnded)', () => {
    const v = evaluateColdChain(every5('t1', [5, 8, 8, 8]), { category: 'chilled-red-meat' });
    expect(v.findings[0]).toMatchObject({ code: 'TEMPERATURE_EXCURSION', from: at(5), to: at(15), durationS: 600, openEnded: true });
  });

  it('uses the category limit and allowed time: 2.5 °C for 20 min is fine for chilled, a breach for mince', () => {
    const readings = every5('t1', [1.5, 2.5, 2.5, 2.5, 2.5, 2]);
    expect(evaluateColdChain(readings, { category: 'chilled-red-meat' }).findings).toEqual([]);
    const mince = evaluateColdChain(readings, { category: 'mince' });
    expect(mince.findings.map((f) => [f.code, f.durationS, f.limit])).toEqual([['TEMPERATURE_BREACH', 1200, 2]]);
    const offal = evaluateColdChain(readings, { category: 'offal' });
    expect(offal.findings).toEqual([]);
  });

  it('frozen: -18 °C exactly is compliant, -17.999 °C is above the limit', () => {
    expect(evaluateColdChain(every5('t1', [-20, -18, -18]), { category: 'frozen' }).findings).toEqual([]);
    const v = evaluateColdChain(every5('t1', [-20, -17.999, -18]), { category: 'frozen' });
    expect(v.findings.map((f) => [f.code, f.maxValue, f.limit])).toEqual([['TEMPERATURE_EXCURSION', -17.999, -18]]);
  });

  it('compares in milli-degrees: 7.0004 rounds to the limit, 7.0006 is above', () => {
    expect(evaluateColdChain(every5('t1', [5, 7.0004, 5]), { category: 'chilled-red-meat' }).findings).toEqual([]);
    expect(evaluateColdChain(every5('t1', [5, 7.0006, 5]), { category: 'chilled-red-meat' }).findings).toHaveLength(1);
  });

  it('reports a gap longer than maxSampleGapS as DATA_GAP, so the verdict is inconclusive', () => {
    const readings = series('t1', [
      [0, 4],
      [5, 4],
      [25, 4], // 20 min gap > 15 min
      [30, 4],
    ]);
    const v = evaluateColdChain(readings, { category: 'chilled-red-meat' });
    expect(v.ok).toBe(false);
    expect(v.status).toBe('inconclusive');
    expect(v.findings).toEqual([
      expect.objectContaining({ code: 'DATA_GAP', severity: 'warning', from: at(5), to: at(25), durationS: 1200, limit: 900 }),
    ]);
    // A gap of exactly maxSampleGapS is fine.
    const exact = series('t1', [
      [0, 4],
      [15, 4],
    ]);
    expect(evaluateColdChain(exact, { category: 'chilled-red-meat' }).ok).toBe(true);
  });

  it('a gap does not end an excursion: unknown time counts toward its duration', () => {
    const readings = series('t1', [
      [0, 4],
      [5, 8],
      [45, 4],
    ]);
    const v = evaluateColdChain(readings, { category: 'chilled-red-meat' });
    // Same start time: ties are ordered by code.
    expect(v.findings.map((f) => f.code)).toEqual(['DATA_GAP', 'TEMPERATURE_BREACH']);
    expect(v.findings[1]!.durationS).toBe(2400);
  });

  it('with a window, silence at its start or end is a data gap and readings outside are ignored', () => {
    const readings = series('t1', [
      [-60, 20], // outside the window: ignored
      [0, 4],
      [5, 4],
      [10, 4],
    ]);
    const v = evaluateColdChain(readings, { category: 'chilled-red-meat', window: { from: at(0), to: at(60) } });
    expect(v.findings.map((f) => [f.code, f.from, f.to])).toEqual([['DATA_GAP', at(10), at(60)]]);
    const inside = evaluateColdChain(readings, { category: 'chilled-red-meat', window: { from: at(0), to: at(10) } });
    expect(inside).toMatchObject({ ok: true, findings: [] });
  });

  it('no temperature readings at all is NO_DATA, not a pass', () => {
    const v = evaluateColdChain([{ deviceId: 'd', seq: 1, observedAt: at(0), type: 'door', value: false }], {
      category: 'chilled-red-meat',
    });
    expect(v.status).toBe('inconclusive');
    expect(v.findings.map((f) => f.code)).toEqual(['NO_DATA']);
  });

  it('evaluates each sensor separately', () => {
    const readings = [...every5('a', [4, 4, 4, 4]), ...every5('b', [4, 9, 9, 4])];
    const v = evaluateColdChain(readings, { category: 'chilled-red-meat' });
    expect(v.findings.map((f) => [f.deviceId, f.code])).toEqual([['b', 'TEMPERATURE_EXCURSION']]);
  });

  it('keeps one copy of a re-delivered identical reading and rejects conflicting duplicates', () => {
    const base = every5('t1', [4, 9, 4]);
    const again = evaluateColdChain([...base, base[1]!], { category: 'chilled-red-meat' });
    expect(again).toEqual(evaluateColdChain(base, { category: 'chilled-red-meat' }));
    const err = expectRuleError(() => evaluateColdChain([...base, { ...base[1]!, value: 3 }], { category: 'chilled-red-meat' }), 'DUPLICATE_READING');
    expect(err.details).toMatchObject({ deviceId: 't1', seq: 1 });
  });

  it('rejects bad input with typed errors', () => {
    const r = every5('t1', [4])[0]!;
    expectRuleError(() => evaluateColdChain([r], { category: 'fish' }), 'INVALID_OPTIONS');
    expectRuleError(() => evaluateColdChain([{ ...r, uom: 'FAH' }], { category: 'mince' }), 'INVALID_READING');
    expectRuleError(() => evaluateColdChain([{ ...r, observedAt: '2026-03-01T00:00:00Z' }], { category: 'mince' }), 'INVALID_READING');
    expectRuleError(() => evaluateColdChain([{ ...r, observedAt: '2026-02-30T00:00:00.000Z' }], { category: 'mince' }), 'INVALID_READING');
    expectRuleError(() => evaluateColdChain([{ ...r, value: Number.NaN }], { category: 'mince' }), 'INVALID_READING');
    expectRuleError(() => evaluateColdChain([{ ...r, value: true }], { category: 'mince' }), 'INVALID_READING');
    expectRuleError(() => evaluateColdChain([{ ...r, seq: -1 }], { category: 'mince' }), 'INVALID_READING');
  });

  it('property: any permutation of the readings gives an identical verdict (JCS equal)', () => {
    const readingsArb = fc
      .array(
        fc.record({
          device: fc.constantFrom('a', 'b', 'c'),
          minute: fc.integer({ min: 0, max: 180 }),
          milliC: fc.integer({ min: -2000, max: 12000 }),
        }),
        { minLength: 1, maxLength: 40 },
      )
      .map((xs) =>
        xs.map(
          (x, i): Reading => ({ deviceId: x.device, seq: i, observedAt: at(x.minute), type: 'temperature', value: x.milliC / 1000 }),
        ),
      );
    fc.assert(
      fc.property(
        readingsArb.chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length }))),
        fc.constantFrom('chilled-red-meat', 'mince', 'offal'),
        ([original, permuted], category) => {
          const a = evaluateColdChain(original, { category });
          const b = evaluateColdChain(permuted, { category });
          expect(canonicalize(b)).toBe(canonicalize(a));
        },
      ),
      { numRuns: 200 },
    );
  });
});
