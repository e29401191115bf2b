// EPCIS 2.0 XML documents -> the JSON-LD documents the JSON binding carries (EPCIS 2.0 sections 9
// and 10): EPCISDocument and EPCISQueryDocument (query results). Pure: text or bytes in, value out.
//
// Document level: schemaVersion and creationDate are attributes in XML. JSON's `id`,
// `instanceIdentifier`, `sender` and `receiver` have no XML element; Provenant reads and writes them
// as unqualified attributes of the root (which the XSD's anyAttribute admits). `xsi:schemaLocation`
// is not kept. The header's master data becomes `epcisHeader.epcisMasterData.vocabularyList`; its
// Standard Business Document Header and anything else become extension keys.

import { IGNORE_FIELDS_LOCAL_NAME, IGNORE_FIELDS_NAMESPACE } from '../event-hash-declarations.js';
import { xmlError } from './xml-errors.js';
import { addExtensions, addValue, extensionValue, isXsiAttribute, PrefixRegistry } from './xml-extensions.js';
import { eventFromXml, unwrapped, type ReadContext } from './xml-event-reader.js';
import { parseXmlTree, qualifiedName, type XmlElement, type XmlLimits } from './xml-tree.js';
import { EPCIS_CONTEXT_URL, EPCIS_NS, EPCIS_QUERY_NS } from './xml-vocabulary.js';

type JsonObject = Record<string, unknown>;

/** Root attributes that carry JSON document fields (see the file comment). */
export const DOCUMENT_ATTRIBUTES = ['schemaVersion', 'creationDate', 'id', 'instanceIdentifier', 'sender', 'receiver'] as const;

function isLocal(element: XmlElement, local: string): boolean {
  return element.uri === '' && element.local === local;
}

function only(element: XmlElement, local: string): XmlElement | undefined {
  const found = element.children.filter((child) => isLocal(child, local));
  if (found.length > 1) throw xmlError('EPCIS_XML_INVALID', `${local} appears more than once`, found[1]!);
  return found[0];
}

function declareNamespaces(element: XmlElement, prefixes: PrefixRegistry): void {
  prefixes.declareAll(element.scope);
  for (const child of element.children) declareNamespaces(child, prefixes);
}

function eventList(list: XmlElement | undefined, context: ReadContext): JsonObject[] {
  if (!list) return [];
  return list.children.map((child) => {
    if (isLocal(child, 'extension')) throw xmlError('EPCIS_XML_INVALID', 'events in an EventList extension have no JSON-LD form', child);
    return eventFromXml(child, context);
  });
}

function vocabularyElement(element: XmlElement, context: ReadContext): JsonObject {
  const out: JsonObject = { id: element.attributes.find((a) => a.uri === '' && a.local === 'id')?.value.trim() ?? '' };
  const extensions: XmlElement[] = [];
  for (const child of unwrapped(element.children)) {
    if (isLocal(child, 'attribute')) {
      const id = child.attributes.find((a) => a.uri === '' && a.local === 'id')?.value.trim() ?? '';
      const value = child.children.length > 0 ? extensionValue({ ...child, attributes: [] }, context.prefixes) : child.text.trim();
      ((out['attributes'] ??= []) as unknown[]).push({ id, attribute: value });
    } else if (isLocal(child, 'children')) {
      out['children'] = child.children.map((id) => id.text.trim());
    } else extensions.push(child);
  }
  addExtensions(out, extensions, context.prefixes);
  return out;
}

function vocabularyList(list: XmlElement, context: ReadContext): JsonObject[] {
  return list.children.filter((v) => isLocal(v, 'Vocabulary')).map((vocabulary) => {
    const out: JsonObject = { type: vocabulary.attributes.find((a) => a.uri === '' && a.local === 'type')?.value.trim() ?? '' };
    const elements = only(vocabulary, 'VocabularyElementList');
    if (elements) out['vocabularyElementList'] = elements.children.map((e) => vocabularyElement(e, context));
    return out;
  });
}

function header(element: XmlElement, context: ReadContext): JsonObject {
  const out: JsonObject = {};
  const extensions: XmlElement[] = [];
  for (const child of unwrapped(element.children)) {
    const list = isLocal(child, 'EPCISMasterData') ? only(child, 'VocabularyList') : undefined;
    if (list) out['epcisMasterData'] = { vocabularyList: vocabularyList(list, context) };
    else extensions.push(child);
  }
  addExtensions(out, extensions, context.prefixes);
  return out;
}

function isIgnoreFields(element: XmlElement): boolean {
  return element.uri === IGNORE_FIELDS_NAMESPACE && element.local === IGNORE_FIELDS_LOCAL_NAME;
}

/** Extension elements of a document or of query results; an ignore-fields list becomes its names. */
function addDocumentExtensions(target: JsonObject, elements: readonly XmlElement[], context: ReadContext): void {
  for (const element of elements) {
    if (isIgnoreFields(element)) target[context.prefixes.keyOf(element)] = element.children.map((c) => context.prefixes.keyOf(c));
    else addValue(target, context.prefixes.keyOf(element), extensionValue(element, context.prefixes));
  }
}

function rootFields(root: XmlElement, type: string, context: ReadContext): JsonObject {
  const out: JsonObject = { type };
  for (const attribute of root.attributes) {
    if (isXsiAttribute(attribute)) continue;
    if (attribute.uri === '' && (DOCUMENT_ATTRIBUTES as readonly string[]).includes(attribute.local)) out[attribute.local] = attribute.value.trim();
    else addValue(out, context.prefixes.keyOf(attribute), attribute.value);
  }
  const head = only(root, 'EPCISHeader');
  if (head) out['epcisHeader'] = header(head, context);
  return out;
}

function queryResults(body: XmlElement, context: ReadContext): JsonObject {
  const results = body.children.find((c) => c.uri === EPCIS_QUERY_NS && c.local === 'QueryResults');
  if (!results || body.children.length !== 1) {
    throw xmlError('EPCIS_XML_INVALID', 'an EPCISQueryDocument body other than QueryResults has no JSON-LD document form', body);
  }
  const out: JsonObject = {};
  const extensions: XmlElement[] = [];
  for (const child of unwrapped(results.children)) {
    if (isLocal(child, 'queryName') || isLocal(child, 'subscriptionID')) out[child.local] = child.text.trim();
    else if (isLocal(child, 'resultsBody')) {
      const vocabularies = only(child, 'VocabularyList');
      out['resultsBody'] = vocabularies ? { vocabularyList: vocabularyList(vocabularies, context) } : { eventList: eventList(only(child, 'EventList'), context) };
    } else extensions.push(child);
  }
  addDocumentExtensions(out, extensions, context);
  return out;
}

/** `@context` of the JSON-LD form: the standard context, then the namespaces the document used. */
function contextOf(prefixes: PrefixRegistry): unknown[] {
  const entries = prefixes.contextEntries();
  return Object.keys(entries).length === 0 ? [EPCIS_CONTEXT_URL] : [EPCIS_CONTEXT_URL, entries];
}

/** Reads a parsed EPCISDocument or EPCISQueryDocument element tree. */
export function epcisDocumentFromTree(root: XmlElement): JsonObject {
  const isDocument = root.uri === EPCIS_NS && root.local === 'EPCISDocument';
  const isQuery = root.uri === EPCIS_QUERY_NS && root.local === 'EPCISQueryDocument';
  if (!isDocument && !isQuery) {
    throw xmlError('EPCIS_XML_UNEXPECTED_ROOT', `root element ${qualifiedName(root)} {${root.uri}} is not an EPCIS 2.0 EPCISDocument or EPCISQueryDocument`, root, {
      namespace: root.uri,
      local: root.local,
    });
  }
  const prefixes = new PrefixRegistry();
  declareNamespaces(root, prefixes);
  const context: ReadContext = { prefixes };
  const out = rootFields(root, root.local, context);
  const body = only(root, 'EPCISBody');
  if (!body) throw xmlError('EPCIS_XML_INVALID', `${qualifiedName(root)} has no EPCISBody`, root);
  out['epcisBody'] = isDocument ? { eventList: eventList(only(body, 'EventList'), context) } : { queryResults: queryResults(body, context) };
  if (isDocument) {
    const bodyExtras: JsonObject = {};
    addExtensions(bodyExtras, unwrapped(body.children.filter((c) => !isLocal(c, 'EventList'))), prefixes);
    Object.assign(out['epcisBody'] as JsonObject, bodyExtras);
  }
  addDocumentExtensions(out, unwrapped(root.children.filter((c) => !isLocal(c, 'EPCISHeader') && !isLocal(c, 'EPCISBody'))), context);
  return { '@context': contextOf(prefixes), ...out };
}

/**
 * Parses an EPCIS 2.0 XML document (EPCISDocument or EPCISQueryDocument) into its JSON-LD form.
 * Throws EpcisXmlError (codes in xml-errors.ts) for malformed, refused or unreadable input.
 */
export function parseEpcisXml(input: string | Uint8Array, limits: XmlLimits = {}): JsonObject {
  return epcisDocumentFromTree(parseXmlTree(input, limits));
}
