// JSON-LD user extensions -> XML elements (the inverse of xml-extensions.ts). A key
// "prefix:local" becomes an element in the namespace the document's `@context` gives the prefix;
// numbers and booleans carry xsi:type (xsd:integer, xsd:double, xsd:boolean) so they read back as
// numbers and booleans; "#text" is the element's own text; arrays repeat the element. Pure.

import { EpcisXmlError } from './xml-errors.js';
import { element, textElement, xmlText, type XmlNodeOut } from './xml-writer.js';
import { STANDARD_CONTEXT_PREFIXES, XSD_NS, XSI_NS } from './xml-vocabulary.js';

type JsonObject = Record<string, unknown>;

const NCNAME = /^[A-Za-z_][\w.-]*$/;
const RESERVED_XML_PREFIXES = new Set(['xml', 'xmlns', 'xsi', 'xsd', 'epcis', 'epcisq']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function notRepresentable(message: string, path: string, details: Record<string, unknown> = {}): EpcisXmlError {
  return new EpcisXmlError('EPCIS_XML_NOT_REPRESENTABLE', `${message} (at ${path})`, { path, ...details });
}

/** Prefix -> namespace of a JSON-LD `@context` (string entries and `@prefix` term definitions). */
export function prefixesOfContext(context: unknown, into: Map<string, string> = new Map()): Map<string, string> {
  if (Array.isArray(context)) {
    for (const entry of context) prefixesOfContext(entry, into);
  } else if (isObject(context)) {
    for (const [prefix, value] of Object.entries(context)) {
      if (prefix.startsWith('@') || !NCNAME.test(prefix) || into.has(prefix)) continue;
      if (typeof value === 'string' && !value.startsWith('@')) into.set(prefix, value);
      else if (isObject(value) && typeof value['@id'] === 'string' && value['@prefix'] === true) into.set(prefix, value['@id']);
    }
  }
  return into;
}

/** The namespaces an XML document being written needs, declared on its root at the end. */
export class NamespaceWriter {
  private readonly used = new Map<string, string>();

  constructor(private readonly declared: ReadonlyMap<string, string>) {}

  /** Qualified XML name of a JSON key; a prefix must be declared in `@context` (or be a standard one). */
  qname(key: string, path: string): string {
    const colon = key.indexOf(':');
    const prefix = colon > 0 ? key.slice(0, colon) : '';
    const local = colon > 0 ? key.slice(colon + 1) : key;
    if (!NCNAME.test(local) || (colon > 0 && !NCNAME.test(prefix)) || colon === 0) throw notRepresentable(`"${key}" is not an XML name`, path);
    if (prefix === '') return local;
    if (RESERVED_XML_PREFIXES.has(prefix)) throw notRepresentable(`the prefix "${prefix}" is reserved in the XML binding`, path);
    const uri = this.declared.get(prefix) ?? STANDARD_CONTEXT_PREFIXES[prefix];
    if (uri === undefined) throw notRepresentable(`the prefix of "${key}" is not declared in @context`, path, { prefix });
    this.used.set(prefix, uri);
    return key;
  }

  markXsi(): void {
    this.used.set('xsi', XSI_NS);
    this.used.set('xsd', XSD_NS);
  }

  /** xmlns attributes: every prefix of the document's @context, and standard ones in use. */
  declarations(): [string, string][] {
    const all = new Map<string, string>([...this.declared, ...this.used]);
    return [...all].filter(([prefix]) => !RESERVED_XML_PREFIXES.has(prefix) || this.used.has(prefix)).map(([prefix, uri]) => [`xmlns:${prefix}`, uri]);
  }
}

function scalarNode(name: string, value: unknown, ns: NamespaceWriter, path: string, extraChildren: XmlNodeOut[] = []): XmlNodeOut {
  if (typeof value === 'string') return { name, attributes: [], children: extraChildren, text: xmlText(value, path) };
  if (typeof value === 'boolean' || typeof value === 'number') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw notRepresentable('a number that is not finite', path);
    ns.markXsi();
    const type = typeof value === 'boolean' ? 'xsd:boolean' : Number.isInteger(value) && Math.abs(value) < 1e21 ? 'xsd:integer' : 'xsd:double';
    return { name, attributes: [['xsi:type', type]], children: extraChildren, text: String(value) };
  }
  throw notRepresentable(value === null ? 'null has no XML form' : 'a value that is neither text, number, boolean nor object', path);
}

/** XML elements of one extension key (several when the value is an array). */
export function extensionElements(key: string, value: unknown, ns: NamespaceWriter, path: string): XmlNodeOut[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => {
      if (Array.isArray(item)) throw notRepresentable('an array inside an array has no XML form', `${path}[${i}]`);
      return extensionElements(key, item, ns, `${path}[${i}]`);
    });
  }
  const name = ns.qname(key, path);
  if (!isObject(value)) return [scalarNode(name, value, ns, path)];
  const children = Object.entries(value)
    .filter(([k]) => k !== '#text')
    .flatMap(([k, v]) => extensionElements(k, v, ns, `${path}.${k}`));
  if (value['#text'] === undefined) return [element(name, children)];
  return [scalarNode(name, value['#text'], ns, `${path}.#text`, children)];
}

/** Elements for every key of `obj` not in `standard` (the user extensions of a standard structure). */
export function extensionsOf(obj: JsonObject, standard: ReadonlySet<string>, ns: NamespaceWriter, path: string): XmlNodeOut[] {
  return Object.entries(obj)
    .filter(([k]) => !standard.has(k) && k !== '@context')
    .flatMap(([k, v]) => {
      if (!k.includes(':')) throw notRepresentable(`"${k}" is neither a standard field nor a prefixed extension`, `${path}.${k}`);
      return extensionElements(k, v, ns, `${path}.${k}`);
    });
}

export { textElement };
