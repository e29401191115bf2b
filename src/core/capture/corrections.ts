/**
 * Error declarations (EPCIS 2.0 section 7.4.1.4): an event re-sent with an `errorDeclaration`
 * says the event it repeats was in error. The CBV 2.0 event hash leaves the declaration out, so the
 * declaring event has the very hash ID of the event it corrects: that equality is the link, and
 * anyone can recompute it from the two signed records. Pure.
 *
 * A declaration with `correctiveEventIDs` marks the event CORRECTED (the corrective events replace
 * it); one without marks it RETRACTED (it did not happen as stated).
 */
import { canonicalize, type JsonValue } from '../crypto/index.js';

export type CorrectionStatus = 'CORRECTED' | 'RETRACTED';

export interface ErrorDeclaration {
  /** RFC 3339 UTC with milliseconds when the declared time parses, else as declared. */
  declarationTime: string;
  /** CBV short form ('incorrect_data', 'did_not_occur') for CBV reasons, else the URI as declared; null when none. */
  reason: string | null;
  correctiveEventIds: string[];
  /** JCS text of the declaration as signed: two declarations are the same when these are equal. */
  canonical: string;
}

const ER_URN = 'urn:epcglobal:cbv:er:';
const ER_WEB = /^(?:https?:\/\/(?:ref|ns)\.gs1\.org\/cbv\/|cbv:|gs1:)ER-(.+)$/;

/** A CBV error reason in its short form; other URIs unchanged (as bizStep and disposition are stored). */
export function normaliseErrorReason(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  if (text.startsWith(ER_URN)) return text.slice(ER_URN.length);
  const web = ER_WEB.exec(text);
  return web ? web[1]! : text;
}

/** An EPCIS timestamp as RFC 3339 UTC with milliseconds (sub-millisecond digits dropped); undefined if it does not parse. */
export function utcTimestamp(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const millis = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  const t = Date.parse(`${m[1]}.${millis}${m[3]}`);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The event's error declaration, or undefined when it declares none. */
export function errorDeclarationOf(event: Record<string, unknown>): ErrorDeclaration | undefined {
  const d = event['errorDeclaration'];
  if (!isObject(d)) return undefined;
  const time = typeof d['declarationTime'] === 'string' ? d['declarationTime'] : '';
  const corrective = Array.isArray(d['correctiveEventIDs']) ? d['correctiveEventIDs'].filter((x): x is string => typeof x === 'string') : [];
  return {
    declarationTime: utcTimestamp(time) ?? time,
    reason: normaliseErrorReason(d['reason']),
    correctiveEventIds: corrective,
    canonical: canonicalize(d as JsonValue),
  };
}

export function correctionStatusOf(declaration: Pick<ErrorDeclaration, 'correctiveEventIds'>): CorrectionStatus {
  return declaration.correctiveEventIds.length > 0 ? 'CORRECTED' : 'RETRACTED';
}

/** Identity of one declaration about one event (a repeat of it is a duplicate). */
export function correctionKey(eventId: string, canonicalDeclaration: string): string {
  return `${eventId}\u0000${canonicalDeclaration}`;
}

/** A client-supplied eventID (EPCIS 2.0 section 7.4.1.3), when the event carries one. */
export function declaredEventIdOf(event: Record<string, unknown>): string | null {
  const id = event['eventID'];
  return typeof id === 'string' && id.trim() !== '' ? id : null;
}
