import { describe, expect, it } from 'vitest';
import { encodePublicKey, generateKeyPair } from '../../../../src/core/crypto/index.js';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { deviceRegisterRecord } from '../../../../src/core/ledger/records/device-register.js';
import { DemoChain, codeOf, expectRejected } from './helpers.js';

describe('device.register', () => {
  const key = generateKeyPair('p256');
  const publicKey = encodePublicKey(key.publicKey);

  it('parses a registration; a device is a sensor unless it says otherwise', () => {
    expect(deviceRegisterRecord.payload.parse({ deviceId: 'probe-1', publicKey })).toMatchObject({ deviceId: 'probe-1', kind: 'sensor', attributes: {} });
    expect(deviceRegisterRecord.payload.parse({ deviceId: 'gw-1', publicKey, kind: 'gateway' })).toMatchObject({ kind: 'gateway' });
  });

  it('refuses a malformed device id, key or kind', () => {
    expect(codeOf(() => deviceRegisterRecord.payload.parse({ deviceId: ' probe', publicKey }))).toBe('INVALID_CHANGE');
    expect(codeOf(() => deviceRegisterRecord.payload.parse({ deviceId: 'probe-1', publicKey: 'ed25519:xyz' }))).toBe('INVALID_CHANGE');
    expect(codeOf(() => deviceRegisterRecord.payload.parse({ deviceId: 'probe-1', publicKey, kind: 'drone' }))).toBe('INVALID_CHANGE');
  });

  it('registers the device to the signing organisation', () => {
    const demo = new DemoChain();
    demo.submit(demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-1', publicKey }));
    expect(demo.state.devices.get('probe-1')).toMatchObject({ orgId: 'green-farm', keyId: key.keyId, status: 'active' });
  });

  it('refuses an active device id again, and a key already registered', () => {
    const demo = new DemoChain();
    demo.submit(demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-1', publicKey }));
    expectRejected(demo.state, demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-1', publicKey: encodePublicKey(generateKeyPair().publicKey) }), 'INVALID_CHANGE');
    expectRejected(demo.state, demo.sign('big-retail', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-2', publicKey }), 'INVALID_CHANGE');
  });
});
