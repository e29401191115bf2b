/**
 * sensor.window: a device's readings over one time window, committed by readingsRoot (RFC 6962 over
 * the readings) with an EPCIS 2.0 ObjectEvent summarising them. The one kind a device key may sign.
 * Built by readings/window.ts; admission leaves the payload as signed.
 */
import { isDeviceId } from '../membership.js';
import { isHash, isTimestamp } from '../record.js';
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

export function parseSensorWindowPayload(value: unknown): SensorWindowPayload {
  const required = ['deviceId', 'windowStart', 'windowEnd', 'count', 'firstSeq', 'lastSeq', 'gaps', 'readingsRoot', 'event'];
  const p = requireKeys(KIND, value, required, ['clockAhead']);
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

export const sensorWindowRecord: RecordKindModule<SensorWindowPayload> = {
  kind: RecordKind.SENSOR_WINDOW,
  payload: { version: 1, parse: parseSensorWindowPayload },
  signers: 'organisation-or-device',
  changesMembership: false,
  admit: () => [],
  statedEvent: eventUnderPayload,
};
