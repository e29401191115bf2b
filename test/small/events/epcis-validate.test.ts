import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEpcisValidator, EpcisSchemaError, SCHEMA_DIR_ENV } from '../../../src/platform/epcis-schemas.js';
import { epcisExamples, hashVectors } from './reference.js';

const validator = createEpcisValidator();

function validDocument(): Record<string, any> {
  return {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'https://ns.example.com/epcis/' }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2024-05-01T10:00:00Z',
    epcisBody: {
      eventList: [
        {
          type: 'ObjectEvent',
          eventTime: '2024-05-01T10:00:00.000+02:00',
          eventTimeZoneOffset: '+02:00',
          epcList: ['urn:epc:id:sgtin:4012345.011111.1'],
          action: 'OBSERVE',
          bizStep: 'shipping',
          'example:note': 'kept',
        },
        {
          type: 'AggregationEvent',
          eventTime: '2024-05-01T10:05:00.000+02:00',
          eventTimeZoneOffset: '+02:00',
          parentID: 'urn:epc:id:sscc:4012345.0000000001',
          childEPCs: ['urn:epc:id:sgtin:4012345.011111.1'],
          action: 'ADD',
        },
        {
          type: 'ObjectEvent',
          eventTime: '2024-05-01T10:10:00.000+02:00',
          eventTimeZoneOffset: '+02:00',
          quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.L1', quantity: 5, uom: 'KGM' }],
          action: 'OBSERVE',
        },
      ],
    },
  };
}

describe('official EPCIS examples', () => {
  const examples = epcisExamples();
  it('finds the examples', () => expect(examples.length).toBeGreaterThanOrEqual(12));
  for (const { name, document } of examples) {
    it(`${name} validates against the official schema`, () => {
      expect(validator.validateDocument(document)).toEqual({ ok: true });
    });
  }
  for (const { name, document } of hashVectors()) {
    it(`hash vector ${name} validates too`, () => expect(validator.validateDocument(document)).toEqual({ ok: true }));
  }
});

describe('createEpcisValidator', () => {
  it('uses the schemas shipped in assets/ by default and caches', () => {
    expect(validator.source).toBe(path.resolve(__dirname, '../../../assets/epcis/JSON-Schema'));
    expect(createEpcisValidator()).toBe(validator);
  });

  it('throws a configuration error naming the env var for a bad directory', () => {
    const previous = process.env[SCHEMA_DIR_ENV];
    process.env[SCHEMA_DIR_ENV] = '/nonexistent/epcis-schemas';
    try {
      expect(() => createEpcisValidator()).toThrow(EpcisSchemaError);
      expect(() => createEpcisValidator()).toThrow(SCHEMA_DIR_ENV);
      try {
        createEpcisValidator();
      } catch (e) {
        expect((e as EpcisSchemaError).code).toBe('EPCIS_SCHEMA_NOT_FOUND');
      }
    } finally {
      if (previous === undefined) delete process.env[SCHEMA_DIR_ENV];
      else process.env[SCHEMA_DIR_ENV] = previous;
    }
  });

  it('does not mutate the input and keeps extensions', () => {
    const doc = validDocument();
    const before = structuredClone(doc);
    expect(validator.validateDocument(doc)).toEqual({ ok: true });
    expect(doc).toEqual(before);
  });
});

function errorsOf(result: ReturnType<typeof validator.validateDocument>): { path: string; message: string }[] {
  if (result.ok) throw new Error('expected validation errors');
  return result.errors;
}

describe('invalid documents give human paths', () => {
  it('bad eventTime format', () => {
    const doc = validDocument();
    doc.epcisBody.eventList[2].eventTime = 'yesterday';
    expect(errorsOf(validator.validateDocument(doc))).toContainEqual({
      path: 'epcisBody.eventList[2].eventTime',
      message: 'must match format date-time',
    });
  });

  it('missing document and event fields', () => {
    const doc = validDocument();
    delete doc.creationDate;
    delete doc.epcisBody.eventList[1].action;
    const errors = errorsOf(validator.validateDocument(doc));
    expect(errors).toContainEqual({ path: 'creationDate', message: 'is required' });
    expect(errors).toContainEqual({ path: 'epcisBody.eventList[1].action', message: 'is required' });
  });

  it('unprefixed unknown property', () => {
    const doc = validDocument();
    doc.epcisBody.eventList[0].colour = 'red';
    expect(errorsOf(validator.validateDocument(doc))).toEqual([
      { path: 'epcisBody.eventList[0].colour', message: expect.stringContaining('not an allowed property name') },
    ]);
  });

  it('wrong types and enums', () => {
    const doc = validDocument();
    doc.epcisBody.eventList[2].quantityList[0].quantity = 'five';
    doc.epcisBody.eventList[0].action = 'MOVE';
    doc.epcisBody.eventList[0].eventTimeZoneOffset = '+2';
    const errors = errorsOf(validator.validateDocument(doc));
    const paths = errors.map((e) => e.path);
    expect(paths).toContain('epcisBody.eventList[2].quantityList[0].quantity');
    expect(paths).toContain('epcisBody.eventList[0].action');
    expect(paths).toContain('epcisBody.eventList[0].eventTimeZoneOffset');
  });

  it('ignores recordTime (the server sets it)', () => {
    const doc = validDocument();
    doc.epcisBody.eventList[0].recordTime = 'whenever';
    expect(validator.validateDocument(doc)).toEqual({ ok: true });
  });

  it('validateEvent uses event-relative paths', () => {
    const event = structuredClone(validDocument().epcisBody.eventList[0]);
    expect(validator.validateEvent(event)).toEqual({ ok: true });
    event.eventTime = '2024-13-01T00:00:00Z';
    expect(errorsOf(validator.validateEvent(event))).toContainEqual({ path: 'eventTime', message: 'must match format date-time' });
  });

  it('withRules adds our rules after the schema', () => {
    const strict = createEpcisValidator({ withRules: true });
    const doc = validDocument();
    doc.epcisBody.eventList[2].quantityList[0].quantity = -1;
    expect(validator.validateDocument(doc)).toEqual({ ok: true });
    expect(errorsOf(strict.validateDocument(doc))).toEqual([
      { path: 'epcisBody.eventList[2].quantityList[0].quantity', message: 'must be a finite, non-negative number' },
    ]);
  });
});
