/** Cargo and trade identifiers: containers, ships, air waybills, ports, traders, commodity codes. */
import { checkDigitError, identifierError } from './errors.js';
import { EU_EORI_PREFIXES, ISO_3166_ALPHA2, UNLOCODE_EXTRA_COUNTRIES } from './iso3166.js';

function compactUpper(text: string): string {
  return text.trim().replace(/[\s-]+/g, '').toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// ISO 6346 freight containers

export interface ContainerIdentifier {
  kind: 'container';
  /** "CSQU3054383". */
  canonical: string;
  ownerCode: string;
  /** U freight container, J detachable equipment, Z trailer/chassis. */
  categoryIdentifier: 'U' | 'J' | 'Z';
  serialNumber: string;
  checkDigit: string;
  /** "CSQU 305438 3". */
  display: string;
}

/** ISO 6346 letter values: A=10 upwards, skipping multiples of 11 (so B=12, L=23, V=34). */
const ISO6346_LETTER_VALUES: ReadonlyMap<string, number> = (() => {
  const values = new Map<string, number>();
  let value = 10;
  for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
    if (value % 11 === 0) value++;
    values.set(letter, value++);
  }
  return values;
})();

/** ISO 6346 check digit of the first 10 characters: sum of value * 2^position, mod 11, then mod 10. */
export function iso6346CheckDigit(ownerCategorySerial: string): number {
  const text = ownerCategorySerial.toUpperCase();
  if (!/^[A-Z]{4}\d{6}$/.test(text)) {
    throw identifierError('BAD_FORMAT', 'container', ownerCategorySerial, 'expected 4 letters and 6 digits before the check digit');
  }
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const ch = text[i] as string;
    const value = i < 4 ? (ISO6346_LETTER_VALUES.get(ch) as number) : Number(ch);
    sum += value * 2 ** i;
  }
  return (sum % 11) % 10;
}

export function parseContainerNumber(text: string): ContainerIdentifier {
  const compact = compactUpper(text);
  const match = /^([A-Z]{3})([A-Z])(\d{6})(\d)$/.exec(compact);
  if (!match) {
    throw identifierError('BAD_FORMAT', 'container', text, 'expected owner code (3 letters), category (U, J or Z), 6-digit serial and check digit', {
      shown: compact,
      actual: compact,
    });
  }
  const [, ownerCode, category, serialNumber, checkDigit] = match as unknown as [string, string, string, string, string];
  if (category !== 'U' && category !== 'J' && category !== 'Z') {
    throw identifierError('BAD_FORMAT', 'container', text, `category identifier is ${category}, expected U, J or Z`, {
      shown: compact,
      expected: 'U|J|Z',
      actual: category,
    });
  }
  const expected = String(iso6346CheckDigit(compact.slice(0, 10)));
  if (checkDigit !== expected) throw checkDigitError('container', text, compact, checkDigit, expected);
  return {
    kind: 'container',
    canonical: compact,
    ownerCode,
    categoryIdentifier: category,
    serialNumber,
    checkDigit,
    display: `${ownerCode}${category} ${serialNumber} ${checkDigit}`,
  };
}

// ---------------------------------------------------------------------------------------------
// IMO ship identification numbers

export interface ImoIdentifier {
  kind: 'imo';
  /** "IMO9074729". */
  canonical: string;
  number: string;
  /** "IMO 9074729". */
  display: string;
}

/** IMO number check digit: first 6 digits weighted 7,6,5,4,3,2, summed, mod 10 (IMO ship identification number scheme). */
export function imoCheckDigit(sixDigits: string): number {
  if (!/^\d{6}$/.test(sixDigits)) {
    throw identifierError('BAD_FORMAT', 'imo', sixDigits, 'expected 6 digits before the check digit');
  }
  let sum = 0;
  for (let i = 0; i < 6; i++) sum += Number(sixDigits[i]) * (7 - i);
  return sum % 10;
}

export function parseImoNumber(text: string): ImoIdentifier {
  const compact = compactUpper(text);
  const match = /^(?:IMO)?(\d{7})$/.exec(compact);
  if (!match) {
    throw identifierError('BAD_FORMAT', 'imo', text, 'expected "IMO" and 7 digits', { shown: compact, actual: compact });
  }
  const number = match[1] as string;
  const expected = String(imoCheckDigit(number.slice(0, 6)));
  const actual = number.slice(6);
  if (actual !== expected) throw checkDigitError('imo', text, `IMO${number}`, actual, expected);
  return { kind: 'imo', canonical: `IMO${number}`, number, display: `IMO ${number}` };
}

// ---------------------------------------------------------------------------------------------
// IATA air waybills

export interface AirWaybillIdentifier {
  kind: 'awb';
  /** "020-12345675". */
  canonical: string;
  /** 3-digit IATA airline prefix. */
  airlinePrefix: string;
  /** 8-digit serial; its last digit is the check digit. */
  serialNumber: string;
}

/** IATA air waybill check digit: the first 7 serial digits as a number, mod 7. */
export function awbCheckDigit(sevenDigits: string): number {
  if (!/^\d{7}$/.test(sevenDigits)) {
    throw identifierError('BAD_FORMAT', 'awb', sevenDigits, 'expected 7 serial digits before the check digit');
  }
  return Number(sevenDigits) % 7;
}

export function parseAirWaybill(text: string): AirWaybillIdentifier {
  const compact = compactUpper(text);
  const match = /^(\d{3})(\d{8})$/.exec(compact);
  if (!match) {
    throw identifierError('BAD_FORMAT', 'awb', text, 'expected 3-digit airline prefix and 8-digit serial, e.g. 020-12345675', {
      shown: compact,
      actual: compact,
    });
  }
  const [, airlinePrefix, serialNumber] = match as unknown as [string, string, string];
  const canonical = `${airlinePrefix}-${serialNumber}`;
  const expected = String(awbCheckDigit(serialNumber.slice(0, 7)));
  const actual = serialNumber.slice(7);
  if (actual !== expected) throw checkDigitError('awb', text, canonical, actual, expected);
  return { kind: 'awb', canonical, airlinePrefix, serialNumber };
}

// ---------------------------------------------------------------------------------------------
// UN/LOCODE

export interface UnLocodeIdentifier {
  kind: 'unlocode';
  /** "GBFXT". */
  canonical: string;
  country: string;
  location: string;
  /** "GB FXT". */
  display: string;
}

export function parseUnLocode(text: string): UnLocodeIdentifier {
  const compact = compactUpper(text);
  const match = /^([A-Z]{2})([A-Z2-9]{3})$/.exec(compact);
  if (!match) {
    throw identifierError('BAD_FORMAT', 'unlocode', text, 'expected 2-letter country code and 3 characters A-Z or 2-9, e.g. GBFXT', {
      shown: compact,
      actual: compact,
    });
  }
  const [, country, location] = match as unknown as [string, string, string];
  if (!ISO_3166_ALPHA2.has(country) && !UNLOCODE_EXTRA_COUNTRIES.has(country)) {
    throw identifierError('OUT_OF_RANGE', 'unlocode', text, `country ${country} is not an ISO 3166-1 alpha-2 code`, {
      shown: compact,
      actual: country,
    });
  }
  return { kind: 'unlocode', canonical: compact, country, location, display: `${country} ${location}` };
}

// ---------------------------------------------------------------------------------------------
// EORI trader numbers

export interface EoriIdentifier {
  kind: 'eori';
  /** "GB123456789000". */
  canonical: string;
  country: string;
  number: string;
}

/** EORI: GB or XI + 12 digits (UK, XI = Northern Ireland), or an EU member state code + 1..15 letters/digits. */
export function parseEori(text: string): EoriIdentifier {
  const compact = compactUpper(text);
  const match = /^([A-Z]{2})([A-Z0-9]+)$/.exec(compact);
  if (!match) {
    throw identifierError('BAD_FORMAT', 'eori', text, 'expected a 2-letter country code followed by letters/digits', {
      shown: compact,
      actual: compact,
    });
  }
  const [, country, number] = match as unknown as [string, string, string];
  if (country === 'GB' || country === 'XI') {
    if (!/^\d{12}$/.test(number)) {
      throw identifierError('BAD_FORMAT', 'eori', text, `${country} EORI must be ${country} + 12 digits`, {
        shown: compact,
        expected: '12 digits',
        actual: number,
      });
    }
  } else if (EU_EORI_PREFIXES.has(country)) {
    if (number.length > 15) {
      throw identifierError('BAD_FORMAT', 'eori', text, `EU EORI allows at most 15 characters after ${country}, got ${number.length}`, {
        shown: compact,
        expected: '1..15 characters',
        actual: number,
      });
    }
  } else {
    throw identifierError('OUT_OF_RANGE', 'eori', text, `country ${country} is not GB, XI or an EU member state`, {
      shown: compact,
      actual: country,
    });
  }
  return { kind: 'eori', canonical: compact, country, number };
}

// ---------------------------------------------------------------------------------------------
// HS (Harmonized System) commodity codes

export interface HsCodeIdentifier {
  kind: 'hs-code';
  /** Digits only: "0201", "020130", "0201300010". */
  canonical: string;
  chapter: string;
  heading: string;
  /** 6-digit HS subheading, when given. */
  subheading?: string;
  /** Dotted: "0201.30.00.10". */
  display: string;
}

/**
 * HS commodity code of 4 (heading), 6 (HS subheading), 8 (e.g. UK/EU CN) or 10 digits (UK/EU TARIC),
 * optionally prefixed "HS" and grouped with dots or spaces. Chapter 01..97, excluding 77 (reserved).
 */
export function parseHsCode(text: string): HsCodeIdentifier {
  const compact = text.trim().toUpperCase().replace(/^HS\s*:?\s*/, '').replace(/[\s.]+/g, '');
  if (!/^(\d{4}|\d{6}|\d{8}|\d{10})$/.test(compact)) {
    throw identifierError('BAD_FORMAT', 'hs-code', text, 'expected 4, 6, 8 or 10 digits', { shown: compact, actual: compact });
  }
  const chapter = compact.slice(0, 2);
  const chapterNumber = Number(chapter);
  if (chapterNumber < 1 || chapterNumber > 97 || chapterNumber === 77) {
    throw identifierError('OUT_OF_RANGE', 'hs-code', text, `chapter ${chapter} is not an HS chapter (01..97, not 77)`, {
      shown: compact,
      expected: '01..97 except 77',
      actual: chapter,
    });
  }
  const groups = [compact.slice(0, 4), ...(compact.slice(4).match(/\d{2}/g) ?? [])];
  const id: HsCodeIdentifier = {
    kind: 'hs-code',
    canonical: compact,
    chapter,
    heading: compact.slice(0, 4),
    display: groups.join('.'),
  };
  if (compact.length >= 6) id.subheading = compact.slice(0, 6);
  return id;
}
