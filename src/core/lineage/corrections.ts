/**
 * Records after an as-of answer's checkpoint that touch what the answer shows. Each is listed
 * with what it does to the answer: a CORRECTION names events of the answer it corrects (EPCIS 2.0
 * errorDeclaration, section 7.4.1.3: an event carrying errorDeclaration and the eventID of the
 * event it declares in error), a LATER record only touches the same identifiers.
 *
 * correctedEventIds is the one place that decides what counts as a correction: a correction
 * record kind added later plugs in here.
 */
import type { JsonObject } from './graph.js';

export type LaterRecordKind = 'CORRECTION' | 'LATER';

export interface LaterRecord {
  identifier: string;
  eventId: string;
  recordHash: string;
  logIndex: number;
  role: string;
  kind: LaterRecordKind;
  /** CORRECTION: the answer's event ids it declares in error. */
  corrects: string[];
}

/** The answer's event ids this later event declares in error (empty: none). */
export function correctedEventIds(event: JsonObject | undefined, answerEventIds: ReadonlySet<string>): string[] {
  if (!event || typeof event['errorDeclaration'] !== 'object' || event['errorDeclaration'] === null) return [];
  const declared = event['eventID'];
  return typeof declared === 'string' && answerEventIds.has(declared) ? [declared] : [];
}
