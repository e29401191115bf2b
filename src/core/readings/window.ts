/**
 * Sensor windows: a device's readings over one time window become one sensor.window
 * record whose readingsRoot (RFC 6962) commits to every reading, with an EPCIS 2.0 ObjectEvent
 * summarising them (the payload format is in ledger/records/sensor-window.ts). Pure: no I/O.
 */
import { toHex } from '../crypto/index.js';
import { inclusionProof, rootHash } from '../ledger/merkle-tree.js';
import { leafHash } from '../ledger/merkle-hash.js';
import type { Reading } from './reading.js';
import { readingLeafHash } from './reading.js';
import { SENSOR_WINDOW_OWNER_FORMAT, type SensorWindowPayload, type SeqGap } from '../ledger/records/sensor-window.js';

export type { ClockAheadSummary, SensorWindowPayload, SeqGap } from '../ledger/records/sensor-window.js';

export interface SensorReportSummary {
  type: string;
  uom?: string;
  minValue?: number;
  maxValue?: number;
  meanValue?: number;
  booleanValue?: boolean;
  stringValue?: string;
  /** Extension (EPCIS 2.0 §7.3.6 allows user extensions): readings summarised. */
  'provenant:count': number;
}

/** GS1 CBV sensor measurement types for the reading types we know; others get a provenant: name. */
const EPCIS_TYPE: Record<string, string> = {
  temperature: 'gs1:Temperature',
  humidity: 'gs1:AbsoluteHumidity',
  relative_humidity: 'gs1:RelativeHumidity',
  door: 'provenant:DoorOpen',
  gps: 'provenant:Position',
};

/** UN/CEFACT Rec 20 defaults. */
const DEFAULT_UOM: Record<string, string> = { temperature: 'CEL', humidity: 'P1', relative_humidity: 'P1' };

export function windowBounds(observedAt: string, windowMs: number): { start: number; end: number } {
  const t = Date.parse(observedAt);
  const start = Math.floor(t / windowMs) * windowMs;
  return { start, end: start + windowMs };
}

export function readingsRoot(readings: readonly Reading[]): Uint8Array {
  return rootHash(readings.map(readingLeafHash));
}

export function readingInclusionProof(readings: readonly Reading[], index: number): Uint8Array[] {
  return inclusionProof(readings.map(readingLeafHash), index);
}

/** Keeps means stable across platforms and short in JSON. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function summarise(readings: readonly Reading[]): SensorReportSummary[] {
  const byType = new Map<string, Reading[]>();
  for (const r of readings) {
    const group = byType.get(r.type);
    if (group) group.push(r);
    else byType.set(r.type, [r]);
  }
  return [...byType.keys()].sort().map((type) => {
    const group = byType.get(type)!;
    const report: SensorReportSummary = { type: EPCIS_TYPE[type] ?? `provenant:${type}`, 'provenant:count': group.length };
    const uom = group.find((r) => r.uom)?.uom ?? DEFAULT_UOM[type];
    if (uom) report.uom = uom;
    const numbers = group.map((r) => r.value).filter((v): v is number => typeof v === 'number');
    const booleans = group.map((r) => r.value).filter((v): v is boolean => typeof v === 'boolean');
    const positions = group.map((r) => r.value).filter((v): v is { lat: number; lon: number } => typeof v === 'object');
    if (numbers.length > 0) {
      report.minValue = numbers.reduce((a, b) => (b < a ? b : a));
      report.maxValue = numbers.reduce((a, b) => (b > a ? b : a));
      report.meanValue = round(numbers.reduce((a, b) => a + b, 0) / numbers.length);
    }
    // A door that was open at any reading in the window is reported open.
    if (booleans.length > 0) report.booleanValue = booleans.some((b) => b);
    const last = positions[positions.length - 1];
    if (last) report.stringValue = `geo:${last.lat},${last.lon}`;
    return report;
  });
}

/**
 * Builds the payload for readings of one device, in seq order (the caller guarantees the order
 * and that all readings are from that device). gaps are the seq ranges missing before readings.
 */
export function buildWindowPayload(input: {
  deviceId: string;
  windowStart: string;
  windowEnd: string;
  readings: readonly Reading[];
  /**
   * readingDigest of each reading, when the caller already has them (computed when the reading
   * was verified): saves canonicalising and hashing every reading again.
   */
  digests?: readonly Uint8Array[];
  gaps: readonly SeqGap[];
  /** Readings flagged clock_ahead (seq order), with how far ahead of their receipt they were. */
  clockAhead?: readonly { seq: number; aheadMs: number }[];
  bizStep?: 'sensor_reporting' | 'inspecting';
  /**
   * The device's owner, named when a key other than the owner's signs (an authority's):
   * payload format 2. Absent: format 1, for the owner's own key.
   */
  owner?: string;
}): SensorWindowPayload {
  const { readings, digests } = input;
  if (readings.length === 0) throw new RangeError('a window needs at least one reading');
  if (digests && digests.length !== readings.length) throw new RangeError('digests must match readings one to one');
  const first = readings[0]!;
  const last = readings[readings.length - 1]!;
  const observed = readings.map((r) => r.observedAt).sort();
  const subjects = [...new Set(readings.map((r) => r.subject).filter((s): s is string => s !== undefined))].sort();
  const event = {
    type: 'ObjectEvent',
    eventTime: observed[observed.length - 1]!,
    eventTimeZoneOffset: '+00:00',
    epcList: subjects,
    action: 'OBSERVE',
    bizStep: input.bizStep ?? 'sensor_reporting',
    sensorElementList: [
      {
        sensorMetadata: { deviceID: input.deviceId, startTime: observed[0]!, endTime: observed[observed.length - 1]! },
        sensorReport: summarise(readings),
      },
    ],
  };
  const payload: SensorWindowPayload = {
    ...(input.owner !== undefined ? { format: SENSOR_WINDOW_OWNER_FORMAT, owner: input.owner } : {}),
    deviceId: input.deviceId,
    windowStart: input.windowStart,
    windowEnd: input.windowEnd,
    count: readings.length,
    firstSeq: first.seq,
    lastSeq: last.seq,
    gaps: input.gaps.map((g) => ({ from: g.from, to: g.to })),
    readingsRoot: toHex(digests ? rootHash(digests.map((d) => leafHash(d))) : readingsRoot(readings)),
    event: JSON.parse(JSON.stringify(event)) as Record<string, unknown>,
  };
  const ahead = input.clockAhead ?? [];
  if (ahead.length > 0) {
    const seqs: SeqGap[] = [];
    for (const { seq } of ahead) {
      const run = seqs[seqs.length - 1];
      if (run && run.to === seq - 1) run.to = seq;
      else seqs.push({ from: seq, to: seq });
    }
    payload.clockAhead = { count: ahead.length, maxAheadMs: Math.max(...ahead.map((a) => a.aheadMs)), seqs };
  }
  return payload;
}
