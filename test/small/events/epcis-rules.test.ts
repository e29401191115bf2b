import { describe, expect, it } from 'vitest';
import { checkDocumentRules, checkEventRules } from '../../../src/core/epcis/epcis-rules.js';
import { epcisExamples } from './reference.js';

const base = { eventTime: '2024-05-01T10:00:00.000+02:00', eventTimeZoneOffset: '+02:00' };

function issues(event: unknown): { path: string; message: string }[] {
  const r = checkEventRules(event);
  return r.ok ? [] : r.errors;
}

describe('our EPCIS rules', () => {
  it('accept every official example', () => {
    for (const { name, document } of epcisExamples()) {
      expect({ name, result: checkDocumentRules(document) }).toEqual({ name, result: { ok: true } });
    }
  });

  it('require eventTime and eventTimeZoneOffset, parseable', () => {
    expect(issues({ type: 'ObjectEvent', action: 'OBSERVE', epcList: ['x'] })).toEqual([
      { path: 'eventTime', message: 'is required' },
      { path: 'eventTimeZoneOffset', message: 'is required with eventTime' },
    ]);
    expect(issues({ ...base, eventTime: '2024-02-30T10:00:00Z', type: 'ObjectEvent', action: 'OBSERVE', epcList: ['x'] })).toEqual([
      { path: 'eventTime', message: expect.stringContaining('date-time') },
    ]);
    expect(issues({ ...base, eventTimeZoneOffset: '+15:00', type: 'ObjectEvent', action: 'OBSERVE', epcList: ['x'] })).toEqual([
      { path: 'eventTimeZoneOffset', message: expect.stringContaining('UTC offset') },
    ]);
  });

  it('ignore recordTime', () => {
    expect(issues({ ...base, recordTime: 'not a time', type: 'ObjectEvent', action: 'OBSERVE', epcList: ['x'] })).toEqual([]);
  });

  it('require action on Object/Aggregation/Transaction/Association events only', () => {
    for (const type of ['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'AssociationEvent']) {
      const paths = issues({ ...base, type, parentID: 'p', epcList: ['x'], childEPCs: ['y'] }).map((i) => i.path);
      expect(paths).toContain('action');
    }
    expect(issues({ ...base, type: 'ObjectEvent', action: 'MOVE', epcList: ['x'] })).toEqual([
      { path: 'action', message: 'must be one of ADD, OBSERVE, DELETE' },
    ]);
    expect(issues({ ...base, type: 'TransformationEvent', inputEPCList: ['a'], outputEPCList: ['b'] })).toEqual([]);
  });

  it('require parentID for ADD/DELETE aggregations, not for OBSERVE', () => {
    expect(issues({ ...base, type: 'AggregationEvent', action: 'ADD', childEPCs: ['c'] })).toEqual([
      { path: 'parentID', message: 'is required for AggregationEvent with action ADD' },
    ]);
    expect(issues({ ...base, type: 'AggregationEvent', action: 'DELETE' })).toEqual([
      { path: 'parentID', message: 'is required for AggregationEvent with action DELETE' },
    ]);
    expect(issues({ ...base, type: 'AggregationEvent', action: 'OBSERVE', childEPCs: ['c'] })).toEqual([]);
    // DELETE without children disaggregates everything (EPCIS 2.0 7.4.3).
    expect(issues({ ...base, type: 'AggregationEvent', action: 'DELETE', parentID: 'p' })).toEqual([]);
    expect(issues({ ...base, type: 'AggregationEvent', action: 'ADD', parentID: 'p' })).toEqual([
      { path: '(root)', message: 'AggregationEvent with action ADD needs a non-empty childEPCs or childQuantityList' },
    ]);
    expect(issues({ ...base, type: 'AssociationEvent', action: 'OBSERVE', childEPCs: ['c'] })).toEqual([
      { path: 'parentID', message: 'is required for AssociationEvent' },
    ]);
  });

  it('require input and output for TransformationEvent', () => {
    expect(issues({ ...base, type: 'TransformationEvent', inputEPCList: ['a'] })).toEqual([
      { path: '(root)', message: expect.stringContaining('at least one output') },
    ]);
    expect(issues({ ...base, type: 'TransformationEvent', outputQuantityList: [{ epcClass: 'c', quantity: 1 }] })).toEqual([
      { path: '(root)', message: expect.stringContaining('at least one input') },
    ]);
  });

  it('require a what dimension', () => {
    expect(issues({ ...base, type: 'ObjectEvent', action: 'OBSERVE', epcList: [] })).toEqual([
      { path: '(root)', message: expect.stringContaining('ObjectEvent needs') },
    ]);
    expect(issues({ ...base, type: 'TransactionEvent', action: 'ADD', bizTransactionList: [] })).toEqual([
      { path: '(root)', message: 'TransactionEvent needs a non-empty epcList or quantityList' },
    ]);
  });

  it('require finite, non-negative quantities', () => {
    for (const quantity of [-1, Number.NaN, Number.POSITIVE_INFINITY, '3']) {
      expect(issues({ ...base, type: 'ObjectEvent', action: 'OBSERVE', quantityList: [{ epcClass: 'c', quantity }] })).toEqual([
        { path: 'quantityList[0].quantity', message: 'must be a finite, non-negative number' },
      ]);
    }
    expect(issues({ ...base, type: 'ObjectEvent', action: 'OBSERVE', quantityList: [{ epcClass: 'c', quantity: 0 }] })).toEqual([]);
  });

  it('require declarationTime in an errorDeclaration and parse sensor times', () => {
    expect(issues({ ...base, type: 'ObjectEvent', action: 'OBSERVE', epcList: ['x'], errorDeclaration: { reason: 'did_not_occur' } })).toEqual([
      { path: 'errorDeclaration.declarationTime', message: 'is required in an errorDeclaration' },
    ]);
    const sensor = [{ sensorMetadata: { time: 'noon' }, sensorReport: [{ type: 'Temperature', time: '2024-05-01T25:00:00Z' }] }];
    expect(issues({ ...base, type: 'ObjectEvent', action: 'OBSERVE', epcList: ['x'], sensorElementList: sensor }).map((i) => i.path)).toEqual([
      'sensorElementList[0].sensorMetadata.time',
      'sensorElementList[0].sensorReport[0].time',
    ]);
  });

  it('prefix document paths and never mutate', () => {
    const doc = {
      epcisBody: { eventList: [{ ...base, type: 'ObjectEvent', action: 'OBSERVE', epcList: ['x'] }, { ...base, type: 'AggregationEvent', action: 'ADD' }] },
    };
    const before = structuredClone(doc);
    const result = checkDocumentRules(doc);
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual(['epcisBody.eventList[1].parentID', 'epcisBody.eventList[1]']);
    expect(doc).toEqual(before);
  });
});
