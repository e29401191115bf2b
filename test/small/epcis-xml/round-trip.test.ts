// JSON-LD -> XML -> JSON-LD gives the same model, and the XML is valid against GS1's XSDs.
// Documented canonicalisations (the only differences the comparison allows):
//  - `@context` comes back as [standard context URL, one object of the prefixes], without entries
//    the standard context already defines identically;
//  - standard vocabulary comes back bare ("urn:epcglobal:cbv:bizstep:shipping" -> "shipping");
//  - a one-element array in a user extension, or in certificationInfo, comes back as the element;
//  - text is trimmed; an empty extension object comes back as "".
// None of them changes an event hash ID (checked in event-hash-xml.test.ts).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { EpcisXmlError, epcisDocumentToXml, parseEpcisXml, validateEpcisXml, type XsdValidateFn } from '../../../src/core/epcis/xml/index.js';
import { STANDARD_CONTEXT_PREFIXES } from '../../../src/core/epcis/xml/xml-vocabulary.js';
import { loadEpcisXsdValidator } from '../../../src/platform/epcis-xsd.js';
import { epcisExamples, hashVectors, isDocumentExample, xmlExamples } from './fixtures.js';

type Json = Record<string, unknown>;

let validate: XsdValidateFn;
beforeAll(async () => {
  validate = await loadEpcisXsdValidator();
});

/** The prefixes a context declares beyond the standard context (the semantics of @context here). */
function declaredPrefixes(context: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of Array.isArray(context) ? context : [context]) {
    if (typeof entry !== 'object' || entry === null) continue;
    for (const [k, v] of Object.entries(entry)) if (typeof v === 'string' && STANDARD_CONTEXT_PREFIXES[k] !== v) out[k] = v;
  }
  return out;
}

function expectSameModel(back: Json, original: Json): void {
  const { '@context': backContext, ...backRest } = back;
  const { '@context': originalContext, ...originalRest } = original;
  expect(backRest).toEqual(originalRest);
  expect(declaredPrefixes(backContext)).toEqual(declaredPrefixes(originalContext));
}

const corpus = [...epcisExamples().map((e) => ({ name: e.name, document: e.document })), ...hashVectors().map((v) => ({ name: `event-hash/${v.name}`, document: v.document }))];

describe('JSON-LD examples and hash vectors: JSON -> XML -> JSON', () => {
  for (const { name, document } of corpus) {
    it(`${name}: same model, XML valid against the XSDs`, () => {
      const xml = epcisDocumentToXml(document);
      expect(validateEpcisXml(xml, validate)).toEqual({ ok: true });
      expectSameModel(parseEpcisXml(xml), document);
    });
  }
});

describe('XML examples: XML -> JSON -> XML -> JSON is a fixed point after the first read', () => {
  for (const example of xmlExamples().filter((e) => isDocumentExample(e.name))) {
    it(example.name, () => {
      const once = parseEpcisXml(example.bytes);
      const xml = epcisDocumentToXml(once);
      expect(validateEpcisXml(xml, validate)).toEqual({ ok: true });
      expect(parseEpcisXml(xml)).toEqual(once);
    });
  }
});

describe('what the XML binding cannot carry is refused, never dropped', () => {
  const doc = (event: Json): Json => ({ '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'https://ns.example.com/' }], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2024-01-01T00:00:00Z', epcisBody: { eventList: [event] } });
  const base = { type: 'ObjectEvent', eventTime: '2024-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE' };
  const cases: Record<string, Json> = {
    'two certificationInfo': { ...base, certificationInfo: ['https://a.example/1', 'https://a.example/2'] },
    'ilmd on an AggregationEvent': { ...base, type: 'AggregationEvent', ilmd: { 'example:lot': '1' } },
    'an extension prefix missing from @context': { ...base, 'undeclared:field': 'x' },
    'an unprefixed unknown event field': { ...base, colour: 'red' },
    'an extension key inside a quantity element': { ...base, quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.1', quantity: 1, 'example:x': 1 }] },
    'an object-valued sensor report extension': { ...base, sensorElementList: [{ sensorReport: [{ type: 'Temperature', 'example:x': { y: 1 } }] }] },
    'a null extension value': { ...base, 'example:x': null },
    'a control character no XML can carry': { ...base, 'example:x': 'a\u0000b' },
    'a uom without a quantity': { ...base, quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.1', uom: 'KGM' }] },
    'an extension event type': { ...base, type: 'example:CustomEvent' },
  };
  for (const [name, event] of Object.entries(cases)) {
    it(name, () => {
      let error: unknown;
      try {
        epcisDocumentToXml(doc(event));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EpcisXmlError);
      expect((error as EpcisXmlError).code).toBe('EPCIS_XML_NOT_REPRESENTABLE');
      expect(String((error as EpcisXmlError).details['path'])).toMatch(/^epcisBody\.eventList\[0\]/);
    });
  }
});

// ---- Property: generated events of every type round-trip and keep their hash IDs.

const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,12}[A-Za-z0-9]$/);
const epc = fc.nat(99999).map((n) => `urn:epc:id:sgtin:4012345.011111.${n}`);
const time = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
const amount = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 1, max: 1e7 }).map((n) => n / 1000));
const scalar = fc.oneof(word, amount, fc.boolean());
const extensionValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.dictionary(fc.constantFrom('example:a', 'example:b', 'c'), tie('value'), { minKeys: 1, maxKeys: 3 }), fc.array(scalar, { minLength: 2, maxLength: 3 })),
})).value;
const quantity = fc.oneof(
  fc.record({ epcClass: fc.constant('urn:epc:class:lgtin:4012345.011111.L1'), quantity: amount.map(Math.abs), uom: fc.constantFrom('KGM', 'LTR') }, { requiredKeys: ['epcClass', 'quantity'] }),
  fc.record({ epcClass: fc.constant('urn:epc:idpat:sgtin:4012345.011111.*') }),
);
const sensorReport = fc.record({ type: fc.constantFrom('Temperature', 'Humidity', 'example:Custom'), value: amount, uom: fc.constant('CEL'), booleanValue: fc.boolean(), 'example:cv': word }, { requiredKeys: [] });
const common = {
  eventTime: time,
  eventTimeZoneOffset: fc.constantFrom('+00:00', '-06:00', '+05:30'),
  bizStep: fc.constantFrom('shipping', 'receiving', 'urn:example:step'),
  disposition: fc.constantFrom('in_transit', 'active'),
  readPoint: fc.record({ id: fc.constant('urn:epc:id:sgln:4012345.00001.0'), 'example:dock': word }, { requiredKeys: ['id'] }),
  bizTransactionList: fc.array(fc.record({ type: fc.constantFrom('po', 'inv'), bizTransaction: fc.constant('urn:epcglobal:cbv:bt:4012345000009:1') }), { minLength: 1, maxLength: 2 }),
  sourceList: fc.array(fc.record({ type: fc.constantFrom('owning_party', 'location'), source: fc.constant('urn:epc:id:pgln:4012345.00001') }), { minLength: 1, maxLength: 2 }),
  sensorElementList: fc.array(fc.record({ sensorMetadata: fc.record({ time }), sensorReport: fc.array(sensorReport, { minLength: 1, maxLength: 2 }) }), { minLength: 1, maxLength: 2 }),
  persistentDisposition: fc.record({ set: fc.constant(['completeness_verified']), unset: fc.constant(['completeness_inferred']) }, { requiredKeys: [] }),
  'example:extra': extensionValue,
  'rdfs:comment': word,
};
const eventArbitrary = fc.oneof(
  fc.record({ type: fc.constant('ObjectEvent'), action: fc.constantFrom('ADD', 'OBSERVE', 'DELETE'), epcList: fc.array(epc, { maxLength: 3 }), quantityList: fc.array(quantity, { maxLength: 2 }), ilmd: fc.dictionary(fc.constantFrom('example:lot', 'example:best'), word, { minKeys: 1 }), ...common }, { requiredKeys: ['type', 'action', 'eventTime', 'eventTimeZoneOffset'] }),
  fc.record({ type: fc.constant('AggregationEvent'), action: fc.constantFrom('ADD', 'DELETE'), parentID: epc, childEPCs: fc.array(epc, { maxLength: 3 }), childQuantityList: fc.array(quantity, { maxLength: 2 }), ...common }, { requiredKeys: ['type', 'action', 'eventTime', 'eventTimeZoneOffset'] }),
  fc.record({ type: fc.constant('TransactionEvent'), action: fc.constant('ADD'), bizTransactionList: common.bizTransactionList, epcList: fc.array(epc, { maxLength: 2 }), eventTime: time, eventTimeZoneOffset: common.eventTimeZoneOffset }),
  fc.record({ type: fc.constant('TransformationEvent'), inputEPCList: fc.array(epc, { maxLength: 2 }), outputQuantityList: fc.array(quantity, { maxLength: 2 }), transformationID: fc.constant('urn:example:t1'), ...common }, { requiredKeys: ['type', 'eventTime', 'eventTimeZoneOffset'] }),
  fc.record({ type: fc.constant('AssociationEvent'), action: fc.constant('ADD'), parentID: epc, childEPCs: fc.array(epc, { maxLength: 2 }), eventTime: time, eventTimeZoneOffset: common.eventTimeZoneOffset }),
);

describe('property: generated events', () => {
  it('round-trip JSON -> XML -> JSON to the same model, keep their hash IDs, and validate against the XSDs', () => {
    fc.assert(
      fc.property(fc.array(eventArbitrary, { minLength: 1, maxLength: 3 }), (eventList) => {
        const document: Json = {
          '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'https://ns.example.com/epcis/' }],
          type: 'EPCISDocument',
          schemaVersion: '2.0',
          creationDate: '2024-01-01T00:00:00Z',
          epcisBody: { eventList },
        };
        const xml = epcisDocumentToXml(document);
        const back = parseEpcisXml(xml);
        expectSameModel(back, document);
        expect(eventHashIdsOfDocument(back)).toEqual(eventHashIdsOfDocument(document));
        expect(validateEpcisXml(xml, validate)).toEqual({ ok: true });
      }),
      { numRuns: 150 },
    );
  });
});
