import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/core/crypto/index.js';
import {
  EARTH_RADIUS_M,
  RuleError,
  deterministicCos,
  distanceM,
  distanceToPolylineSqM,
  evaluateRoute,
  type LatLon,
  type Reading,
} from '../../../src/core/rules/index.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

function haversineM(a: LatLon, b: LatLon): number {
  const r = Math.PI / 180;
  const dLat = (b.lat - a.lat) * r;
  const dLon = (b.lon - a.lon) * r;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(h));
}

// Felixstowe-ish to the west along latitude 52.0: an east-west route.
const ROUTE = { points: [{ lat: 52.0, lon: 1.3 }, { lat: 52.0, lon: 0.5 }, { lat: 51.6, lon: 0.0 }] };
const METRES_PER_DEG_LAT = (EARTH_RADIUS_M * Math.PI) / 180; // ~111195 m

/** GPS fixes every 5 min along lon, with a northward offset in metres per fix. */
function track(deviceId: string, offsetsM: number[], startLon = 1.2): Reading[] {
  return offsetsM.map((off, i) => ({
    deviceId,
    seq: i,
    observedAt: at(i * 5),
    type: 'gps' as const,
    value: { lat: 52.0 + off / METRES_PER_DEG_LAT, lon: startLon - i * 0.01 },
  }));
}

describe('geometry', () => {
  it('deterministicCos matches Math.cos over latitudes', () => {
    for (let deg = -90; deg <= 90; deg += 0.5) {
      const x = (deg * Math.PI) / 180;
      expect(Math.abs(deterministicCos(x) - Math.cos(x))).toBeLessThan(1e-15);
    }
  });

  it('point distance is within 0.1 % of haversine up to 50 km', () => {
    const a = { lat: 51.5, lon: -0.1 };
    for (const [dLat, dLon] of [
      [0.01, 0],
      [0, 0.01],
      [0.2, 0.3],
      [-0.3, 0.4],
      [0.001, -0.001],
    ] as const) {
      const b = { lat: a.lat + dLat, lon: a.lon + dLon };
      const h = haversineM(a, b);
      expect(Math.abs(distanceM(a, b) - h) / h).toBeLessThan(0.001);
    }
  });

  it('point-to-segment distance: perpendicular in the middle, endpoint beyond the ends', () => {
    const seg = [{ lat: 52.0, lon: 0.0 }, { lat: 52.0, lon: 1.0 }];
    const north1km = { lat: 52.0 + 1000 / METRES_PER_DEG_LAT, lon: 0.5 };
    expect(Math.sqrt(distanceToPolylineSqM(north1km, seg))).toBeCloseTo(1000, 3);
    const west = { lat: 52.0, lon: -0.01 };
    expect(Math.abs(Math.sqrt(distanceToPolylineSqM(west, seg)) - haversineM(west, seg[0]!))).toBeLessThan(1);
  });

  it('handles a segment across the antimeridian', () => {
    const seg = [{ lat: 10, lon: 179.9 }, { lat: 10, lon: -179.9 }];
    expect(Math.sqrt(distanceToPolylineSqM({ lat: 10, lon: 180 }, seg))).toBeLessThan(1);
  });
});

describe('evaluateRoute', () => {
  it('passes a track inside the corridor, including 1 m inside its edge', () => {
    const v = evaluateRoute(track('g', [0, 500, -1500, 1999, 0]), { route: ROUTE });
    expect(v.ok).toBe(true);
    expect(v.findings).toEqual([]);
  });

  it('off-route for less than the allowed time is informational', () => {
    // Off at 10 and 15 min, back at 20: 10 min < 15 min allowed.
    const v = evaluateRoute(track('g', [0, 0, 3000, 5000, 0, 0]), { route: ROUTE });
    expect(v.ok).toBe(true);
    expect(v.findings).toHaveLength(1);
    expect(v.findings[0]).toMatchObject({ rule: 'route', code: 'OFF_ROUTE_EXCURSION', severity: 'info', from: at(10), to: at(20), durationS: 600, limit: 2000 });
    expect(Math.abs(v.findings[0]!.maxValue! - 5000)).toBeLessThanOrEqual(2);
  });

  it('off-route for longer than the allowed time is a breach', () => {
    const v = evaluateRoute(track('g', [0, 3000, 3000, 3000, 3000, 0]), { route: ROUTE });
    expect(v.ok).toBe(false);
    expect(v.findings.map((f) => [f.code, f.severity, f.durationS])).toEqual([['OFF_ROUTE', 'breach', 1200]]);
    expect(v.findings[0]!.readings.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('off-route for exactly the allowed time is not a breach', () => {
    const v = evaluateRoute(track('g', [0, 3000, 3000, 3000, 0]), { route: ROUTE });
    expect(v.findings.map((f) => [f.code, f.durationS])).toEqual([['OFF_ROUTE_EXCURSION', 900]]);
  });

  it('a per-route corridor overrides the rule set default', () => {
    const readings = track('g', [0, 3000, 3000, 3000, 3000, 0]);
    expect(evaluateRoute(readings, { route: { ...ROUTE, corridorHalfWidthM: 5000 } }).findings).toEqual([]);
  });

  it('a gap in GPS fixes is a DATA_GAP warning; no fixes is NO_DATA', () => {
    const readings = track('g', [0, 0, 0]).map((r, i) => (i === 2 ? { ...r, observedAt: at(40) } : r));
    const v = evaluateRoute(readings, { route: ROUTE });
    expect(v.status).toBe('inconclusive');
    expect(v.findings.map((f) => [f.code, f.from, f.to])).toEqual([['DATA_GAP', at(5), at(40)]]);
    expect(evaluateRoute([], { route: ROUTE }).findings.map((f) => f.code)).toEqual(['NO_DATA']);
  });

  it('rejects a malformed route or fix', () => {
    const expectCode = (fn: () => unknown, code: string): void => {
      expect(fn).toThrow(RuleError);
      try {
        fn();
      } catch (e) {
        expect((e as RuleError).code).toBe(code);
      }
    };
    expectCode(() => evaluateRoute(track('g', [0]), { route: { points: [{ lat: 52, lon: 0 }] } }), 'INVALID_OPTIONS');
    expectCode(() => evaluateRoute(track('g', [0]), { route: { points: [{ lat: 95, lon: 0 }, { lat: 52, lon: 0 }] } }), 'INVALID_OPTIONS');
    expectCode(
      () => evaluateRoute([{ deviceId: 'g', seq: 0, observedAt: at(0), type: 'gps', value: { lat: 52, lon: 200 } }], { route: ROUTE }),
      'INVALID_READING',
    );
  });

  it('property: any permutation of the fixes gives an identical verdict (JCS equal)', () => {
    const arb = fc
      .array(fc.record({ dev: fc.constantFrom('g1', 'g2'), minute: fc.integer({ min: 0, max: 120 }), off: fc.integer({ min: -6000, max: 6000 }) }), {
        minLength: 1,
        maxLength: 30,
      })
      .map((xs) =>
        xs.map(
          (x, i): Reading => ({
            deviceId: x.dev,
            seq: i,
            observedAt: at(x.minute),
            type: 'gps',
            value: { lat: 52.0 + x.off / METRES_PER_DEG_LAT, lon: 1.2 - x.minute * 0.005 },
          }),
        ),
      )
      .chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length })));
    fc.assert(
      fc.property(arb, ([a, b]) => {
        expect(canonicalize(evaluateRoute(b, { route: ROUTE }))).toBe(canonicalize(evaluateRoute(a, { route: ROUTE })));
      }),
      { numRuns: 150 },
    );
  });
});
