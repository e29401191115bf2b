/**
 * device.register: an organisation registers a sensor or gateway key it answers for. Device keys
 * sign only sensor.window records (requireActiveSigner); attributes carry the device's rule inputs.
 */
import { invalidChange, isDeviceId, isPlainObject, parseMemberKey, requireFields } from '../membership.js';
import type { DeviceEntry } from '../state-types.js';
import { requireOrgSigner, type RecordKindModule } from './kind.js';
import { RecordKind } from './kinds.js';

export interface DeviceRegisterPayload {
  deviceId: string;
  publicKey: string;
  kind?: 'sensor' | 'gateway';
  attributes?: Record<string, unknown>;
}

export function parseDeviceRegisterPayload(value: unknown): DeviceRegisterPayload & { parsedKey: ReturnType<typeof parseMemberKey> } {
  const p = requireFields('device.register payload', value, ['deviceId', 'publicKey'], ['kind', 'attributes']);
  if (!isDeviceId(p.deviceId)) throw invalidChange('deviceId must be 1-200 characters of [A-Za-z0-9._:/-], starting with a letter or digit');
  const parsedKey = parseMemberKey('device publicKey', p.publicKey);
  if (p.kind !== undefined && p.kind !== 'sensor' && p.kind !== 'gateway') throw invalidChange('device kind must be "sensor" or "gateway"');
  if (p.attributes !== undefined && !isPlainObject(p.attributes)) throw invalidChange('device attributes must be an object');
  return {
    deviceId: p.deviceId,
    publicKey: parsedKey.encoded,
    kind: (p.kind as 'sensor' | 'gateway' | undefined) ?? 'sensor',
    attributes: (p.attributes as Record<string, unknown> | undefined) ?? {},
    parsedKey,
  };
}

export const deviceRegisterRecord: RecordKindModule<DeviceRegisterPayload> = {
  kind: RecordKind.DEVICE_REGISTER,
  payload: { version: 1, parse: parseDeviceRegisterPayload },
  signers: 'organisation',
  changesMembership: true,
  admit(state, record, { logIndex, signer: resolved }) {
    const signer = requireOrgSigner(record.kind, resolved);
    const p = parseDeviceRegisterPayload(record.payload);
    const existing = state.devices.get(p.deviceId);
    if (existing && existing.status === 'active') throw invalidChange(`device "${p.deviceId}" is already registered and active`, { deviceId: p.deviceId });
    if (existing && existing.orgId !== signer.org.id) {
      throw invalidChange(`device id "${p.deviceId}" belongs to org "${existing.orgId}"`, { deviceId: p.deviceId, owner: existing.orgId });
    }
    const keyId = p.parsedKey.keyId;
    if (state.keys.has(keyId) || state.deviceKeys.has(keyId)) throw invalidChange('device key is already registered to another org or device', { keyId });
    const device: DeviceEntry = {
      deviceId: p.deviceId,
      orgId: signer.org.id,
      keyId,
      publicKey: p.parsedKey.publicKey,
      encoded: p.parsedKey.encoded,
      kind: p.kind ?? 'sensor',
      status: 'active',
      registeredAtLogIndex: logIndex,
      attributes: structuredClone(p.attributes ?? {}),
    };
    state.devices.set(device.deviceId, device);
    state.deviceKeys.set(keyId, device);
    state.deviceByKeyId.set(keyId, device.deviceId);
    return [`device ${device.deviceId} registered to ${device.orgId}`];
  },
};
