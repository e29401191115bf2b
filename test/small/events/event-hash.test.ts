import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareCodePoints,
  eventHashId,
  eventHashIdsOfDocument,
  eventPreHashString,
  eventPreHashStringsOfDocument,
  normaliseTimestamp,
} from '../../../src/core/epcis/event-hash.js';
import { gs1CheckDigit, toHashDigitalLink } from '../../../src/core/epcis/event-hash-dl.js';
import { hashVectors } from './reference.js';

const vectors = hashVectors();

describe('CBV 2.0 event hash: reference vectors', () => {
  it('finds all vector files', () => {
    expect(vectors.map((v) => v.name)).toEqual([
      'ReferenceEventHashAlgorithm',
      'ReferenceEventHashAlgorithm2',
      'ReferenceEventHashAlgorithm3',
      'TimeStampRoundOff',
      'epcisDocWithSensorDataObjectEvent',
      'epcisDocWithSingleEvent',
      'epcisDocWithVariousEventTypes',
      'epclist_normalisation',
    ]);
  });

  for (const vector of vectors) {
    describe(vector.name, () => {
      it('has one pre-hash and one hash per event', () => {
        expect(vector.prehashes.length).toBe(vector.hashes.length);
        expect(eventPreHashStringsOfDocument(vector.document)).toHaveLength(vector.prehashes.length);
      });
      vector.prehashes.forEach((expected, i) => {
        it(`event ${i}: pre-hash string`, () => {
          expect(eventPreHashStringsOfDocument(vector.document)[i]).toBe(expected);
        });
        it(`event ${i}: hash ID`, () => {
          expect(eventHashIdsOfDocument(vector.document)[i]).toBe(vector.hashes[i]);
        });
      });
    });
  }
});

function firstEvent(name: string): { event: Record<string, unknown>; context: unknown } {
  const doc = vectors.find((v) => v.name === name)!.document;
  const body = doc['epcisBody'] as { eventList: Record<string, unknown>[] };
  return { event: structuredClone(body.eventList[0]!), context: doc['@context'] };
}

describe('event hash details', () => {
  it('rounds to milliseconds on the 4th fraction digit and converts to UTC', () => {
    expect(normaliseTimestamp('2023-01-18T11:04:03.1415Z')).toBe('2023-01-18T11:04:03.142Z');
    expect(normaliseTimestamp('2023-01-18T11:04:03.1414Z')).toBe('2023-01-18T11:04:03.141Z');
    expect(normaliseTimestamp('2023-12-31T23:59:59.9995Z')).toBe('2024-01-01T00:00:00.000Z');
    expect(normaliseTimestamp('2022-02-16T20:33:31.116000-06:00')).toBe('2022-02-17T02:33:31.116Z');
    expect(normaliseTimestamp('2020-04-01T15:00:00+01:00')).toBe('2020-04-01T14:00:00.000Z');
    expect(normaliseTimestamp('2020-02-30T15:00:00Z')).toBeNull();
    expect(normaliseTimestamp('yesterday')).toBeNull();
  });

  it('converts EPC URNs and constrains Digital Link URIs', () => {
    expect(toHashDigitalLink('urn:epc:id:sgtin:4012345.011111.9876')).toBe('https://id.gs1.org/01/04012345111118/21/9876');
    expect(toHashDigitalLink('urn:epc:id:sgln:4012345.00011.0')).toBe('https://id.gs1.org/414/4012345000115');
    expect(toHashDigitalLink('https://example.com/01/09780345418913/10/LOT1/21/S1?x=1')).toBe(
      'https://id.gs1.org/01/09780345418913/21/S1',
    );
    expect(toHashDigitalLink('https://example.com/01/9780345418913/22/CPV/10/L1')).toBe('https://id.gs1.org/01/09780345418913/10/L1');
    expect(toHashDigitalLink('http://transaction.acme.com/po/12345678')).toBeNull();
    expect(toHashDigitalLink('urn:epc:id:sgtin:not-valid')).toBeNull();
    expect(gs1CheckDigit('0401234511111')).toBe('8');
  });

  it('treats bare CBV terms, CBV URNs and Web URIs alike', () => {
    const { event, context } = firstEvent('epcisDocWithSingleEvent');
    const base = eventHashId(event, context);
    expect(eventHashId({ ...event, bizStep: 'urn:epcglobal:cbv:bizstep:shipping' }, context)).toBe(base);
    expect(eventHashId({ ...event, bizStep: 'https://ref.gs1.org/cbv/BizStep-shipping' }, context)).toBe(base);
    expect(eventHashId({ ...event, bizStep: 'cbv:BizStep-shipping' }, context)).toBe(base);
    expect(eventHashId({ ...event, disposition: 'urn:epcglobal:cbv:disp:in_transit' }, context)).toBe(base);
    expect(eventHashId({ ...event, bizStep: 'receiving' }, context)).not.toBe(base);
  });

  it('ignores eventID, recordTime and errorDeclaration but not other changes', () => {
    const { event, context } = firstEvent('epcisDocWithSingleEvent');
    const base = eventHashId(event, context);
    const declared = {
      ...event,
      eventID: 'ni:///sha-256;00?ver=CBV2.0',
      recordTime: '2030-01-01T00:00:00Z',
      errorDeclaration: { declarationTime: '2030-01-01T00:00:00Z', reason: 'incorrect_data' },
    };
    expect(eventHashId(declared, context)).toBe(base);
    expect(eventHashId({ ...event, eventTimeZoneOffset: '-05:00' }, context)).not.toBe(base);
    expect(eventHashId({ ...event, 'example:x': '1' }, [context, { example: 'https://ns.example.com/' }])).not.toBe(base);
  });

  it('expands extension prefixes from the context, so the prefix name does not matter', () => {
    const a = { type: 'ObjectEvent', eventTime: '2020-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE', 'ex:f': { 'ex:g': 2 } };
    const b = { type: 'ObjectEvent', eventTime: '2020-01-01T00:00:00Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE', 'other:f': { 'other:g': '2.0' } };
    expect(eventPreHashString(a, [{ ex: 'https://ns.example.com/' }])).toBe(eventPreHashString(b, [{ other: 'https://ns.example.com/' }]));
    expect(eventPreHashString(a, [{ ex: 'https://ns.example.com/' }])).toContain('{https://ns.example.com/}f{https://ns.example.com/}g=2');
  });

  it('orders by code point, not UTF-16 unit', () => {
    expect(compareCodePoints('\u{1F600}', '\uFF01')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'b')).toBeLessThan(0);
    expect(compareCodePoints('B', 'a')).toBeLessThan(0);
  });

  it('agrees with the sign of Buffer.compare on UTF-8 (SQLite BINARY order) for any strings', () => {
    const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => Math.sign(compareCodePoints(a, b)) === Math.sign(byUtf8(a, b))),
      { numRuns: 5000 },
    );
  });
});

// Property: the hash ID does not depend on JSON key order nor on the order of lists the algorithm sorts.
function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i + 1));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const order = entries.map((_, i) => i).sort((x, y) => ((x * 7919 + seed) % 101) - ((y * 7919 + seed) % 101));
  return Object.fromEntries(order.map((i) => [entries[i]![0], shuffleKeys(entries[i]![1], seed * 31 + i)]));
}

const SORTED_LISTS = [
  'epcList', 'childEPCs', 'inputEPCList', 'outputEPCList', 'quantityList', 'childQuantityList',
  'inputQuantityList', 'outputQuantityList', 'bizTransactionList', 'sourceList', 'destinationList', 'sensorElementList',
];

function permute<T>(list: T[], keys: number[]): T[] {
  return list
    .map((item, i) => ({ item, k: keys[i % keys.length]! * 1000 + i }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.item);
}

describe('event hash properties', () => {
  const allEvents = vectors.flatMap((v) =>
    (v.document['epcisBody'] as { eventList: Record<string, unknown>[] }).eventList.map((event) => ({ event, context: v.document['@context'] })),
  );

  it('is invariant under object key order and under reordering of sorted lists', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: allEvents.length - 1 }),
        fc.nat(10_000),
        fc.array(fc.nat(50), { minLength: 1, maxLength: 8 }),
        (index, seed, keys) => {
          const { event, context } = allEvents[index]!;
          const reordered = shuffleKeys(event, seed) as Record<string, unknown>;
          for (const list of SORTED_LISTS) {
            const value = reordered[list];
            if (Array.isArray(value)) reordered[list] = permute(value, keys);
          }
          for (const element of (reordered['sensorElementList'] as Record<string, unknown>[] | undefined) ?? []) {
            if (Array.isArray(element['sensorReport'])) element['sensorReport'] = permute(element['sensorReport'], keys);
          }
          expect(eventHashId(reordered, context)).toBe(eventHashId(event, context));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('changes when an EPC is added', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,6}$/), (serial) => {
        const { event, context } = allEvents[0]!;
        const epcs = (event['epcList'] as string[]) ?? [];
        const changed = { ...event, epcList: [...epcs, `urn:epc:id:sgtin:4012345.011111.${serial}x`] };
        expect(eventHashId(changed, context)).not.toBe(eventHashId(event, context));
      }),
      { numRuns: 50 },
    );
  });
});
