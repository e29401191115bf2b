// GS1's EPCIS 2.0 XML examples: every one validates against the XSDs; every EPCIS document among
// them reads into the JSON-LD model; the model has the shape the JSON binding gives the same data.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseEpcisXml, readEpcisXml, validateEpcisXml, type XsdValidateFn } from '../../../src/core/epcis/xml/index.js';
import { loadEpcisXsdValidator } from '../../../src/platform/epcis-xsd.js';
import { isDocumentExample, xmlExample, xmlExamples } from './fixtures.js';

type Json = Record<string, any>;
const events = (doc: Json): Json[] => doc['epcisBody'].eventList;

let validate: XsdValidateFn;
beforeAll(async () => {
  validate = await loadEpcisXsdValidator();
});

describe('every GS1 XML example', () => {
  const examples = xmlExamples();
  it('finds the examples', () => expect(examples.length).toBe(20));
  for (const example of examples) {
    it(`${example.name} validates against the EPCIS 2.0 XSDs`, () => {
      expect(validateEpcisXml(example.bytes, validate)).toEqual({ ok: true });
    });
    if (isDocumentExample(example.name)) {
      it(`${example.name} reads into the JSON-LD model, schema-checked`, () => {
        const doc = readEpcisXml(example.bytes, { validate });
        expect(doc['type']).toBe('EPCISDocument');
        expect(events(doc).length).toBeGreaterThan(0);
        for (const event of events(doc)) expect(typeof event['eventTime']).toBe('string');
      });
    }
  }
});

describe('the JSON-LD model of XML', () => {
  it('user extensions become prefixed keys with the namespace in @context', () => {
    const doc = parseEpcisXml(xmlExample('WithExtension__ObjectEvent.xml'));
    expect(doc['@context']).toEqual(['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'http://ns.example.com/epcis' }]);
    const [first, second] = events(doc);
    expect(first!['example:userElement']).toEqual({ anotherElement: 'elementData' });
    expect(second!['ilmd']).toEqual({ 'example:userIlmd': { part1: '1', part2: '2', part3: '3' } });
    // The <extension> wrapper is opened: its content belongs to the event.
    expect(second!['example:extension']).toEqual({ futureExtension: '' });
    expect(second!['quantityList']).toEqual([{ epcClass: 'urn:epc:class:lgtin:4023333.002000.2019-10-07', quantity: 150, uom: 'KGM' }]);
  });

  it('standard vocabulary becomes bare terms; bizTransaction, source and destination keep their types', () => {
    const [event] = events(parseEpcisXml(xmlExample('WithEventHashID__event_with_identical_hash_id_1.xml')));
    expect(event!['bizStep']).toBe('receiving');
    expect(event!['disposition']).toBe('in_progress');
    expect(event!['bizTransactionList']).toEqual([{ type: 'po', bizTransaction: 'urn:epc:id:gdti:0614141.00001.1618034' }]);
    expect(event!['sourceList']).toContainEqual({ type: 'possessing_party', source: 'urn:epc:id:pgln:4012345.00225' });
    expect(event!['destinationList']).toContainEqual({ type: 'location', destination: 'urn:epc:id:sgln:0614141.00777.0' });
    expect(event!['persistentDisposition']).toEqual({ unset: ['completeness_inferred'], set: ['completeness_verified'] });
  });

  it('sensor elements: attributes typed as the XSD says, extension attributes and elements kept', () => {
    const [event] = events(parseEpcisXml(xmlExample('WithEventHashID__event_with_identical_hash_id_1.xml')));
    const [element] = event!['sensorElementList'];
    expect(element['sensorMetadata']).toMatchObject({ time: '2019-04-02T14:05:00.000+01:00', 'ext1:someFurtherMetadata': 'someText' });
    const [report] = element['sensorReport'];
    expect(report).toMatchObject({ type: 'Temperature', value: 26, booleanValue: true, hexBinaryValue: 'f0f0f0', percRank: 50, 'ext1:someFurtherReportData': 'someText' });
    // xsi:type makes extension values numbers; untyped ones stay text.
    expect(element['ext1:int']).toBe(10);
    expect(element['ext1:float']).toBe(20);
    expect(element['ext1:default']).toBe('stringAsDefaultValue');
  });

  it('error declarations with reason and corrective event IDs', () => {
    const xml = xmlExample('WithExtension__ObjectEvent.xml').replace(
      '<eventTimeZoneOffset>-06:00</eventTimeZoneOffset>',
      `<eventTimeZoneOffset>-06:00</eventTimeZoneOffset><errorDeclaration><declarationTime>2021-02-01T22:46:31.117Z</declarationTime>
       <reason>urn:epcglobal:cbv:er:incorrect_data</reason><correctiveEventIDs><correctiveEventID>urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6</correctiveEventID></correctiveEventIDs>
       <example:note>see ticket</example:note></errorDeclaration><certificationInfo>https://cert.example.com/1</certificationInfo>`,
    );
    expect(validateEpcisXml(xml, validate)).toEqual({ ok: true });
    const [event] = events(parseEpcisXml(xml));
    expect(event!['errorDeclaration']).toEqual({
      declarationTime: '2021-02-01T22:46:31.117Z',
      reason: 'incorrect_data',
      correctiveEventIDs: ['urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6'],
      'example:note': 'see ticket',
    });
    expect(event!['certificationInfo']).toBe('https://cert.example.com/1');
  });

  it('all five event types', () => {
    const types = xmlExamples()
      .filter((e) => isDocumentExample(e.name))
      .flatMap((e) => events(parseEpcisXml(e.bytes)).map((event) => event['type']));
    expect(new Set(types)).toEqual(new Set(['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent']));
  });

  it('an EPCISQueryDocument reads into queryResults', () => {
    const xml = `<epcisq:EPCISQueryDocument xmlns:epcisq="urn:epcglobal:epcis-query:xsd:2" xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z">
      <EPCISBody><epcisq:QueryResults><queryName>SimpleEventQuery</queryName><subscriptionID>s1</subscriptionID><resultsBody><EventList>
      <ObjectEvent><eventTime>2024-01-01T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset><action>OBSERVE</action></ObjectEvent>
      </EventList></resultsBody></epcisq:QueryResults></EPCISBody></epcisq:EPCISQueryDocument>`;
    expect(validateEpcisXml(xml, validate)).toEqual({ ok: true });
    const doc = parseEpcisXml(xml);
    expect(doc['type']).toBe('EPCISQueryDocument');
    expect(doc['epcisBody']).toEqual({
      queryResults: {
        queryName: 'SimpleEventQuery',
        subscriptionID: 's1',
        resultsBody: { eventList: [{ type: 'ObjectEvent', eventTime: '2024-01-01T10:00:00Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE' }] },
      },
    });
  });
});
