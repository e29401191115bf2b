/**
 * GS1 keys as values: the identifier types, check digits (GS1 General Specifications §7.9), EPC
 * and Digital Link escaping, and building a canonical identifier from validated parts (plain GTIN,
 * SSCC and GLN parse here). The syntaxes (Digital Link, element strings, EPC URNs) are in gs1.ts.
 */
import { IdentifierError, checkDigitError, identifierError, type IdentifierKind } from './errors.js';

export const GS1_DIGITAL_LINK_HOST = 'https://id.gs1.org';

export interface Gs1Common {
  /** Constrained canonical GS1 Digital Link URI on id.gs1.org. */
  canonical: string;
  /** GS1 Company Prefix length (6..12) when known; needed to write the EPC URN. */
  companyPrefixLength?: number;
  /** EPC pure identity / class / pattern URN, present when the company prefix length is known. */
  epcUrn?: string;
}
export interface GtinIdentifier extends Gs1Common {
  kind: 'gtin';
  /** GTIN-14 (GTIN-8/12/13 are left-padded with zeros). */
  gtin: string;
}
export interface LgtinIdentifier extends Gs1Common {
  kind: 'lgtin';
  gtin: string;
  /** Batch/lot (AI 10), decoded. */
  lot: string;
}
export interface SgtinIdentifier extends Gs1Common {
  kind: 'sgtin';
  gtin: string;
  /** Serial (AI 21), decoded. */
  serial: string;
  /** Lot given alongside the serial in a Digital Link or element string; not part of the canonical. */
  lot?: string;
}
export interface SsccIdentifier extends Gs1Common {
  kind: 'sscc';
  sscc: string;
}
export interface GlnIdentifier extends Gs1Common {
  kind: 'gln';
  gln: string;
}
export interface SglnIdentifier extends Gs1Common {
  kind: 'sgln';
  gln: string;
  /** GLN extension (AI 254), decoded; never "0" (TDS uses "0" for "no extension"). */
  extension: string;
}
export type Gs1Identifier =
  | GtinIdentifier
  | LgtinIdentifier
  | SgtinIdentifier
  | SsccIdentifier
  | GlnIdentifier
  | SglnIdentifier;

export interface Gs1ParseOptions {
  /** GS1 Company Prefix length (6..12), to derive the EPC URN from a Digital Link or plain key. */
  companyPrefixLength?: number;
}

// ---------------------------------------------------------------------------------------------
// Check digits

/** GS1 mod-10 check digit (GS1 General Specifications §7.9): weights 3,1,3,... from the right. */
export function gs1CheckDigit(digitsWithoutCheck: string): number {
  if (!/^\d+$/.test(digitsWithoutCheck)) {
    throw new IdentifierError('BAD_FORMAT', `GS1 check digit input ${digitsWithoutCheck}: digits only`, {
      kind: undefined,
      input: digitsWithoutCheck,
    });
  }
  let sum = 0;
  for (let i = digitsWithoutCheck.length - 1, weight = 3; i >= 0; i--, weight = 4 - weight) {
    sum += Number(digitsWithoutCheck[i]) * weight;
  }
  return (10 - (sum % 10)) % 10;
}

export function hasValidGs1CheckDigit(digits: string): boolean {
  return /^\d{2,}$/.test(digits) && gs1CheckDigit(digits.slice(0, -1)) === Number(digits.slice(-1));
}

function verifyCheckDigit(kind: IdentifierKind, input: string, digits: string): void {
  const expected = gs1CheckDigit(digits.slice(0, -1));
  const actual = digits.slice(-1);
  if (String(expected) !== actual) throw checkDigitError(kind, input, digits, actual, String(expected));
}

// ---------------------------------------------------------------------------------------------
// Character sets and escaping

/** GS1 AI encodable character set 82 (GS1 General Specifications Figure 7.11-1). */
const CSET_82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$/;
/** TDS §6 (Table "Characters permitted in EPC URIs"): these set-82 characters must be %-escaped. */
const EPC_MUST_ESCAPE = new Set(['"', '%', '&', '/', '<', '>', '?']);
export const EPC_COMPONENT = /^(?:[!'()*+,\-.0-9:;=A-Z_a-z]|%[0-9A-Fa-f]{2})+$/;
const MAX_ALPHANUMERIC = 20; // AI 10, 21 and 254 are all X..20

function percentHex(ch: string): string {
  return '%' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
}

/** Escapes a serial, lot or extension for an EPC URI (TDS §6). */
export function escapeEpcComponent(value: string): string {
  let out = '';
  for (const ch of value) out += EPC_MUST_ESCAPE.has(ch) ? percentHex(ch) : ch;
  return out;
}

/** Percent-encodes a value for a Digital Link path: everything outside RFC 3986 "unreserved". */
export function encodeDigitalLinkValue(value: string): string {
  let out = '';
  for (const ch of value) out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : percentHex(ch);
  return out;
}

export function percentDecode(text: string): string | undefined {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export function checkAlphanumeric(kind: IdentifierKind, input: string, what: string, value: string): void {
  if (value.length === 0 || value.length > MAX_ALPHANUMERIC) {
    throw identifierError('BAD_FORMAT', kind, input, `${what} must be 1..${MAX_ALPHANUMERIC} characters, got ${value.length}`, {
      actual: value,
    });
  }
  if (!CSET_82.test(value)) {
    throw identifierError('BAD_FORMAT', kind, input, `${what} "${value}" has characters outside GS1 character set 82`, {
      actual: value,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Building identifiers from validated parts

export function checkPrefixLength(kind: IdentifierKind, input: string, length: number): void {
  if (!Number.isInteger(length) || length < 6 || length > 12) {
    throw identifierError('OUT_OF_RANGE', kind, input, `GS1 Company Prefix length must be 6..12, got ${length}`, {
      expected: '6..12',
      actual: String(length),
    });
  }
}

export interface Parts {
  gtin?: string;
  lot?: string;
  serial?: string;
  sscc?: string;
  gln?: string;
  extension?: string;
}

export function digitalLinkPath(id: Gs1Identifier): string {
  switch (id.kind) {
    case 'gtin':
      return `/01/${id.gtin}`;
    case 'lgtin':
      return `/01/${id.gtin}/10/${encodeDigitalLinkValue(id.lot)}`;
    case 'sgtin':
      return `/01/${id.gtin}/21/${encodeDigitalLinkValue(id.serial)}`;
    case 'sscc':
      return `/00/${id.sscc}`;
    case 'gln':
      return `/414/${id.gln}`;
    case 'sgln':
      return `/414/${id.gln}/254/${encodeDigitalLinkValue(id.extension)}`;
  }
}

export function epcUrnFor(id: Gs1Identifier, length: number): string {
  const L = length;
  switch (id.kind) {
    case 'gtin':
    case 'lgtin':
    case 'sgtin': {
      // TDS: company prefix, then indicator digit + item reference; check digit dropped.
      const g = id.gtin;
      const head = `${g.slice(1, 1 + L)}.${g[0]}${g.slice(1 + L, 13)}`;
      if (id.kind === 'gtin') return `urn:epc:idpat:sgtin:${head}.*`;
      if (id.kind === 'lgtin') return `urn:epc:class:lgtin:${head}.${escapeEpcComponent(id.lot)}`;
      return `urn:epc:id:sgtin:${head}.${escapeEpcComponent(id.serial)}`;
    }
    case 'sscc': {
      const s = id.sscc;
      return `urn:epc:id:sscc:${s.slice(1, 1 + L)}.${s[0]}${s.slice(1 + L, 17)}`;
    }
    case 'gln':
    case 'sgln': {
      const g = id.gln;
      const ext = id.kind === 'sgln' ? escapeEpcComponent(id.extension) : '0';
      return `urn:epc:id:sgln:${g.slice(0, L)}.${g.slice(L, 12)}.${ext}`;
    }
  }
}

export function build(parts: Parts, input: string, companyPrefixLength: number | undefined): Gs1Identifier {
  let id: Gs1Identifier;
  if (parts.gtin !== undefined) {
    if (parts.serial !== undefined) {
      id = { kind: 'sgtin', canonical: '', gtin: parts.gtin, serial: parts.serial };
      if (parts.lot !== undefined) id.lot = parts.lot;
    } else if (parts.lot !== undefined) {
      id = { kind: 'lgtin', canonical: '', gtin: parts.gtin, lot: parts.lot };
    } else {
      id = { kind: 'gtin', canonical: '', gtin: parts.gtin };
    }
  } else if (parts.sscc !== undefined) {
    id = { kind: 'sscc', canonical: '', sscc: parts.sscc };
  } else if (parts.gln !== undefined) {
    // TDS reserves SGLN extension "0" for "no extension"; treat an explicit 254=0 the same way.
    id =
      parts.extension !== undefined && parts.extension !== '0'
        ? { kind: 'sgln', canonical: '', gln: parts.gln, extension: parts.extension }
        : { kind: 'gln', canonical: '', gln: parts.gln };
  } else {
    throw new IdentifierError('BAD_FORMAT', `GS1 identifier ${input}: no GS1 key`, { kind: undefined, input });
  }
  id.canonical = GS1_DIGITAL_LINK_HOST + digitalLinkPath(id);
  if (companyPrefixLength !== undefined) {
    checkPrefixLength(id.kind, input, companyPrefixLength);
    id.companyPrefixLength = companyPrefixLength;
    id.epcUrn = epcUrnFor(id, companyPrefixLength);
  }
  return id;
}

export function normaliseGtin(kind: IdentifierKind, input: string, raw: string): string {
  if (!/^(\d{8}|\d{12,14})$/.test(raw)) {
    throw identifierError('BAD_FORMAT', kind, input, `GTIN must be 8, 12, 13 or 14 digits, got "${raw}"`, {
      actual: raw,
    });
  }
  const gtin = raw.padStart(14, '0');
  verifyCheckDigit(kind, input, gtin);
  return gtin;
}

export function fixedDigits(kind: IdentifierKind, input: string, what: string, raw: string, length: number): string {
  if (!new RegExp(`^\\d{${length}}$`).test(raw)) {
    throw identifierError('BAD_FORMAT', kind, input, `${what} must be ${length} digits, got "${raw}"`, {
      actual: raw,
    });
  }
  verifyCheckDigit(kind, input, raw);
  return raw;
}

// ---------------------------------------------------------------------------------------------
// Plain keys

export function compactDigits(text: string): string {
  return text.trim().replace(/[\s-]+/g, '');
}

/** Parses a plain GTIN-8/12/13/14 (spaces allowed) into a 'gtin' with GTIN-14. */
export function parseGtin(text: string, options: Gs1ParseOptions = {}): GtinIdentifier {
  const gtin = normaliseGtin('gtin', text, compactDigits(text));
  return build({ gtin }, text, options.companyPrefixLength) as GtinIdentifier;
}

/** Parses a plain 18-digit SSCC. */
export function parseSscc(text: string, options: Gs1ParseOptions = {}): SsccIdentifier {
  const sscc = fixedDigits('sscc', text, 'SSCC', compactDigits(text), 18);
  return build({ sscc }, text, options.companyPrefixLength) as SsccIdentifier;
}

/** Parses a plain 13-digit GLN. */
export function parseGln(text: string, options: Gs1ParseOptions = {}): GlnIdentifier {
  const gln = fixedDigits('gln', text, 'GLN', compactDigits(text), 13);
  return build({ gln }, text, options.companyPrefixLength) as GlnIdentifier;
}
