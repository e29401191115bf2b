// A minimal XML writer for the EPCIS binding (pure): elements, attributes and text, escaped per
// XML 1.0 section 2.4 and 3.3.3 (so that the text read back is the text written), indented only
// between elements, never inside text. Refuses characters XML 1.0 cannot carry (section 2.2).

import { EpcisXmlError } from './xml-errors.js';

export interface XmlNodeOut {
  readonly name: string;
  readonly attributes: ReadonlyArray<readonly [string, string]>;
  readonly children: readonly XmlNodeOut[];
  readonly text?: string;
}

export function element(name: string, children: readonly XmlNodeOut[] = [], attributes: ReadonlyArray<readonly [string, string]> = []): XmlNodeOut {
  return { name, attributes, children };
}

export function textElement(name: string, text: string, attributes: ReadonlyArray<readonly [string, string]> = []): XmlNodeOut {
  return { name, attributes, children: [], text };
}

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** `text` when XML 1.0 can carry every character of it; `path` names the value in the refusal. */
export function xmlText(text: string, path: string): string {
  const bad = NOT_XML_CHAR.exec(text);
  if (bad) {
    throw new EpcisXmlError('EPCIS_XML_NOT_REPRESENTABLE', `${path} holds U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, which XML 1.0 cannot carry`, { path });
  }
  return text;
}
const checked = xmlText;

export function escapeText(text: string): string {
  return text.replace(/[&<>\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' })[c]!);
}

export function escapeAttribute(text: string): string {
  return text.replace(/[&<"\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[c]!);
}

function write(node: XmlNodeOut, depth: number, out: string[], indent: string): void {
  const pad = indent === '' ? '' : '\n' + indent.repeat(depth);
  let open = `<${node.name}`;
  for (const [name, value] of node.attributes) open += ` ${name}="${escapeAttribute(checked(value, `${node.name}/@${name}`))}"`;
  if (node.children.length === 0) {
    const text = node.text ?? '';
    out.push(text === '' ? `${pad}${open}/>` : `${pad}${open}>${escapeText(checked(text, node.name))}</${node.name}>`);
    return;
  }
  out.push(`${pad}${open}>`);
  if (node.text !== undefined && node.text !== '') out.push(escapeText(checked(node.text, node.name)));
  for (const child of node.children) write(child, depth + 1, out, node.text ? '' : indent);
  out.push(`${node.text ? '' : pad}</${node.name}>`);
}

/** The document text, with an XML declaration; `indent` '' writes everything on one line. */
export function serialiseXml(root: XmlNodeOut, indent = '  '): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  write(root, 0, out, indent);
  return out.join('') + '\n';
}
