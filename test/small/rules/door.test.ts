import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/core/crypto/index.js';
import { RuleError, evaluateDoor, type Geofence, type LatLon, type Reading } from '../../../src/core/rules/index.js';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

const DEPOT: Geofence = { id: 'urn:epc:id:sgln:5012345.00001.0', lat: 51.95, lon: 1.3, radiusM: 500 };
const PORT: Geofence = { id: 'urn:epc:id:sgln:5012345.00002.0', lat: 51.9, lon: 4.4, radiusM: 1000 };
const FENCES = [DEPOT, PORT];
const M_PER_DEG_LAT = 111195.08;

const door = (seq: number, minute: number, open: boolean, deviceId = 'door1'): Reading => ({
  deviceId,
  seq,
  observedAt: at(minute),
  type: 'door',
  value: open,
});
const gps = (seq: number, minute: number, p: LatLon, deviceId = 'gps1'): Reading => ({
  deviceId,
  seq,
  observedAt: at(minute),
  type: 'gps',
  value: p,
});
const north = (fence: Geofence, metres: number): LatLon => ({ lat: fence.lat + metres / M_PER_DEG_LAT, lon: fence.lon });

describe('evaluateDoor', () => {
  it('a door opened inside an authorised location is recorded as info and passes', () => {
    const readings = [gps(0, 10, north(DEPOT, 400)), door(0, 11, true), door(1, 20, false)];
    const v = evaluateDoor(readings, { authorisedLocations: FENCES });
    expect(v.ok).toBe(true);
    expect(v.findings).toEqual([
      expect.objectContaining({
        rule: 'door',
        code: 'DOOR_OPENED_AT_AUTHORISED_LOCATION',
        severity: 'info',
        locationId: DEPOT.id,
        from: at(11),
        to: at(20),
        durationS: 540,
      }),
    ]);
    expect(v.findings[0]!.readings).toEqual([
      { deviceId: 'door1', seq: 0 },
      { deviceId: 'door1', seq: 1 },
      { deviceId: 'gps1', seq: 0 },
    ]);
  });

  it('a door opened outside every authorised location is a breach', () => {
    const readings = [gps(0, 10, north(DEPOT, 600)), door(0, 11, true), door(1, 20, false)];
    const v = evaluateDoor(readings, { authorisedLocations: FENCES });
    expect(v.ok).toBe(false);
    expect(v.findings.map((f) => [f.code, f.severity])).toEqual([['DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION', 'breach']]);
    expect(v.findings[0]!.location).toEqual(north(DEPOT, 600));
  });

  it('uses the GPS fix nearest in time to the opening', () => {
    const readings = [
      gps(0, 0, north(DEPOT, 5000)), // 10 min before: outside the default 5 min tolerance anyway
      gps(1, 8, north(DEPOT, 3000)), // 2 min before
      gps(2, 11, north(DEPOT, 100)), // 1 min after: nearest
      door(0, 10, true),
    ];
    const v = evaluateDoor(readings, { authorisedLocations: FENCES });
    expect(v.findings.map((f) => f.code)).toEqual(['DOOR_OPENED_AT_AUTHORISED_LOCATION']);
    expect(v.findings[0]!.openEnded).toBe(true);
    // Equal distance in time: the earlier fix wins.
    const tie = [gps(0, 9, north(DEPOT, 3000)), gps(1, 11, north(DEPOT, 100)), door(0, 10, true)];
    expect(evaluateDoor(tie, { authorisedLocations: FENCES }).findings[0]!.code).toBe('DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION');
  });

  it('no GPS fix within tolerance and no declared location is DOOR_OPEN_UNKNOWN_LOCATION (inconclusive)', () => {
    const readings = [gps(0, 0, north(DEPOT, 0)), door(0, 6, true), door(1, 7, false)];
    const v = evaluateDoor(readings, { authorisedLocations: FENCES });
    expect(v.status).toBe('inconclusive');
    expect(v.findings.map((f) => [f.code, f.severity])).toEqual([['DOOR_OPEN_UNKNOWN_LOCATION', 'warning']]);
    // Exactly at the tolerance (5 min) the fix is used.
    const edge = [gps(0, 0, north(DEPOT, 0)), door(0, 5, true)];
    expect(evaluateDoor(edge, { authorisedLocations: FENCES }).findings[0]!.code).toBe('DOOR_OPENED_AT_AUTHORISED_LOCATION');
  });

  it('falls back to the declared location when there is no GPS fix', () => {
    const readings = [door(0, 6, true), door(1, 7, false)];
    expect(evaluateDoor(readings, { authorisedLocations: FENCES, declaredLocation: PORT }).findings[0]!.code).toBe(
      'DOOR_OPENED_AT_AUTHORISED_LOCATION',
    );
    expect(evaluateDoor(readings, { authorisedLocations: FENCES, declaredLocation: { lat: 50, lon: 0 } }).ok).toBe(false);
  });

  it('repeated open reports are one opening; each re-opening is judged separately', () => {
    const readings = [
      gps(0, 0, north(DEPOT, 0)),
      door(0, 0, true),
      door(1, 1, true),
      door(2, 2, false),
      gps(1, 30, north(PORT, 5000)),
      door(3, 31, true),
      door(4, 32, false),
      door(5, 33, false),
    ];
    const v = evaluateDoor(readings, { authorisedLocations: FENCES });
    expect(v.findings.map((f) => [f.code, f.from, f.to])).toEqual([
      ['DOOR_OPENED_AT_AUTHORISED_LOCATION', at(0), at(2)],
      ['DOOR_OPENED_OUTSIDE_AUTHORISED_LOCATION', at(31), at(32)],
    ]);
  });

  it('doors that stay closed produce no findings', () => {
    expect(evaluateDoor([door(0, 0, false), door(1, 5, false)], { authorisedLocations: [] })).toMatchObject({ ok: true, findings: [] });
  });

  it('rejects malformed geofences and door values', () => {
    expect(() => evaluateDoor([], { authorisedLocations: [{ id: '', lat: 0, lon: 0, radiusM: 1 }] })).toThrow(RuleError);
    expect(() => evaluateDoor([], { authorisedLocations: [{ id: 'x', lat: 0, lon: 0, radiusM: -1 }] })).toThrow(RuleError);
    expect(() => evaluateDoor([{ ...door(0, 0, true), value: 1 }], { authorisedLocations: [] })).toThrow(RuleError);
  });

  it('property: any permutation of readings and geofences gives an identical verdict (JCS equal)', () => {
    const arb = fc
      .array(
        fc.oneof(
          fc.record({ kind: fc.constant('door' as const), minute: fc.integer({ min: 0, max: 60 }), open: fc.boolean() }),
          fc.record({ kind: fc.constant('gps' as const), minute: fc.integer({ min: 0, max: 60 }), off: fc.integer({ min: 0, max: 1200 }) }),
        ),
        { minLength: 1, maxLength: 30 },
      )
      .map((xs) =>
        xs.map((x, i): Reading => (x.kind === 'door' ? door(i, x.minute, x.open) : gps(i, x.minute, north(DEPOT, x.off)))),
      )
      .chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length })));
    // Overlapping fences: attribution must not depend on their order either.
    const fences = [DEPOT, { ...DEPOT, id: 'a-overlap', radiusM: 800 }];
    fc.assert(
      fc.property(arb, ([a, b]) => {
        const va = evaluateDoor(a, { authorisedLocations: fences });
        const vb = evaluateDoor(b, { authorisedLocations: [...fences].reverse() });
        expect(canonicalize(vb)).toBe(canonicalize(va));
      }),
      { numRuns: 150 },
    );
  });
});
