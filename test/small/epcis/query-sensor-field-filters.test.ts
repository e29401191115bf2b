import { describe, expect, it } from 'vitest';
import { matchesResidual } from '../../../src/core/epcis/query/event-match.js';
import { parseEventQuery } from '../../../src/core/epcis/query/event-query.js';
import { QueryError } from '../../../src/core/epcis/query/query-errors.js';

const parse = (query: string) => parseEventQuery(new URLSearchParams(query).entries()).query;
const matches = (query: string, event: Record<string, unknown>) => matchesResidual(parse(query), event);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof QueryError) return err.code;
    throw err;
  }
  return undefined;
}

/** Two sensor elements: a fridge logger (metadata carries the device) and a probe (reports carry theirs). */
const coldChain = {
  type: 'ObjectEvent',
  sensorElementList: [
    {
      sensorMetadata: { time: '2026-11-21T08:00:00Z', deviceID: 'urn:epc:id:giai:4000001.111', dataProcessingMethod: 'https://example.com/avg', bizRules: 'https://example.com/rules/chill', startTime: '2026-11-21T07:00:00Z', endTime: '2026-11-21T08:00:00Z' },
      sensorReport: [
        { type: 'gs1:Temperature', value: 4.5, uom: 'CEL', minValue: 3, maxValue: 6 },
        { type: 'gs1:RelativeHumidity', value: 60, uom: 'A93', percRank: 50 },
      ],
    },
    {
      sensorReport: [
        { type: 'Temperature', value: 9, uom: 'CEL', deviceID: 'urn:epc:id:giai:4000001.222', time: '2026-11-21T09:00:00+01:00' },
        { type: 'gs1:Contamination', microorganism: 'https://www.ncbi.nlm.nih.gov/taxonomy/1666', booleanValue: false, stringValue: 'clear' },
      ],
    },
  ],
};

describe('sensor parameters (EPCIS 2.0 section 8.2.7.1)', () => {
  it('EQ_type in any form, and value bounds in the unit the name gives, on one report together', () => {
    expect(matches('EQ_type=Temperature', coldChain)).toBe(true);
    expect(matches(`EQ_type=${encodeURIComponent('https://gs1.org/voc/RelativeHumidity')}`, coldChain)).toBe(true);
    expect(matches('EQ_type=gs1:Speed', coldChain)).toBe(false);
    expect(matches('EQ_type=Temperature&GE_value_CEL=8', coldChain)).toBe(true);
    expect(matches('EQ_type=Temperature&GE_value_CEL=10', coldChain)).toBe(false);
    // Humidity's 60 is not a temperature: the bounds hold on the temperature report or not at all.
    expect(matches('EQ_type=Temperature&GE_value_CEL=50', coldChain)).toBe(false);
    expect(matches('GE_value_A93=50', coldChain)).toBe(true);
    expect(matches('GE_value_FAH=1', coldChain)).toBe(false);
    expect(matches('GT_value_CEL=4&LT_value_CEL=5', coldChain)).toBe(true);
    expect(matches('LE_minValue_CEL=3&GE_maxValue_CEL=6', coldChain)).toBe(true);
    expect(matches('GT_maxValue_CEL=6', coldChain)).toBe(false);
    expect(matches('EQ_percRank=50', coldChain)).toBe(true);
  });

  it('deviceID, dataProcessingMethod and time count from the report, else from its metadata', () => {
    expect(matches('EQ_deviceID=urn:epc:id:giai:4000001.111&EQ_type=Temperature&LT_value_CEL=5', coldChain)).toBe(true);
    expect(matches('EQ_deviceID=urn:epc:id:giai:4000001.111&GE_value_CEL=8', coldChain)).toBe(false);
    expect(matches('EQ_deviceID=urn:epc:id:giai:4000001.222&GE_value_CEL=8', coldChain)).toBe(true);
    expect(matches('EQ_dataProcessingMethod=https://example.com/avg&EQ_type=RelativeHumidity', coldChain)).toBe(true);
    // 09:00+01:00 is 08:00Z.
    expect(matches('GE_time=2026-11-21T08:00:00Z&LT_time=2026-11-21T08:00:01Z&GE_value_CEL=8', coldChain)).toBe(true);
    expect(matches('GE_time=2026-11-21T08:30:00Z', coldChain)).toBe(false);
  });

  it('metadata-level parameters, string, boolean and URI values, EXISTS_sensorElementList', () => {
    expect(matches('GE_startTime=2026-11-21T07:00:00Z&LT_endTime=2026-11-21T09:00:00Z&EQ_bizRules=https://example.com/rules/chill', coldChain)).toBe(true);
    expect(matches('GE_startTime=2026-11-21T07:30:00Z', coldChain)).toBe(false);
    expect(matches('EQ_microorganism=https://www.ncbi.nlm.nih.gov/taxonomy/1666&EQ_booleanValue=false&EQ_stringValue=clear', coldChain)).toBe(true);
    expect(matches('EQ_booleanValue=true', coldChain)).toBe(false);
    expect(matches('EQ_chemicalSubstance=x', coldChain)).toBe(false);
    expect(matches('EXISTS_sensorElementList=true', coldChain)).toBe(true);
    expect(matches('EXISTS_sensorElementList', { type: 'ObjectEvent' })).toBe(false);
    expect(matches('EXISTS_sensorElementList=false', { type: 'ObjectEvent' })).toBe(true);
    expect(matches('EQ_type=Temperature', { type: 'ObjectEvent' })).toBe(false);
  });

  it('refuses bad sensor values as QUERY_PARAMETER', () => {
    for (const q of ['GE_value_CEL=warm', 'GE_time=today', 'EQ_booleanValue=yes', 'EQ_type=a||b', 'GE_startTime=2026-01-02T00:00:00Z&LT_startTime=2026-01-01T00:00:00Z']) {
      expect(codeOf(() => parse(q)), q).toBe('QUERY_PARAMETER');
    }
  });
});

const withExtensions = {
  type: 'ObjectEvent',
  action: 'ADD',
  'example:grade': 'A',
  'example:weight': 12.5,
  'example:shipment': { 'example:carrier': { 'example:name': 'Haulier Ltd' }, 'example:sealedAt': '2026-11-21T06:00:00Z' },
  ilmd: { 'cbvmda:lotNumber': 'LOT-7', 'cbvmda:bestBeforeDate': '2026-12-01T00:00:00Z', 'example:herd': { 'example:cph': '12/345/6789' } },
  persistentDisposition: { set: ['completeness_verified'], unset: ['https://ref.gs1.org/cbv/Disp-needs_replacement'] },
  sensorElementList: [{ 'example:installation': 'bay 4', sensorMetadata: { 'example:calibrated': '2026-01-01T00:00:00Z' }, sensorReport: [{ type: 'gs1:Temperature', value: 4, uom: 'CEL', 'example:probe': 3 }] }],
};

describe('extension-field parameters (EQ_, GT_ ..., EXISTS_, with ILMD_, INNER_ and SENSOR*_)', () => {
  it('top-level extension fields by prefixed name: strings, numbers, ranges', () => {
    expect(matches('EQ_example:grade=A|B', withExtensions)).toBe(true);
    expect(matches('EQ_example:grade=C', withExtensions)).toBe(false);
    expect(matches('EQ_example:weight=12.5', withExtensions)).toBe(true);
    expect(matches('GT_example:weight=12&LE_example:weight=12.5', withExtensions)).toBe(true);
    expect(matches('GT_example:weight=12.5', withExtensions)).toBe(false);
    expect(matches('EXISTS_example:grade', withExtensions)).toBe(true);
    expect(matches('EXISTS_example:colour', withExtensions)).toBe(false);
    expect(matches('EXISTS_example:colour=false', withExtensions)).toBe(true);
    // A nested field is not a top-level one.
    expect(matches('EQ_example:name=Haulier Ltd', withExtensions)).toBe(false);
  });

  it('INNER_ finds nested fields at any depth; date-times compare as instants', () => {
    expect(matches(`EQ_INNER_example:name=${encodeURIComponent('Haulier Ltd')}`, withExtensions)).toBe(true);
    expect(matches(`LT_INNER_example:sealedAt=${encodeURIComponent('2026-11-21T07:30:00+01:00')}`, withExtensions)).toBe(true);
    expect(matches('GE_INNER_example:sealedAt=2026-11-21T06:00:01Z', withExtensions)).toBe(false);
    expect(matches('EXISTS_INNER_example:carrier', withExtensions)).toBe(true);
  });

  it('ILMD_ and INNER_ILMD_ look in the ilmd only', () => {
    expect(matches('EQ_ILMD_cbvmda:lotNumber=LOT-7', withExtensions)).toBe(true);
    expect(matches('EQ_ILMD_example:grade=A', withExtensions)).toBe(false);
    expect(matches('LT_ILMD_cbvmda:bestBeforeDate=2026-12-02T00:00:00Z', withExtensions)).toBe(true);
    expect(matches('GE_ILMD_cbvmda:bestBeforeDate=2026-12-02T00:00:00Z', withExtensions)).toBe(false);
    expect(matches(`EQ_INNER_ILMD_example:cph=${encodeURIComponent('12/345/6789')}`, withExtensions)).toBe(true);
    expect(matches('EXISTS_ILMD_example:herd', withExtensions)).toBe(true);
    expect(matches('EXISTS_ILMD_example:cph', withExtensions)).toBe(false);
  });

  it('SENSORELEMENT_, SENSORMETADATA_ and SENSORREPORT_ extension fields', () => {
    expect(matches(`EQ_SENSORELEMENT_example:installation=${encodeURIComponent('bay 4')}`, withExtensions)).toBe(true);
    expect(matches('LT_SENSORMETADATA_example:calibrated=2026-06-01T00:00:00Z', withExtensions)).toBe(true);
    expect(matches('GE_SENSORREPORT_example:probe=3', withExtensions)).toBe(true);
    expect(matches('GT_SENSORREPORT_example:probe=3', withExtensions)).toBe(false);
  });

  it('EQ_persistentDisposition_set / _unset in any CBV form', () => {
    expect(matches('EQ_persistentDisposition_set=completeness_verified', withExtensions)).toBe(true);
    expect(matches('EQ_persistentDisposition_unset=needs_replacement', withExtensions)).toBe(true);
    expect(matches('EQ_persistentDisposition_set=needs_replacement', withExtensions)).toBe(false);
  });

  it('refuses bad extension-field values as QUERY_PARAMETER', () => {
    for (const q of ['GT_example:weight=heavy', 'EXISTS_example:grade=maybe', 'EQ_ILMD_example:x=']) {
      expect(codeOf(() => parse(q)), q).toBe('QUERY_PARAMETER');
    }
  });
});
