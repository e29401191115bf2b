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
import { IdentifierError, identifierError, type IdentifierKind } from './errors.js';
import {
  EPC_COMPONENT,
  GS1_DIGITAL_LINK_HOST,
  build,
  checkAlphanumeric,
  checkPrefixLength,
  compactDigits,
  digitalLinkPath,
  epcUrnFor,
  fixedDigits,
  gs1CheckDigit,
  normaliseGtin,
  parseGtin,
  parseSscc,
  percentDecode,
  type Gs1Identifier,
  type Gs1ParseOptions,
  type Parts,
} from './gs1-keys.js';

export {
  GS1_DIGITAL_LINK_HOST,
  gs1CheckDigit,
  hasValidGs1CheckDigit,
  escapeEpcComponent,
  encodeDigitalLinkValue,
  parseGtin,
  parseSscc,
  parseGln,
  type Gs1Common,
  type GtinIdentifier,
  type LgtinIdentifier,
  type SgtinIdentifier,
  type SsccIdentifier,
  type GlnIdentifier,
  type SglnIdentifier,
  type Gs1Identifier,
  type Gs1ParseOptions,
} from './gs1-keys.js';

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
