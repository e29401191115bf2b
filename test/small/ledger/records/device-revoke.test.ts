import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { deviceRevokeRecord } from '../../../../src/core/ledger/records/device-revoke.js';
import { codeOf, expectRejected, withDevice } from './helpers.js';

describe('device.revoke', () => {
  it('parses a revocation with an optional reason', () => {
    expect(deviceRevokeRecord.payload.parse({ deviceId: 'probe-1' })).toEqual({ deviceId: 'probe-1' });
    expect(deviceRevokeRecord.payload.parse({ deviceId: 'probe-1', reason: 'lost' })).toEqual({ deviceId: 'probe-1', reason: 'lost' });
  });

  it('refuses a missing device id and a reason that is not text', () => {
    expect(codeOf(() => deviceRevokeRecord.payload.parse({ reason: 'lost' }))).toBe('INVALID_CHANGE');
    expect(codeOf(() => deviceRevokeRecord.payload.parse({ deviceId: 'probe-1', reason: 7 }))).toBe('INVALID_CHANGE');
  });

  it('the owner revokes its device; its key signs no more', () => {
    const { demo, device } = withDevice();
    demo.submit(demo.sign('green-farm', RecordKind.DEVICE_REVOKE, { deviceId: 'probe-1' }));
    expect(demo.state.devices.get('probe-1')!.status).toBe('revoked');
    expectRejected(demo.state, demo.sign(device, RecordKind.SENSOR_WINDOW, {}), 'DEVICE_REVOKED');
  });

  it('refuses another member that is not an authority, an unknown device and a second revocation', () => {
    const { demo } = withDevice();
    expectRejected(demo.state, demo.sign('swift-haulage', RecordKind.DEVICE_REVOKE, { deviceId: 'probe-1' }), 'NOT_AUTHORISED');
    expectRejected(demo.state, demo.sign('green-farm', RecordKind.DEVICE_REVOKE, { deviceId: 'probe-9' }), 'UNKNOWN_DEVICE');
    demo.submit(demo.sign('fsa', RecordKind.DEVICE_REVOKE, { deviceId: 'probe-1' }));
    expectRejected(demo.state, demo.sign('green-farm', RecordKind.DEVICE_REVOKE, { deviceId: 'probe-1' }), 'DEVICE_REVOKED');
  });
});
