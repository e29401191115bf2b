// User extensions between XML and JSON-LD (EPCIS 2.0 sections 9.4 and 10): an element or attribute
// in a user namespace becomes a key "prefix:local", and the prefix is declared in the document's
// `@context` with that namespace, as the JSON-LD binding writes extensions. Pure.
//
// Reading XML, the mapping is:
//  - an element with only text: its trimmed text (a number or boolean when xsi:type says
//    xsd:integer/decimal/double/float/... or xsd:boolean; xsi:type is not kept otherwise);
//  - an element with children or attributes: an object; attributes and children become keys,
//    non-blank text sits under "#text"; a name seen several times becomes an array;
//  - an unqualified name stays bare ("anotherElement").

import { xmlError } from './xml-errors.js';
import { qualifiedName, type XmlAttribute, type XmlElement } from './xml-tree.js';
import { EPCIS_NS, EPCIS_QUERY_NS, STANDARD_CONTEXT_PREFIXES, XSD_NS, XSI_NS } from './xml-vocabulary.js';

type JsonObject = Record<string, unknown>;

const NAME = /^[A-Za-z_][\w.-]*$/;
const NOT_EXTENSION_NAMESPACES = new Set([EPCIS_NS, EPCIS_QUERY_NS, XSI_NS, XSD_NS, 'http://www.w3.org/XML/1998/namespace']);

/** Chooses one JSON-LD prefix per namespace: the document's own where it is free, else ns1, ns2, ... */
export class PrefixRegistry {
  private readonly byUri = new Map<string, string>();
  private readonly byPrefix = new Map<string, string>();

  constructor() {
    for (const [prefix, uri] of Object.entries(STANDARD_CONTEXT_PREFIXES)) this.byPrefix.set(prefix, uri);
  }

  /** Pre-registers the document's declarations, so CURIEs in values keep their prefixes. */
  declareAll(scope: Readonly<Record<string, string>>): void {
    for (const [prefix, uri] of Object.entries(scope)) {
      if (prefix !== '' && uri !== '' && !NOT_EXTENSION_NAMESPACES.has(uri) && !(prefix in STANDARD_CONTEXT_PREFIXES)) this.prefixFor(uri, prefix);
    }
  }

  prefixFor(uri: string, preferred: string): string {
    const known = this.byUri.get(uri);
    if (known !== undefined) return known;
    const standard = Object.entries(STANDARD_CONTEXT_PREFIXES).find(([, u]) => u === uri)?.[0];
    let prefix = standard ?? (NAME.test(preferred) && !preferred.includes('.') ? preferred : '');
    if (prefix === '' || (this.byPrefix.has(prefix) && this.byPrefix.get(prefix) !== uri)) {
      let n = 1;
      while (this.byPrefix.has(`ns${n}`)) n++;
      prefix = `ns${n}`;
    }
    this.byUri.set(uri, prefix);
    this.byPrefix.set(prefix, uri);
    return prefix;
  }

  /** The JSON key of an element or attribute name. */
  keyOf(node: { uri: string; prefix: string; local: string }): string {
    return node.uri === '' ? node.local : `${this.prefixFor(node.uri, node.prefix)}:${node.local}`;
  }

  /** The prefixes to declare in `@context`: those the standard context does not already define. */
  contextEntries(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [uri, prefix] of this.byUri) if (STANDARD_CONTEXT_PREFIXES[prefix] !== uri) out[prefix] = uri;
    return out;
  }
}

export function isXsiAttribute(attribute: XmlAttribute): boolean {
  return attribute.uri === XSI_NS;
}

const NUMERIC_XSD_TYPES = new Set([
  'decimal', 'double', 'float', 'integer', 'int', 'long', 'short', 'byte', 'nonNegativeInteger', 'positiveInteger',
  'nonPositiveInteger', 'negativeInteger', 'unsignedLong', 'unsignedInt', 'unsignedShort', 'unsignedByte',
]);

/** xsi:type of an element as [namespace, local], resolved against the element's scope. */
function xsiTypeOf(element: XmlElement): [string, string] | undefined {
  const attribute = element.attributes.find((a) => a.uri === XSI_NS && a.local === 'type');
  if (!attribute) return undefined;
  const value = attribute.value.trim();
  const colon = value.indexOf(':');
  const prefix = colon > 0 ? value.slice(0, colon) : '';
  return [element.scope[prefix] ?? '', colon > 0 ? value.slice(colon + 1) : value];
}

/** An element's text as a JSON scalar, typed by xsi:type where that is a numeric or boolean XSD type. */
export function typedText(element: XmlElement): string | number | boolean {
  const text = element.text.trim();
  const type = xsiTypeOf(element);
  if (type && type[0] === XSD_NS) {
    if (NUMERIC_XSD_TYPES.has(type[1]) && text !== '' && Number.isFinite(Number(text))) return Number(text);
    if (type[1] === 'boolean' && (text === 'true' || text === '1')) return true;
    if (type[1] === 'boolean' && (text === 'false' || text === '0')) return false;
  }
  return text;
}

/** Adds a value under a key; a key seen again turns into an array, in document order. */
export function addValue(target: JsonObject, key: string, value: unknown): void {
  if (!(key in target)) target[key] = value;
  else if (Array.isArray(target[key])) (target[key] as unknown[]).push(value);
  else target[key] = [target[key], value];
}

/** JSON-LD value of a user extension element (see the file comment for the mapping). */
export function extensionValue(element: XmlElement, prefixes: PrefixRegistry): unknown {
  const attributes = element.attributes.filter((a) => !isXsiAttribute(a));
  if (element.children.length === 0 && attributes.length === 0) return typedText(element);
  const out: JsonObject = {};
  for (const attribute of attributes) addValue(out, prefixes.keyOf(attribute), attribute.value);
  for (const child of element.children) addValue(out, prefixes.keyOf(child), extensionValue(child, prefixes));
  const text = element.text.trim();
  if (text !== '') {
    if ('#text' in out) throw xmlError('EPCIS_XML_INVALID', `extension ${qualifiedName(element)} has both text and a child named #text`, element);
    out['#text'] = typedText(element);
  }
  return out;
}

/** Adds the user extensions among `children` (those `isStandard` does not claim) to `target`. */
export function addExtensions(target: JsonObject, children: readonly XmlElement[], prefixes: PrefixRegistry): void {
  for (const child of children) addValue(target, prefixes.keyOf(child), extensionValue(child, prefixes));
}
