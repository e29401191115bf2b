/**
 * A simulated consortium member: its own organisation key, talking to the node only through the
 * public capture interface (HTTP), never the database.
 */
import type { KeyPair } from '../src/core/crypto/index.js';
import { signCaptureDocument, submitCapture, type CaptureResult } from '../src/client/capture-client.js';

export const EPCIS_CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { provenant: 'https://provenant.dev/ns/epcis/' }];

export type EpcisEvent = Record<string, unknown>;

/** Monotonic simulated time: every event is later than the previous one. */
export class SimClock {
  #t: number;
  constructor(start: Date) {
    this.#t = start.getTime();
  }
  next(stepMinutes = 5): string {
    this.#t += stepMinutes * 60_000;
    return new Date(this.#t).toISOString();
  }
}

export class Participant {
  constructor(
    readonly orgId: string,
    readonly key: KeyPair,
    readonly baseUrl: string,
    readonly consortium: string,
    readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Signs and posts events as one atomic EPCIS document; waits until they are sealed. */
  async post(events: EpcisEvent[], what: string): Promise<CaptureResult> {
    const document = {
      '@context': EPCIS_CONTEXT,
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: new Date().toISOString(),
      epcisBody: { eventList: events },
    };
    const envelope = signCaptureDocument(document, { consortium: this.consortium, key: this.key });
    const result = await submitCapture(this.baseUrl, envelope, { wait: true });
    const accepted = result.results.filter((r) => r.status === 'accepted' || r.status === 'duplicate').length;
    this.log(`${this.orgId.padEnd(18)} ${what}: ${accepted}/${events.length} events sealed`);
    return result;
  }
}

export function objectEvent(fields: {
  eventTime: string;
  action: 'ADD' | 'OBSERVE' | 'DELETE';
  bizStep: string;
  epcList?: string[];
  quantityList?: { epcClass: string; quantity: number; uom?: string }[];
  disposition?: string;
  readPoint?: string;
  extra?: Record<string, unknown>;
}): EpcisEvent {
  return {
    type: 'ObjectEvent',
    eventTime: fields.eventTime,
    eventTimeZoneOffset: '+00:00',
    epcList: fields.epcList ?? [],
    ...(fields.quantityList ? { quantityList: fields.quantityList } : {}),
    action: fields.action,
    bizStep: fields.bizStep,
    ...(fields.disposition ? { disposition: fields.disposition } : {}),
    ...(fields.readPoint ? { readPoint: { id: fields.readPoint } } : {}),
    ...(fields.extra ?? {}),
  };
}

export function aggregationEvent(fields: { eventTime: string; action: 'ADD' | 'DELETE' | 'OBSERVE'; bizStep: string; parentID: string; childEPCs: string[] }): EpcisEvent {
  return {
    type: 'AggregationEvent',
    eventTime: fields.eventTime,
    eventTimeZoneOffset: '+00:00',
    parentID: fields.parentID,
    childEPCs: fields.childEPCs,
    action: fields.action,
    bizStep: fields.bizStep,
  };
}

export function transformationEvent(fields: {
  eventTime: string;
  bizStep: string;
  inputEPCList?: string[];
  outputEPCList?: string[];
  inputQuantityList?: { epcClass: string; quantity: number; uom?: string }[];
  outputQuantityList?: { epcClass: string; quantity: number; uom?: string }[];
  extra?: Record<string, unknown>;
}): EpcisEvent {
  return {
    type: 'TransformationEvent',
    eventTime: fields.eventTime,
    eventTimeZoneOffset: '+00:00',
    ...(fields.inputEPCList ? { inputEPCList: fields.inputEPCList } : {}),
    ...(fields.inputQuantityList ? { inputQuantityList: fields.inputQuantityList } : {}),
    ...(fields.outputEPCList ? { outputEPCList: fields.outputEPCList } : {}),
    ...(fields.outputQuantityList ? { outputQuantityList: fields.outputQuantityList } : {}),
    bizStep: fields.bizStep,
    ...(fields.extra ?? {}),
  };
}
