// Identifier normalisation for the CBV 2.0 event hash (ALGORITHM-README rules 17 and 18):
// EPC URIs / EPC Class URIs / EPC Pattern URIs become canonical GS1 Digital Link URIs, and any
// GS1 Digital Link URI is constrained (id.gs1.org domain, no query string, finest key level only).
// Kept separate from src/events/identifiers/ on purpose: this is the hash algorithm's own
// constrained form, which must not drift if the general identifier model changes.

const DL_ROOT = 'https://id.gs1.org';

// One URN/DL character: a %XX escape or a GS1 AI encodable character allowed raw in EPC URIs.
const URN_CHARS = /^(?:%[0-9A-Fa-f]{2}|[!'()*+,\-.0-9:;=A-Z_a-z])+$/;
const CPI_CHARS = /^(?:%2[3Ff]|[0-9A-Z-])+$/;

// GS1 DL 1.2 table 7-1 characters that EPC URIs carry raw but DL URIs percent-encode.
function percentEncodeForDigitalLink(value: string): string {
  return value.replace(/[!()*+,:]/g, (ch) => '%' + ch.charCodeAt(0).toString(16).toUpperCase());
}

/** GS1 mod-10 check digit over a digit string (without the check digit). */
export function gs1CheckDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    sum += i % 2 === 0 ? d * 3 : d;
  }
  return String((10 - (sum % 10)) % 10);
}

function withCheckDigit(digits: string): string {
  return digits + gs1CheckDigit(digits);
}

function isDigits(text: string, min: number, max = min): boolean {
  return text.length >= min && text.length <= max && /^\d*$/.test(text);
}

/** companyPrefix (6..12 digits) + reference with a fixed combined length. */
function splitFixed(companyPrefix: string, reference: string, combinedLength: number, referenceMayBeEmpty = false): boolean {
  if (!isDigits(companyPrefix, 6, 12)) return false;
  if (companyPrefix.length + reference.length !== combinedLength) return false;
  if (reference.length === 0) return referenceMayBeEmpty;
  return /^\d+$/.test(reference);
}

/** GTIN-14 from an SGTIN-style "company prefix . indicator+item reference" pair. */
function gtinOf(companyPrefix: string, itemRef: string): string | null {
  if (!splitFixed(companyPrefix, itemRef, 13)) return null;
  return withCheckDigit(itemRef.slice(0, 1) + companyPrefix + itemRef.slice(1));
}

/** Parts of an EPC URI body split at '.', with '' for a missing part. */
type Parts = readonly string[];
const at = (parts: Parts, i: number): string => parts[i] ?? '';
/** Parts from index i on, joined back (serials and references may hold '.'). */
const restFrom = (parts: Parts, i: number): string => parts.slice(i).join('.');

/** A company prefix and reference whose GS1 key gets a check digit: SGLN, GRAI, GDTI, SGCN, PGLN. */
function keyWithCheckDigit(parts: Parts, combinedLength: number, prefix = ''): string | null {
  if (!splitFixed(at(parts, 0), at(parts, 1), combinedLength, true)) return null;
  return withCheckDigit(prefix + at(parts, 0) + at(parts, 1));
}

/** A key followed by a serial carried raw (GRAI, GDTI), or null when either is malformed. */
function keyAndSerial(ai: string, parts: Parts, checkPrefix = ''): string | null {
  if (parts.length < 3) return null;
  const key = keyWithCheckDigit(parts, 12, checkPrefix);
  const serial = restFrom(parts, 2);
  if (!key || !URN_CHARS.test(serial)) return null;
  return `${DL_ROOT}/${ai}/${key}${percentEncodeForDigitalLink(serial)}`;
}

// EPC instance URIs (urn:epc:id:<scheme>:...), TDS 2.1 §6.3 and GS1 DL 1.2 §7.
const INSTANCE: Readonly<Record<string, (parts: Parts) => string | null>> = {
  sgtin: (parts) => {
    if (parts.length < 3) return null;
    const serial = restFrom(parts, 2);
    const gtin = gtinOf(at(parts, 0), at(parts, 1));
    return gtin && URN_CHARS.test(serial) ? `${DL_ROOT}/01/${gtin}/21/${percentEncodeForDigitalLink(serial)}` : null;
  },
  sscc: (parts) => {
    if (parts.length !== 2 || !splitFixed(at(parts, 0), at(parts, 1), 17)) return null;
    const [prefix, ref] = [at(parts, 0), at(parts, 1)];
    return `${DL_ROOT}/00/${withCheckDigit(ref.slice(0, 1) + prefix + ref.slice(1))}`;
  },
  sgln: (parts) => {
    if (parts.length < 3) return null;
    const gln = keyWithCheckDigit(parts, 12);
    const extension = restFrom(parts, 2);
    if (!gln || !URN_CHARS.test(extension)) return null;
    return extension === '0' ? `${DL_ROOT}/414/${gln}` : `${DL_ROOT}/414/${gln}/254/${percentEncodeForDigitalLink(extension)}`;
  },
  grai: (parts) => keyAndSerial('8003', parts, '0'),
  giai: (parts) => {
    const asset = restFrom(parts, 1);
    if (!isDigits(at(parts, 0), 6, 12) || !URN_CHARS.test(asset)) return null;
    return `${DL_ROOT}/8004/${at(parts, 0)}${percentEncodeForDigitalLink(asset)}`;
  },
  gsrn: (parts) => (parts.length === 2 && splitFixed(at(parts, 0), at(parts, 1), 17) ? `${DL_ROOT}/8018/${withCheckDigit(at(parts, 0) + at(parts, 1))}` : null),
  gsrnp: (parts) => (parts.length === 2 && splitFixed(at(parts, 0), at(parts, 1), 17) ? `${DL_ROOT}/8017/${withCheckDigit(at(parts, 0) + at(parts, 1))}` : null),
  gdti: (parts) => keyAndSerial('253', parts),
  sgcn: (parts) => {
    if (parts.length !== 3 || !isDigits(at(parts, 2), 1, 12)) return null;
    const key = keyWithCheckDigit(parts, 12);
    return key ? `${DL_ROOT}/255/${key}${at(parts, 2)}` : null;
  },
  cpi: (parts) => {
    if (parts.length !== 3 || !isDigits(at(parts, 0), 6, 12) || !CPI_CHARS.test(at(parts, 1)) || !isDigits(at(parts, 2), 1, 12)) return null;
    return `${DL_ROOT}/8010/${at(parts, 0)}${at(parts, 1)}/8011/${at(parts, 2)}`;
  },
  ginc: (parts) => {
    const ref = restFrom(parts, 1);
    if (!isDigits(at(parts, 0), 6, 12) || !URN_CHARS.test(ref)) return null;
    return `${DL_ROOT}/401/${at(parts, 0)}${percentEncodeForDigitalLink(ref)}`;
  },
  gsin: (parts) => (parts.length === 2 && splitFixed(at(parts, 0), at(parts, 1), 16) ? `${DL_ROOT}/402/${withCheckDigit(at(parts, 0) + at(parts, 1))}` : null),
  itip: (parts) => {
    if (parts.length < 5 || !isDigits(at(parts, 2), 2) || !isDigits(at(parts, 3), 2)) return null;
    const serial = restFrom(parts, 4);
    const gtin = gtinOf(at(parts, 0), at(parts, 1));
    if (!gtin || !URN_CHARS.test(serial)) return null;
    return `${DL_ROOT}/8006/${gtin}${at(parts, 2)}${at(parts, 3)}/21/${percentEncodeForDigitalLink(serial)}`;
  },
  upui: (parts) => {
    if (parts.length < 3) return null;
    const tpx = restFrom(parts, 2);
    const gtin = gtinOf(at(parts, 0), at(parts, 1));
    return gtin && URN_CHARS.test(tpx) ? `${DL_ROOT}/01/${gtin}/235/${percentEncodeForDigitalLink(tpx)}` : null;
  },
  pgln: (parts) => {
    if (parts.length !== 2) return null;
    const key = keyWithCheckDigit(parts, 12);
    return key ? `${DL_ROOT}/417/${key}` : null;
  },
};

// EPC pattern URIs (urn:epc:idpat:<scheme>:...): only "company.reference.*" identifies one class-level key.
const PATTERN: Readonly<Record<string, (parts: Parts) => string | null>> = {
  sgtin: (parts) => {
    const gtin = parts.length === 3 ? gtinOf(at(parts, 0), at(parts, 1)) : null;
    return gtin ? `${DL_ROOT}/01/${gtin}` : null;
  },
  grai: (parts) => {
    const key = parts.length === 3 ? keyWithCheckDigit(parts, 12, '0') : null;
    return key ? `${DL_ROOT}/8003/${key}` : null;
  },
  gdti: (parts) => {
    const key = parts.length === 3 ? keyWithCheckDigit(parts, 12) : null;
    return key ? `${DL_ROOT}/253/${key}` : null;
  },
  sgcn: (parts) => {
    const key = parts.length === 3 ? keyWithCheckDigit(parts, 12) : null;
    return key ? `${DL_ROOT}/255/${key}` : null;
  },
  cpi: (parts) => {
    if (parts.length !== 3 || !isDigits(at(parts, 0), 6, 12) || !CPI_CHARS.test(at(parts, 1))) return null;
    return `${DL_ROOT}/8010/${at(parts, 0)}${at(parts, 1)}`;
  },
  itip: (parts) => {
    if (parts.length !== 5 || !isDigits(at(parts, 2), 2) || !isDigits(at(parts, 3), 2)) return null;
    const gtin = gtinOf(at(parts, 0), at(parts, 1));
    return gtin ? `${DL_ROOT}/8006/${gtin}${at(parts, 2)}${at(parts, 3)}` : null;
  },
};
const PATTERN_UPUI = PATTERN.sgtin!;

/** The class-level URI of an LGTIN (urn:epc:class:lgtin:company.itemref.lot). */
function lgtinToDigitalLink(scheme: string, parts: Parts): string | null {
  if (scheme !== 'lgtin' || parts.length < 3) return null;
  const lot = restFrom(parts, 2);
  const gtin = gtinOf(at(parts, 0), at(parts, 1));
  return gtin && URN_CHARS.test(lot) ? `${DL_ROOT}/01/${gtin}/10/${percentEncodeForDigitalLink(lot)}` : null;
}

function epcUrnToDigitalLink(uri: string): string | null {
  const m = /^urn:epc:(id|class|idpat):([a-z]+):(.*)$/.exec(uri);
  if (!m) return null;
  const [, kind, scheme, body] = m as unknown as [string, string, string, string];
  const parts = body.split('.');
  if (kind === 'id') return Object.hasOwn(INSTANCE, scheme) ? INSTANCE[scheme]!(parts) : null;
  if (kind === 'class') return lgtinToDigitalLink(scheme, parts);
  if (parts[parts.length - 1] !== '*') return null;
  if (scheme === 'upui') return PATTERN_UPUI(parts);
  return Object.hasOwn(PATTERN, scheme) ? PATTERN[scheme]!(parts) : null;
}

// GS1 DL 1.2 short names that may replace numeric AIs in the path.
const AI_ALIASES: Readonly<Record<string, string>> = {
  gtin: '01', itip: '8006', cpid: '8010', gln: '414', party: '417', gsrnp: '8017', gsrn: '8018',
  gcn: '255', sscc: '00', gdti: '253', ginc: '401', gsin: '402', grai: '8003', giai: '8004',
  cpv: '22', lot: '10', ser: '21',
};

const PRIMARY_KEY_SYNTAX: Readonly<Record<string, RegExp>> = {
  '00': /^\d{18}$/,
  '01': /^\d{14}$/,
  '253': /^\d{13}.{0,17}$/,
  '255': /^\d{13}\d{0,12}$/,
  '401': /^.{1,30}$/,
  '402': /^\d{17}$/,
  '414': /^\d{13}$/,
  '417': /^\d{13}$/,
  '8003': /^\d{14}.{0,16}$/,
  '8004': /^.{1,30}$/,
  '8006': /^\d{18}$/,
  '8010': /^.{1,30}$/,
  '8017': /^\d{18}$/,
  '8018': /^\d{18}$/,
};

// Key qualifiers allowed after each primary key, finest first; only the finest one present is kept
// (rule 18 III). Qualifiers not listed here are dropped when ignorable (cpv) or make the URI non-GS1.
const QUALIFIERS_FINEST_FIRST: Readonly<Record<string, readonly string[]>> = {
  '01': ['21', '10', '235'],
  '8006': ['21', '10'],
  '414': ['254'],
  '8010': ['8011'],
};
const DROPPABLE_QUALIFIERS: Readonly<Record<string, readonly string[]>> = {
  '01': ['22'],
  '8006': ['22'],
};

function padGtin(value: string): string {
  return /^\d{8}$|^\d{12}$|^\d{13}$/.test(value) ? value.padStart(14, '0') : value;
}

function constrainDigitalLink(uri: string): string | null {
  const m = /^https?:\/\/[^/?#]+(\/[^?#]*)(?:\?[^#]*)?(?:#.*)?$/.exec(uri);
  if (!m) return null;
  const segments = (m[1] ?? '').split('/').slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();

  // A DL URI may carry a path prefix before the primary key (DL 1.2 section 4.x), so search for it.
  for (let start = 0; start + 1 < segments.length; start++) {
    const raw = segments[start] ?? '';
    const key = AI_ALIASES[raw] ?? raw;
    const syntax = PRIMARY_KEY_SYNTAX[key];
    if (!syntax) continue;
    const rest = segments.slice(start);
    if (rest.length % 2 !== 0) continue;
    const value = key === '01' ? padGtin(rest[1] ?? '') : (rest[1] ?? '');
    if (!/^\d{4}/.test(value) || !syntax.test(value)) continue;

    const qualifiers = new Map<string, string>();
    let ok = true;
    for (let i = 2; i < rest.length; i += 2) {
      const q = AI_ALIASES[rest[i] ?? ''] ?? rest[i] ?? '';
      const qValue = rest[i + 1] ?? '';
      if ((DROPPABLE_QUALIFIERS[key] ?? []).includes(q)) continue;
      if (!(QUALIFIERS_FINEST_FIRST[key] ?? []).includes(q) || qValue === '' || qualifiers.has(q)) {
        ok = false;
        break;
      }
      qualifiers.set(q, qValue);
    }
    if (!ok) continue;
    let out = `${DL_ROOT}/${key}/${value}`;
    const finest = (QUALIFIERS_FINEST_FIRST[key] ?? []).find((q) => qualifiers.has(q));
    if (finest) out += `/${finest}/${qualifiers.get(finest)}`;
    return out;
  }
  return null;
}

/**
 * The constrained canonical GS1 Digital Link form of an EPC URI, EPC Class URI, EPC Pattern URI
 * or GS1 Digital Link URI; null when the value is none of those (it is then hashed as-is).
 */
export function toHashDigitalLink(value: string): string | null {
  if (value.startsWith('urn:epc:')) return epcUrnToDigitalLink(value);
  if (value.startsWith('http://') || value.startsWith('https://')) return constrainDigitalLink(value);
  return null;
}
