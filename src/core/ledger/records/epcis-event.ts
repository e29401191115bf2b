/**
 * epcis.event: one GS1 EPCIS 2.0 event, signed by the organisation that captured it.
 * Capture checks the event (schema, rules, role, custody) before signing-time admission; the ledger
 * admits any organisation-signed payload, so a verifier holds the signer to the event's role rule.
 *
 * Payload formats (docs/record-kinds.md):
 * - 1: `{event}`: the event exactly as sent.
 * - 2: `{format: 2, event, context, epcisHeader?}`: also the capturing document's `@context` (so
 *   the event's extension prefixes keep their namespaces and its hash ID can be recomputed from the
 *   record alone) and its `epcisHeader` (master data), both as sent.
 * - 3: format 2 whose event carries salted commitments (`provenant:withheld`) in place of the fields
 *   some viewers may not see (docs/redaction.md). Formats 1 and 2 never carry them.
 */
import { PrivacyError } from '../../privacy/commitment.js';
import { carriesWithheld, withheldOf } from '../../privacy/withheld.js';
import type { RecordKindModule } from './kind.js';
import { eventUnderPayload } from './kind.js';
import { RecordKind } from './kinds.js';
import { isObject, malformedPayload, requireKeys } from './shape.js';

/** The payload format capture signs today. */
export const EPCIS_EVENT_FORMAT = 2;
/** The payload format of an event that carries withheld-field commitments. */
export const WITHHELD_EVENT_FORMAT = 3;

export interface EpcisEventPayload {
  /** Absent in format 1; 3 when the event carries withheld-field commitments. */
  format?: 2 | 3;
  event: Record<string, unknown>;
  /** Format 2: the document's `@context`, as sent. */
  context?: unknown;
  /** Format 2: the document's `epcisHeader`, as sent, when it had one. */
  epcisHeader?: Record<string, unknown>;
}

/** The document fields a format-2 payload keeps with each of its events. */
export interface EpcisDocumentFields {
  context: unknown;
  epcisHeader?: Record<string, unknown>;
}

/** The format a payload of this event has under the envelope's format: 3 for an event with commitments. */
export function payloadFormatOf(event: Record<string, unknown>, format: 1 | 2): 1 | 2 | 3 {
  if (!carriesWithheld(event)) return format;
  if (format === 1) throw malformedPayload(RecordKind.EPCIS_EVENT, 'an event with withheld-field commitments needs payload format 2 or later', 'format');
  return 3;
}

/** The payload of one event, in the given format (what is signed); an event with commitments is format 3. */
export function epcisEventPayload(event: Record<string, unknown>, format: 1 | 2, document?: EpcisDocumentFields): Record<string, unknown> {
  const actual = payloadFormatOf(event, format);
  if (actual === 1) return { event };
  if (!document || document.context === undefined) throw malformedPayload(RecordKind.EPCIS_EVENT, `format ${actual} needs the document @context`, 'context');
  return { format: actual, event, context: document.context, ...(document.epcisHeader !== undefined ? { epcisHeader: document.epcisHeader } : {}) };
}

function checkWithheld(event: Record<string, unknown>, format: 1 | 2 | 3): void {
  if (format !== 3) {
    if (carriesWithheld(event)) throw malformedPayload(RecordKind.EPCIS_EVENT, `withheld-field commitments need payload format 3, not ${format}`, 'event');
    return;
  }
  try {
    withheldOf(event);
  } catch (err) {
    if (err instanceof PrivacyError) throw malformedPayload(RecordKind.EPCIS_EVENT, err.message, 'event');
    throw err;
  }
  if (!carriesWithheld(event)) throw malformedPayload(RecordKind.EPCIS_EVENT, 'format 3 needs withheld-field commitments in the event', 'event');
}

function isJsonLdContext(value: unknown): boolean {
  return typeof value === 'string' || Array.isArray(value) || isObject(value);
}

export function parseEpcisEventPayload(value: unknown): EpcisEventPayload {
  const format = isObject(value) ? value['format'] : undefined;
  if (format === undefined) {
    const p = requireKeys(RecordKind.EPCIS_EVENT, value, ['event']);
    if (!isObject(p.event)) throw malformedPayload(RecordKind.EPCIS_EVENT, 'event must be an EPCIS event object', 'event');
    checkWithheld(p.event, 1);
    return { event: p.event };
  }
  if (format !== 2 && format !== 3) throw malformedPayload(RecordKind.EPCIS_EVENT, `unknown payload format ${JSON.stringify(format)}`, 'format');
  const p = requireKeys(RecordKind.EPCIS_EVENT, value, ['format', 'event', 'context'], ['epcisHeader']);
  if (!isObject(p.event)) throw malformedPayload(RecordKind.EPCIS_EVENT, 'event must be an EPCIS event object', 'event');
  if (!isJsonLdContext(p.context)) throw malformedPayload(RecordKind.EPCIS_EVENT, 'context must be a JSON-LD @context (string, array or object)', 'context');
  if (p.epcisHeader !== undefined && !isObject(p.epcisHeader)) throw malformedPayload(RecordKind.EPCIS_EVENT, 'epcisHeader must be an object', 'epcisHeader');
  checkWithheld(p.event, format);
  return { format, event: p.event, context: p.context, ...(p.epcisHeader !== undefined ? { epcisHeader: p.epcisHeader } : {}) };
}

export const epcisEventRecord: RecordKindModule<EpcisEventPayload> = {
  kind: RecordKind.EPCIS_EVENT,
  // The layouts: format 3 (WITHHELD_EVENT_FORMAT) is format 2's layout whose event carries commitments.
  payload: { version: 1, formats: [1, EPCIS_EVENT_FORMAT], parse: parseEpcisEventPayload },
  signers: 'organisation',
  changesMembership: false,
  admit: () => [],
  statedEvent: eventUnderPayload,
};
