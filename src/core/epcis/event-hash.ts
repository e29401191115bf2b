// CBV 2.0 EPCIS Event Hash ID (CBV 2.0 section 8.9; reference implementation and algorithm description:
// github.com/RalphTro/epcis-event-hash-generator, ALGORITHM-README.md). Pure: no I/O.
//
// Where the README's property table and the published vectors disagree, the vectors win:
//  - `certificationInfo` is hashed right after `eventTimeZoneOffset`;
//  - `bizTransactionList`, `sourceList`, `destinationList`, `ilmd` and user extensions form one tail
//    sorted lexically by their rendered strings (so destinationList precedes sourceList, as in the
//    vectors), after `sensorElementList`; this is also how the reference implementation behaves;
//  - `eventID`, `recordTime` and `errorDeclaration` never take part (an error declaration must keep
//    the hash of the event it corrects);
//  - comments and a document's declared ignore-fields never take part either (event-hash-declarations.ts).

import { sha256, toHex } from '../crypto/index.js';
import { toHashDigitalLink } from './event-hash-dl.js';
import { declaredIgnoreFields, isCommentKey, type EventHashOptions } from './event-hash-declarations.js';
import {
  BIZ_STEP_TERMS,
  BIZ_TRANSACTION_TYPE_TERMS,
  CBV_BASE,
  COMPONENT_TERMS,
  DISPOSITION_TERMS,
  GS1_VOC_BASE,
  MEASUREMENT_TYPE_TERMS,
  SENSOR_ALERT_TERMS,
  SOURCE_DEST_TYPE_TERMS,
} from './cbv-vocabulary.js';

export const EVENT_HASH_VERSION = 'CBV2.0';
export type { EventHashOptions } from './event-hash-declarations.js';

type JsonObject = Record<string, unknown>;
type Namespaces = ReadonlyMap<string, string>;

interface Vocabulary {
  readonly terms: ReadonlySet<string>;
  readonly base: string;
}

const BIZ_STEP: Vocabulary = { terms: BIZ_STEP_TERMS, base: `${CBV_BASE}BizStep-` };
const DISPOSITION: Vocabulary = { terms: DISPOSITION_TERMS, base: `${CBV_BASE}Disp-` };
const BTT: Vocabulary = { terms: BIZ_TRANSACTION_TYPE_TERMS, base: `${CBV_BASE}BTT-` };
const SDT: Vocabulary = { terms: SOURCE_DEST_TYPE_TERMS, base: `${CBV_BASE}SDT-` };
const MEASUREMENT: Vocabulary = { terms: MEASUREMENT_TYPE_TERMS, base: GS1_VOC_BASE };
const SENSOR_ALERT: Vocabulary = { terms: SENSOR_ALERT_TERMS, base: GS1_VOC_BASE };
const COMPONENT: Vocabulary = { terms: COMPONENT_TERMS, base: `${CBV_BASE}Comp-` };

// Prefixes declared by the standard EPCIS 2.0.0 context; a document's own @context may override them.
const STANDARD_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['epcis', 'https://ref.gs1.org/epcis/'],
  ['cbv', CBV_BASE],
  ['cbvmda', 'urn:epcglobal:cbv:mda:'],
  ['gs1', GS1_VOC_BASE],
];
const GS1_VOCABULARY_IRIS = new Set(['https://ref.gs1.org/epcis/', CBV_BASE, GS1_VOC_BASE, 'https://ref.gs1.org/voc/']);

// Rule 14: legacy CBV 1.x URNs map to CBV 2.0 Web URIs.
const CBV_URN_TO_WEB: ReadonlyArray<readonly [string, string]> = [
  ['urn:epcglobal:cbv:bizstep:', `${CBV_BASE}BizStep-`],
  ['urn:epcglobal:cbv:disp:', `${CBV_BASE}Disp-`],
  ['urn:epcglobal:cbv:btt:', `${CBV_BASE}BTT-`],
  ['urn:epcglobal:cbv:sdt:', `${CBV_BASE}SDT-`],
  ['urn:epcglobal:cbv:er:', `${CBV_BASE}ER-`],
];

const EXCLUDED_EVENT_FIELDS = new Set(['@context', 'type', 'eventID', 'recordTime', 'errorDeclaration']);

/** Rules 10-12: case-sensitive ordering by Unicode code point (= UTF-8 byte order), not UTF-16 units. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate && !ySurrogate && y >= 0xe000) return 1;
    if (ySurrogate && !xSurrogate && x >= 0xe000) return -1;
    return x - y;
  }
  return a.length - b.length;
}

function sortedJoin(parts: string[]): string {
  return parts.sort(compareCodePoints).join('');
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Namespace prefixes usable for CURIE expansion: standard ones, then those declared in @context. */
export function namespacesOfContext(...contexts: unknown[]): Map<string, string> {
  const map = new Map<string, string>(STANDARD_PREFIXES);
  const visit = (ctx: unknown): void => {
    if (Array.isArray(ctx)) {
      ctx.forEach(visit);
    } else if (isObject(ctx)) {
      for (const [prefix, iri] of Object.entries(ctx)) {
        if (prefix.startsWith('@')) continue;
        if (typeof iri === 'string' && !iri.startsWith('@')) map.set(prefix, iri);
        else if (isObject(iri) && typeof iri['@id'] === 'string' && iri['@prefix'] === true) map.set(prefix, iri['@id']);
      }
    }
    // Strings are remote context URLs; only the standard one is assumed (STANDARD_PREFIXES).
  };
  contexts.forEach(visit);
  return map;
}

function splitCurie(text: string): [string, string] | null {
  const i = text.indexOf(':');
  if (i <= 0) return null;
  const suffix = text.slice(i + 1);
  if (suffix.startsWith('//')) return null; // an absolute IRI, not a compact one
  return [text.slice(0, i), suffix];
}

/** Rules 19/20: a prefixed key becomes "{namespace}localName". */
function expandKey(key: string, ns: Namespaces): string {
  const curie = splitCurie(key);
  if (curie) {
    const iri = ns.get(curie[0]);
    if (iri !== undefined) return `{${iri}}${curie[1]}`;
  }
  return key;
}

/**
 * Python-compatible numeric rendering (the reference implementation): integral values without
 * fraction, otherwise the shortest round-trip digits, exponent form below 1e-4.
 */
function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return BigInt(n).toString();
  const [mantissa, exponentText] = n.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4) return `${mantissa}e-${String(-exponent).padStart(2, '0')}`;
  return String(n);
}

const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * Rules 8/9: UTC, 'Z', exactly three fraction digits, the third rounded up when the fourth is 5-9.
 * Returns null when the text is not an ISO 8601 date-time with an offset.
 */
export function normaliseTimestamp(text: string): string | null {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone = 'Z'] = m as unknown as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 24 || minute > 59 || second > 59) return null;
  if (hour === 24 && (minute !== 0 || second !== 0 || /[1-9]/.test(fraction))) return null;
  let millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  if ((fraction[3] ?? '0') >= '5') millis += 1;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 14 || om > 59) return null;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null; // e.g. 02-30
  date.setUTCHours(hour, minute, second, 0);
  const utc = new Date(date.getTime() + millis - offsetMinutes * 60_000);
  return Number.isNaN(utc.getTime()) ? null : utc.toISOString();
}

interface ValueOptions {
  readonly vocabulary?: Vocabulary;
  /** Standard EPCIS fields expand any declared prefix; user extension values only GS1 vocabulary ones. */
  readonly extension?: boolean;
  readonly timestamp?: boolean;
}

/** Rules 5, 6, 7, 14-18: canonical text of one value; '' when there is nothing to hash. */
function canonicalValue(raw: unknown, ns: Namespaces, options: ValueOptions = {}): string {
  if (typeof raw === 'boolean') return raw ? 'true' : 'false';
  if (typeof raw === 'number') return formatNumber(raw);
  if (typeof raw !== 'string') return '';
  let text = raw.trim();
  if (text === '') return '';
  if (options.timestamp) return normaliseTimestamp(text) ?? text;

  if (options.vocabulary?.terms.has(text)) return options.vocabulary.base + text;
  const curie = splitCurie(text);
  if (curie) {
    const iri = ns.get(curie[0]);
    if (iri !== undefined && (!options.extension || GS1_VOCABULARY_IRIS.has(iri))) text = iri + curie[1];
  }
  for (const [urn, web] of CBV_URN_TO_WEB) {
    if (text.startsWith(urn)) {
      text = web + text.slice(urn.length);
      break;
    }
  }
  if (NUMERIC_TEXT.test(text)) return formatNumber(Number(text));
  return toHashDigitalLink(text) ?? text;
}

/** "name=value" for each non-empty value (arrays give one entry each, sorted by the caller). */
function keyValues(name: string, value: unknown, ns: Namespaces, options: ValueOptions = {}): string[] {
  const out: string[] = [];
  for (const item of asArray(value)) {
    const text = canonicalValue(item, ns, options);
    if (text !== '') out.push(`${name}=${text}`);
  }
  return out;
}

/** Keys that are never hashed inside a structure: its own @context, and comments. */
function isUnhashedKey(key: string, ns: Namespaces): boolean {
  return key === '@context' || isCommentKey(key, (k) => expandKey(k, ns));
}

/**
 * Rules 19/20: user extension elements, recursively, each level sorted. An element with both
 * children (or XML attributes) and text carries the text under "#text", hashed as the element's
 * own value, as the reference generator's JSON reader does.
 */
function extensionEntries(key: string, value: unknown, ns: Namespaces): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((item) => extensionEntries(key, item, ns));
  const name = expandKey(key, ns);
  if (isObject(value)) {
    const children = Object.entries(value)
      .filter(([k]) => k !== '#text' && !isUnhashedKey(k, ns))
      .flatMap(([k, v]) => extensionEntries(k, v, ns));
    const text = canonicalValue(value['#text'], ns, { extension: true });
    return [name + (text === '' ? '' : `=${text}`) + sortedJoin(children)];
  }
  const text = canonicalValue(value, ns, { extension: true });
  return [text === '' ? name : `${name}=${text}`];
}

/** Rule 21: extensions inside a standard structure go after its regular fields, sorted. */
function trailingExtensions(obj: JsonObject, regularFields: ReadonlySet<string>, ns: Namespaces): string {
  const entries = Object.entries(obj)
    .filter(([k]) => !regularFields.has(k) && !isUnhashedKey(k, ns))
    .flatMap(([k, v]) => extensionEntries(k, v, ns));
  return sortedJoin(entries);
}

function listSection(name: string, elements: string[]): string {
  const nonEmpty = elements.filter((e) => e !== '');
  return nonEmpty.length === 0 ? '' : name + sortedJoin(nonEmpty);
}

function epcListSection(name: string, value: unknown, ns: Namespaces): string {
  return listSection(name, keyValues('epc', asArray(value), ns));
}

const QUANTITY_FIELDS = new Set(['epcClass', 'quantity', 'uom']);

function quantityListSection(name: string, value: unknown, ns: Namespaces): string {
  const elements = asArray(value).filter(isObject).map((q) => {
    const body =
      keyValues('epcClass', q['epcClass'], ns).join('') +
      keyValues('quantity', q['quantity'], ns).join('') +
      keyValues('uom', q['uom'], ns).join('') +
      trailingExtensions(q, QUANTITY_FIELDS, ns);
    return body === '' ? '' : 'quantityElement' + body;
  });
  return listSection(name, elements);
}

function locationSection(name: string, value: unknown, ns: Namespaces): string {
  const location = typeof value === 'string' ? { id: value } : value;
  if (!isObject(location)) return '';
  const body = keyValues('id', location['id'], ns).join('') + trailingExtensions(location, ID_FIELD, ns);
  return body === '' ? '' : name + body;
}
const ID_FIELD = new Set(['id']);

function persistentDispositionSection(value: unknown, ns: Namespaces): string {
  if (!isObject(value)) return '';
  const body =
    sortedJoin(keyValues('set', value['set'], ns, { vocabulary: DISPOSITION })) +
    sortedJoin(keyValues('unset', value['unset'], ns, { vocabulary: DISPOSITION })) +
    trailingExtensions(value, new Set(['set', 'unset']), ns);
  return body === '' ? '' : 'persistentDisposition' + body;
}

/** Rule 13: the type attribute precedes the value; whole elements are then sorted. */
function typedListSection(listName: string, valueField: string, vocabulary: Vocabulary, value: unknown, ns: Namespaces): string {
  const regular = new Set(['type', valueField]);
  const elements = asArray(value).map((element) => {
    if (typeof element === 'string') return keyValues(valueField, element, ns).join('');
    if (!isObject(element)) return '';
    return (
      keyValues('type', element['type'], ns, { vocabulary }).join('') +
      keyValues(valueField, element[valueField], ns).join('') +
      trailingExtensions(element, regular, ns)
    );
  });
  return listSection(listName, elements);
}

const SENSOR_METADATA_ORDER: ReadonlyArray<readonly [string, ValueOptions]> = [
  ['time', { timestamp: true }],
  ['startTime', { timestamp: true }],
  ['endTime', { timestamp: true }],
  ['deviceID', {}],
  ['deviceMetadata', {}],
  ['rawData', {}],
  ['dataProcessingMethod', {}],
  ['bizRules', {}],
];

const SENSOR_REPORT_ORDER: ReadonlyArray<readonly [string, ValueOptions]> = [
  ['type', { vocabulary: MEASUREMENT }],
  ['exception', { vocabulary: SENSOR_ALERT }],
  ['deviceID', {}],
  ['deviceMetadata', {}],
  ['rawData', {}],
  ['dataProcessingMethod', {}],
  ['time', { timestamp: true }],
  ['microorganism', {}],
  ['chemicalSubstance', {}],
  ['value', {}],
  ['component', { vocabulary: COMPONENT }],
  ['stringValue', {}],
  ['booleanValue', {}],
  ['hexBinaryValue', {}],
  ['uriValue', {}],
  ['minValue', {}],
  ['maxValue', {}],
  ['meanValue', {}],
  ['sDev', {}],
  ['percRank', {}],
  ['percValue', {}],
  ['uom', {}],
  ['coordinateReferenceSystem', {}],
];

function orderedFields(obj: JsonObject, order: ReadonlyArray<readonly [string, ValueOptions]>, ns: Namespaces): string {
  const regular = new Set(order.map(([k]) => k));
  let body = '';
  for (const [field, options] of order) body += sortedJoin(keyValues(field, obj[field], ns, options));
  return body + trailingExtensions(obj, regular, ns);
}

function sensorElementListSection(value: unknown, ns: Namespaces): string {
  const elements = asArray(value).filter(isObject).map((element) => {
    let body = '';
    if (isObject(element['sensorMetadata'])) {
      const meta = orderedFields(element['sensorMetadata'], SENSOR_METADATA_ORDER, ns);
      if (meta !== '') body += 'sensorMetadata' + meta;
    }
    const reports = asArray(element['sensorReport'])
      .filter(isObject)
      .map((report) => orderedFields(report, SENSOR_REPORT_ORDER, ns))
      .filter((r) => r !== '')
      .map((r) => 'sensorReport' + r);
    body += sortedJoin(reports);
    body += trailingExtensions(element, new Set(['sensorMetadata', 'sensorReport']), ns);
    return body === '' ? '' : 'sensorElement' + body;
  });
  return listSection('sensorElementList', elements);
}

function ilmdSection(value: unknown, ns: Namespaces): string {
  if (!isObject(value)) return '';
  const body = trailingExtensions(value, new Set(), ns);
  return body === '' ? '' : 'ilmd' + body;
}

/**
 * The CBV 2.0 pre-hash string of one EPCIS event (JSON/JSON-LD form). `context` is the enclosing
 * document's `@context`, needed to expand namespace prefixes of user extensions; an event's own
 * `@context` is honoured as well. `options.ignoreFields` are the document's declared ignore-fields.
 */
export function eventPreHashString(event: JsonObject, context?: unknown, options: EventHashOptions = {}): string {
  const ns = namespacesOfContext(context, event['@context']);
  const used = new Set<string>(EXCLUDED_EVENT_FIELDS);
  const ignored = new Set((options.ignoreFields ?? []).map((name) => expandKey(name, ns)));
  for (const key of Object.keys(event)) {
    if (isUnhashedKey(key, ns) || ignored.has(expandKey(key, ns))) used.add(key);
  }
  const field = (key: string): unknown => {
    used.add(key);
    return event[key];
  };
  const scalar = (key: string, options: ValueOptions = {}): string => sortedJoin(keyValues(key, field(key), ns, options));

  const head = [
    `eventType=${typeof event['type'] === 'string' ? event['type'].trim() : ''}`,
    scalar('eventTime', { timestamp: true }),
    scalar('eventTimeZoneOffset'),
    scalar('certificationInfo'),
    epcListSection('epcList', field('epcList'), ns),
    scalar('parentID'),
    epcListSection('inputEPCList', field('inputEPCList'), ns),
    epcListSection('childEPCs', field('childEPCs'), ns),
    quantityListSection('quantityList', field('quantityList'), ns),
    quantityListSection('childQuantityList', field('childQuantityList'), ns),
    quantityListSection('inputQuantityList', field('inputQuantityList'), ns),
    epcListSection('outputEPCList', field('outputEPCList'), ns),
    quantityListSection('outputQuantityList', field('outputQuantityList'), ns),
    scalar('action'),
    scalar('transformationID'),
    scalar('bizStep', { vocabulary: BIZ_STEP }),
    scalar('disposition', { vocabulary: DISPOSITION }),
    persistentDispositionSection(field('persistentDisposition'), ns),
    locationSection('readPoint', field('readPoint'), ns),
    locationSection('bizLocation', field('bizLocation'), ns),
    sensorElementListSection(field('sensorElementList'), ns),
  ];

  const tail = [
    typedListSection('bizTransactionList', 'bizTransaction', BTT, field('bizTransactionList'), ns),
    typedListSection('sourceList', 'source', SDT, field('sourceList'), ns),
    typedListSection('destinationList', 'destination', SDT, field('destinationList'), ns),
    ilmdSection(field('ilmd'), ns),
  ];
  for (const [key, value] of Object.entries(event)) {
    if (!used.has(key)) tail.push(...extensionEntries(key, value, ns));
  }
  return head.join('') + sortedJoin(tail.filter((t) => t !== ''));
}

/** `ni:///sha-256;<hex>?ver=CBV2.0` (RFC 6920 named information URI) of an event. */
export function eventHashId(event: JsonObject, context?: unknown, options: EventHashOptions = {}): string {
  const digest = sha256(new TextEncoder().encode(eventPreHashString(event, context, options)));
  return `ni:///sha-256;${toHex(digest)}?ver=${EVENT_HASH_VERSION}`;
}

const EVENT_TYPES = new Set(['ObjectEvent', 'AggregationEvent', 'TransformationEvent', 'TransactionEvent', 'AssociationEvent']);

function documentEvents(doc: JsonObject): unknown[] {
  if (typeof doc['type'] === 'string' && EVENT_TYPES.has(doc['type'])) return [doc];
  const body = doc['epcisBody'];
  if (!isObject(body)) return [];
  if (Array.isArray(body['eventList'])) return body['eventList'];
  if (isObject(body['event'])) return [body['event']];
  const results = body['queryResults'];
  if (isObject(results) && isObject(results['resultsBody']) && Array.isArray(results['resultsBody']['eventList'])) {
    return results['resultsBody']['eventList'];
  }
  return [];
}

/**
 * The hash options a document declares for all its events (its ignore-fields); pass them to
 * eventHashId when hashing that document's events one by one. Throws EventHashDeclarationError when
 * the declaration names standard fields.
 */
export function eventHashOptionsOfDocument(doc: JsonObject): EventHashOptions {
  const ignoreFields = declaredIgnoreFields(doc, namespacesOfContext(doc['@context']));
  return ignoreFields.length === 0 ? {} : { ignoreFields };
}

/** Hash IDs of every event of an EPCISDocument (or EPCISQueryDocument, or a lone event), in document order. */
export function eventHashIdsOfDocument(doc: JsonObject): string[] {
  const context = doc['@context'];
  const options = eventHashOptionsOfDocument(doc);
  return documentEvents(doc).map((event) => eventHashId(isObject(event) ? event : {}, context, options));
}

/** Pre-hash strings of every event of a document, in document order (for diagnostics and tests). */
export function eventPreHashStringsOfDocument(doc: JsonObject): string[] {
  const context = doc['@context'];
  const options = eventHashOptionsOfDocument(doc);
  return documentEvents(doc).map((event) => eventPreHashString(isObject(event) ? event : {}, context, options));
}
