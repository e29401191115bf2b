// Validation against GS1's EPCIS 2.0 XSDs (libxml2 via src/platform/epcis-xsd.ts), reported with
// the element path; the validator is injectable and never sees input the safe parser refused.
import { beforeAll, describe, expect, it } from 'vitest';
import { EpcisXmlError, readEpcisXml, validateEpcisXml, type XsdValidateFn } from '../../../src/core/epcis/xml/index.js';
import { loadEpcisXsdValidator } from '../../../src/platform/epcis-xsd.js';
import { OBJECT_EVENT, xmlDocument } from './fixtures.js';

let validate: XsdValidateFn;
beforeAll(async () => {
  validate = await loadEpcisXsdValidator();
});

const EVENT_PATH = '/epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent';

function errorsOf(xml: string): { path: string; message: string }[] {
  const result = validateEpcisXml(xml, validate);
  if (result.ok) throw new Error('expected schema errors');
  return result.errors;
}

describe('schema violations are reported with the element path', () => {
  it('an action outside ADD/OBSERVE/DELETE', () => {
    const [error] = errorsOf(xmlDocument(OBJECT_EVENT.replace('OBSERVE', 'LOOK')));
    expect(error!.path).toBe(`${EVENT_PATH}/action`);
    expect(error!.message).toMatch(/LOOK/);
  });

  it('a missing eventTimeZoneOffset', () => {
    const [error] = errorsOf(xmlDocument(OBJECT_EVENT.replace('<eventTimeZoneOffset>+00:00</eventTimeZoneOffset>', '')));
    expect(error!.path).toBe(`${EVENT_PATH}/epcList`);
    expect(error!.message).toMatch(/eventTimeZoneOffset/);
  });

  it('an eventTime without a time zone (EPCIS DateTimeStamp pattern)', () => {
    const [error] = errorsOf(xmlDocument(OBJECT_EVENT.replace('2024-01-01T10:00:00Z', '2024-01-01T10:00:00')));
    expect(error!.path).toBe(`${EVENT_PATH}/eventTime`);
  });

  it('standard fields out of the XSD order, in the second of two events', () => {
    const swapped = OBJECT_EVENT.replace('<action>OBSERVE</action>', '').replace('<epcList>', '<action>OBSERVE</action><epcList>');
    const errors = errorsOf(xmlDocument(OBJECT_EVENT + swapped));
    expect(errors[0]!.path).toMatch(/ObjectEvent\[2\]\/(epcList|action)$/);
  });

  it('an unqualified unknown element where only other namespaces may extend', () => {
    const [error] = errorsOf(xmlDocument(OBJECT_EVENT.replace('</ObjectEvent>', '<colour>red</colour></ObjectEvent>')));
    expect(error!.path).toBe(`${EVENT_PATH}/colour`);
  });

  it('readEpcisXml refuses with EPCIS_XML_SCHEMA_INVALID and every error', () => {
    let error: unknown;
    try {
      readEpcisXml(xmlDocument(OBJECT_EVENT.replace('OBSERVE', 'LOOK')), { validate });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EpcisXmlError);
    expect((error as EpcisXmlError).code).toBe('EPCIS_XML_SCHEMA_INVALID');
    expect((error as EpcisXmlError).details['path']).toBe(`${EVENT_PATH}/action`);
    expect((error as EpcisXmlError).details['errors']).toHaveLength(1);
  });

  it('readEpcisXml without a validator reads a schema-invalid but readable document', () => {
    expect(readEpcisXml(xmlDocument(OBJECT_EVENT.replace('OBSERVE', 'LOOK')))['type']).toBe('EPCISDocument');
  });
});

describe('the injected validator', () => {
  it('is not called for input the safe parser refuses (a DTD)', () => {
    let calls = 0;
    const spy: XsdValidateFn = (xml) => {
      calls++;
      return validate(xml);
    };
    const result = validateEpcisXml(`<!DOCTYPE d [<!ENTITY x "y">]>` + xmlDocument(OBJECT_EVENT).replace(/^<\?xml[^>]*>/, ''), spy);
    expect(result.ok).toBe(false);
    expect(calls).toBe(0);
  });

  it('an issue with only a line number gets the path of the element on that line', () => {
    const xml = xmlDocument(OBJECT_EVENT.replace('<epcList>', '\n<epcList>').replace('<action>', '\n<action>'));
    const line = xml.split('\n').findIndex((l) => l.includes('<epcList>')) + 1;
    const result = validateEpcisXml(xml, () => [{ message: 'made up', line }]);
    expect(result).toEqual({ ok: false, errors: [{ path: `${EVENT_PATH}/epcList/epc`, message: `made up (line ${line})` }] });
  });

  it('loading from a folder without the schemas is a typed error', async () => {
    await expect(loadEpcisXsdValidator('/nonexistent-epcis-xsd')).rejects.toMatchObject({ code: 'EPCIS_XSD_NOT_LOADED' });
  });
});
