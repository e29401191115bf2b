// Event hash rules the shared vectors do not cover: comments and declared ignore-fields. Written
// from the reference generator's documented behaviour (epcis-event-hash-generator: json_to_py.py
// "to_be_ignored = #text, rdfs:comment, comment"; json_to_py.py / xml_to_py.py "ignoreFields" in the
// repository namespace, at document level or in queryResults) and from ALGORITHM-README rules 4, 19
// and 20. The two expected hash IDs are the reference generator's own output for the same events.
import { describe, expect, it } from 'vitest';
import {
  eventHashId,
  eventHashIdsOfDocument,
  eventHashOptionsOfDocument,
  eventPreHashString,
  eventPreHashStringsOfDocument,
} from '../../../src/core/epcis/event-hash.js';
import { EventHashDeclarationError, IGNORE_FIELDS_NAMESPACE } from '../../../src/core/epcis/event-hash-declarations.js';

const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

const shipping = (): Record<string, unknown> => ({
  type: 'ObjectEvent',
  action: 'OBSERVE',
  bizStep: 'shipping',
  disposition: 'in_transit',
  epcList: ['urn:epc:id:sgtin:0614141.107346.2017', 'urn:epc:id:sgtin:0614141.107346.2018'],
  eventTime: '2005-04-03T20:33:31.116000-06:00',
  eventTimeZoneOffset: '-06:00',
  readPoint: { id: 'urn:epc:id:sgln:0614141.07346.1234' },
  bizTransactionList: [{ type: 'po', bizTransaction: 'http://transaction.acme.com/po/12345678' }],
});
// Reference generator output for `shipping` with an rdfs:comment.
const SHIPPING_HASH = 'ni:///sha-256;df6523665bc5e5803d6c7b84f5a04e103694d8220f2abc4f2c74310e89f31bc6?ver=CBV2.0';

const inspecting = (): Record<string, unknown> => ({
  type: 'ObjectEvent',
  eventTime: '2019-10-21T14:45:00Z',
  recordTime: '2023-06-02T07:03:16.073Z',
  eventTimeZoneOffset: '+01:00',
  epcList: ['https://id.gs1.org/00/040123451111111127'],
  action: 'OBSERVE',
  bizStep: 'inspecting',
  disposition: 'in_progress',
  readPoint: { id: 'https://id.gs1.org/414/4012345000245/254/1' },
});
// Reference generator output for `inspecting`, with or without the ignored repository fields.
const INSPECTING_HASH = 'ni:///sha-256;b3d481c5590757ab8361a6cb0e924820feb3b61eb568e7d7703f21a96f76f51d?ver=CBV2.0';

const context = [EPCIS_CONTEXT, { example: 'https://ns.example.com/epcis/', 'repository-x': IGNORE_FIELDS_NAMESPACE }, { rdfs: 'http://www.w3.org/2000/01/rdf-schema#' }];

function document(events: Record<string, unknown>[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { '@context': context, type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2005-07-11T11:30:47.0Z', ...extra, epcisBody: { eventList: events } };
}

describe('comments are not hashed (reference generator json_to_py: rdfs:comment and comment ignored)', () => {
  it('an event with rdfs:comment has the reference hash of the same event without it', () => {
    const commented = { ...shipping(), 'rdfs:comment': 'An ObjectEvent may be used for reporting an observation' };
    expect(eventHashIdsOfDocument(document([commented]))).toEqual([SHIPPING_HASH]);
    expect(eventHashId(shipping(), context)).toBe(SHIPPING_HASH);
  });

  it('rdfs:comment is left out even when the document does not declare the rdfs prefix', () => {
    const commented = { ...shipping(), 'rdfs:comment': 'note' };
    expect(eventPreHashString(commented, [EPCIS_CONTEXT])).toBe(eventPreHashString(shipping(), [EPCIS_CONTEXT]));
  });

  it('a comment under another prefix bound to the RDFS namespace is left out too (rule 19: names are namespace-expanded)', () => {
    const commented = { ...shipping(), 'r:comment': 'note' };
    expect(eventHashId(commented, [EPCIS_CONTEXT, { r: 'http://www.w3.org/2000/01/rdf-schema#' }])).toBe(SHIPPING_HASH);
  });

  it('comments inside readPoint, sensor reports, ilmd and extensions are left out (rules 19-21)', () => {
    const base = { ...shipping(), ilmd: { 'example:lot': 'L1' }, 'example:box': { 'example:size': 3 } };
    const commented = {
      ...base,
      readPoint: { id: 'urn:epc:id:sgln:0614141.07346.1234', 'rdfs:comment': 'dock 4' },
      ilmd: { 'example:lot': 'L1', 'rdfs:comment': 'lot note' },
      'example:box': { 'example:size': 3, comment: 'nested' },
    };
    expect(eventHashId(commented, context)).toBe(eventHashId(base, context));
  });

  it('a field that merely looks like a comment in a user namespace is hashed (rule 20)', () => {
    const withField = { ...shipping(), 'example:comment': 'part of the event' };
    expect(eventHashId(withField, context)).not.toBe(SHIPPING_HASH);
    expect(eventPreHashString(withField, context)).toContain('{https://ns.example.com/epcis/}comment=part of the event');
  });
});

describe('declared ignore-fields (reference generator json_to_py/xml_to_py: repository ignoreFields)', () => {
  const repositoryFields = { 'repository-x:hash': INSPECTING_HASH, 'example:captureID': 'cc90bbe4-7f3a-4abd-b150-d4371c72a64f' };
  const ignoreList = { 'repository-x:ignoreFields': ['repository-x:hash', 'example:captureID'] };

  it('fields named in the document ignoreFields list are left out: the reference hash of the event without them', () => {
    const doc = document([{ ...inspecting(), ...repositoryFields }, inspecting()], ignoreList);
    expect(eventHashIdsOfDocument(doc)).toEqual([INSPECTING_HASH, INSPECTING_HASH]);
    expect(eventPreHashStringsOfDocument(doc)[0]).not.toContain('captureID');
  });

  it('without the declaration the same fields are hashed (rule 20), so the hash differs', () => {
    const doc = document([{ ...inspecting(), ...repositoryFields }]);
    expect(eventHashIdsOfDocument(doc)[0]).not.toBe(INSPECTING_HASH);
  });

  it('an EPCISQueryDocument declares the list in epcisBody.queryResults', () => {
    const doc = {
      '@context': context,
      type: 'EPCISQueryDocument',
      schemaVersion: '2.0',
      creationDate: '2005-07-11T11:30:47.0Z',
      epcisBody: { queryResults: { queryName: 'SimpleEventQuery', ...ignoreList, resultsBody: { eventList: [{ ...inspecting(), ...repositoryFields }] } } },
    };
    expect(eventHashIdsOfDocument(doc)).toEqual([INSPECTING_HASH]);
  });

  it('only a list in the repository namespace counts: the same key under another namespace is not a declaration', () => {
    const doc = document([{ ...inspecting(), ...repositoryFields }], { 'other:ignoreFields': ['example:captureID'] });
    const other = { ...doc, '@context': [EPCIS_CONTEXT, { example: 'https://ns.example.com/epcis/', other: 'https://other.example.com/' }] };
    expect(eventHashOptionsOfDocument(other)).toEqual({});
  });

  it('fields not on the list are still hashed', () => {
    const doc = document([{ ...inspecting(), ...repositoryFields, 'example:kept': 'yes' }], ignoreList);
    expect(eventHashIdsOfDocument(doc)[0]).not.toBe(INSPECTING_HASH);
    expect(eventPreHashStringsOfDocument(doc)[0]).toContain('{https://ns.example.com/epcis/}kept=yes');
  });

  it('matches by namespace, not by prefix spelling (requirement: independent of the name used for namespaces)', () => {
    const event = { ...inspecting(), 'ex2:captureID': 'c1' };
    const ctx = [EPCIS_CONTEXT, { example: 'https://ns.example.com/epcis/', ex2: 'https://ns.example.com/epcis/' }];
    expect(eventHashId(event, ctx, { ignoreFields: ['example:captureID'] })).toBe(INSPECTING_HASH);
  });

  it('refuses a list naming a standard event field (it would give different events one hash ID)', () => {
    const doc = document([inspecting()], { 'repository-x:ignoreFields': ['bizStep', 'example:captureID'] });
    expect(() => eventHashIdsOfDocument(doc)).toThrow(EventHashDeclarationError);
    try {
      eventHashOptionsOfDocument(doc);
    } catch (e) {
      expect((e as EventHashDeclarationError).code).toBe('EVENT_HASH_IGNORE_FIELD_REFUSED');
      expect((e as EventHashDeclarationError).details['fields']).toEqual(['bizStep']);
    }
  });

  it('refuses a list that is not field names', () => {
    const doc = document([inspecting()], { 'repository-x:ignoreFields': [{ field: 'x' }] });
    expect(() => eventHashOptionsOfDocument(doc)).toThrow(/must list field names/);
  });
});

describe('extension text beside attributes ("#text", reference generator json_to_py)', () => {
  it('is hashed as the value of its element', () => {
    const withText = { ...shipping(), 'example:weight': { '#text': '12.50', 'example:unit': 'KGM' } };
    expect(eventPreHashString(withText, context)).toContain(
      '{https://ns.example.com/epcis/}weight=12.5{https://ns.example.com/epcis/}unit=KGM',
    );
  });
});
