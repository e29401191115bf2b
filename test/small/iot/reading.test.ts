import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateKeyPair, fromHex } from '../../../src/core/crypto/index.js';
import { leafHash, rootHash, verifyInclusion } from '../../../src/core/ledger/merkle.js';
import {
  ReadingError,
  parseReadingMessage,
  readingDigest,
  signReading,
  verifyReading,
  type Reading,
} from '../../../src/core/readings/reading.js';
import { buildWindowPayload, readingInclusionProof, windowBounds } from '../../../src/core/readings/window.js';
import { parseDeviceTopic, readingsTopic, statusTopic } from '../../../src/core/readings/topics.js';

function reading(seq: number, over: Partial<Reading> = {}): Reading {
  return {
    v: 1,
    consortium: 'uk-red-meat',
    deviceId: 'reefer-7/probe-1',
    seq,
    observedAt: new Date(Date.UTC(2026, 10, 21, 8, 0, 0) + seq * 1000).toISOString(),
    type: 'temperature',
    value: 2.5 + seq / 10,
    uom: 'CEL',
    subject: 'urn:epc:id:sscc:5012345.0000000017',
    ...over,
  };
}

describe.each(['ed25519', 'p256'] as const)('signed readings (%s)', (alg) => {
  const key = generateKeyPair(alg);

  it('verifies a signed reading and survives a JSON round trip', () => {
    const message = signReading(reading(1), key);
    expect(message.signature.startsWith(`${alg}:`)).toBe(true);
    const parsed = parseReadingMessage(Buffer.from(JSON.stringify(message)));
    expect(() => verifyReading(parsed, key.publicKey)).not.toThrow();
  });

  it('rejects any tampered field', () => {
    const message = signReading(reading(5), key);
    const tampered: Reading[] = [
      { ...message.reading, value: 9.9 },
      { ...message.reading, seq: 6 },
      { ...message.reading, observedAt: '2026-11-21T08:00:00.000Z' },
      { ...message.reading, subject: 'urn:epc:id:sscc:5012345.0000000024' },
      { ...message.reading, deviceId: 'reefer-8' },
    ];
    for (const r of tampered) {
      expect(() => verifyReading({ reading: r, signature: message.signature }, key.publicKey)).toThrowError(ReadingError);
    }
  });

  it('rejects a signature by another key, and a malformed signature', () => {
    const message = signReading(reading(2), generateKeyPair(alg));
    let error: unknown;
    try {
      verifyReading(message, key.publicKey);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ReadingError);
    expect((error as ReadingError).code).toBe('BAD_SIGNATURE');
    expect(() => verifyReading({ reading: message.reading, signature: `${alg}:AAAA` }, key.publicKey)).toThrowError(/malformed/);
  });
});

it('rejects a signature of the other algorithm', () => {
  const p256 = generateKeyPair('p256');
  const message = signReading(reading(1), generateKeyPair('ed25519'));
  expect(() => verifyReading(message, p256.publicKey)).toThrowError(/algorithm/);
});

describe('reading shape', () => {
  const key = generateKeyPair('ed25519');
  const cases: [string, unknown][] = [
    ['not json', '{'],
    ['zero seq', JSON.stringify({ reading: reading(0), signature: 'x' })],
    ['fractional seq', JSON.stringify({ reading: { ...reading(1), seq: 1.5 }, signature: 'x' })],
    ['no ms', JSON.stringify({ reading: { ...reading(1), observedAt: '2026-11-21T08:00:00Z' }, signature: 'x' })],
    ['extra field', JSON.stringify({ reading: { ...reading(1), extra: 1 }, signature: 'x' })],
    ['bad gps', JSON.stringify({ reading: { ...reading(1), type: 'gps', value: { lat: 91, lon: 0 } }, signature: 'x' })],
    ['string value', JSON.stringify({ reading: { ...reading(1), value: '3' }, signature: 'x' })],
    ['no signature', JSON.stringify({ reading: reading(1) })],
  ];
  it.each(cases)('rejects %s', (_name, payload) => {
    expect(() => parseReadingMessage(payload as string)).toThrowError(expect.objectContaining({ code: 'MALFORMED_READING' }));
  });

  it('accepts door and gps readings', () => {
    for (const r of [reading(1, { type: 'door', value: true, uom: undefined }), reading(2, { type: 'gps', value: { lat: 51.95, lon: 1.35 } })]) {
      const clean = JSON.parse(JSON.stringify(r)) as Reading;
      const parsed = parseReadingMessage(JSON.stringify(signReading(clean, key)));
      expect(() => verifyReading(parsed, key.publicKey)).not.toThrow();
    }
  });
});

describe('topics', () => {
  it('round-trips device ids containing slashes', () => {
    expect(parseDeviceTopic(readingsTopic('uk-red-meat', 'reefer-7/probe-1'))).toEqual({ consortium: 'uk-red-meat', deviceId: 'reefer-7/probe-1', channel: 'readings' });
    expect(parseDeviceTopic(statusTopic('c1', 'd'))?.channel).toBe('status');
    expect(parseDeviceTopic('provenant/c1/devices/readings')).toBeUndefined();
    expect(parseDeviceTopic('other/c1/devices/d/readings')).toBeUndefined();
  });
});

describe('window payload', () => {
  const readings = [1, 2, 3, 5, 6].map((s) => reading(s));
  const payload = buildWindowPayload({
    deviceId: 'reefer-7/probe-1',
    windowStart: '2026-11-21T08:00:00.000Z',
    windowEnd: '2026-11-21T08:01:00.000Z',
    readings,
    gaps: [{ from: 4, to: 4 }],
  });

  it('commits to every reading with an RFC 6962 root over tagged reading digests', () => {
    const expected = rootHash(readings.map((r) => leafHash(readingDigest(r))));
    expect(fromHex(payload.readingsRoot, 32)).toEqual(expected);
    expect(payload).toMatchObject({ count: 5, firstSeq: 1, lastSeq: 6, gaps: [{ from: 4, to: 4 }] });
    readings.forEach((r, i) => {
      verifyInclusion(leafHash(readingDigest(r)), i, readings.length, readingInclusionProof(readings, i), expected);
    });
    const changed = buildWindowPayload({ deviceId: 'reefer-7/probe-1', windowStart: '', windowEnd: '', readings: [...readings.slice(0, 4), { ...readings[4]!, value: 40 }], gaps: [] });
    expect(changed.readingsRoot).not.toBe(payload.readingsRoot);
  });

  it('gives the same root from digests computed at verification as from the readings', () => {
    const digests = readings.map((r) => readingDigest(r));
    const fromDigests = buildWindowPayload({ deviceId: 'reefer-7/probe-1', windowStart: '', windowEnd: '', readings, digests, gaps: [] });
    expect(fromDigests.readingsRoot).toBe(payload.readingsRoot);
    // A digest that is not the reading's changes the root; a count mismatch is refused.
    const wrong = [...digests.slice(0, 4), readingDigest({ ...readings[4]!, value: 40 })];
    expect(buildWindowPayload({ deviceId: 'reefer-7/probe-1', windowStart: '', windowEnd: '', readings, digests: wrong, gaps: [] }).readingsRoot).not.toBe(payload.readingsRoot);
    expect(() => buildWindowPayload({ deviceId: 'reefer-7/probe-1', windowStart: '', windowEnd: '', readings, digests: digests.slice(1), gaps: [] })).toThrow(RangeError);
  });

  it('carries an EPCIS 2.0 ObjectEvent with a sensor summary', () => {
    const event = payload.event as { type: string; action: string; bizStep: string; epcList: string[]; sensorElementList: { sensorMetadata: Record<string, string>; sensorReport: Record<string, unknown>[] }[] };
    expect(event).toMatchObject({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'sensor_reporting', epcList: ['urn:epc:id:sscc:5012345.0000000017'] });
    const element = event.sensorElementList[0]!;
    expect(element.sensorMetadata).toEqual({ deviceID: 'reefer-7/probe-1', startTime: readings[0]!.observedAt, endTime: readings[4]!.observedAt });
    expect(element.sensorReport).toEqual([
      { type: 'gs1:Temperature', uom: 'CEL', minValue: 2.6, maxValue: 3.1, meanValue: 2.84, 'provenant:count': 5 },
    ]);
  });

  it('names the readings flagged clock_ahead as seq ranges, and has no such field when none is', () => {
    expect(payload).not.toHaveProperty('clockAhead');
    const flagged = buildWindowPayload({
      deviceId: 'reefer-7/probe-1',
      windowStart: '',
      windowEnd: '',
      readings,
      gaps: [{ from: 4, to: 4 }],
      clockAhead: [
        { seq: 2, aheadMs: 61_000 },
        { seq: 3, aheadMs: 65_500 },
        { seq: 6, aheadMs: 70_000 },
      ],
    });
    expect(flagged.clockAhead).toEqual({ count: 3, maxAheadMs: 70_000, seqs: [{ from: 2, to: 3 }, { from: 6, to: 6 }] });
    expect(flagged.readingsRoot).toBe(payload.readingsRoot);
  });

  it('windows align to multiples of the window length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: 1, max: 3_600_000 }), (t, ms) => {
        const b = windowBounds(new Date(t).toISOString(), ms);
        return b.start % ms === 0 && b.start <= t && t < b.end && b.end - b.start === ms;
      }),
    );
  });
});
