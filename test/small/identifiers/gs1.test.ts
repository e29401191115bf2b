import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VECTORS_DIR } from '../../vectors/index.js';
import {
  digitalLinkToEpcUrn,
  encodeDigitalLinkValue,
  epcUrnToDigitalLink,
  escapeEpcComponent,
  gs1CheckDigit,
  hasValidGs1CheckDigit,
  parseDigitalLink,
  parseElementString,
  parseEpcUrn,
  parseGln,
  parseGtin,
  parseSscc,
  toDigitalLink,
  toElementString,
  toEpcUrn,
} from '../../../src/core/identifiers/index.js';
import { errorOf } from './error-of.js';

const reference = VECTORS_DIR;


describe('gs1CheckDigit', () => {
  it.each([
    ['0952123454321', 3], // GTIN 09521234543213 (GS1 example)
    ['8061414112345', 8], // GTIN 80614141123458 (TDS example)
    ['1061414112345', 9],
    ['0061414177777', 8],
    ['10614141234567890', 8], // SSCC 106141412345678908
    ['401234500025', 2], // GLN 4012345000252
    ['9638507', 4], // GTIN-8 96385074
  ])('%s -> %i', (body, digit) => {
    expect(gs1CheckDigit(body)).toBe(digit);
    expect(hasValidGs1CheckDigit(body + String(digit))).toBe(true);
    expect(hasValidGs1CheckDigit(body + String((digit + 1) % 10))).toBe(false);
  });

  it('rejects non-digits', () => {
    expect(errorOf(() => gs1CheckDigit('12a4')).code).toBe('BAD_FORMAT');
  });
});

describe('plain GS1 keys', () => {
  it('normalises GTIN-8, -12, -13 and -14 to GTIN-14', () => {
    expect(parseGtin('96385074').gtin).toBe('00000096385074');
    expect(parseGtin('614141123452').gtin).toBe('00614141123452');
    expect(parseGtin('9521234543213').gtin).toBe('09521234543213');
    expect(parseGtin(' 0952 1234 5432 13 ')).toEqual({
      kind: 'gtin',
      canonical: 'https://id.gs1.org/01/09521234543213',
      gtin: '09521234543213',
    });
  });

  it('derives the EPC pattern URN when the prefix length is given', () => {
    const id = parseGtin('09521234543213', { companyPrefixLength: 7 });
    expect(id.epcUrn).toBe('urn:epc:idpat:sgtin:9521234.054321.*');
  });

  it('reports a bad GTIN check digit with kind, expected and actual', () => {
    const e = errorOf(() => parseGtin('09521234543214'));
    expect(e.code).toBe('BAD_CHECK_DIGIT');
    expect(e.message).toBe('GTIN 09521234543214: check digit is 4, expected 3');
    expect(e.details).toEqual({ kind: 'gtin', input: '09521234543214', expected: '3', actual: '4' });
  });

  it.each(['1234567', '12345678901', '0952123454321X', '095212345432131'])('rejects malformed GTIN %s', (text) => {
    expect(errorOf(() => parseGtin(text)).code).toBe('BAD_FORMAT');
  });

  it('parses SSCC and GLN', () => {
    expect(parseSscc('106141412345678908').canonical).toBe('https://id.gs1.org/00/106141412345678908');
    expect(parseSscc('106141412345678908', { companyPrefixLength: 7 }).epcUrn).toBe('urn:epc:id:sscc:0614141.1234567890');
    expect(errorOf(() => parseSscc('106141412345678907')).code).toBe('BAD_CHECK_DIGIT');
    expect(errorOf(() => parseSscc('10614141234567890')).code).toBe('BAD_FORMAT');
    const gln = parseGln('4012345000252', { companyPrefixLength: 7 });
    expect(gln).toMatchObject({ kind: 'gln', canonical: 'https://id.gs1.org/414/4012345000252', epcUrn: 'urn:epc:id:sgln:4012345.00025.0' });
    expect(errorOf(() => parseGln('4012345000253')).message).toBe('GLN 4012345000253: check digit is 3, expected 2');
  });

  it('rejects company prefix lengths outside 6..12', () => {
    for (const length of [5, 13, 6.5]) {
      const e = errorOf(() => parseGtin('09521234543213', { companyPrefixLength: length }));
      expect(e.code).toBe('OUT_OF_RANGE');
    }
  });
});

describe('EPC URN <-> Digital Link, published examples', () => {
  it.each([
    // TDS: GTIN 80614141123458, serial 6789, company prefix 0614141
    ['urn:epc:id:sgtin:0614141.812345.6789', 'https://id.gs1.org/01/80614141123458/21/6789', 7],
    ['urn:epc:id:sgtin:0614141.812345.400', 'https://id.gs1.org/01/80614141123458/21/400', 7],
    ['urn:epc:id:sgtin:0614141.112345.400', 'https://id.gs1.org/01/10614141123459/21/400', 7],
    ['urn:epc:id:sgtin:415056789012.0.987654', 'https://id.gs1.org/01/04150567890128/21/987654', 12],
    ['urn:epc:class:lgtin:4012345.012345.998877', 'https://id.gs1.org/01/04012345123456/10/998877', 7],
    ['urn:epc:idpat:sgtin:4012345.098765.*', 'https://id.gs1.org/01/04012345987652', 7],
    ['urn:epc:id:sscc:0614141.1234567890', 'https://id.gs1.org/00/106141412345678908', 7],
    ['urn:epc:id:sscc:4012345.3111111111', 'https://id.gs1.org/00/340123451111111111', 7],
    ['urn:epc:id:sgln:4012345.00005.122', 'https://id.gs1.org/414/4012345000054/254/122', 7],
    ['urn:epc:id:sgln:4012345.00025.0', 'https://id.gs1.org/414/4012345000252', 7],
    ['urn:epc:id:sgln:952005385.011.scA', 'https://id.gs1.org/414/9520053850113/254/scA', 9],
    // CBV 2.0 event hash vector: TDS escapes only " % & / < > ?, Digital Link everything not unreserved
    [
      'urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()',
      'https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29',
      7,
    ],
  ] as const)('%s <-> %s', (urn, link, prefixLength) => {
    expect(epcUrnToDigitalLink(urn)).toBe(link);
    expect(digitalLinkToEpcUrn(link, prefixLength)).toBe(urn);
    expect(parseEpcUrn(urn).canonical).toBe(link);
  });

  it('decodes escaped serials to their raw characters', () => {
    const id = parseEpcUrn('urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()');
    expect(id).toMatchObject({ kind: 'sgtin', serial: '6789/&%"!?()' });
    expect(escapeEpcComponent('6789/&%"!?()')).toBe('6789%2F%26%25%22!%3F()');
    expect(encodeDigitalLinkValue('6789/&%"!?()')).toBe('6789%2F%26%25%22%21%3F%28%29');
  });

  it('writes the Digital Link on another host when asked', () => {
    expect(epcUrnToDigitalLink('urn:epc:id:sgtin:0614141.812345.400', 'https://example.com/')).toBe(
      'https://example.com/01/80614141123458/21/400',
    );
  });
});

describe('reference vectors: CBV 2.0 event hash normalisation of EPC URNs and Digital Links', () => {
  // Step 3/4 of the algorithm turn every EPC URI into its canonical id.gs1.org Digital Link; the
  // pre-hash strings are the expected output, so each converted identifier must appear in them.
  const dir = path.join(reference, 'event-hash');
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonld'));
  const supportedUrn = /urn:epc:(?:id:sgtin|class:lgtin|idpat:sgtin|id:sscc|id:sgln):[^"\s]+/g;
  const supportedLink = /https?:\/\/[^"\s/]+\/(?:01|gtin|00|414)\/[^"\s]+/g;

  it('has vectors to check', () => {
    expect(files.length).toBeGreaterThan(3);
  });

  for (const file of files) {
    it(file, () => {
      const source = readFileSync(path.join(dir, file), 'utf8');
      const prehashes = readFileSync(path.join(dir, file.replace(/\.jsonld$/, '.prehashes')), 'utf8');
      const urns = [...new Set(source.match(supportedUrn) ?? [])];
      const links = [...new Set(source.match(supportedLink) ?? [])];
      for (const urn of urns) {
        const id = parseEpcUrn(urn);
        expect(prehashes, urn).toContain(id.canonical);
        expect(id.epcUrn).toBe(urn);
      }
      for (const link of links) expect(prehashes, link).toContain(parseDigitalLink(link).canonical);
    });
  }
});

describe('reference: GS1 EPCIS 2.0 examples', () => {
  it('every GS1 Digital Link and supported EPC URN in the examples parses', () => {
    const dir = path.join(reference, 'epcis', 'examples');
    let count = 0;
    for (const file of readdirSync(dir)) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      for (const urn of text.match(/urn:epc:(?:id:sgtin|class:lgtin|idpat:sgtin|id:sscc|id:sgln):[^"\s<]+/g) ?? []) {
        expect(epcUrnToDigitalLink(urn)).toMatch(/^https:\/\/id\.gs1\.org\/(01|00|414)\//);
        count++;
      }
      for (const link of text.match(/https:\/\/id\.gs1\.org\/(?:01|00|414)\/[^"\s<]+/g) ?? []) {
        expect(parseDigitalLink(link).canonical).toBe(link);
        count++;
      }
    }
    expect(count).toBeGreaterThan(20);
  });
});

describe('Digital Link parsing', () => {
  it('accepts any host, a path prefix, short names, a query and a trailing slash', () => {
    expect(parseDigitalLink('https://example.com/gtin/09780345418913/ser/765tz?abc=211121').canonical).toBe(
      'https://id.gs1.org/01/09780345418913/21/765tz',
    );
    expect(parseDigitalLink('HTTP://brand.example/products/01/9521234543213/10/ABC1/#x').canonical).toBe(
      'https://id.gs1.org/01/09521234543213/10/ABC1',
    );
  });

  it('keeps a lot given with a serial but leaves it out of the canonical', () => {
    const id = parseDigitalLink('https://id.gs1.org/01/09521234543213/10/ABC/21/12345');
    expect(id).toEqual({
      kind: 'sgtin',
      canonical: 'https://id.gs1.org/01/09521234543213/21/12345',
      gtin: '09521234543213',
      serial: '12345',
      lot: 'ABC',
    });
  });

  it('treats GLN extension 0 as no extension (TDS)', () => {
    expect(parseDigitalLink('https://id.gs1.org/414/4012345000252/254/0').kind).toBe('gln');
  });

  it('normalises equivalent percent-encodings to one canonical', () => {
    const a = parseDigitalLink("https://id.gs1.org/01/09521234543213/21/A!'()*");
    const b = parseDigitalLink('https://id.gs1.org/01/09521234543213/21/A%21%27%28%29%2a');
    expect(a.canonical).toBe(b.canonical);
    expect(a.canonical).toBe('https://id.gs1.org/01/09521234543213/21/A%21%27%28%29%2A');
  });

  it.each([
    ['https://id.gs1.org/01/09521234543214/21/1', 'BAD_CHECK_DIGIT'],
    ['https://id.gs1.org/00/106141412345678907', 'BAD_CHECK_DIGIT'],
    ['https://id.gs1.org/01/0952123454/21/1', 'BAD_FORMAT'],
    ['https://id.gs1.org/01/09521234543213/21', 'BAD_FORMAT'],
    ['https://id.gs1.org/01/09521234543213/21/123456789012345678901', 'BAD_FORMAT'],
    ['https://id.gs1.org/01/09521234543213/21/a%20b', 'BAD_FORMAT'],
    ['https://id.gs1.org/01/09521234543213/21/a%zz', 'BAD_FORMAT'],
    ['https://id.gs1.org/01/09521234543213/21/1/10/A', 'BAD_FORMAT'],
    ['https://id.gs1.org/01/09521234543213/22/V1', 'UNSUPPORTED'],
    ['https://id.gs1.org/417/4000001987658', 'UNSUPPORTED'],
    ['https://example.com/about', 'BAD_FORMAT'],
    ['ftp://id.gs1.org/01/09521234543213', 'BAD_FORMAT'],
  ])('%s -> %s', (uri, code) => {
    expect(errorOf(() => parseDigitalLink(uri)).code).toBe(code);
  });

  it('names the kind in check-digit errors', () => {
    const e = errorOf(() => parseDigitalLink('https://id.gs1.org/01/09521234543214/21/1'));
    expect(e.message).toBe('GTIN 09521234543214: check digit is 4, expected 3');
    expect(e.details.input).toBe('https://id.gs1.org/01/09521234543214/21/1');
  });
});

describe('EPC URN parsing', () => {
  it('accepts an upper-case URN prefix', () => {
    expect(parseEpcUrn('URN:EPC:ID:SGTIN:0614141.812345.400').epcUrn).toBe('urn:epc:id:sgtin:0614141.812345.400');
  });

  it.each([
    ['urn:epc:id:sgtin:0614141.81234.400', 'BAD_FORMAT'], // 12 digits, not 13
    ['urn:epc:id:sgtin:06141.81234567.400', 'BAD_FORMAT'], // 5-digit prefix
    ['urn:epc:id:sgtin:0614141.812345', 'BAD_FORMAT'],
    ['urn:epc:id:sgtin:0614141.812345.a/b', 'BAD_FORMAT'], // '/' must be escaped
    ['urn:epc:id:sgtin:0614141.812345.a%2', 'BAD_FORMAT'],
    ['urn:epc:id:sgtin:0614141.812345.', 'BAD_FORMAT'],
    ['urn:epc:id:sscc:0614141.123456789', 'BAD_FORMAT'],
    ['urn:epc:id:sgln:0614141.12345', 'BAD_FORMAT'],
    ['urn:epc:idpat:sgtin:0614141.*.*', 'BAD_FORMAT'],
    ['urn:epc:idpat:sgtin:0614141.812345.400', 'UNSUPPORTED'],
    ['urn:epc:id:giai:4000001.111', 'UNSUPPORTED'],
    ['urn:epc:sgtin', 'BAD_FORMAT'],
  ])('%s -> %s', (urn, code) => {
    expect(errorOf(() => parseEpcUrn(urn)).code).toBe(code);
  });

  it('needs the prefix length to write a URN from a Digital Link', () => {
    const id = parseDigitalLink('https://id.gs1.org/01/80614141123458/21/400');
    expect(id.epcUrn).toBeUndefined();
    expect(errorOf(() => toEpcUrn(id)).code).toBe('MISSING_COMPANY_PREFIX_LENGTH');
    expect(toEpcUrn(id, 7)).toBe('urn:epc:id:sgtin:0614141.812345.400');
  });
});

describe('element strings', () => {
  it('parses and writes bracketed AIs', () => {
    const id = parseElementString('(414)4012345000054(254)122', { companyPrefixLength: 7 });
    expect(id).toMatchObject({ kind: 'sgln', extension: '122', epcUrn: 'urn:epc:id:sgln:4012345.00005.122' });
    expect(toElementString(id)).toBe('(414)4012345000054(254)122');
    expect(toElementString(parseElementString('(01)09521234543213(10)ABC(21)12345'))).toBe('(01)09521234543213(10)ABC(21)12345');
    expect(toElementString(parseElementString('(00)106141412345678908'))).toBe('(00)106141412345678908');
  });

  it('rejects text before the first AI and unsupported AIs', () => {
    expect(errorOf(() => parseElementString('x(01)09521234543213')).code).toBe('BAD_FORMAT');
    expect(errorOf(() => parseElementString('(02)09521234543213')).code).toBe('UNSUPPORTED');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const CSET_82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`.split('');
const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const withCheck = (body: string) => body + String(gs1CheckDigit(body));
const prefixLength = fc.integer({ min: 6, max: 12 });
const alphanumeric = fc.string({ unit: fc.constantFrom(...CSET_82), minLength: 1, maxLength: 20 });

describe('properties', () => {
  it('SGTIN: Digital Link -> EPC URN -> Digital Link is the identity, and the serial survives', () => {
    fc.assert(
      fc.property(digits(13), prefixLength, alphanumeric, (body, length, serial) => {
        const gtin = withCheck(body);
        const link = `https://id.gs1.org/01/${gtin}/21/${encodeDigitalLinkValue(serial)}`;
        const urn = digitalLinkToEpcUrn(link, length);
        expect(urn.startsWith(`urn:epc:id:sgtin:${gtin.slice(1, 1 + length)}.`)).toBe(true);
        expect(epcUrnToDigitalLink(urn)).toBe(link);
        const parsed = parseEpcUrn(urn);
        expect(parsed).toMatchObject({ kind: 'sgtin', gtin, serial, companyPrefixLength: length });
        expect(toEpcUrn(parseDigitalLink(toDigitalLink(parsed)), length)).toBe(urn);
      }),
    );
  });

  it('LGTIN, GTIN pattern, SSCC and SGLN round trip', () => {
    fc.assert(
      fc.property(digits(13), digits(17), digits(12), prefixLength, alphanumeric, (g, s, l, length, text) => {
        const gtin = withCheck(g);
        const sscc = withCheck(s);
        const gln = withCheck(l);
        const links = [
          `https://id.gs1.org/01/${gtin}/10/${encodeDigitalLinkValue(text)}`,
          `https://id.gs1.org/01/${gtin}`,
          `https://id.gs1.org/00/${sscc}`,
          `https://id.gs1.org/414/${gln}`,
          ...(text === '0' ? [] : [`https://id.gs1.org/414/${gln}/254/${encodeDigitalLinkValue(text)}`]),
        ];
        for (const link of links) {
          const urn = digitalLinkToEpcUrn(link, length);
          expect(epcUrnToDigitalLink(urn)).toBe(link);
          expect(parseEpcUrn(urn).epcUrn).toBe(urn);
        }
      }),
    );
  });

  it('any percent-encoding of a value gives the same canonical as the minimal one', () => {
    fc.assert(
      fc.property(digits(13), alphanumeric, (body, serial) => {
        const gtin = withCheck(body);
        const loose = parseDigitalLink(`https://example.org/01/${gtin}/21/${encodeURIComponent(serial)}`);
        expect(loose.canonical).toBe(`https://id.gs1.org/01/${gtin}/21/${encodeDigitalLinkValue(serial)}`);
        expect(loose).toMatchObject({ serial });
      }),
    );
  });

  it('every single-digit error in a GTIN-14 is caught', () => {
    fc.assert(
      fc.property(digits(13), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 1, max: 9 }), (body, position, shift) => {
        const gtin = withCheck(body);
        const changed = gtin.slice(0, position) + String((Number(gtin[position]) + shift) % 10) + gtin.slice(position + 1);
        expect(errorOf(() => parseGtin(changed)).code).toBe('BAD_CHECK_DIGIT');
      }),
    );
  });
});
