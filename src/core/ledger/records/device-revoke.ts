/** device.revoke: the owning organisation, or an authority, revokes a device key. */
import { LedgerError } from '../errors.js';
import { MAX_REASON, invalidChange, isDeviceId, requireFields } from '../membership.js';
import { requireOrgSigner, type RecordKindModule } from './kind.js';
import { RecordKind } from './kinds.js';

export interface DeviceRevokePayload {
  deviceId: string;
  reason?: string;
}

export function parseDeviceRevokePayload(value: unknown): DeviceRevokePayload {
  const p = requireFields('device.revoke payload', value, ['deviceId'], ['reason']);
  if (!isDeviceId(p.deviceId)) throw invalidChange('deviceId is malformed');
  if (p.reason !== undefined && (typeof p.reason !== 'string' || p.reason.length > MAX_REASON)) throw invalidChange('reason must be a short string');
  return p.reason === undefined ? { deviceId: p.deviceId } : { deviceId: p.deviceId, reason: p.reason as string };
}

export const deviceRevokeRecord: RecordKindModule<DeviceRevokePayload> = {
  kind: RecordKind.DEVICE_REVOKE,
  payload: { version: 1, parse: parseDeviceRevokePayload },
  signers: 'organisation',
  changesMembership: true,
  admit(state, record, { logIndex, signer: resolved }) {
    const signer = requireOrgSigner(record.kind, resolved);
    const p = parseDeviceRevokePayload(record.payload);
    const device = state.devices.get(p.deviceId);
    if (!device) throw new LedgerError('UNKNOWN_DEVICE', `no device "${p.deviceId}" is registered`, { deviceId: p.deviceId });
    if (device.status !== 'active') throw new LedgerError('DEVICE_REVOKED', `device "${p.deviceId}" is already revoked`, { deviceId: p.deviceId });
    if (signer.org.id !== device.orgId && !state.isAuthorityKey(record.signer)) {
      throw new LedgerError('NOT_AUTHORISED', `only the owner "${device.orgId}" or an authority may revoke device "${p.deviceId}"`, {
        deviceId: p.deviceId,
        signerOrg: signer.org.id,
      });
    }
    device.status = 'revoked';
    device.revokedAtLogIndex = logIndex;
    return [`device ${device.deviceId} revoked by ${signer.org.id}`];
  },
};
