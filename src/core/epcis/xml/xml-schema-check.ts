// Checking EPCIS XML against GS1's EPCIS 2.0 XML Schemas (pure). The schema validator itself is
// injected (src/platform/epcis-xsd.ts builds one from libxml2 and the shipped XSDs): compiling and
// loading schemas is I/O, checking is not. The input always goes through this module's own safe
// parser first, so a DTD, an entity or an oversized document never reaches the validator.

import { resultOf, type ValidationIssue, type ValidationResult } from '../validation-result.js';
import { EpcisXmlError, xmlError } from './xml-errors.js';
import { epcisDocumentFromTree } from './xml-document-reader.js';
import { decodeXmlInput, DEFAULT_XML_LIMITS, parseXmlTree, type XmlElement, type XmlLimits } from './xml-tree.js';

/** One schema violation as a validator reports it. */
export interface XsdIssue {
  readonly message: string;
  /** Element path in libxml2 form (/epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent[2]/action). */
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
}

/** Checks XML text against the EPCIS 2.0 XSDs; empty when valid. */
export type XsdValidateFn = (xml: string) => readonly XsdIssue[];

export interface EpcisXmlReadOptions {
  /** When given, the document must also satisfy the XML Schema. */
  readonly validate?: XsdValidateFn;
  readonly limits?: XmlLimits;
}

/** The path of the last element that starts at or before `line` (for issues that carry only a line). */
function pathAtLine(root: XmlElement, line: number): string {
  let best = root.path;
  const visit = (element: XmlElement): void => {
    if (element.line > line) return;
    best = element.path;
    element.children.forEach(visit);
  };
  visit(root);
  return best;
}

function issuesOf(root: XmlElement, issues: readonly XsdIssue[]): ValidationIssue[] {
  return issues.map((issue) => {
    const path = issue.path ?? (issue.line !== undefined ? pathAtLine(root, issue.line) : root.path);
    const line = issue.line !== undefined ? ` (line ${issue.line})` : '';
    return { path, message: issue.message.trim() + line };
  });
}

function refusalAsResult(error: EpcisXmlError): ValidationResult {
  return resultOf([{ path: String(error.details['path'] ?? '/'), message: error.message }]);
}

/**
 * Validates an EPCIS XML document: well-formed, none of the refused constructs, within the limits,
 * valid against the EPCIS 2.0 XSDs. Never throws for bad input: every problem is an issue with the
 * element path where it was found.
 */
export function validateEpcisXml(input: string | Uint8Array, validate: XsdValidateFn, limits: XmlLimits = {}): ValidationResult {
  let text: string;
  let root: XmlElement;
  try {
    text = decodeXmlInput(input, limits.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes);
    root = parseXmlTree(text, limits);
  } catch (e) {
    if (e instanceof EpcisXmlError) return refusalAsResult(e);
    throw e;
  }
  return resultOf(issuesOf(root, validate(text)));
}

/**
 * Reads an EPCIS 2.0 XML document (EPCISDocument or EPCISQueryDocument) into its JSON-LD form,
 * checked against the XSDs when `options.validate` is given. Throws EpcisXmlError: the parser's
 * codes, EPCIS_XML_UNEXPECTED_ROOT, EPCIS_XML_INVALID, or EPCIS_XML_SCHEMA_INVALID with
 * `details.errors` (each {path, message}).
 */
export function readEpcisXml(input: string | Uint8Array, options: EpcisXmlReadOptions = {}): Record<string, unknown> {
  const text = decodeXmlInput(input, options.limits?.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes);
  const root = parseXmlTree(text, options.limits);
  if (options.validate) {
    const errors = issuesOf(root, options.validate(text));
    if (errors.length > 0) {
      throw xmlError('EPCIS_XML_SCHEMA_INVALID', `EPCIS XML breaks the EPCIS 2.0 XML Schema: ${errors[0]!.message}`, { path: errors[0]!.path }, { errors });
    }
  }
  return epcisDocumentFromTree(root);
}
