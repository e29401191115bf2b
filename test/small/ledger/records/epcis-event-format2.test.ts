import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { EPCIS_EVENT_FORMAT, epcisEventPayload, epcisEventRecord } from '../../../../src/core/ledger/records/epcis-event.js';
import { statedEventOf } from '../../../../src/core/ledger/records/index.js';
import { codeOf, withDevice } from './helpers.js';

const event = { type: 'ObjectEvent', action: 'OBSERVE', epcList: ['urn:epc:id:sgtin:5012345.000001.1'], bizStep: 'shipping', 'example:note': 'x' };
const context = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'http://ns.example.com/epcis/' }];
const epcisHeader = { epcisMasterData: { vocabularyList: [] } };

describe('epcis.event payload format 2', () => {
  it('keeps the document @context and epcisHeader with the event', () => {
    const payload = epcisEventPayload(event, 2, { context, epcisHeader });
    expect(payload).toEqual({ format: 2, event, context, epcisHeader });
    expect(epcisEventRecord.payload.parse(payload)).toEqual({ format: 2, event, context, epcisHeader });
    expect(epcisEventRecord.payload.parse({ format: 2, event, context: 'https://example.org/ctx' })).toEqual({ format: 2, event, context: 'https://example.org/ctx' });
    expect(EPCIS_EVENT_FORMAT).toBe(2);
    expect(epcisEventRecord.payload.formats).toEqual([1, 2]);
  });

  it('format 1 stays { event } exactly', () => {
    expect(epcisEventPayload(event, 1, { context })).toEqual({ event });
  });

  it('refuses an unknown format, a missing or malformed context, a non-object header and unknown fields', () => {
    expect(codeOf(() => epcisEventRecord.payload.parse({ format: 3, event, context }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => epcisEventRecord.payload.parse({ format: 2, event }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => epcisEventRecord.payload.parse({ format: 2, event, context: 42 }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => epcisEventRecord.payload.parse({ format: 2, event, context, epcisHeader: [] }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => epcisEventRecord.payload.parse({ format: 2, event, context, extra: 1 }))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => epcisEventPayload(event, 2))).toBe('MALFORMED_RECORD');
  });

  it('is admitted like format 1 and states the same event to the verifiers', () => {
    const { demo } = withDevice();
    const record = demo.sign('green-farm', RecordKind.EPCIS_EVENT, epcisEventPayload(event, 2, { context }));
    expect(demo.submit(record).effects).toEqual([]);
    expect(statedEventOf(record)).toEqual(event);
  });
});
