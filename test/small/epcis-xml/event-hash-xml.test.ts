// The same event has the same CBV 2.0 event hash ID in XML and in JSON-LD (ALGORITHM-README,
// "Requirements": different serialisations of the same event yield the same hash).
import { describe, expect, it } from 'vitest';
import { eventHashIdsOfDocument, eventPreHashStringsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { epcisDocumentToXml, parseEpcisXml } from '../../../src/core/epcis/xml/index.js';
import { epcisExamples, hashVectors, xmlExample } from './fixtures.js';

const viaXml = (doc: Record<string, unknown>) => parseEpcisXml(epcisDocumentToXml(doc));

describe('reference hash vectors written as XML', () => {
  for (const vector of hashVectors()) {
    it(`${vector.name}: the XML form hashes to the reference generator's IDs`, () => {
      const xml = epcisDocumentToXml(vector.document);
      expect(eventPreHashStringsOfDocument(parseEpcisXml(xml))).toEqual(vector.prehashes);
      expect(eventHashIdsOfDocument(parseEpcisXml(xml))).toEqual(vector.hashes);
    });
  }
});

describe('GS1 WithEventHashID examples (one event serialised several ways)', () => {
  const hashOf = (n: number) => eventHashIdsOfDocument(parseEpcisXml(xmlExample(`WithEventHashID__event_with_identical_hash_id_${n}.xml`)));
  const base = hashOf(1);

  it('each document holds one event', () => expect(base).toHaveLength(1));
  it('shuffled EPCs give the same ID (rule 11)', () => expect(hashOf(3)).toEqual(base));
  it('a shuffled quantity list gives the same ID (rule 12)', () => expect(hashOf(4)).toEqual(base));
  it('another prefix for the same extension namespace gives the same ID (rules 19/20)', () => expect(hashOf(5)).toEqual(base));
  it('an explicit xsi:type="xsd:string" on an extension gives the same ID', () => expect(hashOf(6)).toEqual(base));
  it('a different eventTimeZoneOffset changes the ID, although eventTime is the same instant (rule 1: the offset is hashed)', () => {
    const [a] = eventPreHashStringsOfDocument(parseEpcisXml(xmlExample('WithEventHashID__event_with_identical_hash_id_1.xml')));
    const [b] = eventPreHashStringsOfDocument(parseEpcisXml(xmlExample('WithEventHashID__event_with_identical_hash_id_2.xml')));
    expect(hashOf(2)).not.toEqual(base);
    expect(b).toBe(a!.replace('eventTimeZoneOffset=-06:00', 'eventTimeZoneOffset=-05:00'));
  });
  it('the JSON-LD text of the event hashes the same as its XML', () => {
    const json = JSON.parse(JSON.stringify(parseEpcisXml(xmlExample('WithEventHashID__event_with_identical_hash_id_1.xml')))) as Record<string, unknown>;
    expect(eventHashIdsOfDocument(json)).toEqual(base);
  });
});

describe('GS1 examples published in both bindings', () => {
  // GS1 example 9.6.1: the reference generator's ID for this event (its JSON-LD form).
  const REFERENCE_9_6_1 = 'ni:///sha-256;df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6?ver=CBV2.0';

  it('example 9.6.1, first event: XML and JSON-LD give the reference ID', () => {
    const json = epcisExamples().find((e) => e.name === 'Example_9.6.1-ObjectEvent.jsonld')!.document;
    expect(eventHashIdsOfDocument(json)[0]).toBe(REFERENCE_9_6_1);
    expect(eventHashIdsOfDocument(parseEpcisXml(xmlExample('Example_9.6.1-ObjectEvent-2020_06_18a.xml')))[0]).toBe(REFERENCE_9_6_1);
  });

  it('rail TransactionEvent example, first event: the same ID in both bindings', () => {
    const json = epcisExamples().find((e) => e.name === 'Example-TransactionEvents-2020_07_03y.jsonld')!.document;
    const xml = parseEpcisXml(xmlExample('Example-TransactionEvent-2020_07_03y.xml'));
    expect(eventHashIdsOfDocument(xml)[0]).toBe(eventHashIdsOfDocument(json)[0]);
  });

  for (const { name, document } of epcisExamples()) {
    it(`${name}: every event keeps its ID through JSON -> XML -> JSON`, () => {
      expect(eventHashIdsOfDocument(viaXml(document))).toEqual(eventHashIdsOfDocument(document));
    });
  }
});

describe('comments and declared ignore-fields through XML', () => {
  const doc = {
    '@context': [
      'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      { example: 'https://ns.example.com/epcis/', 'repository-x': 'https://repository-x.example.com/', rdfs: 'http://www.w3.org/2000/01/rdf-schema#' },
    ],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2024-06-08T12:00:00.000+01:00',
    'repository-x:ignoreFields': ['example:testField1'],
    epcisBody: {
      eventList: [
        { type: 'ObjectEvent', eventTime: '2024-06-08T10:58:56.591+02:00', eventTimeZoneOffset: '+02:00', action: 'ADD', 'example:testField1': '1234', 'rdfs:comment': 'a note' },
        { type: 'ObjectEvent', eventTime: '2024-06-08T10:58:56.591+02:00', eventTimeZoneOffset: '+02:00', action: 'ADD' },
      ],
    },
  };

  it('the ignore-fields list and the comment survive XML and keep the IDs', () => {
    const xml = epcisDocumentToXml(doc);
    expect(xml).toContain('<repository-x:ignoreFields>');
    expect(xml).toContain('<example:testField1/>');
    const back = parseEpcisXml(xml);
    expect(back['repository-x:ignoreFields']).toEqual(['example:testField1']);
    const ids = eventHashIdsOfDocument(back);
    expect(ids).toEqual(eventHashIdsOfDocument(doc));
    expect(ids[0]).toBe(ids[1]);
  });
});
