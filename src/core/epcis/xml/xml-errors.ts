// Typed errors of the EPCIS XML binding (pure). Every refusal of an input names where it happened:
// `details.path` is the element path (libxml2 style, "/epcis:EPCISDocument/EPCISBody/EventList/
// ObjectEvent[2]/action"), `details.line`/`details.column` the position when known.

import { CodedError } from '../../coded-error.js';

export type EpcisXmlErrorCode =
  /** Not well-formed XML (XML 1.0 section 2.1), or undecodable bytes. */
  | 'XML_MALFORMED'
  /** A document type declaration with an internal subset or an external identifier. */
  | 'XML_DTD_REFUSED'
  /** A reference to an entity other than the five predefined ones (XML 1.0 section 4.6). */
  | 'XML_ENTITY_REFUSED'
  | 'XML_ENCODING_UNSUPPORTED'
  | 'XML_TOO_LARGE'
  | 'XML_TOO_DEEP'
  | 'XML_TOO_MANY_NODES'
  /** The root element is not one this binding reads (EPCISDocument, EPCISQueryDocument). */
  | 'EPCIS_XML_UNEXPECTED_ROOT'
  /** Well-formed XML whose EPCIS content cannot be read (a quantity that is no number, ...). */
  | 'EPCIS_XML_INVALID'
  /** A JSON-LD event that the XML binding has no place for (two certificationInfo, ...). */
  | 'EPCIS_XML_NOT_REPRESENTABLE'
  /** The document breaks the GS1 EPCIS 2.0 XML Schema. */
  | 'EPCIS_XML_SCHEMA_INVALID';

export class EpcisXmlError extends CodedError<EpcisXmlErrorCode> {
  override readonly name = 'EpcisXmlError';
}

export interface XmlPosition {
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
}

export function xmlError(code: EpcisXmlErrorCode, message: string, where: XmlPosition, details: Record<string, unknown> = {}): EpcisXmlError {
  const position: Record<string, unknown> = { path: where.path };
  if (where.line !== undefined) position['line'] = where.line;
  if (where.column !== undefined) position['column'] = where.column;
  return new EpcisXmlError(code, `${message} (at ${where.path}${where.line !== undefined ? `, line ${where.line}` : ''})`, { ...position, ...details });
}
