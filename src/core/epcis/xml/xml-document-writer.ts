// JSON-LD EPCISDocument / EPCISQueryDocument -> EPCIS 2.0 XML (the inverse of
// xml-document-reader.ts; see there for the document-level mapping). Pure: a value in, text out.

import { IGNORE_FIELDS_LOCAL_NAME, IGNORE_FIELDS_NAMESPACE } from '../event-hash-declarations.js';
import { extensionElements, NamespaceWriter, notRepresentable, prefixesOfContext } from './xml-extension-writer.js';
import { eventToXml } from './xml-event-writer.js';
import { element, serialiseXml, textElement, type XmlNodeOut } from './xml-writer.js';
import { EPCIS_NS, EPCIS_QUERY_NS, SBDH_NS } from './xml-vocabulary.js';

type JsonObject = Record<string, unknown>;

const DOCUMENT_FIELDS = new Set(['@context', 'type', 'schemaVersion', 'creationDate', 'id', 'instanceIdentifier', 'sender', 'receiver', 'epcisHeader', 'epcisBody']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asText(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw notRepresentable('expected text', path);
}

function events(value: unknown, ns: NamespaceWriter, path: string): XmlNodeOut {
  if (!Array.isArray(value)) throw notRepresentable('eventList is not a list', path);
  return element('EventList', value.map((event, i) => {
    if (!isObject(event)) throw notRepresentable('an event is not an object', `${path}[${i}]`);
    return eventToXml(event, ns, `${path}[${i}]`);
  }));
}

function vocabularyElement(value: unknown, ns: NamespaceWriter, path: string): XmlNodeOut {
  if (!isObject(value)) throw notRepresentable('a vocabulary element is not an object', path);
  const children: XmlNodeOut[] = [];
  const attributes = Array.isArray(value['attributes']) ? value['attributes'] : [];
  attributes.forEach((attribute: unknown, i) => {
    const a = isObject(attribute) ? attribute : {};
    const id: [string, string] = ['id', asText(a['id'], `${path}.attributes[${i}].id`)];
    const v = a['attribute'];
    if (isObject(v)) children.push(element('attribute', Object.entries(v).flatMap(([k, x]) => extensionElements(k, x, ns, `${path}.attributes[${i}].attribute.${k}`)), [id]));
    else children.push(textElement('attribute', v === undefined ? '' : asText(v, `${path}.attributes[${i}].attribute`), [id]));
  });
  if (Array.isArray(value['children'])) children.push(element('children', value['children'].map((c, i) => textElement('id', asText(c, `${path}.children[${i}]`)))));
  for (const [key, v] of Object.entries(value)) {
    if (!['id', 'attributes', 'children'].includes(key)) children.push(...extensionElements(key, v, ns, `${path}.${key}`));
  }
  return element('VocabularyElement', children, [['id', asText(value['id'], `${path}.id`)]]);
}

function vocabularyList(value: unknown, ns: NamespaceWriter, path: string): XmlNodeOut {
  if (!Array.isArray(value)) throw notRepresentable('vocabularyList is not a list', path);
  return element('VocabularyList', value.map((vocabulary, i) => {
    const v = isObject(vocabulary) ? vocabulary : {};
    const list = Array.isArray(v['vocabularyElementList']) ? v['vocabularyElementList'] : undefined;
    const children = list ? [element('VocabularyElementList', list.map((e, j) => vocabularyElement(e, ns, `${path}[${i}].vocabularyElementList[${j}]`)))] : [];
    return element('Vocabulary', children, [['type', asText(v['type'], `${path}[${i}].type`)]]);
  }));
}

function header(value: unknown, ns: NamespaceWriter, declared: ReadonlyMap<string, string>): XmlNodeOut {
  if (!isObject(value)) throw notRepresentable('epcisHeader is not an object', 'epcisHeader');
  const children: XmlNodeOut[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (key === 'epcisMasterData') continue;
    const prefix = key.split(':')[0] ?? '';
    if (!key.endsWith(':StandardBusinessDocumentHeader') || declared.get(prefix) !== SBDH_NS) {
      throw notRepresentable(`the XML header has no place for ${key}`, `epcisHeader.${key}`);
    }
    children.push(...extensionElements(key, v, ns, `epcisHeader.${key}`));
  }
  const masterData = value['epcisMasterData'];
  if (isObject(masterData)) {
    const list = vocabularyList(masterData['vocabularyList'] ?? [], ns, 'epcisHeader.epcisMasterData.vocabularyList');
    children.push(element('extension', [element('EPCISMasterData', [list])]));
  }
  return element('EPCISHeader', children);
}

/** Extension elements of a document or of query results; an ignore-fields list as empty elements. */
function documentExtensions(holder: JsonObject, skip: ReadonlySet<string>, ns: NamespaceWriter, declared: ReadonlyMap<string, string>, path: string): XmlNodeOut[] {
  return Object.entries(holder).flatMap(([key, value]) => {
    if (skip.has(key)) return [];
    if (!key.includes(':')) throw notRepresentable(`"${key}" is neither a standard field nor a prefixed extension`, `${path}${key}`);
    const [prefix = '', local] = key.split(':');
    if (local === IGNORE_FIELDS_LOCAL_NAME && declared.get(prefix) === IGNORE_FIELDS_NAMESPACE && Array.isArray(value)) {
      const names = value.map((name, i) => element(ns.qname(asText(name, `${path}${key}[${i}]`), `${path}${key}[${i}]`)));
      return [element(ns.qname(key, `${path}${key}`), names)];
    }
    return extensionElements(key, value, ns, `${path}${key}`);
  });
}

function queryBody(body: JsonObject, ns: NamespaceWriter, declared: ReadonlyMap<string, string>): XmlNodeOut {
  const results = body['queryResults'];
  if (!isObject(results)) throw notRepresentable('an EPCISQueryDocument needs epcisBody.queryResults', 'epcisBody.queryResults');
  const children = [textElement('queryName', asText(results['queryName'], 'epcisBody.queryResults.queryName'))];
  if (results['subscriptionID'] !== undefined) children.push(textElement('subscriptionID', asText(results['subscriptionID'], 'epcisBody.queryResults.subscriptionID')));
  const resultsBody = isObject(results['resultsBody']) ? results['resultsBody'] : {};
  const content = resultsBody['vocabularyList'] !== undefined
    ? vocabularyList(resultsBody['vocabularyList'], ns, 'epcisBody.queryResults.resultsBody.vocabularyList')
    : events(resultsBody['eventList'] ?? [], ns, 'epcisBody.queryResults.resultsBody.eventList');
  children.push(element('resultsBody', [content]));
  const skip = new Set(['queryName', 'subscriptionID', 'resultsBody']);
  children.push(...documentExtensions(results, skip, ns, declared, 'epcisBody.queryResults.'));
  return element('EPCISBody', [element('epcisq:QueryResults', children)]);
}

/**
 * The EPCIS 2.0 XML text of a JSON-LD EPCISDocument or EPCISQueryDocument. Throws EpcisXmlError
 * EPCIS_XML_NOT_REPRESENTABLE (with `details.path`, a JSON path) for content the XML binding
 * cannot carry.
 */
export function epcisDocumentToXml(doc: JsonObject, options: { indent?: string } = {}): string {
  const isQuery = doc['type'] === 'EPCISQueryDocument';
  if (!isQuery && doc['type'] !== 'EPCISDocument') throw notRepresentable('type must be EPCISDocument or EPCISQueryDocument', 'type');
  const body = doc['epcisBody'];
  if (!isObject(body)) throw notRepresentable('epcisBody is missing', 'epcisBody');
  const declared = prefixesOfContext(doc['@context']);
  const eventList = isQuery ? (isObject(body['queryResults']) && isObject(body['queryResults']['resultsBody']) ? body['queryResults']['resultsBody']['eventList'] : []) : body['eventList'];
  for (const event of Array.isArray(eventList) ? eventList : []) if (isObject(event)) prefixesOfContext(event['@context'], declared);
  const ns = new NamespaceWriter(declared);

  const attributes: [string, string][] = [];
  for (const name of ['schemaVersion', 'creationDate', 'id', 'instanceIdentifier', 'sender', 'receiver']) {
    if (doc[name] !== undefined) attributes.push([name, asText(doc[name], name)]);
  }
  if (doc['schemaVersion'] === undefined || doc['creationDate'] === undefined) throw notRepresentable('the XML binding requires schemaVersion and creationDate', '(root)');
  const children: XmlNodeOut[] = [];
  if (doc['epcisHeader'] !== undefined) children.push(header(doc['epcisHeader'], ns, declared));
  if (isQuery) children.push(queryBody(body, ns, declared));
  else {
    const bodyExtras = documentExtensions(body, new Set(['eventList']), ns, declared, 'epcisBody.');
    children.push(element('EPCISBody', [events(body['eventList'] ?? [], ns, 'epcisBody.eventList'), ...bodyExtras]));
  }
  children.push(...documentExtensions(doc, DOCUMENT_FIELDS, ns, declared, ''));
  const rootName = isQuery ? 'epcisq:EPCISQueryDocument' : 'epcis:EPCISDocument';
  const rootNamespaces: [string, string][] = isQuery ? [['xmlns:epcisq', EPCIS_QUERY_NS], ['xmlns:epcis', EPCIS_NS]] : [['xmlns:epcis', EPCIS_NS]];
  return serialiseXml(element(rootName, children, [...rootNamespaces, ...ns.declarations(), ...attributes]), options.indent);
}
