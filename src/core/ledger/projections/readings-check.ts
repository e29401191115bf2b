/**
 * The device readings a sealed sensor.window commits to, checked against the stored rows: each
 * reading in the window's seq range points at the window, carries the gap mark the window states,
 * hashes to its digest, is signed by the device, and together they rebuild the window's
 * readingsRoot (RFC 6962 over the readings' digests, seq order).
 */
import { HashTag, fromHex, taggedHash, toHex, type PublicKey } from '../../crypto/index.js';
import { ReadingError, assertReading, verifyReading } from '../../readings/reading.js';
import { leafHash } from '../merkle-hash.js';
import { rootHash } from '../merkle-tree.js';
import { rowFailure, type ProjectionFailure } from './compare.js';
import type { RowSource, WindowAssignment } from './rows.js';

/** A DeviceReading row as stored. */
export interface ReadingRowInput {
  deviceId: string;
  seq: number;
  observedAt: string;
  type: string;
  body: string;
  signature: string;
  digest: string;
  gapFrom: number | null;
  windowRecordHash: string | null;
}

const TABLE = { table: 'DeviceReading' };
const encoder = new TextEncoder();

function keyOf(row: { deviceId: string; seq: number }): Record<string, unknown> {
  return { deviceId: row.deviceId, seq: row.seq };
}

/** What one stored reading's own columns say against its signed body and the device key. */
export function readingRowFailures(row: ReadingRowInput, deviceKey: PublicKey | undefined, source: RowSource): ProjectionFailure[] {
  const out: ProjectionFailure[] = [];
  const digest = toHex(taggedHash(HashTag.DEVICE_READING, encoder.encode(row.body)));
  if (digest !== row.digest) out.push({ ...rowFailure('COMMITMENT_MISMATCH', TABLE, keyOf(row), { column: 'digest', expected: digest, stored: row.digest, source }), message: `DeviceReading row (deviceId=${row.deviceId}, seq=${row.seq}) digest does not hash its body` });
  let reading: unknown;
  try {
    reading = JSON.parse(row.body);
    assertReading(reading);
  } catch {
    out.push({ ...rowFailure('COMMITMENT_MISMATCH', TABLE, keyOf(row), { column: 'body', source }), message: `DeviceReading row (deviceId=${row.deviceId}, seq=${row.seq}) body is not a reading` });
    return out;
  }
  for (const column of ['deviceId', 'seq', 'observedAt', 'type'] as const) {
    if (reading[column] !== row[column]) out.push(rowFailure('ROW_MISMATCH', TABLE, keyOf(row), { column, expected: reading[column], stored: row[column], source }));
  }
  if (deviceKey) {
    try {
      verifyReading({ reading, signature: row.signature }, deviceKey, fromHex(digest, 32));
    } catch (err) {
      if (!(err instanceof ReadingError)) throw err;
      out.push({ ...rowFailure('COMMITMENT_MISMATCH', TABLE, keyOf(row), { column: 'signature', source }), message: `DeviceReading row (deviceId=${row.deviceId}, seq=${row.seq}): ${err.message}` });
    }
  }
  return out;
}

/**
 * Every difference between a window's commitment and the stored readings: `inRange` are the
 * device's rows with seq in [firstSeq, lastSeq], `pointing` the rows whose windowRecordHash names
 * the window (wherever they are).
 */
export function windowReadingFailures(
  window: WindowAssignment,
  windowHash: string,
  inRange: readonly ReadingRowInput[],
  pointing: readonly ReadingRowInput[],
  deviceKey: PublicKey | undefined,
  source: RowSource,
): ProjectionFailure[] {
  const out: ProjectionFailure[] = [];
  for (const row of inRange) {
    if (row.windowRecordHash !== windowHash) out.push(rowFailure('ROW_MISMATCH', TABLE, keyOf(row), { column: 'windowRecordHash', expected: windowHash, stored: row.windowRecordHash, source }));
    const gap = window.gapFrom.get(row.seq) ?? null;
    if (row.gapFrom !== gap) out.push(rowFailure('ROW_MISMATCH', TABLE, keyOf(row), { column: 'gapFrom', expected: gap, stored: row.gapFrom, source }));
    out.push(...readingRowFailures(row, deviceKey, source));
  }
  for (const row of pointing) {
    if (row.deviceId !== window.deviceId || row.seq < window.firstSeq || row.seq > window.lastSeq) {
      out.push(rowFailure('ROW_MISMATCH', TABLE, keyOf(row), { column: 'windowRecordHash', expected: null, stored: row.windowRecordHash, source, why: 'outside the window' }));
    }
  }
  const committed = inRange.filter((r) => r.windowRecordHash === windowHash).sort((a, b) => a.seq - b.seq);
  if (committed.length !== window.count) {
    out.push({
      ...rowFailure('ROW_MISSING', TABLE, { deviceId: window.deviceId, firstSeq: window.firstSeq, lastSeq: window.lastSeq }, { source }),
      message: `DeviceReading rows of device ${window.deviceId} seq ${window.firstSeq}..${window.lastSeq}: the window commits to ${window.count} readings, ${committed.length} are stored`,
      expected: window.count,
      stored: committed.length,
    });
    return out;
  }
  let root: string;
  try {
    root = toHex(rootHash(committed.map((r) => leafHash(fromHex(r.digest, 32)))));
  } catch {
    root = '(malformed digest)';
  }
  if (root !== window.readingsRoot) {
    out.push({
      ...rowFailure('COMMITMENT_MISMATCH', TABLE, { deviceId: window.deviceId, firstSeq: window.firstSeq, lastSeq: window.lastSeq }, { column: 'digest', expected: window.readingsRoot, stored: root, source }),
      message: `DeviceReading rows of device ${window.deviceId} seq ${window.firstSeq}..${window.lastSeq} do not rebuild the window's readingsRoot`,
    });
  }
  return out;
}
