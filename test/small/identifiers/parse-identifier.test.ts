import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  gs1CheckDigit,
  iso6346CheckDigit,
  lineageKeys,
  parseIdentifier,
  parseIdentifierAs,
  type IdentifierKind,
} from '../../../src/core/identifiers/index.js';
import { errorOf } from './error-of.js';


describe('parseIdentifier detects the kind', () => {
  it.each<[string, IdentifierKind, string]>([
    ['urn:epc:id:sgtin:0614141.812345.6789', 'sgtin', 'https://id.gs1.org/01/80614141123458/21/6789'],
    ['https://id.gs1.org/01/80614141123458/21/6789', 'sgtin', 'https://id.gs1.org/01/80614141123458/21/6789'],
    ['urn:epc:class:lgtin:4012345.012345.998877', 'lgtin', 'https://id.gs1.org/01/04012345123456/10/998877'],
    ['urn:epc:idpat:sgtin:4012345.098765.*', 'gtin', 'https://id.gs1.org/01/04012345987652'],
    ['09521234543213', 'gtin', 'https://id.gs1.org/01/09521234543213'],
    ['9521234543213', 'gtin', 'https://id.gs1.org/01/09521234543213'],
    ['106141412345678908', 'sscc', 'https://id.gs1.org/00/106141412345678908'],
    ['(00)106141412345678908', 'sscc', 'https://id.gs1.org/00/106141412345678908'],
    ['urn:epc:id:sgln:4012345.00005.122', 'sgln', 'https://id.gs1.org/414/4012345000054/254/122'],
    ['https://id.gs1.org/414/4012345000252', 'gln', 'https://id.gs1.org/414/4012345000252'],
    ['UK 123450 600001', 'ear-tag', 'UK123450600001'],
    ['12/345/6789', 'cph', '12/345/6789'],
    ['123456789', 'cph', '12/345/6789'],
    ['UK 1234 EC', 'fsa-approval', '1234'],
    ['csqu 305438 3', 'container', 'CSQU3054383'],
    ['IMO 9074729', 'imo', 'IMO9074729'],
    ['020-12345675', 'awb', '020-12345675'],
    ['GB FXT', 'unlocode', 'GBFXT'],
    ['NLRTM', 'unlocode', 'NLRTM'],
    ['GB123456789000', 'eori', 'GB123456789000'],
    ['HS 0201', 'hs-code', '0201'],
    ['0201.30.00', 'hs-code', '02013000'],
  ])('%s -> %s', (text, kind, canonical) => {
    const id = parseIdentifier(text);
    expect(id.kind).toBe(kind);
    expect(id.canonical).toBe(canonical);
  });

  it('reports what it cannot recognise', () => {
    for (const text of ['hello world', '', 'US123456789', '12345']) {
      const e = errorOf(() => parseIdentifier(text));
      expect(e.code).toBe('UNKNOWN_KIND');
      expect(e.details.input).toBe(text);
    }
  });

  it('passes check-digit errors through with the detected kind', () => {
    const e = errorOf(() => parseIdentifier('CSQU3054384'));
    expect(e).toMatchObject({ code: 'BAD_CHECK_DIGIT', details: { kind: 'container', expected: '3', actual: '4' } });
    expect(errorOf(() => parseIdentifier('09521234543214')).details.kind).toBe('gtin');
    expect(errorOf(() => parseIdentifier('UK 123456 7 00012')).details.kind).toBe('ear-tag');
  });

  it('rejects a prefix length that contradicts a URN', () => {
    expect(errorOf(() => parseIdentifier('urn:epc:id:sgtin:0614141.812345.6789', { companyPrefixLength: 8 })).code).toBe('BAD_FORMAT');
  });

  it('property: generated valid identifiers of each kind are detected as that kind', () => {
    const digitString = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
    const samples: Array<fc.Arbitrary<[string, IdentifierKind]>> = [
      digitString(13).map((b) => [b + gs1CheckDigit(b), 'gtin']),
      digitString(17).map((b) => [b + gs1CheckDigit(b), 'sscc']),
      fc.tuple(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 9999 })).map(([c, p, h]) => [
        `${String(c).padStart(2, '0')}/${String(p).padStart(3, '0')}/${String(h).padStart(4, '0')}`,
        'cph',
      ]),
      fc.tuple(digitString(6), digitString(5)).map(([h, a]) => [`UK ${h} ${Number(BigInt(h + a) % 7n) + 1}${a}`, 'ear-tag']),
      digitString(6).map((s) => [`MSKU${s}${iso6346CheckDigit(`MSKU${s}`)}`, 'container']),
      digitString(7).map((s) => [`176-${s}${Number(s) % 7}`, 'awb']),
    ];
    fc.assert(
      fc.property(fc.oneof(...samples), ([text, kind]) => {
        expect(parseIdentifier(text).kind).toBe(kind);
      }),
    );
  });
});

describe('parseIdentifierAs', () => {
  it('parses kinds that detection cannot tell apart', () => {
    expect(parseIdentifierAs('gln', '4012345000252').canonical).toBe('https://id.gs1.org/414/4012345000252');
    expect(parseIdentifierAs('fsa-approval', '1234').canonical).toBe('1234');
    expect(parseIdentifierAs('imo', '9074729').canonical).toBe('IMO9074729');
    expect(parseIdentifierAs('eori', 'DE123').canonical).toBe('DE123');
  });

  it('rejects a GS1 identifier of another granularity', () => {
    const e = errorOf(() => parseIdentifierAs('sgtin', 'https://id.gs1.org/01/09521234543213'));
    expect(e.details).toMatchObject({ kind: 'sgtin', expected: 'sgtin', actual: 'gtin' });
  });
});

describe('lineageKeys', () => {
  it('gives the Digital Link and the EPC URN for the same item, from either form', () => {
    const fromUrn = parseIdentifier('urn:epc:id:sgtin:0614141.812345.6789');
    const fromLink = parseIdentifier('https://brand.example/01/80614141123458/21/6789', { companyPrefixLength: 7 });
    const expected = ['https://id.gs1.org/01/80614141123458/21/6789', 'urn:epc:id:sgtin:0614141.812345.6789'];
    expect(lineageKeys(fromUrn)).toEqual(expected);
    expect(lineageKeys(fromLink)).toEqual(expected);
  });

  it('still shares the canonical key when the prefix length is unknown', () => {
    const fromLink = parseIdentifier('https://id.gs1.org/00/106141412345678908');
    expect(lineageKeys(fromLink)).toEqual(['https://id.gs1.org/00/106141412345678908']);
    expect(lineageKeys(parseIdentifier('urn:epc:id:sscc:0614141.1234567890'))[0]).toBe(fromLink.canonical);
  });

  it('is the canonical alone for non-GS1 kinds', () => {
    expect(lineageKeys(parseIdentifier('csqu 305438 3'))).toEqual(['CSQU3054383']);
  });
});
