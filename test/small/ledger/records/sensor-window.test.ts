import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { statedEventOf } from '../../../../src/core/ledger/records/index.js';
import { sensorWindowRecord } from '../../../../src/core/ledger/records/sensor-window.js';
import { codeOf, expectRejected, withDevice } from './helpers.js';

const window = {
  deviceId: 'probe-1',
  windowStart: '2025-03-01T08:00:00.000Z',
  windowEnd: '2025-03-01T08:01:00.000Z',
  count: 3,
  firstSeq: 4,
  lastSeq: 7,
  gaps: [{ from: 5, to: 5 }],
  readingsRoot: 'ab'.repeat(32),
  event: { type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'sensor_reporting' },
};

describe('sensor.window', () => {
  it('parses a window, with and without readings flagged clock-ahead', () => {
    expect(sensorWindowRecord.payload.parse(window)).toEqual(window);
    const ahead = { ...window, clockAhead: { count: 1, maxAheadMs: 900, seqs: [{ from: 7, to: 7 }] } };
    expect(sensorWindowRecord.payload.parse(ahead)).toEqual(ahead);
  });

  it('refuses seqs out of order, a window that ends before it starts, and a short root', () => {
    expect(codeOf(() => sensorWindowRecord.payload.parse({ ...window, lastSeq: 3 }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => sensorWindowRecord.payload.parse({ ...window, windowEnd: window.windowStart }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => sensorWindowRecord.payload.parse({ ...window, readingsRoot: 'ab' }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => sensorWindowRecord.payload.parse({ ...window, gaps: [{ from: 6, to: 5 }] }))).toBe('MALFORMED_RECORD');
  });

  it('is the one kind a registered device key signs; it states its summary event', () => {
    const { demo, device } = withDevice();
    const record = demo.sign(device, RecordKind.SENSOR_WINDOW, window);
    expect(demo.submit(record).signer).toMatchObject({ type: 'device', device: { deviceId: 'probe-1' } });
    expect(statedEventOf(record)).toEqual(window.event);
  });

  it('refuses a key that is not registered', () => {
    const { demo } = withDevice();
    expectRejected(demo.state, demo.sign(demo.newKey('p256'), RecordKind.SENSOR_WINDOW, window), 'UNKNOWN_SIGNER');
  });
});
