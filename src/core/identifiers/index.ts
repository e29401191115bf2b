/**
 * Identifier parsing, validation and normalisation. Pure: no I/O.
 *
 * `canonical` is the one string the ledger indexes by. For GS1 keys it is the constrained canonical
 * Digital Link URI on https://id.gs1.org (see gs1.ts for why); `lineageKeys` adds the EPC URN when the
 * GS1 Company Prefix length is known.
 */
import {
  parseAirWaybill,
  parseContainerNumber,
  parseEori,
  parseHsCode,
  parseImoNumber,
  parseUnLocode,
  type AirWaybillIdentifier,
  type ContainerIdentifier,
  type EoriIdentifier,
  type HsCodeIdentifier,
  type ImoIdentifier,
  type UnLocodeIdentifier,
} from './cargo.js';
import { IdentifierError, type IdentifierKind } from './errors.js';
import {
  parseGln,
  parseGs1,
  parseGtin,
  parseSscc,
  type Gs1Identifier,
  type Gs1ParseOptions,
} from './gs1.js';
import {
  parseCph,
  parseEarTag,
  parseFsaApproval,
  type CphIdentifier,
  type EarTagIdentifier,
  type FsaApprovalIdentifier,
} from './livestock.js';
import { EU_EORI_PREFIXES } from './iso3166.js';

export * from './errors.js';
export * from './gs1.js';
export * from './livestock.js';
export * from './cargo.js';
export { ISO_3166_ALPHA2, EU_EORI_PREFIXES, UNLOCODE_EXTRA_COUNTRIES } from './iso3166.js';

export type Identifier =
  | Gs1Identifier
  | EarTagIdentifier
  | CphIdentifier
  | FsaApprovalIdentifier
  | ContainerIdentifier
  | ImoIdentifier
  | AirWaybillIdentifier
  | UnLocodeIdentifier
  | EoriIdentifier
  | HsCodeIdentifier;

export type ParseOptions = Gs1ParseOptions;

const GS1_KINDS: ReadonlySet<IdentifierKind> = new Set(['sgtin', 'lgtin', 'gtin', 'sscc', 'sgln', 'gln']);

export function isGs1Identifier(id: Identifier): id is Gs1Identifier {
  return GS1_KINDS.has(id.kind);
}

/**
 * Detects the kind from the text's shape, then parses and validates it. Detection order (first match):
 * - "urn:epc:" EPC URN; "http(s)://" GS1 Digital Link; "(NN)" GS1 element string
 * - "UK" + 12 digits: cattle ear tag
 * - "UK 1234 EC", "UK 1234" or "1234 EC": FSA approval number (a bare number is not detected)
 * - "IMO" + 7 digits: IMO number
 * - 3 letters + U/J/Z + 7 digits: ISO 6346 container
 * - "HS ..." or dotted digits "0201.30": HS code (bare digits are not detected: they collide with GTINs)
 * - 2/3/4 digits with slashes or spaces, or 9 bare digits: CPH
 * - 11 digits, optionally "NNN-NNNNNNNN": air waybill
 * - 8, 12, 13 or 14 digits: GTIN (a bare 13-digit GLN is read as a GTIN-13; use parseGln); 18 digits: SSCC
 * - 5 characters "CCxxx": UN/LOCODE (so a 5-character EORI needs parseEori)
 * - GB/XI/EU prefix + letters/digits: EORI
 */
export function parseIdentifier(text: string, options: ParseOptions = {}): Identifier {
  const trimmed = text.trim();
  if (/^(urn:epc:|https?:\/\/|\(\d{2,4}\))/i.test(trimmed)) return parseGs1(text, options);
  const upper = trimmed.toUpperCase();
  const compact = upper.replace(/[\s-]+/g, '');
  if (/^UK\d{12}$/.test(compact)) return parseEarTag(text);
  if (/^(UK\d{1,4}(EC)?|\d{1,4}EC)$/.test(compact)) return parseFsaApproval(text);
  if (/^IMO\d{7}$/.test(compact)) return parseImoNumber(text);
  if (/^[A-Z]{3}[UJZ]\d{7}$/.test(compact)) return parseContainerNumber(text);
  if (/^HS\b/.test(upper) || /^\d{4}(\.\d{2}){1,3}$/.test(trimmed)) return parseHsCode(text);
  if (/^\d{2}[\s/]+\d{3}[\s/]+\d{4}$/.test(trimmed) || /^\d{9}$/.test(compact)) return parseCph(text);
  if (/^\d{11}$/.test(compact)) return parseAirWaybill(text);
  if (/^(\d{8}|\d{12,14}|\d{18})$/.test(compact)) return parseGs1(text, options);
  if (/^[A-Z]{2}[A-Z2-9]{3}$/.test(compact)) return parseUnLocode(text);
  if (/^[A-Z]{2}[A-Z0-9]+$/.test(compact)) {
    const prefix = compact.slice(0, 2);
    if (prefix === 'GB' || prefix === 'XI' || EU_EORI_PREFIXES.has(prefix)) return parseEori(text);
  }
  throw new IdentifierError('UNKNOWN_KIND', `identifier ${trimmed || '(empty)'}: kind not recognised`, {
    kind: undefined,
    input: text,
  });
}

/** Parses text as a given kind, skipping detection (e.g. a bare GLN, CPH or FSA number). */
export function parseIdentifierAs(kind: IdentifierKind, text: string, options: ParseOptions = {}): Identifier {
  let id: Identifier;
  switch (kind) {
    case 'sgtin':
    case 'lgtin':
    case 'gtin':
    case 'sscc':
    case 'sgln':
    case 'gln': {
      const bareDigits = /^[\d\s-]+$/.test(text.trim());
      if (bareDigits && kind === 'gln') id = parseGln(text, options);
      else if (bareDigits && kind === 'sscc') id = parseSscc(text, options);
      else if (bareDigits && kind === 'gtin') id = parseGtin(text, options);
      else id = parseGs1(text, options);
      break;
    }
    case 'ear-tag':
      return parseEarTag(text);
    case 'cph':
      return parseCph(text);
    case 'fsa-approval':
      return parseFsaApproval(text);
    case 'container':
      return parseContainerNumber(text);
    case 'imo':
      return parseImoNumber(text);
    case 'awb':
      return parseAirWaybill(text);
    case 'unlocode':
      return parseUnLocode(text);
    case 'eori':
      return parseEori(text);
    case 'hs-code':
      return parseHsCode(text);
  }
  if (id.kind !== kind) {
    throw new IdentifierError('BAD_FORMAT', `identifier ${text.trim()}: is a ${id.kind}, expected ${kind}`, {
      kind,
      input: text,
      expected: kind,
      actual: id.kind,
    });
  }
  return id;
}

/**
 * Every string that names the same thing, canonical first, so lineage can look an item up by any
 * of them: for GS1 keys the id.gs1.org Digital Link URI and, when the company prefix length is
 * known, the EPC URN; for other kinds just the canonical form.
 */
export function lineageKeys(id: Identifier): string[] {
  const keys = [id.canonical];
  if (isGs1Identifier(id) && id.epcUrn !== undefined) keys.push(id.epcUrn);
  return keys;
}
