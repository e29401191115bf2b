/**
 * What sensor.window and privacy.erasure records say of off-chain rows: the device readings a
 * window commits to (their window, their gap marks), and the person whose data an erasure deleted.
 */
import { parseErasurePayload } from '../records/privacy-erasure.js';
import { parseSensorWindowPayload } from '../records/sensor-window.js';
import type { ErasureEffect, WindowAssignment } from './rows.js';

/** The readings a sensor.window payload commits to; undefined when the payload is malformed (it was never built by a node). */
export function windowAssignmentOf(payload: unknown): WindowAssignment | undefined {
  let window;
  try {
    window = parseSensorWindowPayload(payload);
  } catch {
    return undefined;
  }
  const gapFrom = new Map<number, number>();
  // A reading that followed a gap carries its first missing seq; the window lists the gap as from..seq-1.
  for (const g of window.gaps) gapFrom.set(g.to + 1, g.from);
  return { deviceId: window.deviceId, firstSeq: window.firstSeq, lastSeq: window.lastSeq, count: window.count, readingsRoot: window.readingsRoot, gapFrom };
}

/** The person commitment a privacy.erasure payload erases; undefined when malformed. */
export function erasureEffectOf(payload: unknown): ErasureEffect | undefined {
  try {
    return { commitment: parseErasurePayload(payload).commitment };
  } catch {
    return undefined;
  }
}
