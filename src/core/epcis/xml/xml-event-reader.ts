// One EPCIS 2.0 XML event element -> the JSON-LD event the JSON binding would carry (EPCIS 2.0
// sections 7.3-7.4 for the fields, 9 for XML, 10 for JSON-LD). Pure.
//
// Standard fields are unqualified elements. The legacy `<extension>` and `<baseExtension>`
// wrappers (EPCIS 1.x placed quantityList, sourceList, ... and user extensions there) are opened
// and their content read as if it stood in the event. Every other element or attribute in a user
// namespace is a user extension (xml-extensions.ts).

import { xmlError } from './xml-errors.js';
import { addExtensions, addValue, extensionValue, isXsiAttribute, PrefixRegistry } from './xml-extensions.js';
import { qualifiedName, type XmlElement } from './xml-tree.js';
import {
  EPC_LIST_FIELDS,
  EVENT_BODY_ORDER,
  QUANTITY_LIST_FIELDS,
  SENSOR_METADATA_ATTRIBUTES,
  SENSOR_REPORT_ATTRIBUTES,
  SENSOR_REPORT_NUMBERS,
  SENSOR_REPORT_VOCABULARY,
  TEXT_FIELDS,
  toBareTerm,
  VOCABULARIES,
  type StandardVocabulary,
} from './xml-vocabulary.js';

type JsonObject = Record<string, unknown>;

export const XML_EVENT_TYPES: ReadonlySet<string> = new Set(Object.keys(EVENT_BODY_ORDER));
const WRAPPERS = new Set(['extension', 'baseExtension']);

export interface ReadContext {
  readonly prefixes: PrefixRegistry;
}

const text = (element: XmlElement): string => element.text.trim();

function resolverOf(element: XmlElement): (prefix: string) => string | undefined {
  return (prefix) => element.scope[prefix];
}

function term(element: XmlElement, value: string, vocabulary: StandardVocabulary): string {
  return toBareTerm(value, vocabulary, resolverOf(element));
}

/** Children of a standard structure, with `<extension>` wrappers opened. */
export function unwrapped(children: readonly XmlElement[]): XmlElement[] {
  return children.flatMap((child) => (child.uri === '' && WRAPPERS.has(child.local) ? unwrapped(child.children) : [child]));
}

function refuseText(element: XmlElement): void {
  if (text(element) !== '') throw xmlError('EPCIS_XML_INVALID', `${qualifiedName(element)} carries text where EPCIS defines none`, element);
}

function childrenNamed(element: XmlElement, local: string): XmlElement[] {
  return element.children.filter((child) => {
    if (child.uri === '' && child.local === local) return true;
    throw xmlError('EPCIS_XML_INVALID', `unexpected ${qualifiedName(child)} in ${qualifiedName(element)} (expected ${local})`, child);
  });
}

function decimal(element: XmlElement, value: string, what: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n)) throw xmlError('EPCIS_XML_INVALID', `${what} "${value}" is not a finite number`, element);
  return n;
}

function quantityElement(element: XmlElement): JsonObject {
  const out: JsonObject = {};
  for (const child of element.children) {
    if (child.uri !== '' || !['epcClass', 'quantity', 'uom'].includes(child.local)) {
      throw xmlError('EPCIS_XML_INVALID', `unexpected ${qualifiedName(child)} in quantityElement`, child);
    }
    out[child.local] = child.local === 'quantity' ? decimal(child, child.text, 'quantity') : text(child);
  }
  return out;
}

function location(element: XmlElement, context: ReadContext): JsonObject {
  const out: JsonObject = {};
  const extensions: XmlElement[] = [];
  for (const child of unwrapped(element.children)) {
    if (child.uri === '' && child.local === 'id') out['id'] = text(child);
    else extensions.push(child);
  }
  addExtensions(out, extensions, context.prefixes);
  return out;
}

function typedEntry(element: XmlElement, valueKey: string, vocabulary: StandardVocabulary): JsonObject {
  const out: JsonObject = {};
  for (const attribute of element.attributes) {
    if (attribute.uri === '' && attribute.local === 'type') out['type'] = term(element, attribute.value, vocabulary);
    else if (!isXsiAttribute(attribute)) throw xmlError('EPCIS_XML_INVALID', `unexpected attribute ${qualifiedName(attribute)} on ${valueKey}`, element);
  }
  out[valueKey] = text(element);
  return out;
}

function sensorAttributes(element: XmlElement, context: ReadContext, report: boolean): JsonObject {
  refuseText(element);
  const out: JsonObject = {};
  for (const attribute of element.attributes) {
    if (isXsiAttribute(attribute)) continue;
    const name = attribute.local;
    const standard = attribute.uri === '' && (report ? SENSOR_REPORT_ATTRIBUTES : SENSOR_METADATA_ATTRIBUTES).has(name);
    if (!standard) out[context.prefixes.keyOf(attribute)] = attribute.value;
    else if (report && SENSOR_REPORT_NUMBERS.has(name)) out[name] = decimal(element, attribute.value, name);
    else if (report && name === 'booleanValue') out[name] = ['true', '1'].includes(attribute.value.trim());
    else if (report && SENSOR_REPORT_VOCABULARY[name]) out[name] = term(element, attribute.value, SENSOR_REPORT_VOCABULARY[name]!);
    else out[name] = attribute.value.trim();
  }
  return out;
}

function sensorElement(element: XmlElement, context: ReadContext): JsonObject {
  const out: JsonObject = {};
  const reports: JsonObject[] = [];
  const extensions: XmlElement[] = [];
  for (const child of unwrapped(element.children)) {
    if (child.uri === '' && child.local === 'sensorMetadata') out['sensorMetadata'] = sensorAttributes(child, context, false);
    else if (child.uri === '' && child.local === 'sensorReport') reports.push(sensorAttributes(child, context, true));
    else extensions.push(child);
  }
  out['sensorReport'] = reports;
  addExtensions(out, extensions, context.prefixes);
  return out;
}

function persistentDisposition(element: XmlElement): JsonObject {
  const out: Record<string, string[]> = {};
  for (const child of element.children) {
    if (child.uri !== '' || (child.local !== 'set' && child.local !== 'unset')) {
      throw xmlError('EPCIS_XML_INVALID', `unexpected ${qualifiedName(child)} in persistentDisposition`, child);
    }
    (out[child.local] ??= []).push(term(child, text(child), VOCABULARIES.disposition));
  }
  return out;
}

function errorDeclaration(element: XmlElement, context: ReadContext): JsonObject {
  const out: JsonObject = {};
  const extensions: XmlElement[] = [];
  for (const child of unwrapped(element.children)) {
    if (child.uri !== '') extensions.push(child);
    else if (child.local === 'declarationTime') out['declarationTime'] = text(child);
    else if (child.local === 'reason') out['reason'] = term(child, text(child), VOCABULARIES.errorReason);
    else if (child.local === 'correctiveEventIDs') out['correctiveEventIDs'] = childrenNamed(child, 'correctiveEventID').map(text);
    else extensions.push(child);
  }
  addExtensions(out, extensions, context.prefixes);
  return out;
}

/** The JSON value of one standard event field, or undefined when `element` is not one. */
function standardField(element: XmlElement, context: ReadContext): unknown {
  const name = element.local;
  if (TEXT_FIELDS.has(name)) return text(element);
  if (EPC_LIST_FIELDS.has(name)) return childrenNamed(element, 'epc').map(text);
  if (QUANTITY_LIST_FIELDS.has(name)) return childrenNamed(element, 'quantityElement').map(quantityElement);
  switch (name) {
    case 'bizStep':
      return term(element, text(element), VOCABULARIES.bizStep);
    case 'disposition':
      return term(element, text(element), VOCABULARIES.disposition);
    case 'readPoint':
    case 'bizLocation':
      return location(element, context);
    case 'bizTransactionList':
      return childrenNamed(element, 'bizTransaction').map((e) => typedEntry(e, 'bizTransaction', VOCABULARIES.bizTransactionType));
    case 'sourceList':
      return childrenNamed(element, 'source').map((e) => typedEntry(e, 'source', VOCABULARIES.sourceDestType));
    case 'destinationList':
      return childrenNamed(element, 'destination').map((e) => typedEntry(e, 'destination', VOCABULARIES.sourceDestType));
    case 'sensorElementList':
      return childrenNamed(element, 'sensorElement').map((e) => sensorElement(e, context));
    case 'persistentDisposition':
      return persistentDisposition(element);
    case 'errorDeclaration':
      return errorDeclaration(element, context);
    case 'ilmd': {
      const ilmd: JsonObject = {};
      addExtensions(ilmd, unwrapped(element.children), context.prefixes);
      return ilmd;
    }
    default:
      return undefined;
  }
}

/** The JSON-LD form of one XML event element (ObjectEvent, AggregationEvent, ...). */
export function eventFromXml(element: XmlElement, context: ReadContext): JsonObject {
  if (element.uri !== '' || !XML_EVENT_TYPES.has(element.local)) {
    throw xmlError('EPCIS_XML_INVALID', `${qualifiedName(element)} is not an EPCIS 2.0 event`, element);
  }
  const event: JsonObject = { type: element.local };
  for (const attribute of element.attributes) {
    if (!isXsiAttribute(attribute)) addValue(event, context.prefixes.keyOf(attribute), attribute.value);
  }
  for (const child of unwrapped(element.children)) {
    const value = child.uri === '' ? standardField(child, context) : undefined;
    if (value === undefined) addValue(event, context.prefixes.keyOf(child), extensionValue(child, context.prefixes));
    else if (child.local in event) throw xmlError('EPCIS_XML_INVALID', `${child.local} appears twice in one event`, child);
    else event[child.local] = value;
  }
  return event;
}
