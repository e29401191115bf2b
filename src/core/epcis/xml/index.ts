// The EPCIS 2.0 XML binding (pure): read EPCIS XML into the JSON-LD model the JSON capture uses,
// check it against the EPCIS 2.0 XSDs through an injected validator, and write JSON-LD back as XML.

export { EpcisXmlError, type EpcisXmlErrorCode } from './xml-errors.js';
export { DEFAULT_XML_LIMITS, type XmlLimits } from './xml-tree.js';
export { parseEpcisXml } from './xml-document-reader.js';
export { epcisDocumentToXml } from './xml-document-writer.js';
export { readEpcisXml, validateEpcisXml, type EpcisXmlReadOptions, type XsdIssue, type XsdValidateFn } from './xml-schema-check.js';
export { EPCIS_NS, EPCIS_QUERY_NS } from './xml-vocabulary.js';

/** Media types of the EPCIS 2.0 XML binding that capture and query accept (EPCIS 2.0 section 12.2). */
export const EPCIS_XML_MEDIA_TYPES: readonly string[] = ['application/xml', 'text/xml'];

/** True for a Content-Type naming XML (parameters such as charset ignored). */
export function isXmlMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return EPCIS_XML_MEDIA_TYPES.includes(type) || type.endsWith('+xml');
}
