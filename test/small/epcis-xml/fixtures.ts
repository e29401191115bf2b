// Shared inputs of the EPCIS XML binding tests: GS1's XML and JSON-LD examples, the event hash
// vectors, and one compiled XSD validator per test file.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EPCIS_XML_EXAMPLES_DIR } from '../../vectors/index.js';
import { epcisExamples, hashVectors } from '../events/reference.js';

export { epcisExamples, hashVectors };

export interface XmlExample {
  name: string;
  bytes: Uint8Array;
  text: string;
}

export function xmlExamples(): XmlExample[] {
  return readdirSync(EPCIS_XML_EXAMPLES_DIR)
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((name) => {
      const bytes = new Uint8Array(readFileSync(path.join(EPCIS_XML_EXAMPLES_DIR, name)));
      return { name, bytes, text: new TextDecoder().decode(bytes) };
    });
}

export function xmlExample(name: string): string {
  return readFileSync(path.join(EPCIS_XML_EXAMPLES_DIR, name), 'utf8');
}

/** Examples whose root is an EPCIS document (the others are EPCISCaptureJob responses). */
export const isDocumentExample = (name: string): boolean => !name.startsWith('CaptureJob__');

/** A minimal valid EPCISDocument around one event's XML. */
export function xmlDocument(eventXml: string, namespaces = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" ${namespaces} schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z">
  <EPCISBody><EventList>${eventXml}</EventList></EPCISBody>
</epcis:EPCISDocument>`;
}

export const OBJECT_EVENT = `<ObjectEvent><eventTime>2024-01-01T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
  <epcList><epc>urn:epc:id:sgtin:4012345.011111.9876</epc></epcList><action>OBSERVE</action></ObjectEvent>`;
