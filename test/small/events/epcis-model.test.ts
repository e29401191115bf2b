import { describe, expect, it } from 'vitest';
import {
  bizStepOf,
  correctiveEventIds,
  dispositionOf,
  eventsOfDocument,
  eventType,
  identifiersOf,
  isErrorDeclaration,
  sensorReadingsOf,
} from '../../../src/core/epcis/epcis-model.js';
import { epcisExamples, hashVectors } from './reference.js';

describe('epcis model helpers', () => {
  it('lists events of a document in order', () => {
    const doc = hashVectors().find((v) => v.name === 'epcisDocWithVariousEventTypes')!.document;
    const events = eventsOfDocument(doc);
    expect(events).toHaveLength(13);
    expect(events.map(eventType)).toEqual([
      'ObjectEvent', 'ObjectEvent', 'ObjectEvent', 'ObjectEvent', 'AggregationEvent', 'AggregationEvent', 'AggregationEvent',
      'AggregationEvent', 'TransactionEvent', 'TransactionEvent', 'TransformationEvent', 'TransformationEvent', 'TransformationEvent',
    ]);
    expect(eventsOfDocument({ epcisBody: { event: { type: 'ObjectEvent' } } })).toHaveLength(1);
    expect(eventType({ type: 'example:CustomEvent' })).toBeNull();
  });

  it('normalises bizStep and disposition to the short CBV form', () => {
    for (const bizStep of ['shipping', 'urn:epcglobal:cbv:bizstep:shipping', 'https://ref.gs1.org/cbv/BizStep-shipping', 'cbv:BizStep-shipping']) {
      expect(bizStepOf({ bizStep })).toBe('shipping');
    }
    expect(bizStepOf({ bizStep: 'https://example.com/steps/polishing' })).toBe('https://example.com/steps/polishing');
    expect(bizStepOf({})).toBeUndefined();
    expect(dispositionOf({ disposition: 'urn:epcglobal:cbv:disp:in_transit' })).toBe('in_transit');
    expect(dispositionOf({ disposition: 'https://ref.gs1.org/cbv/Disp-in_transit' })).toBe('in_transit');
  });

  it('gives identifiers by role', () => {
    const doc = hashVectors().find((v) => v.name === 'epcisDocWithVariousEventTypes')!.document;
    const [, , , commissioning, packing, , , , , , , transformation] = eventsOfDocument(doc);
    expect(identifiersOf(packing).parentID).toBe('urn:epc:id:sscc:4047023.0111111122');
    expect(identifiersOf(packing).childEPCs).toHaveLength(4);
    expect(identifiersOf(commissioning).quantities).toEqual([
      { role: 'quantity', epcClass: 'urn:epc:class:lgtin:4054739.099914.20160711', quantity: 600, uom: 'KGM' },
    ]);
    const t = identifiersOf(transformation);
    expect(t.inputEPCs).toHaveLength(2);
    expect(t.outputEPCs).toHaveLength(4);
    expect(t.quantities.map((q) => q.role)).toEqual(['input', 'input', 'input']);
  });

  it('flattens sensor readings with metadata fallback', () => {
    const doc = hashVectors().find((v) => v.name === 'epcisDocWithSensorDataObjectEvent')!.document;
    const readings = sensorReadingsOf(eventsOfDocument(doc)[0]);
    expect(readings).toHaveLength(12);
    expect(readings[0]).toMatchObject({ type: 'Temperature', value: 26, uom: 'CEL', time: '2022-02-16T14:05:00.000+01:00', elementIndex: 0, reportIndex: 0 });
    expect(readings[0]!.deviceID).toBe('urn:epc:id:giai:4000001.111');
  });

  it('recognises error declarations', () => {
    const example = epcisExamples().find((e) => e.name.includes('error-declaration'))!;
    const [event] = eventsOfDocument(example.document);
    expect(isErrorDeclaration(event)).toBe(true);
    expect(correctiveEventIds(event).length).toBeGreaterThan(0);
    expect(isErrorDeclaration({ type: 'ObjectEvent' })).toBe(false);
    expect(correctiveEventIds({ type: 'ObjectEvent' })).toEqual([]);
  });
});
