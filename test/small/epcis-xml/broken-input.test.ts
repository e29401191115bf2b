// Broken and hostile XML: each case is named after the break, and must end in a typed refusal that
// says where, never in a crash, an expansion or a read outside the document.
import { describe, expect, it } from 'vitest';
import { EpcisXmlError, parseEpcisXml, type EpcisXmlErrorCode } from '../../../src/core/epcis/xml/index.js';
import { parseXmlTree } from '../../../src/core/epcis/xml/xml-tree.js';
import { OBJECT_EVENT, xmlDocument } from './fixtures.js';

function refusal(run: () => unknown): EpcisXmlError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(EpcisXmlError);
    return e as EpcisXmlError;
  }
  throw new Error('expected a refusal');
}

function expectRefused(input: string | Uint8Array, code: EpcisXmlErrorCode, limits = {}): EpcisXmlError {
  const error = refusal(() => parseEpcisXml(input, limits));
  expect(error.code).toBe(code);
  expect(typeof error.details['path']).toBe('string');
  return error;
}

const VALID = xmlDocument(OBJECT_EVENT);

describe('malformed XML is refused as XML_MALFORMED with a position', () => {
  const cases: Record<string, string> = {
    'unclosed root element': VALID.replace('</epcis:EPCISDocument>', ''),
    'mismatched end tag': VALID.replace('</action>', '</actions>'),
    'text after the root element': VALID + 'trailing',
    'attribute value without quotes': VALID.replace('schemaVersion="2.0"', 'schemaVersion=2.0'),
    'duplicate attribute': VALID.replace('schemaVersion="2.0"', 'schemaVersion="2.0" schemaVersion="2.0"'),
    'unbound namespace prefix': VALID.replace('<action>', '<ex:note>x</ex:note><action>'),
    'bare ampersand in text': VALID.replace('OBSERVE', 'OBSERVE & co'),
    'forbidden control character': VALID.replace('OBSERVE', 'OBS\u0001ERVE'),
    'empty input': '',
  };
  for (const [name, input] of Object.entries(cases)) {
    it(name, () => {
      const error = expectRefused(input, 'XML_MALFORMED');
      if (name !== 'empty input') expect(error.details['line']).toBeGreaterThan(0);
    });
  }

  it('bytes that are not UTF-8', () => {
    const bytes = new TextEncoder().encode(VALID);
    const broken = new Uint8Array([...bytes.slice(0, 60), 0xc3, 0x28, ...bytes.slice(60)]);
    expectRefused(broken, 'XML_MALFORMED');
  });
});

describe('DTDs and entities are refused (XXE, billion laughs)', () => {
  it('internal subset declaring entities (billion laughs)', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>`;
    expectRefused(laughs + VALID.replace(/^<\?xml[^>]*>/, '').replace('OBSERVE', '&lol2;'), 'XML_DTD_REFUSED');
  });

  it('external DTD by SYSTEM identifier (XXE)', () => {
    expectRefused(`<!DOCTYPE epcis:EPCISDocument SYSTEM "file:///etc/passwd">` + VALID.replace(/^<\?xml[^>]*>/, ''), 'XML_DTD_REFUSED');
  });

  it('external entity declared in the internal subset (XXE)', () => {
    const xxe = `<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + VALID.replace(/^<\?xml[^>]*>/, '').replace('OBSERVE', '&x;');
    expectRefused(xxe, 'XML_DTD_REFUSED');
  });

  it('PUBLIC identifier', () => {
    expectRefused(`<!DOCTYPE d PUBLIC "-//x//y" "http://example.com/d.dtd">` + VALID.replace(/^<\?xml[^>]*>/, ''), 'XML_DTD_REFUSED');
  });

  it('reference to an undeclared entity', () => {
    expectRefused(VALID.replace('OBSERVE', '&secret;'), 'XML_ENTITY_REFUSED');
  });

  it('accepts a bare <!DOCTYPE name> (it declares nothing; GS1 examples carry one) and the predefined entities', () => {
    const doc = parseEpcisXml(`<!DOCTYPE project>` + VALID.replace(/^<\?xml[^>]*>/, '').replace('urn:epc:id:sgtin:4012345.011111.9876', 'a&amp;b&#x41;'));
    const event = (doc['epcisBody'] as { eventList: Record<string, unknown>[] }).eventList[0]!;
    expect(event['epcList']).toEqual(['a&bA']);
  });
});

describe('budgets', () => {
  it('document over the byte budget (bytes)', () => {
    const error = expectRefused(new TextEncoder().encode(VALID), 'XML_TOO_LARGE', { maxBytes: 100 });
    expect(error.details['limit']).toBe(100);
  });

  it('document over the byte budget (text)', () => {
    expectRefused(VALID, 'XML_TOO_LARGE', { maxBytes: 100 });
  });

  it('nesting deeper than the depth budget', () => {
    const deep = '<example:a>'.repeat(80) + 'x' + '</example:a>'.repeat(80);
    const error = expectRefused(xmlDocument(OBJECT_EVENT.replace('<action>', deep + '<action>'), 'xmlns:example="https://ns.example.com/"'), 'XML_TOO_DEEP');
    expect(String(error.details['path'])).toContain('/example:a/example:a');
  });

  it('more elements than the node budget', () => {
    expectRefused(VALID, 'XML_TOO_MANY_NODES', { maxNodes: 5 });
  });

  it('an encoding other than UTF-8 or UTF-16', () => {
    const latin = VALID.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    expectRefused(new TextEncoder().encode(latin), 'XML_ENCODING_UNSUPPORTED');
  });

  it('reads UTF-16 with a byte order mark', () => {
    const text = VALID.replace('encoding="UTF-8"', 'encoding="UTF-16"');
    const bytes = new Uint8Array(2 + text.length * 2);
    bytes.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) bytes.set([text.charCodeAt(i) & 0xff, text.charCodeAt(i) >> 8], 2 + i * 2);
    expect((parseEpcisXml(bytes)['epcisBody'] as { eventList: unknown[] }).eventList).toHaveLength(1);
  });
});

describe('well-formed XML that is not readable EPCIS', () => {
  it('root element in another namespace', () => {
    const error = expectRefused(VALID.replaceAll('urn:epcglobal:epcis:xsd:2', 'urn:example:other'), 'EPCIS_XML_UNEXPECTED_ROOT');
    expect(error.details['namespace']).toBe('urn:example:other');
  });

  it('a capture job is not an EPCIS document', () => {
    expectRefused('<epcis:EPCISCaptureJob xmlns:epcis="urn:epcglobal:epcis:xsd:2" captureID="1" running="false" success="true"><captureErrorBehaviour>rollback</captureErrorBehaviour></epcis:EPCISCaptureJob>', 'EPCIS_XML_UNEXPECTED_ROOT');
  });

  it('a quantity that is not a number, with the element path', () => {
    const event = OBJECT_EVENT.replace('</ObjectEvent>', '<quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.011111.1</epcClass><quantity>lots</quantity></quantityElement></quantityList></ObjectEvent>');
    const error = expectRefused(xmlDocument(event), 'EPCIS_XML_INVALID');
    expect(error.details['path']).toBe('/epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent/quantityList/quantityElement/quantity');
  });

  it('a sensor value that is not a number', () => {
    const event = OBJECT_EVENT.replace('</ObjectEvent>', '<sensorElementList><sensorElement><sensorReport type="gs1:Temperature" value="warm"/></sensorElement></sensorElementList></ObjectEvent>');
    expectRefused(xmlDocument(event), 'EPCIS_XML_INVALID');
  });

  it('the same standard field twice in one event', () => {
    expectRefused(xmlDocument(OBJECT_EVENT.replace('<action>OBSERVE</action>', '<action>OBSERVE</action><action>ADD</action>')), 'EPCIS_XML_INVALID');
  });

  it('an element that is not an event in the event list', () => {
    expectRefused(xmlDocument('<QuantityEvent/>'), 'EPCIS_XML_INVALID');
  });

  it('a document without EPCISBody', () => {
    expectRefused('<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z"/>', 'EPCIS_XML_INVALID');
  });
});

describe('element paths', () => {
  it('are libxml2-style, indexed only among same-named siblings', () => {
    const root = parseXmlTree(xmlDocument(OBJECT_EVENT + OBJECT_EVENT));
    const list = root.children[0]!.children[0]!;
    expect(list.children.map((e) => e.path)).toEqual([
      '/epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent[1]',
      '/epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent[2]',
    ]);
    expect(list.children[1]!.children[0]!.path).toBe('/epcis:EPCISDocument/EPCISBody/EventList/ObjectEvent[2]/eventTime');
  });
});
