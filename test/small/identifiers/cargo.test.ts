import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ISO_3166_ALPHA2,
  awbCheckDigit,
  imoCheckDigit,
  iso6346CheckDigit,
  parseAirWaybill,
  parseContainerNumber,
  parseEori,
  parseHsCode,
  parseImoNumber,
  parseUnLocode,
} from '../../../src/core/identifiers/index.js';
import { errorOf } from './error-of.js';


describe('ISO 6346 container numbers', () => {
  it.each([
    ['CSQU305438', 3], // the usual ISO 6346 worked example
    ['MSKU907032', 3],
    ['MWCU605978', 4], // published worked example: sum 7858, mod 11 = 4
  ])('%s -> %i', (text, digit) => {
    expect(iso6346CheckDigit(text)).toBe(digit);
  });

  it('maps remainder 10 to check digit 0', () => {
    // Find a serial whose weighted sum is 10 mod 11 and confirm it gets 0.
    let found = false;
    for (let serial = 0; serial < 1000 && !found; serial++) {
      const text = `CSQU${String(serial).padStart(6, '0')}`;
      const sum = [...text].reduce((acc, ch, i) => acc + (i < 4 ? ({ C: 13, S: 30, Q: 28, U: 32 } as Record<string, number>)[ch]! : Number(ch)) * 2 ** i, 0);
      if (sum % 11 === 10) {
        expect(iso6346CheckDigit(text)).toBe(0);
        expect(parseContainerNumber(`${text}0`).canonical).toBe(`${text}0`);
        found = true;
      }
    }
    expect(found).toBe(true);
  });

  it.each(['CSQU3054383', 'csqu 305438 3', 'CSQU-305438-3'])('normalises %s', (text) => {
    expect(parseContainerNumber(text)).toEqual({
      kind: 'container',
      canonical: 'CSQU3054383',
      ownerCode: 'CSQ',
      categoryIdentifier: 'U',
      serialNumber: '305438',
      checkDigit: '3',
      display: 'CSQU 305438 3',
    });
  });

  it('reports a wrong check digit in the documented form', () => {
    const e = errorOf(() => parseContainerNumber('CSQU3054384'));
    expect(e.code).toBe('BAD_CHECK_DIGIT');
    expect(e.message).toBe('container number CSQU3054384: check digit is 4, expected 3');
    expect(e.details).toEqual({ kind: 'container', input: 'CSQU3054384', expected: '3', actual: '4' });
  });

  it.each(['CSQX3054383', 'CSQU305438', 'CS1U3054383', 'CSQU30543833'])('rejects malformed %s', (text) => {
    expect(errorOf(() => parseContainerNumber(text)).code).toBe('BAD_FORMAT');
  });

  it('property: the computed check digit is accepted and every other digit rejected', () => {
    const letter = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''));
    fc.assert(
      fc.property(fc.array(letter, { minLength: 3, maxLength: 3 }), fc.constantFrom('U', 'J', 'Z'), fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 9 }), (owner, category, serial, digit) => {
        const body = owner.join('') + category + String(serial).padStart(6, '0');
        const expected = iso6346CheckDigit(body);
        if (digit === expected) expect(parseContainerNumber(body + digit).canonical).toBe(body + digit);
        else expect(errorOf(() => parseContainerNumber(body + digit)).code).toBe('BAD_CHECK_DIGIT');
      }),
    );
  });
});

describe('IMO numbers', () => {
  it('computes the published example IMO 9074729', () => {
    expect(imoCheckDigit('907472')).toBe(9);
    expect(parseImoNumber('IMO 9074729')).toEqual({ kind: 'imo', canonical: 'IMO9074729', number: '9074729', display: 'IMO 9074729' });
    expect(parseImoNumber('imo9074729').canonical).toBe('IMO9074729');
    expect(parseImoNumber('9074729').canonical).toBe('IMO9074729');
  });

  it('rejects a wrong check digit and malformed input', () => {
    const e = errorOf(() => parseImoNumber('IMO 9074728'));
    expect(e.message).toBe('IMO number IMO9074728: check digit is 8, expected 9');
    expect(errorOf(() => parseImoNumber('IMO 907472')).code).toBe('BAD_FORMAT');
    expect(errorOf(() => parseImoNumber('IMO 90747290')).code).toBe('BAD_FORMAT');
    expect(errorOf(() => parseImoNumber('MMSI 9074729')).code).toBe('BAD_FORMAT');
  });
});

describe('IATA air waybills', () => {
  it('accepts 020-12345675 in several spellings', () => {
    expect(awbCheckDigit('1234567')).toBe(5);
    for (const text of ['020-12345675', '02012345675', '020 1234 5675']) {
      expect(parseAirWaybill(text)).toEqual({ kind: 'awb', canonical: '020-12345675', airlinePrefix: '020', serialNumber: '12345675' });
    }
  });

  it('rejects a wrong check digit, including 7..9 which mod 7 can never give', () => {
    expect(errorOf(() => parseAirWaybill('020-12345676')).message).toBe('air waybill 020-12345676: check digit is 6, expected 5');
    expect(errorOf(() => parseAirWaybill('020-00000007')).code).toBe('BAD_CHECK_DIGIT');
  });

  it.each(['20-12345675', '020-1234567', 'ABC-12345675'])('rejects malformed %s', (text) => {
    expect(errorOf(() => parseAirWaybill(text)).code).toBe('BAD_FORMAT');
  });

  it('property: serial + (serial mod 7) is always valid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 9_999_999 }), (airline, serial) => {
        const text = `${String(airline).padStart(3, '0')}-${String(serial).padStart(7, '0')}${serial % 7}`;
        expect(parseAirWaybill(text).canonical).toBe(text);
      }),
    );
  });
});

describe('UN/LOCODE', () => {
  it('has the 249 current ISO 3166-1 alpha-2 codes', () => {
    expect(ISO_3166_ALPHA2.size).toBe(249);
    for (const code of ['GB', 'NL', 'IE', 'SS', 'CW']) expect(ISO_3166_ALPHA2.has(code)).toBe(true);
    for (const code of ['UK', 'EL', 'XK', 'AN', 'YU']) expect(ISO_3166_ALPHA2.has(code)).toBe(false);
  });

  it.each([
    ['GBFXT', 'GB', 'FXT'],
    ['GB FXT', 'GB', 'FXT'],
    ['nlrtm', 'NL', 'RTM'],
    ['GBLGP', 'GB', 'LGP'],
    ['US2AB', 'US', '2AB'],
  ])('%s', (text, country, location) => {
    expect(parseUnLocode(text)).toEqual({ kind: 'unlocode', canonical: country + location, country, location, display: `${country} ${location}` });
  });

  it('rejects a non-ISO country and malformed codes', () => {
    const e = errorOf(() => parseUnLocode('UKFXT'));
    expect(e.code).toBe('OUT_OF_RANGE');
    expect(e.message).toBe('UN/LOCODE UKFXT: country UK is not an ISO 3166-1 alpha-2 code');
    for (const text of ['GBFX', 'GBFX1', 'GBFXT1', 'G1FXT']) expect(errorOf(() => parseUnLocode(text)).code).toBe('BAD_FORMAT');
  });
});

describe('EORI numbers', () => {
  it.each([
    ['GB123456789000', 'GB', '123456789000'],
    ['gb 123 456 789 000', 'GB', '123456789000'],
    ['XI123456789000', 'XI', '123456789000'],
    ['DE1234567', 'DE', '1234567'],
    ['NL123456789ABCDEF', 'NL', '123456789ABCDEF'],
  ])('%s', (text, country, number) => {
    expect(parseEori(text)).toEqual({ kind: 'eori', canonical: country + number, country, number });
  });

  it('rejects bad UK and EU forms and non-member prefixes', () => {
    expect(errorOf(() => parseEori('GB12345678900')).code).toBe('BAD_FORMAT');
    expect(errorOf(() => parseEori('GB12345678900A')).code).toBe('BAD_FORMAT');
    expect(errorOf(() => parseEori('NL123456789ABCDEFG')).code).toBe('BAD_FORMAT');
    expect(errorOf(() => parseEori('US123456789')).code).toBe('OUT_OF_RANGE');
    expect(errorOf(() => parseEori('123456789')).code).toBe('BAD_FORMAT');
  });
});

describe('HS commodity codes', () => {
  it.each([
    ['0201', '0201', '0201'],
    ['HS 0201', '0201', '0201'],
    ['0201.30', '020130', '0201.30'],
    ['0201 30 00', '02013000', '0201.30.00'],
    ['0201300010', '0201300010', '0201.30.00.10'],
  ])('%s', (text, canonical, display) => {
    const id = parseHsCode(text);
    expect(id).toMatchObject({ kind: 'hs-code', canonical, chapter: '02', heading: '0201', display });
    expect(id.subheading).toBe(canonical.length >= 6 ? canonical.slice(0, 6) : undefined);
  });

  it('rejects bad lengths and chapters', () => {
    expect(errorOf(() => parseHsCode('02013')).code).toBe('BAD_FORMAT');
    expect(errorOf(() => parseHsCode('0001')).code).toBe('OUT_OF_RANGE');
    expect(errorOf(() => parseHsCode('7701')).code).toBe('OUT_OF_RANGE');
    expect(errorOf(() => parseHsCode('9801')).code).toBe('OUT_OF_RANGE');
  });
});
