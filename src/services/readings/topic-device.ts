/**
 * Which registered device a message's topic names, and its standing in the node's live state (a
 * device.revoke takes effect as soon as it is admitted).
 */
import type { DeviceEntry } from '../../core/ledger/consortium.js';
import { parseDeviceTopic } from '../../core/readings/topics.js';
import { parseReadingMessage, type ReadingMessage } from '../../core/readings/reading.js';
import type { LedgerNode } from '../node/ledger-node.js';
import type { RejectReason, Rejection } from './ingest-types.js';

export interface TopicDevice {
  entry: DeviceEntry;
  where: { consortium: string; deviceId: string };
}

/** The device registered under this id in the consortium, if both exist (its standing included). */
export function registeredDevice(node: LedgerNode, consortium: string, deviceId: string): DeviceEntry | undefined {
  try {
    return node.state(consortium).devices.get(deviceId);
  } catch {
    return undefined;
  }
}

/** A device stands while its registration is active and its owner is still a member. */
function inStanding(node: LedgerNode, consortium: string, entry: DeviceEntry): boolean {
  return entry.status === 'active' && node.state(consortium).orgs.get(entry.orgId)?.status === 'active';
}

/**
 * The registered key and standing the MQTT broker checks: a device whose owner left the
 * consortium counts as revoked, as for its readings.
 */
export function deviceStanding(node: LedgerNode, consortium: string, deviceId: string): Pick<DeviceEntry, 'publicKey' | 'status'> | undefined {
  const entry = registeredDevice(node, consortium, deviceId);
  if (!entry) return undefined;
  return { publicKey: entry.publicKey, status: inStanding(node, consortium, entry) ? 'active' : 'revoked' };
}

/** The active device the topic names, if any. */
export function activeDeviceOfTopic(node: LedgerNode, topic: string): TopicDevice | undefined {
  const where = parseDeviceTopic(topic);
  if (!where || where.channel !== 'readings') return undefined;
  let entry: DeviceEntry | undefined;
  try {
    entry = node.state(where.consortium).devices.get(where.deviceId);
  } catch {
    return undefined;
  }
  return entry && inStanding(node, where.consortium, entry) ? { entry, where } : undefined;
}

/**
 * Judges a message whose topic names no active device on the main thread, in full, so it gets the
 * reason the checks' order gives it (a malformed one stays malformed). Returns the device when the
 * message turns out to be fine after all (a device registered meanwhile).
 */
export function judgeMessage(node: LedgerNode, topic: string, payload: Uint8Array): { message: ReadingMessage; device: DeviceEntry } | Rejection {
  const where = parseDeviceTopic(topic);
  const rejected = (reason: RejectReason, message: string, ids: { consortium?: string; deviceId?: string; seq?: number } = {}): Rejection => ({
    status: 'rejected',
    reason,
    message,
    consortium: ids.consortium ?? where?.consortium,
    deviceId: ids.deviceId ?? where?.deviceId,
    seq: ids.seq,
  });
  if (!where || where.channel !== 'readings') return rejected('malformed', `not a readings topic: ${topic}`);
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  let message: ReadingMessage;
  try {
    message = parseReadingMessage(text);
  } catch (err) {
    return rejected('malformed', (err as Error).message);
  }
  const { reading } = message;
  const ids = { consortium: reading.consortium, deviceId: reading.deviceId, seq: reading.seq };
  if (reading.consortium !== where.consortium || reading.deviceId !== where.deviceId) {
    return rejected('malformed', `reading is for ${reading.consortium}/${reading.deviceId} but was published on ${topic}`, { ...ids, ...where });
  }
  let device: DeviceEntry | undefined;
  try {
    device = node.state(reading.consortium).devices.get(reading.deviceId);
  } catch {
    return rejected('unknown_device', `unknown consortium "${reading.consortium}"`, ids);
  }
  if (!device) return rejected('unknown_device', `no device "${reading.deviceId}" is registered in "${reading.consortium}"`, ids);
  if (device.status !== 'active') return rejected('revoked_device', `device "${reading.deviceId}" was revoked at log index ${device.revokedAtLogIndex}`, ids);
  if (!inStanding(node, reading.consortium, device)) return rejected('revoked_device', `device "${reading.deviceId}" belongs to "${device.orgId}", no longer a member of "${reading.consortium}"`, ids);
  return { message, device };
}
