// A safe, namespace-resolved element tree of an XML document (pure: a string or bytes in, a tree
// out). Parsing is done by saxes, a strict XML 1.0 + Namespaces parser (it is the parser inside
// jsdom): it rejects every well-formedness error, resolves prefixes to namespace URIs, tracks
// line/column, and expands no entity beyond the five predefined ones and character references.
// On top of it this module refuses what an EPCIS document never needs and an attacker would use:
// a DTD with an internal subset or external identifier (XXE, billion laughs), undeclared entities,
// documents over a size, depth or node budget.

import { SaxesParser, type SaxesTagNS } from 'saxes';
import { EpcisXmlError, xmlError, type XmlPosition } from './xml-errors.js';

export interface XmlAttribute {
  readonly uri: string;
  readonly prefix: string;
  readonly local: string;
  readonly value: string;
}

export interface XmlElement {
  readonly uri: string;
  readonly prefix: string;
  readonly local: string;
  /** Attributes other than namespace declarations. */
  readonly attributes: readonly XmlAttribute[];
  /** Namespace bindings in scope here (prefix -> URI; '' is the default namespace). */
  readonly scope: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** Character data directly inside this element (CDATA included), untrimmed. */
  text: string;
  readonly line: number;
  readonly column: number;
  /** libxml2-style element path, e.g. /epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent[2]. */
  path: string;
}

export interface XmlLimits {
  /** Largest input, in bytes (for a string: UTF-16 code units). Default 32 MiB. */
  readonly maxBytes?: number;
  /** Deepest element nesting. Default 64. */
  readonly maxDepth?: number;
  /** Most elements plus attributes. Default 2,000,000. */
  readonly maxNodes?: number;
}

export const DEFAULT_XML_LIMITS: Required<XmlLimits> = { maxBytes: 32 * 1024 * 1024, maxDepth: 64, maxNodes: 2_000_000 };

const XMLNS_URI = 'http://www.w3.org/2000/xmlns/';
const ROOT = { path: '/' };

/** Text of the input: bytes are decoded strictly (UTF-8, or UTF-16 with a byte order mark). */
export function decodeXmlInput(input: string | Uint8Array, maxBytes: number): string {
  if (typeof input === 'string') {
    if (input.length > maxBytes) throw xmlError('XML_TOO_LARGE', `XML input is over ${maxBytes} bytes`, ROOT, { limit: maxBytes });
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (input.byteLength > maxBytes) throw xmlError('XML_TOO_LARGE', `XML input is over ${maxBytes} bytes`, ROOT, { limit: maxBytes, size: input.byteLength });
  let encoding = 'utf-8';
  if (input[0] === 0xff && input[1] === 0xfe) encoding = 'utf-16le';
  else if (input[0] === 0xfe && input[1] === 0xff) encoding = 'utf-16be';
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(input);
  } catch {
    throw xmlError('XML_MALFORMED', `XML input is not valid ${encoding.toUpperCase()}`, ROOT, { encoding });
  }
  const declared = /^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(text)?.[1]?.toLowerCase();
  const compatible = encoding === 'utf-8' ? ['utf-8', 'utf8', 'us-ascii', 'ascii'] : ['utf-16', encoding];
  if (declared !== undefined && !compatible.includes(declared)) {
    throw xmlError('XML_ENCODING_UNSUPPORTED', `XML encoding ${declared} is not supported (use UTF-8)`, ROOT, { encoding: declared });
  }
  return text;
}

// `<!DOCTYPE name>` alone declares nothing; anything more (an internal subset, SYSTEM/PUBLIC) is refused.
const HARMLESS_DOCTYPE = /^\s*[^\s[\]]+\s*$/;

function refusalOf(message: string, where: XmlPosition): EpcisXmlError {
  if (/entity/i.test(message)) return xmlError('XML_ENTITY_REFUSED', `XML entity refused: ${message}`, where);
  return xmlError('XML_MALFORMED', `XML is not well-formed: ${message}`, where);
}

/** libxml2's xmlGetNodePath form: a [n] index only where a parent has several same-named children. */
function assignPaths(element: XmlElement, path: string): void {
  element.path = path;
  const counts = new Map<string, number>();
  for (const child of element.children) counts.set(qualifiedName(child), (counts.get(qualifiedName(child)) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const child of element.children) {
    const name = qualifiedName(child);
    const index = (seen.get(name) ?? 0) + 1;
    seen.set(name, index);
    assignPaths(child, `${path}/${name}${(counts.get(name) ?? 0) > 1 ? `[${index}]` : ''}`);
  }
}

/**
 * Parses XML into an element tree. Throws EpcisXmlError: XML_MALFORMED, XML_DTD_REFUSED,
 * XML_ENTITY_REFUSED, XML_ENCODING_UNSUPPORTED, XML_TOO_LARGE, XML_TOO_DEEP, XML_TOO_MANY_NODES.
 */
export function parseXmlTree(input: string | Uint8Array, limits: XmlLimits = {}): XmlElement {
  const { maxBytes, maxDepth, maxNodes } = { ...DEFAULT_XML_LIMITS, ...limits };
  const text = decodeXmlInput(input, maxBytes);
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  // Paths while parsing: siblings after the current one are not known yet, so the first of several
  // same-named elements has no [1] here (assignPaths gives the final form).
  const openPaths: { path: string; counts: Map<string, number> }[] = [];
  let root: XmlElement | undefined;
  let nodes = 0;
  const here = () => ({ path: openPaths[openPaths.length - 1]?.path ?? '/', line: parser.line, column: parser.column + 1 });

  parser.on('error', (err) => {
    throw refusalOf(err.message.replace(/^(?:[^:]*:)?\d+:\d+: /, ''), here());
  });
  parser.on('doctype', (doctype) => {
    if (!HARMLESS_DOCTYPE.test(doctype)) throw xmlError('XML_DTD_REFUSED', 'XML document type declarations are refused', here());
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    const top = openPaths[openPaths.length - 1];
    const index = (top?.counts.get(tag.name) ?? 0) + 1;
    top?.counts.set(tag.name, index);
    openPaths.push({ path: `${top?.path ?? ''}/${tag.name}${index > 1 ? `[${index}]` : ''}`, counts: new Map() });
    if (stack.length >= maxDepth) throw xmlError('XML_TOO_DEEP', `XML nesting is deeper than ${maxDepth}`, here(), { limit: maxDepth });
    const attributes = Object.values(tag.attributes).filter((a) => a.uri !== XMLNS_URI);
    nodes += 1 + attributes.length;
    if (nodes > maxNodes) throw xmlError('XML_TOO_MANY_NODES', `XML has more than ${maxNodes} elements and attributes`, here(), { limit: maxNodes });
    const parent = stack[stack.length - 1];
    const element: XmlElement = {
      uri: tag.uri,
      prefix: tag.prefix,
      local: tag.local,
      attributes: attributes.map((a) => ({ uri: a.uri, prefix: a.prefix, local: a.local, value: a.value })),
      scope: { ...(parent?.scope ?? {}), ...tag.ns },
      children: [],
      text: '',
      line: parser.line,
      column: parser.column + 1,
      path: '',
    };
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
    openPaths.pop();
  });
  const addText = (chunk: string) => {
    const current = stack[stack.length - 1];
    if (current) current.text += chunk;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);

  try {
    parser.write(text).close();
  } catch (e) {
    if (e instanceof EpcisXmlError) throw e;
    throw refusalOf(e instanceof Error ? e.message : String(e), here());
  }
  if (!root) throw xmlError('XML_MALFORMED', 'XML has no root element', ROOT);
  assignPaths(root, `/${qualifiedName(root)}`);
  return root;
}

/** The qualified name as written (prefix:local, or local). */
export function qualifiedName(node: { prefix: string; local: string }): string {
  return node.prefix ? `${node.prefix}:${node.local}` : node.local;
}
