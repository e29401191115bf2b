/** EPCIS 2.0 documents for tests, and capture envelopes signed independently of src/client/capture-client.ts. */
import type { KeyPair } from '../../src/core/crypto/index.js';
import { RecordKind, formatTimestamp, signRecord } from '../../src/core/ledger/record.js';
import { CAPTURE_TEST_CONSORTIUM } from './consortia.js';

/** An EPCIS 2.0 document of the events. */
export function epcisDocument(events: Record<string, unknown>[]): Record<string, unknown> {
  return {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-11-21T08:00:00.000Z',
    epcisBody: { eventList: events },
  };
}

export function objectEvent(fields: Record<string, unknown>): Record<string, unknown> {
  return { type: 'ObjectEvent', eventTime: '2026-11-21T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...fields };
}

/** Fresh inspection events a minute old, each with a new EPC under `prefix`; fields override the defaults. */
export function inspectionEvents(prefix: string): (overrides?: Record<string, unknown>) => Record<string, unknown> {
  let serial = 0;
  return (overrides = {}) => ({
    type: 'ObjectEvent',
    action: 'OBSERVE',
    bizStep: 'inspecting',
    epcList: [`urn:epc:id:sgtin:5012345.011111.${prefix}-${++serial}`],
    eventTime: new Date(Date.now() - 60_000).toISOString(),
    eventTimeZoneOffset: '+00:00',
    readPoint: { id: 'urn:epc:id:sgln:5012345.00001.0' },
    ...overrides,
  });
}

export function eventList(document: Record<string, unknown>): Record<string, unknown>[] {
  return (document['epcisBody'] as { eventList: Record<string, unknown>[] }).eventList;
}

/** One signRecord per event, payload { event } (the capture tests' consortium unless named). */
export function signEnvelope(document: Record<string, unknown>, key: KeyPair, options: { consortium?: string; signedAt?: string } = {}) {
  const consortium = options.consortium ?? CAPTURE_TEST_CONSORTIUM;
  const signedAt = options.signedAt ?? formatTimestamp(new Date());
  const signatures = eventList(document).map(
    (event) => signRecord({ consortium, kind: RecordKind.EPCIS_EVENT, payload: { event } as never, signedAt }, key).signature,
  );
  return { consortium, signer: key.keyId, signedAt, signatures, document };
}
