// The EPCIS 2.0 XML Schema validator: GS1's XSDs (assets/epcis/XSD) compiled once by libxml2,
// run as WebAssembly (libxml2-wasm: no native build, synchronous, reports each violation with its
// element path). libxml2 over xmllint-wasm: that one starts a worker thread and recompiles the
// schemas for every document, and reports only line numbers.
//
// Loading the schemas is the I/O here; the returned function is what src/core/epcis/xml takes as
// its injected `XsdValidateFn`. Schema imports are served from memory through an input provider
// that answers only this module's own file names, so libxml2 reads nothing else: no file, no URL.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { XsdIssue, XsdValidateFn } from '../core/epcis/xml/xml-schema-check.js';
import { assetPath } from './assets.js';

/** The root schema: the query schema imports the document schema, so both roots validate. */
const ROOT_SCHEMA = 'EPCglobal-epcis-query-2_0.xsd';
const SCHEME = 'provenant-epcis-xsd:';
const MAX_ISSUES = 50;

export class EpcisXsdLoadError extends Error {
  readonly code = 'EPCIS_XSD_NOT_LOADED';
  constructor(
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

type Libxml2 = typeof import('libxml2-wasm');

let providerFiles: Map<string, Uint8Array> | undefined;

/** Registers (once per process: libxml2 keeps one provider list) the in-memory schema files. */
function registerSchemaFiles(libxml2: Libxml2, files: Map<string, Uint8Array>): void {
  if (providerFiles) {
    for (const [name, data] of files) providerFiles.set(name, data);
    return;
  }
  providerFiles = new Map(files);
  const open = new Map<number, { data: Uint8Array; position: number }>();
  let next = 1;
  libxml2.xmlRegisterInputProvider({
    match: (name) => name.startsWith(SCHEME) && providerFiles!.has(name),
    open: (name) => {
      const data = providerFiles!.get(name);
      if (!data) return undefined;
      open.set(next, { data, position: 0 });
      return next++;
    },
    read: (fd, buffer) => {
      const file = open.get(fd as number);
      if (!file) return -1;
      const n = Math.min(buffer.byteLength, file.data.byteLength - file.position);
      buffer.set(file.data.subarray(file.position, file.position + n));
      file.position += n;
      return n;
    },
    close: (fd) => open.delete(fd as number),
  });
}

function readSchemas(dir: string): Map<string, Uint8Array> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.xsd'));
  } catch (e) {
    throw new EpcisXsdLoadError(`cannot read the EPCIS XML Schemas in ${dir}`, { dir, cause: String(e) });
  }
  if (!names.includes(ROOT_SCHEMA)) throw new EpcisXsdLoadError(`${ROOT_SCHEMA} is missing from ${dir}`, { dir });
  // One folder per directory, so two loaders with different folders never share file names.
  const folder = `${SCHEME}${encodeURIComponent(path.resolve(dir))}/`;
  return new Map(names.map((name) => [folder + name, new Uint8Array(readFileSync(path.join(dir, name)))]));
}

// The EPCIS XSDs declare encoding="UTF-8"; a document read from UTF-16 bytes arrives here as text.
const ENCODING_DECLARATION = /^(<\?xml[^>]*?)\sencoding\s*=\s*["'][^"']*["']/;

function issuesOf(details: ReadonlyArray<{ message: string; line: number; col: number; xpath?: string }>): XsdIssue[] {
  return details.slice(0, MAX_ISSUES).map((d) => {
    const issue: { message: string; line?: number; column?: number; path?: string } = { message: d.message.trim() };
    if (d.line > 0) issue.line = d.line;
    if (d.col > 0) issue.column = d.col;
    if (d.xpath) issue.path = d.xpath;
    return issue;
  });
}

/**
 * Loads and compiles GS1's EPCIS 2.0 XML Schemas (default: the shipped assets/epcis/XSD) and
 * returns a validator of XML text. Call it once and keep the result; it is synchronous and
 * re-entrant. Pass only text that src/core/epcis/xml has parsed already (readEpcisXml and
 * validateEpcisXml do): that parser is where DTDs, entities and size limits are refused.
 */
export async function loadEpcisXsdValidator(dir: string = assetPath('epcis', 'XSD')): Promise<XsdValidateFn> {
  const libxml2: Libxml2 = await import('libxml2-wasm');
  const files = readSchemas(dir);
  registerSchemaFiles(libxml2, files);
  const rootName = [...files.keys()].find((name) => name.endsWith(`/${ROOT_SCHEMA}`))!;
  const options = { option: libxml2.ParseOption.XML_PARSE_NONET | libxml2.ParseOption.XML_PARSE_NO_XXE };
  let validator: InstanceType<Libxml2['XsdValidator']>;
  const schema = libxml2.XmlDocument.fromBuffer(files.get(rootName)!, { url: rootName, ...options });
  try {
    validator = libxml2.XsdValidator.fromDoc(schema);
  } catch (e) {
    schema.dispose();
    throw new EpcisXsdLoadError(`the EPCIS XML Schemas in ${dir} do not compile`, { dir, cause: String(e) });
  }
  // The schema document stays alive as long as the validator compiled from it.

  return (xml: string): XsdIssue[] => {
    let doc: InstanceType<Libxml2['XmlDocument']>;
    try {
      doc = libxml2.XmlDocument.fromString(xml.replace(ENCODING_DECLARATION, '$1'), options);
    } catch (e) {
      if (e instanceof libxml2.XmlLibError) return issuesOf(e.details);
      throw e;
    }
    try {
      validator.validate(doc);
      return [];
    } catch (e) {
      if (e instanceof libxml2.XmlLibError) return issuesOf(e.details);
      throw e;
    } finally {
      doc.dispose();
    }
  };
}
