// One JSON-LD EPCIS event -> its EPCIS 2.0 XML element, children in the order of the event type's
// XSD sequence, user extensions after the standard fields (EPCIS 2.0 section 9.4). Pure.
// What the XML binding has no place for is refused (EPCIS_XML_NOT_REPRESENTABLE), never dropped.

import { STANDARD_EVENT_FIELDS } from '../event-hash-declarations.js';
import { extensionElements, extensionsOf, notRepresentable, type NamespaceWriter } from './xml-extension-writer.js';
import { element, textElement, xmlText, type XmlNodeOut } from './xml-writer.js';
import {
  EPC_LIST_FIELDS,
  EVENT_BODY_ORDER,
  EVENT_HEAD,
  QUANTITY_LIST_FIELDS,
  SENSOR_METADATA_ATTRIBUTES,
  SENSOR_REPORT_ATTRIBUTES,
  SENSOR_REPORT_VOCABULARY,
  TEXT_FIELDS,
  toXmlTerm,
  VOCABULARIES,
  type StandardVocabulary,
} from './xml-vocabulary.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, path: string): string {
  if (typeof value === 'string') return xmlText(value, path);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw notRepresentable('expected text', path);
}

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw notRepresentable('expected a list', path);
  return value;
}

function object(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw notRepresentable('expected an object', path);
  return value;
}

function refuseOthers(obj: JsonObject, allowed: readonly string[], path: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw notRepresentable(`the XML binding has no place for ${extra.join(', ')}`, path, { fields: extra });
}

/** xsd:decimal text (no exponent), as quantity requires. */
export function decimalText(n: number, path: string): string {
  if (!Number.isFinite(n)) throw notRepresentable('quantity is not a finite number', path);
  const plain = String(n);
  if (!/e/i.test(plain)) return plain;
  const [mantissa = '', exponentText = '0'] = plain.toLowerCase().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const [whole = '', fraction = ''] = mantissa.replace('-', '').split('.');
  const digits = whole + fraction;
  const point = whole.length + exponent;
  const body = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (negative ? '-' : '') + body;
}

function quantityElement(value: unknown, path: string): XmlNodeOut {
  const q = object(value, path);
  refuseOthers(q, ['epcClass', 'quantity', 'uom'], path);
  const children = [textElement('epcClass', text(q['epcClass'], `${path}.epcClass`))];
  if (q['quantity'] !== undefined) {
    if (typeof q['quantity'] !== 'number') throw notRepresentable('quantity is not a number', `${path}.quantity`);
    children.push(textElement('quantity', decimalText(q['quantity'], `${path}.quantity`)));
  }
  if (q['uom'] !== undefined && q['quantity'] === undefined) throw notRepresentable('the XML binding has no uom without a quantity', `${path}.uom`);
  if (q['uom'] !== undefined) children.push(textElement('uom', text(q['uom'], `${path}.uom`)));
  return element('quantityElement', children);
}

function location(name: string, value: unknown, ns: NamespaceWriter, path: string): XmlNodeOut {
  const loc = typeof value === 'string' ? { id: value } : object(value, path);
  return element(name, [textElement('id', text(loc['id'], `${path}.id`)), ...extensionsOf(loc, new Set(['id']), ns, path)]);
}

function typedList(listName: string, itemName: string, vocabulary: StandardVocabulary, value: unknown, path: string): XmlNodeOut {
  const items = list(value, path).map((item, i) => {
    const entry = object(item, `${path}[${i}]`);
    refuseOthers(entry, ['type', itemName], `${path}[${i}]`);
    const attributes: [string, string][] = entry['type'] === undefined ? [] : [['type', toXmlTerm(text(entry['type'], `${path}[${i}].type`), vocabulary)]];
    return textElement(itemName, text(entry[itemName], `${path}[${i}].${itemName}`), attributes);
  });
  return element(listName, items);
}

function attributeText(name: string, value: unknown, path: string): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const vocabulary = SENSOR_REPORT_VOCABULARY[name];
  const raw = text(value, path);
  return vocabulary ? toXmlTerm(raw, vocabulary) : raw;
}

function sensorAttributes(name: string, value: unknown, standard: ReadonlySet<string>, ns: NamespaceWriter, path: string): XmlNodeOut {
  const obj = object(value, path);
  const attributes: [string, string][] = [];
  for (const [key, v] of Object.entries(obj)) {
    if (standard.has(key)) attributes.push([key, attributeText(key, v, `${path}.${key}`)]);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attributes.push([ns.qname(key, `${path}.${key}`), String(v)]);
    else throw notRepresentable(`${key} is not a text, number or boolean, so it cannot be an XML attribute of ${name}`, `${path}.${key}`);
  }
  return element(name, [], attributes);
}

function sensorElement(value: unknown, ns: NamespaceWriter, path: string): XmlNodeOut {
  const obj = object(value, path);
  const children: XmlNodeOut[] = [];
  if (obj['sensorMetadata'] !== undefined) children.push(sensorAttributes('sensorMetadata', obj['sensorMetadata'], SENSOR_METADATA_ATTRIBUTES, ns, `${path}.sensorMetadata`));
  list(obj['sensorReport'] ?? [], `${path}.sensorReport`).forEach((report, i) => {
    children.push(sensorAttributes('sensorReport', report, SENSOR_REPORT_ATTRIBUTES, ns, `${path}.sensorReport[${i}]`));
  });
  return element('sensorElement', [...children, ...extensionsOf(obj, new Set(['sensorMetadata', 'sensorReport']), ns, path)]);
}

function persistentDisposition(value: unknown, path: string): XmlNodeOut {
  const obj = object(value, path);
  refuseOthers(obj, ['set', 'unset'], path);
  const terms = (key: string) => list(obj[key] ?? [], `${path}.${key}`).map((v, i) => textElement(key, toXmlTerm(text(v, `${path}.${key}[${i}]`), VOCABULARIES.disposition)));
  return element('persistentDisposition', [...terms('unset'), ...terms('set')]);
}

function errorDeclaration(value: unknown, ns: NamespaceWriter, path: string): XmlNodeOut {
  const obj = object(value, path);
  const children: XmlNodeOut[] = [];
  if (obj['declarationTime'] !== undefined) children.push(textElement('declarationTime', text(obj['declarationTime'], `${path}.declarationTime`)));
  if (obj['reason'] !== undefined) children.push(textElement('reason', toXmlTerm(text(obj['reason'], `${path}.reason`), VOCABULARIES.errorReason)));
  if (obj['correctiveEventIDs'] !== undefined) {
    const ids = list(obj['correctiveEventIDs'], `${path}.correctiveEventIDs`).map((id, i) => textElement('correctiveEventID', text(id, `${path}.correctiveEventIDs[${i}]`)));
    children.push(element('correctiveEventIDs', ids));
  }
  return element('errorDeclaration', [...children, ...extensionsOf(obj, new Set(['declarationTime', 'reason', 'correctiveEventIDs']), ns, path)]);
}

function textField(field: string, value: unknown, path: string): XmlNodeOut[] {
  if (field !== 'certificationInfo' || !Array.isArray(value)) return [textElement(field, text(value, path))];
  if (value.length > 1) throw notRepresentable('the XML binding carries one certificationInfo per event', path, { count: value.length });
  return value.map((v, i) => textElement(field, text(v, `${path}[${i}]`)));
}

/** XML elements of one standard field of an event. */
function fieldElements(field: string, value: unknown, ns: NamespaceWriter, path: string): XmlNodeOut[] {
  if (TEXT_FIELDS.has(field)) return textField(field, value, path);
  if (EPC_LIST_FIELDS.has(field)) return [element(field, list(value, path).map((epc, i) => textElement('epc', text(epc, `${path}[${i}]`))))];
  if (QUANTITY_LIST_FIELDS.has(field)) return [element(field, list(value, path).map((q, i) => quantityElement(q, `${path}[${i}]`)))];
  switch (field) {
    case 'bizStep':
      return [textElement(field, toXmlTerm(text(value, path), VOCABULARIES.bizStep))];
    case 'disposition':
      return [textElement(field, toXmlTerm(text(value, path), VOCABULARIES.disposition))];
    case 'readPoint':
    case 'bizLocation':
      return [location(field, value, ns, path)];
    case 'bizTransactionList':
      return [typedList(field, 'bizTransaction', VOCABULARIES.bizTransactionType, value, path)];
    case 'sourceList':
      return [typedList(field, 'source', VOCABULARIES.sourceDestType, value, path)];
    case 'destinationList':
      return [typedList(field, 'destination', VOCABULARIES.sourceDestType, value, path)];
    case 'sensorElementList':
      return [element(field, list(value, path).map((e, i) => sensorElement(e, ns, `${path}[${i}]`)))];
    case 'persistentDisposition':
      return [persistentDisposition(value, path)];
    case 'errorDeclaration':
      return [errorDeclaration(value, ns, path)];
    case 'ilmd':
      return [element(field, extensionsOf(object(value, path), new Set(), ns, path))];
    default:
      throw notRepresentable(`unknown standard field ${field}`, path);
  }
}

/** The XML element of one JSON-LD event; `path` names it in errors (e.g. "epcisBody.eventList[3]"). */
export function eventToXml(event: JsonObject, ns: NamespaceWriter, path: string): XmlNodeOut {
  const type = event['type'];
  const body = typeof type === 'string' ? EVENT_BODY_ORDER[type] : undefined;
  if (!body) throw notRepresentable(`event type ${JSON.stringify(type)} has no EPCIS 2.0 XML element`, `${path}.type`);
  const order = [...EVENT_HEAD, ...body];
  const children: XmlNodeOut[] = [];
  for (const field of order) {
    if (event[field] !== undefined) children.push(...fieldElements(field, event[field], ns, `${path}.${field}`));
  }
  for (const [key, value] of Object.entries(event)) {
    if (key === 'type' || key === '@context' || order.includes(key)) continue;
    if (STANDARD_EVENT_FIELDS.has(key)) throw notRepresentable(`a ${String(type)} has no ${key} in the XML binding`, `${path}.${key}`);
    if (!key.includes(':')) throw notRepresentable(`"${key}" is neither a standard field nor a prefixed extension`, `${path}.${key}`);
    children.push(...extensionElements(key, value, ns, `${path}.${key}`));
  }
  return element(String(type), children);
}
