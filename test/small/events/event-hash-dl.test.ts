/**
 * EPC URIs to the constrained GS1 Digital Link form the CBV 2.0 event hash uses (rules 17-18):
 * one case per EPC scheme, instance, class and pattern URIs (GS1 TDS 2.1 examples where it has one).
 */
import { describe, expect, it } from 'vitest';
import { toHashDigitalLink } from '../../../src/core/epcis/event-hash-dl.js';

const CASES: [string, string | null][] = [
  ['urn:epc:id:sgtin:0614141.112345.400', 'https://id.gs1.org/01/10614141123459/21/400'],
  ['urn:epc:id:sscc:0614141.1234567890', 'https://id.gs1.org/00/106141412345678908'],
  ['urn:epc:id:sgln:0614141.12345.0', 'https://id.gs1.org/414/0614141123452'],
  ['urn:epc:id:sgln:0614141.12345.5678', 'https://id.gs1.org/414/0614141123452/254/5678'],
  ['urn:epc:id:grai:0614141.12345.400', 'https://id.gs1.org/8003/00614141123452400'],
  ['urn:epc:id:giai:0614141.12345400', 'https://id.gs1.org/8004/061414112345400'],
  ['urn:epc:id:gsrn:0614141.1234567890', 'https://id.gs1.org/8018/061414112345678902'],
  ['urn:epc:id:gsrnp:0614141.1234567890', 'https://id.gs1.org/8017/061414112345678902'],
  ['urn:epc:id:gdti:0614141.12345.400', 'https://id.gs1.org/253/0614141123452400'],
  ['urn:epc:id:sgcn:4012345.67890.04711', 'https://id.gs1.org/255/401234567890104711'],
  ['urn:epc:id:cpi:0614141.123ABC.123456789', 'https://id.gs1.org/8010/0614141123ABC/8011/123456789'],
  ['urn:epc:id:ginc:0614141.xyz47%2F11', 'https://id.gs1.org/401/0614141xyz47%2F11'],
  ['urn:epc:id:gsin:0614141.123456789', 'https://id.gs1.org/402/06141411234567890'],
  ['urn:epc:id:itip:4012345.012345.01.02.987', 'https://id.gs1.org/8006/040123451234560102/21/987'],
  ['urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7SDB', 'https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7SDB'],
  ['urn:epc:id:pgln:1234567.89012', 'https://id.gs1.org/417/1234567890128'],
  ['urn:epc:class:lgtin:4012345.012345.998877', 'https://id.gs1.org/01/04012345123456/10/998877'],
  ['urn:epc:idpat:sgtin:4012345.012345.*', 'https://id.gs1.org/01/04012345123456'],
  ['urn:epc:idpat:upui:4012345.012345.*', 'https://id.gs1.org/01/04012345123456'],
  ['urn:epc:idpat:grai:0614141.12345.*', 'https://id.gs1.org/8003/00614141123452'],
  ['urn:epc:idpat:gdti:0614141.12345.*', 'https://id.gs1.org/253/0614141123452'],
  ['urn:epc:idpat:sgcn:4012345.67890.*', 'https://id.gs1.org/255/4012345678901'],
  ['urn:epc:idpat:cpi:0614141.123ABC.*', 'https://id.gs1.org/8010/0614141123ABC'],
  ['urn:epc:idpat:itip:4012345.012345.01.02.*', 'https://id.gs1.org/8006/040123451234560102'],
  // Not one class-level key, a reference of the wrong length, no serial, an unknown scheme.
  ['urn:epc:idpat:sgtin:4012345.*.*', null],
  ['urn:epc:id:sscc:0614141.123456789', null],
  ['urn:epc:id:sgtin:0614141.112345', null],
  ['urn:epc:id:unknown:1.2.3', null],
  ['urn:epc:id:constructor:1.2.3', null],
];

describe('EPC URI to the event hash Digital Link form', () => {
  for (const [uri, expected] of CASES) {
    it(`${uri} -> ${expected ?? 'not convertible'}`, () => {
      expect(toHashDigitalLink(uri)).toBe(expected);
    });
  }
});
