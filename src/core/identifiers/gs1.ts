/**
 * GS1 keys (GTIN, SSCC, GLN with lot, serial or GLN extension) in three syntaxes:
 * - EPC URNs (GS1 EPC Tag Data Standard, TDS): urn:epc:id:sgtin:0614141.112345.400
 * - GS1 Digital Link URIs (GS1 Digital Link: URI Syntax 1.2): https://id.gs1.org/01/80614141123458/21/400
 * - GS1 element strings (human-readable barcode text): (01)80614141123458(21)400
 *
 * Canonical form: the constrained canonical Digital Link URI on https://id.gs1.org, holding only the
 * most fine-grained key (01, 01+10, 01+21, 00, 414, 414+254), with every character outside the RFC 3986
 * unreserved set percent-encoded. This is exactly the form the CBV 2.0 event hash algorithm (steps 3
 * and 4) requires, and it can be computed from every input syntax without knowing the GS1 Company
 * Prefix length, so one thing always gets one canonical string. The EPC URN is derived when the prefix
 * length is known (it is always known for URN input) and is offered through lineage keys.
 *
 * Kinds name the granularity, not the syntax: a GTIN alone is 'gtin' (EPC pattern urn:epc:idpat:sgtin),
 * with lot 'lgtin', with serial 'sgtin'; a GLN without extension is 'gln' (EPC urn:epc:id:sgln:...0),
 * with extension 'sgln'.
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
const EPC_COMPONENT = /^(?:[!'()*+,\-.0-9:;=A-Z_a-z]|%[0-9A-Fa-f]{2})+$/;
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

function percentDecode(text: string): string | undefined {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function checkAlphanumeric(kind: IdentifierKind, input: string, what: string, value: string): void {
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

function checkPrefixLength(kind: IdentifierKind, input: string, length: number): void {
  if (!Number.isInteger(length) || length < 6 || length > 12) {
    throw identifierError('OUT_OF_RANGE', kind, input, `GS1 Company Prefix length must be 6..12, got ${length}`, {
      expected: '6..12',
      actual: String(length),
    });
  }
}

interface Parts {
  gtin?: string;
  lot?: string;
  serial?: string;
  sscc?: string;
  gln?: string;
  extension?: string;
}

function digitalLinkPath(id: Gs1Identifier): string {
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

function epcUrnFor(id: Gs1Identifier, length: number): string {
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

function build(parts: Parts, input: string, companyPrefixLength: number | undefined): Gs1Identifier {
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

function normaliseGtin(kind: IdentifierKind, input: string, raw: string): string {
  if (!/^(\d{8}|\d{12,14})$/.test(raw)) {
    throw identifierError('BAD_FORMAT', kind, input, `GTIN must be 8, 12, 13 or 14 digits, got "${raw}"`, {
      actual: raw,
    });
  }
  const gtin = raw.padStart(14, '0');
  verifyCheckDigit(kind, input, gtin);
  return gtin;
}

function fixedDigits(kind: IdentifierKind, input: string, what: string, raw: string, length: number): string {
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

function compactDigits(text: string): string {
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

// ---------------------------------------------------------------------------------------------
// Application Identifier pairs (shared by Digital Link and element strings)

const PRIMARY_KEYS: Record<string, string> = { '01': '01', '00': '00', '414': '414', gtin: '01', sscc: '00', gln: '414' };
/** Other GS1 primary keys that Digital Link allows but this module does not model. */
const OTHER_PRIMARY_KEYS = new Set(['253', '255', '401', '402', '417', '8003', '8004', '8006', '8010', '8013', '8017', '8018', 'gdti', 'gcn', 'ginc', 'gsin', 'grai', 'giai', 'gsrn', 'gsrnp', 'cpid', 'gmn', 'party', 'itip']);
/** Digital Link 1.0 short names for the qualifiers this module handles. */
const QUALIFIER_ALIASES: Record<string, string> = { lot: '10', ser: '21', glnx: '254' };
/** Allowed qualifiers per primary key, in the order Digital Link requires. */
const QUALIFIERS: Record<string, readonly string[]> = { '01': ['10', '21'], '00': [], '414': ['254'] };
const KIND_OF_PRIMARY: Record<string, IdentifierKind> = { '01': 'gtin', '00': 'sscc', '414': 'gln' };

function fromAiPairs(
  pairs: ReadonlyArray<readonly [string, string]>,
  input: string,
  options: Gs1ParseOptions,
): Gs1Identifier {
  const [first, ...rest] = pairs;
  if (first === undefined) {
    throw new IdentifierError('BAD_FORMAT', `GS1 identifier ${input}: no GS1 key`, { kind: undefined, input });
  }
  const primary = PRIMARY_KEYS[first[0]];
  if (primary === undefined) {
    throw new IdentifierError('UNSUPPORTED', `GS1 identifier ${input}: primary key AI ${first[0]} is not supported`, {
      kind: undefined,
      input,
      actual: first[0],
    });
  }
  const baseKind = KIND_OF_PRIMARY[primary] as IdentifierKind;
  const allowed = QUALIFIERS[primary] ?? [];
  const parts: Parts = {};
  if (primary === '01') parts.gtin = normaliseGtin(baseKind, input, first[1]);
  else if (primary === '00') parts.sscc = fixedDigits(baseKind, input, 'SSCC', first[1], 18);
  else parts.gln = fixedDigits(baseKind, input, 'GLN', first[1], 13);

  let lastIndex = -1;
  for (const [rawAi, value] of rest) {
    const ai = QUALIFIER_ALIASES[rawAi] ?? rawAi;
    const index = allowed.indexOf(ai);
    if (index < 0) {
      throw identifierError('UNSUPPORTED', baseKind, input, `qualifier AI ${rawAi} is not supported after AI ${primary}`, {
        expected: allowed.join(', ') || 'none',
        actual: rawAi,
      });
    }
    if (index <= lastIndex) {
      throw identifierError('BAD_FORMAT', baseKind, input, `qualifier AI ${rawAi} is repeated or out of order`, {
        expected: allowed.join(' before '),
        actual: rawAi,
      });
    }
    lastIndex = index;
    if (ai === '10') {
      checkAlphanumeric('lgtin', input, 'lot (AI 10)', value);
      parts.lot = value;
    } else if (ai === '21') {
      checkAlphanumeric('sgtin', input, 'serial (AI 21)', value);
      parts.serial = value;
    } else {
      checkAlphanumeric('sgln', input, 'GLN extension (AI 254)', value);
      parts.extension = value;
    }
  }
  return build(parts, input, options.companyPrefixLength);
}

// ---------------------------------------------------------------------------------------------
// GS1 Digital Link

const URI_PATTERN = /^(https?):\/\/([^/?#\s]+)(\/[^?#\s]*)?(?:\?[^#\s]*)?(?:#\S*)?$/i;

export function isDigitalLinkLike(text: string): boolean {
  return /^https?:\/\//i.test(text.trim());
}

/**
 * Parses a GS1 Digital Link URI on any host, with any path prefix before the primary key. The query
 * string (data attributes) and fragment are ignored; a lot given with a serial is kept in `lot`.
 */
export function parseDigitalLink(uri: string, options: Gs1ParseOptions = {}): Gs1Identifier {
  const input = uri;
  const match = URI_PATTERN.exec(uri.trim());
  if (!match) {
    throw new IdentifierError('BAD_FORMAT', `Digital Link ${input}: not an http(s) URI`, { kind: undefined, input });
  }
  const segments = (match[3] ?? '').split('/').slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  const start = segments.findIndex((s) => s in PRIMARY_KEYS || OTHER_PRIMARY_KEYS.has(s));
  if (start < 0) {
    throw new IdentifierError('BAD_FORMAT', `Digital Link ${input}: no GS1 primary key in the path`, {
      kind: undefined,
      input,
    });
  }
  const keyPath = segments.slice(start);
  if (keyPath.length % 2 !== 0) {
    throw new IdentifierError('BAD_FORMAT', `Digital Link ${input}: AI ${keyPath[keyPath.length - 1]} has no value`, {
      kind: undefined,
      input,
    });
  }
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < keyPath.length; i += 2) {
    const ai = keyPath[i] as string;
    const decoded = percentDecode(keyPath[i + 1] as string);
    if (decoded === undefined) {
      throw new IdentifierError('BAD_FORMAT', `Digital Link ${input}: bad percent-encoding in value of AI ${ai}`, {
        kind: undefined,
        input,
        actual: keyPath[i + 1],
      });
    }
    pairs.push([ai, decoded]);
  }
  return fromAiPairs(pairs, input, options);
}

// ---------------------------------------------------------------------------------------------
// GS1 element strings, e.g. "(01)09521234543213(10)ABC123"

export function isElementStringLike(text: string): boolean {
  return /^\(\d{2,4}\)/.test(text.trim());
}

/** Parses a bracketed element string. Values cannot themselves contain "(NN)" sequences. */
export function parseElementString(text: string, options: Gs1ParseOptions = {}): Gs1Identifier {
  const pieces = text.trim().split(/\((\d{2,4})\)/);
  if (pieces[0] !== '' || pieces.length < 3) {
    throw new IdentifierError('BAD_FORMAT', `GS1 element string ${text}: expected (AI)value...`, {
      kind: undefined,
      input: text,
    });
  }
  const pairs: Array<[string, string]> = [];
  for (let i = 1; i < pieces.length; i += 2) pairs.push([pieces[i] as string, pieces[i + 1] as string]);
  return fromAiPairs(pairs, text, options);
}

// ---------------------------------------------------------------------------------------------
// EPC URNs

const EPC_URN = /^urn:epc:(id|class|idpat):([a-z0-9]+):(.*)$/i;

export function isEpcUrnLike(text: string): boolean {
  return /^urn:epc:/i.test(text.trim());
}

function decodeEpcComponent(kind: IdentifierKind, input: string, what: string, raw: string): string {
  if (!EPC_COMPONENT.test(raw)) {
    throw identifierError('BAD_FORMAT', kind, input, `${what} "${raw}" has characters that must be %-escaped in an EPC URI (TDS §6)`, {
      actual: raw,
    });
  }
  const value = percentDecode(raw);
  if (value === undefined) {
    throw identifierError('BAD_FORMAT', kind, input, `${what} "${raw}" has a bad %-escape`, { actual: raw });
  }
  checkAlphanumeric(kind, input, what, value);
  return value;
}

function prefixAndReference(
  kind: IdentifierKind,
  input: string,
  companyPrefix: string,
  reference: string,
  referenceName: string,
  total: number,
): void {
  if (!/^\d{6,12}$/.test(companyPrefix)) {
    throw identifierError('BAD_FORMAT', kind, input, `company prefix must be 6..12 digits, got "${companyPrefix}"`, {
      actual: companyPrefix,
    });
  }
  const expectedLength = total - companyPrefix.length;
  if (!new RegExp(`^\\d{${expectedLength}}$`).test(reference)) {
    throw identifierError('BAD_FORMAT', kind, input, `${referenceName} must be ${expectedLength} digits after a ${companyPrefix.length}-digit company prefix, got "${reference}"`, {
      expected: `${expectedLength} digits`,
      actual: reference,
    });
  }
}

function splitFields(text: string, count: number): string[] {
  const fields: string[] = [];
  let from = 0;
  while (fields.length < count - 1) {
    const dot = text.indexOf('.', from);
    if (dot < 0) break;
    fields.push(text.slice(from, dot));
    from = dot + 1;
  }
  fields.push(text.slice(from));
  return fields;
}

/** Parses urn:epc:id:sgtin, urn:epc:class:lgtin, urn:epc:idpat:sgtin (GTIN level), urn:epc:id:sscc, urn:epc:id:sgln. */
export function parseEpcUrn(urn: string): Gs1Identifier {
  const input = urn;
  const match = EPC_URN.exec(urn.trim());
  if (!match) {
    throw new IdentifierError('BAD_FORMAT', `EPC URN ${input}: expected urn:epc:<id|class|idpat>:<scheme>:...`, {
      kind: undefined,
      input,
    });
  }
  const type = (match[1] as string).toLowerCase();
  const scheme = (match[2] as string).toLowerCase();
  // Only the first dots separate fields: a serial, lot or extension may itself contain '.'.
  const rest = match[3] as string;
  const scope = `${type}:${scheme}`;
  switch (scope) {
    case 'id:sgtin':
    case 'class:lgtin':
    case 'idpat:sgtin': {
      const fields = splitFields(rest, 3);
      const kind: IdentifierKind = scope === 'id:sgtin' ? 'sgtin' : scope === 'class:lgtin' ? 'lgtin' : 'gtin';
      if (fields.length !== 3) {
        throw identifierError('BAD_FORMAT', kind, input, 'expected CompanyPrefix.IndicatorItemRef.' + (kind === 'gtin' ? '*' : kind === 'lgtin' ? 'Lot' : 'Serial'), {
          actual: String(fields.length) + ' fields',
        });
      }
      const [cp, iir, last] = fields as [string, string, string];
      prefixAndReference(kind, input, cp, iir, 'indicator digit and item reference', 13);
      const body = `${iir[0]}${cp}${iir.slice(1)}`;
      const gtin = body + String(gs1CheckDigit(body));
      const parts: Parts = { gtin };
      if (kind === 'gtin') {
        if (last !== '*') {
          throw identifierError('UNSUPPORTED', kind, input, 'only GTIN-level patterns (ending ".*") are supported', { actual: last });
        }
      } else if (kind === 'lgtin') {
        parts.lot = decodeEpcComponent(kind, input, 'lot', last);
      } else {
        parts.serial = decodeEpcComponent(kind, input, 'serial', last);
      }
      return build(parts, input, cp.length);
    }
    case 'id:sscc': {
      const fields = rest.split('.');
      if (fields.length !== 2) {
        throw identifierError('BAD_FORMAT', 'sscc', input, 'expected CompanyPrefix.SerialReference', { actual: `${fields.length} fields` });
      }
      const [cp, ref] = fields as [string, string];
      prefixAndReference('sscc', input, cp, ref, 'serial reference', 17);
      const body = `${ref[0]}${cp}${ref.slice(1)}`;
      return build({ sscc: body + String(gs1CheckDigit(body)) }, input, cp.length);
    }
    case 'id:sgln': {
      const fields = splitFields(rest, 3);
      if (fields.length !== 3) {
        throw identifierError('BAD_FORMAT', 'sgln', input, 'expected CompanyPrefix.LocationReference.Extension', {
          actual: `${fields.length} fields`,
        });
      }
      const [cp, ref, ext] = fields as [string, string, string];
      prefixAndReference('sgln', input, cp, ref, 'location reference', 12);
      const body = cp + ref;
      const extension = decodeEpcComponent('sgln', input, 'extension', ext);
      return build({ gln: body + String(gs1CheckDigit(body)), extension }, input, cp.length);
    }
    default:
      throw new IdentifierError('UNSUPPORTED', `EPC URN ${input}: scheme ${scope} is not supported`, {
        kind: undefined,
        input,
        actual: scope,
      });
  }
}

// ---------------------------------------------------------------------------------------------
// Conversions

/** EPC URN -> Digital Link URI (host defaults to id.gs1.org; pass e.g. "https://example.com"). */
export function epcUrnToDigitalLink(urn: string, host: string = GS1_DIGITAL_LINK_HOST): string {
  return toDigitalLink(parseEpcUrn(urn), host);
}

/** Digital Link URI -> EPC URN; the GS1 Company Prefix length (6..12) is not in the URI, so it is required. */
export function digitalLinkToEpcUrn(uri: string, companyPrefixLength: number): string {
  return parseDigitalLink(uri, { companyPrefixLength }).epcUrn as string;
}

export function toDigitalLink(id: Gs1Identifier, host: string = GS1_DIGITAL_LINK_HOST): string {
  return host.replace(/\/+$/, '') + digitalLinkPath(id);
}

/** The EPC URN of a GS1 identifier; needs the prefix length unless the identifier already has one. */
export function toEpcUrn(id: Gs1Identifier, companyPrefixLength?: number): string {
  const length = companyPrefixLength ?? id.companyPrefixLength;
  if (length === undefined) {
    throw identifierError('MISSING_COMPANY_PREFIX_LENGTH', id.kind, id.canonical, 'the GS1 Company Prefix length is needed to write an EPC URN');
  }
  checkPrefixLength(id.kind, id.canonical, length);
  return epcUrnFor(id, length);
}

/** The GS1 element string, e.g. "(01)09521234543213(21)ABC". */
export function toElementString(id: Gs1Identifier): string {
  switch (id.kind) {
    case 'gtin':
      return `(01)${id.gtin}`;
    case 'lgtin':
      return `(01)${id.gtin}(10)${id.lot}`;
    case 'sgtin':
      return `(01)${id.gtin}${id.lot !== undefined ? `(10)${id.lot}` : ''}(21)${id.serial}`;
    case 'sscc':
      return `(00)${id.sscc}`;
    case 'gln':
      return `(414)${id.gln}`;
    case 'sgln':
      return `(414)${id.gln}(254)${id.extension}`;
  }
}

/** Parses any GS1 syntax: EPC URN, Digital Link URI, element string, or a plain GTIN/SSCC. */
export function parseGs1(text: string, options: Gs1ParseOptions = {}): Gs1Identifier {
  const trimmed = text.trim();
  if (isEpcUrnLike(trimmed)) {
    const id = parseEpcUrn(text);
    if (options.companyPrefixLength !== undefined && options.companyPrefixLength !== id.companyPrefixLength) {
      throw identifierError('BAD_FORMAT', id.kind, text, `URN has a ${id.companyPrefixLength}-digit company prefix, but ${options.companyPrefixLength} was given`, {
        expected: String(options.companyPrefixLength),
        actual: String(id.companyPrefixLength),
      });
    }
    return id;
  }
  if (isDigitalLinkLike(trimmed)) return parseDigitalLink(text, options);
  if (isElementStringLike(trimmed)) return parseElementString(text, options);
  const digits = compactDigits(trimmed);
  if (/^\d{18}$/.test(digits)) return parseSscc(text, options);
  return parseGtin(text, options);
}
