import { describe, expect, it } from 'vitest';
import { encodePublicKey } from '../../../../src/core/crypto/index.js';
import { RecordKind, recordHash, verifyChain } from '../../../../src/core/ledger/index.js';
import { statedEventOf } from '../../../../src/core/ledger/records/index.js';
import { sensorWindowOwner, sensorWindowRecord } from '../../../../src/core/ledger/records/sensor-window.js';
import { DemoChain, codeOf, expectRejected, withDevice } from './helpers.js';

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

describe('sensor.window belongs to the device owner', () => {
  /** probe-s registered to swift-haulage (not an authority); its device key; a second device of acme-abattoir. */
  function owned() {
    const demo = new DemoChain();
    const probe = demo.newKey('p256');
    const other = demo.newKey('ed25519');
    demo.submit(demo.sign('swift-haulage', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-s', publicKey: encodePublicKey(probe.publicKey) }));
    demo.submit(demo.sign('acme-abattoir', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-a', publicKey: encodePublicKey(other.publicKey) }));
    return { demo, probe, other };
  }
  const v1 = { ...window, deviceId: 'probe-s' };
  const naming = (owner: string) => ({ format: 2, owner, ...v1 });

  it('parses format 2 (owner named) and refuses an unknown format or a format 2 without an owner', () => {
    expect(sensorWindowRecord.payload.parse(naming('swift-haulage'))).toEqual(naming('swift-haulage'));
    expect(sensorWindowRecord.payload.formats).toEqual([1, 2]);
    expect(codeOf(() => sensorWindowRecord.payload.parse({ ...naming('swift-haulage'), format: 3 }))).toBe('MALFORMED_RECORD');
    const { owner: _owner, ...noOwner } = naming('swift-haulage');
    expect(codeOf(() => sensorWindowRecord.payload.parse(noOwner))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => sensorWindowRecord.payload.parse({ ...v1, owner: 'swift-haulage' }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => sensorWindowRecord.payload.parse(naming('Not An Org')))).toBe('MALFORMED_RECORD');
  });

  it("is admitted from the owner's key (format 1 or naming itself) and from the device's own key", () => {
    const { demo, probe } = owned();
    expect(demo.submit(demo.sign('swift-haulage', RecordKind.SENSOR_WINDOW, v1)).effects).toEqual(['sensor window of probe-s (owner swift-haulage) recorded by swift-haulage']);
    demo.submit(demo.sign('swift-haulage', RecordKind.SENSOR_WINDOW, naming('swift-haulage')));
    expect(demo.submit(demo.sign(probe, RecordKind.SENSOR_WINDOW, v1)).signer).toMatchObject({ type: 'device' });
  });

  it('refuses another organisation, named owner or not, and another device', () => {
    const { demo, other } = owned();
    const err = expectRejected(demo.state, demo.sign('acme-abattoir', RecordKind.SENSOR_WINDOW, v1), 'WINDOW_NOT_OWNER', /owner "swift-haulage" or an authority/);
    expect(err.details).toMatchObject({ deviceId: 'probe-s', owner: 'swift-haulage', signerOrg: 'acme-abattoir' });
    expectRejected(demo.state, demo.sign('acme-abattoir', RecordKind.SENSOR_WINDOW, naming('swift-haulage')), 'WINDOW_NOT_OWNER');
    expectRejected(demo.state, demo.sign(other, RecordKind.SENSOR_WINDOW, v1), 'WINDOW_NOT_OWNER', /only its own windows/);
    expectRejected(demo.state, demo.sign('swift-haulage', RecordKind.SENSOR_WINDOW, { ...v1, deviceId: 'probe-x' }), 'UNKNOWN_DEVICE');
    expectRejected(demo.state, demo.sign('swift-haulage', RecordKind.SENSOR_WINDOW, { deviceId: 'probe-s' }), 'MALFORMED_RECORD');
  });

  it('takes an authority key only when it names the owner, and never a wrong owner', () => {
    const { demo } = owned();
    expectRejected(demo.state, demo.sign('fsa', RecordKind.SENSOR_WINDOW, v1), 'WINDOW_OWNER_NOT_NAMED', /must name its owner "swift-haulage"/);
    const wrong = expectRejected(demo.state, demo.sign('fsa', RecordKind.SENSOR_WINDOW, naming('acme-abattoir')), 'WINDOW_OWNER_MISMATCH');
    expect(wrong.details).toMatchObject({ expected: 'swift-haulage', computed: 'acme-abattoir' });
    expectRejected(demo.state, demo.sign('swift-haulage', RecordKind.SENSOR_WINDOW, naming('acme-abattoir')), 'WINDOW_OWNER_MISMATCH');
    expect(demo.submit(demo.sign('fsa', RecordKind.SENSOR_WINDOW, naming('swift-haulage'))).effects).toEqual(['sensor window of probe-s (owner swift-haulage) recorded by fsa']);
  });

  it('readers take the owner from the device registration, else from the payload', () => {
    const owners = new Map([['probe-s', 'swift-haulage']]);
    const lookup = (id: string) => owners.get(id);
    expect(sensorWindowOwner(v1, lookup)).toBe('swift-haulage');
    expect(sensorWindowOwner({ ...naming('swift-haulage'), deviceId: 'gone' }, lookup)).toBe('swift-haulage');
    expect(sensorWindowOwner({ deviceId: 'gone' }, lookup)).toBeUndefined();
  });

  it('verify names a window admitted against the rule; windows of the owner and its device verify', async () => {
    const { demo, probe } = owned();
    demo.submit(demo.sign('swift-haulage', RecordKind.SENSOR_WINDOW, v1));
    demo.submit(demo.sign(probe, RecordKind.SENSOR_WINDOW, v1));
    demo.seal();
    expect((await verifyChain(demo.blocks)).ok).toBe(true);
    // A faulty node admitted another organisation's window and an authority's window that names nobody.
    const foreign = demo.sign('acme-abattoir', RecordKind.SENSOR_WINDOW, v1);
    const unnamed = demo.sign('hmrc', RecordKind.SENSOR_WINDOW, v1);
    demo.forceQueue(foreign);
    demo.forceQueue(unnamed);
    demo.seal();
    const report = await verifyChain(demo.blocks);
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => [f.code, f.recordHash, f.height])).toEqual([
      ['WINDOW_NOT_OWNER', recordHash(foreign), 2],
      ['WINDOW_OWNER_NOT_NAMED', recordHash(unnamed), 2],
    ]);
  });
});
