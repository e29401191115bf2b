import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { epcisEventRecord } from '../../../../src/core/ledger/records/epcis-event.js';
import { statedEventOf } from '../../../../src/core/ledger/records/index.js';
import { codeOf, expectRejected, withDevice } from './helpers.js';

const event = { type: 'ObjectEvent', action: 'OBSERVE', epcList: ['urn:epc:id:sgtin:5012345.000001.1'], bizStep: 'shipping' };

describe('epcis.event', () => {
  it('parses { event }', () => {
    expect(epcisEventRecord.payload.parse({ event })).toEqual({ event });
  });

  it('refuses a payload that is not { event: <object> }', () => {
    expect(codeOf(() => epcisEventRecord.payload.parse(event))).toBe('MALFORMED_RECORD');
    expect(codeOf(() => epcisEventRecord.payload.parse({ event: [event] }))).toBe('MALFORMED_RECORD');
  });

  it('is admitted from an organisation and states its event to the verifiers', () => {
    const { demo } = withDevice();
    const record = demo.sign('green-farm', RecordKind.EPCIS_EVENT, { event });
    expect(demo.submit(record).effects).toEqual([]);
    expect(statedEventOf(record)).toEqual(event);
  });

  it('refuses a device signer', () => {
    const { demo, device } = withDevice();
    expectRejected(demo.state, demo.sign(device, RecordKind.EPCIS_EVENT, { event }), 'NOT_AUTHORISED');
  });
});
