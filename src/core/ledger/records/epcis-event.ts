/**
 * epcis.event: one GS1 EPCIS 2.0 event, as { event }, signed by the organisation that captured it.
 * Capture checks the event (schema, rules, role, custody) before signing-time admission; the ledger
 * admits any organisation-signed payload, so a verifier holds the signer to the event's role rule.
 */
import type { RecordKindModule } from './kind.js';
import { eventUnderPayload } from './kind.js';
import { RecordKind } from './kinds.js';
import { isObject, malformedPayload, requireKeys } from './shape.js';

export interface EpcisEventPayload {
  event: Record<string, unknown>;
}

export function parseEpcisEventPayload(value: unknown): EpcisEventPayload {
  const p = requireKeys(RecordKind.EPCIS_EVENT, value, ['event']);
  if (!isObject(p.event)) throw malformedPayload(RecordKind.EPCIS_EVENT, 'event must be an EPCIS event object', 'event');
  return { event: p.event };
}

export const epcisEventRecord: RecordKindModule<EpcisEventPayload> = {
  kind: RecordKind.EPCIS_EVENT,
  payload: { version: 1, parse: parseEpcisEventPayload },
  signers: 'organisation',
  changesMembership: false,
  admit: () => [],
  statedEvent: eventUnderPayload,
};
