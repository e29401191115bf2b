/**
 * sensor.window: a device's readings over one time window, committed by readingsRoot (RFC 6962 over
 * the readings) with an EPCIS 2.0 ObjectEvent summarising them. The one kind a device key may sign.
 * Built by readings/window.ts.
 *
 * The window belongs to the organisation that registered the device (its owner), so admission
 * takes it only from the owner's key, the device's own key, or an authority key in force that
 * names the owner in the payload (format 2). Payload formats (docs/record-kinds.md):
 * - 1: `{deviceId, windowStart, windowEnd, count, firstSeq, lastSeq, gaps, readingsRoot, event, clockAhead?}`;
 * - 2: the same members plus `format: 2` and `owner` (the owner's organisation id).
 */
import { LedgerError } from '../errors.js';
import { isDeviceId } from '../membership.js';
import { isConsortiumId, isHash, isTimestamp, type SignedRecord } from '../record.js';
import type { AdmissionState, ResolvedSigner } from '../state-types.js';
import { eventUnderPayload, type RecordKindModule } from './kind.js';
import { RecordKind } from './kinds.js';
import { isCount, isObject, malformedPayload, requireKeys } from './shape.js';

export interface SeqGap {
  /** First missing seq. */
  from: number;
  /** Last missing seq. */
  to: number;
}

/**
 * Readings of the window whose observedAt was later than the node's receipt by more than its
 * clock tolerance (the device clock runs ahead): how many, the largest lead, and their seqs as ranges.
 */
export interface ClockAheadSummary {
  count: number;
  maxAheadMs: number;
  seqs: SeqGap[];
}

export interface SensorWindowPayload {
  /** Format 2 only (absent in format 1). */
  format?: 2;
  /** Format 2: the organisation that registered the device, named by a signer that is not it. */
  owner?: string;
  deviceId: string;
  windowStart: string;
  windowEnd: string;
  count: number;
  firstSeq: number;
  lastSeq: number;
  gaps: SeqGap[];
  readingsRoot: string;
  event: Record<string, unknown>;
  /** Present only when some reading was flagged. */
  clockAhead?: ClockAheadSummary;
}

const KIND = RecordKind.SENSOR_WINDOW;

function parseRanges(value: unknown, field: string): SeqGap[] {
  if (!Array.isArray(value)) throw malformedPayload(KIND, `${field} must be an array of { from, to }`, field);
  return value.map((g, i) => {
    const r = requireKeys(KIND, g, ['from', 'to']);
    if (!isCount(r.from, 1) || !isCount(r.to, 1) || (r.to as number) < (r.from as number)) {
      throw malformedPayload(KIND, `${field}[${i}] must be seqs with 1 <= from <= to`, field);
    }
    return { from: r.from as number, to: r.to as number };
  });
}

function parseClockAhead(value: unknown): ClockAheadSummary {
  const c = requireKeys(KIND, value, ['count', 'maxAheadMs', 'seqs']);
  if (!isCount(c.count, 1) || typeof c.maxAheadMs !== 'number' || !Number.isFinite(c.maxAheadMs)) {
    throw malformedPayload(KIND, 'clockAhead must be { count >= 1, maxAheadMs, seqs }', 'clockAhead');
  }
  return { count: c.count, maxAheadMs: c.maxAheadMs, seqs: parseRanges(c.seqs, 'clockAhead.seqs') };
}

/** The payload format an authority signs with: the owner named. */
export const SENSOR_WINDOW_OWNER_FORMAT = 2;

const WINDOW_FIELDS = ['deviceId', 'windowStart', 'windowEnd', 'count', 'firstSeq', 'lastSeq', 'gaps', 'readingsRoot', 'event'];

export function parseSensorWindowPayload(value: unknown): SensorWindowPayload {
  const format = isObject(value) ? value['format'] : undefined;
  if (format !== undefined && format !== SENSOR_WINDOW_OWNER_FORMAT) throw malformedPayload(KIND, `unknown payload format ${JSON.stringify(format)}`, 'format');
  const required = format === undefined ? WINDOW_FIELDS : ['format', 'owner', ...WINDOW_FIELDS];
  const p = requireKeys(KIND, value, required, ['clockAhead']);
  if (format !== undefined && !isConsortiumId(p.owner)) throw malformedPayload(KIND, 'owner must be an organisation id', 'owner');
  if (!isDeviceId(p.deviceId)) throw malformedPayload(KIND, 'deviceId is malformed', 'deviceId');
  for (const field of ['windowStart', 'windowEnd'] as const) {
    if (!isTimestamp(p[field])) throw malformedPayload(KIND, `${field} must be RFC 3339 UTC with milliseconds`, field);
  }
  if ((p.windowEnd as string) <= (p.windowStart as string)) throw malformedPayload(KIND, 'windowEnd must be after windowStart', 'windowEnd');
  for (const field of ['count', 'firstSeq', 'lastSeq'] as const) {
    if (!isCount(p[field], 1)) throw malformedPayload(KIND, `${field} must be a positive integer`, field);
  }
  if ((p.lastSeq as number) < (p.firstSeq as number)) throw malformedPayload(KIND, 'lastSeq must not be below firstSeq', 'lastSeq');
  if (!isHash(p.readingsRoot)) throw malformedPayload(KIND, 'readingsRoot must be 64 lower-case hex digits', 'readingsRoot');
  if (!isObject(p.event)) throw malformedPayload(KIND, 'event must be an EPCIS event object', 'event');
  const payload: SensorWindowPayload = {
    ...(format !== undefined ? { format: SENSOR_WINDOW_OWNER_FORMAT, owner: p.owner as string } : {}),
    deviceId: p.deviceId,
    windowStart: p.windowStart as string,
    windowEnd: p.windowEnd as string,
    count: p.count as number,
    firstSeq: p.firstSeq as number,
    lastSeq: p.lastSeq as number,
    gaps: parseRanges(p.gaps, 'gaps'),
    readingsRoot: p.readingsRoot,
    event: p.event,
  };
  if (p.clockAhead !== undefined) payload.clockAhead = parseClockAhead(p.clockAhead);
  return payload;
}

/**
 * Who may sign the window of a device registered to `owner`: the owner's own keys, the device's key
 * (its own windows only), or an authority key in force that names the owner (format 2). A payload
 * naming an owner names the registered one, whoever signs. Throws a typed error; returns the owner.
 */
export function requireWindowSigner(state: AdmissionState, record: SignedRecord, signer: ResolvedSigner, payload: SensorWindowPayload): string {
  const device = state.devices.get(payload.deviceId);
  if (!device) throw new LedgerError('UNKNOWN_DEVICE', `sensor.window of device "${payload.deviceId}", which is not registered`, { deviceId: payload.deviceId });
  const owner = device.orgId;
  const details = { deviceId: payload.deviceId, owner, keyId: record.signer, signerOrg: signer.org.id };
  if (payload.owner !== undefined && payload.owner !== owner) {
    throw new LedgerError('WINDOW_OWNER_MISMATCH', `sensor.window names owner "${payload.owner}", but device "${payload.deviceId}" is registered to "${owner}"`, {
      ...details,
      expected: owner,
      computed: payload.owner,
    });
  }
  if (signer.type === 'device') {
    if (signer.device.deviceId === payload.deviceId) return owner;
    throw new LedgerError('WINDOW_NOT_OWNER', `device "${signer.device.deviceId}" may sign only its own windows, not those of "${payload.deviceId}"`, details);
  }
  if (signer.org.id === owner) return owner;
  if (!state.isAuthorityKey(record.signer)) {
    throw new LedgerError('WINDOW_NOT_OWNER', `sensor.window of device "${payload.deviceId}" must be signed by its owner "${owner}" or an authority naming it, not by "${signer.org.id}"`, details);
  }
  if (payload.owner === undefined) {
    throw new LedgerError('WINDOW_OWNER_NOT_NAMED', `an authority signing the window of device "${payload.deviceId}" must name its owner "${owner}" (payload format ${SENSOR_WINDOW_OWNER_FORMAT})`, details);
  }
  return owner;
}

/** The admission rule as verifiers re-apply it (a proof bundle's trace windows): the parsed payload and its owner, or a typed error. */
export function requireWindowOwnership(state: AdmissionState, record: SignedRecord, signer: ResolvedSigner): { payload: SensorWindowPayload; owner: string } {
  const payload = parseSensorWindowPayload(record.payload);
  return { payload, owner: requireWindowSigner(state, record, signer, payload) };
}

export const sensorWindowRecord: RecordKindModule<SensorWindowPayload> = {
  kind: RecordKind.SENSOR_WINDOW,
  payload: { version: 1, formats: [1, SENSOR_WINDOW_OWNER_FORMAT], parse: parseSensorWindowPayload },
  signers: 'organisation-or-device',
  changesMembership: false,
  admit(state, record, { signer }) {
    const { payload, owner } = requireWindowOwnership(state, record, signer);
    return [`sensor window of ${payload.deviceId} (owner ${owner}) recorded by ${signer.type === 'device' ? `device ${signer.device.deviceId}` : signer.org.id}`];
  },
  statedEvent: eventUnderPayload,
};

/**
 * The organisation a window belongs to, for readers: the device's registered owner (a device id is
 * only ever re-registered by its owner), else the owner the payload names, else undefined.
 */
export function sensorWindowOwner(payload: unknown, deviceOwner: (deviceId: string) => string | undefined): string | undefined {
  if (!isObject(payload)) return undefined;
  const registered = typeof payload['deviceId'] === 'string' ? deviceOwner(payload['deviceId']) : undefined;
  if (registered !== undefined) return registered;
  return typeof payload['owner'] === 'string' ? payload['owner'] : undefined;
}
