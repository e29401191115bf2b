/** Valid identifiers for the simulated chain (check digits computed, never hard-coded). */
import { earTagCheckDigit, iso6346CheckDigit } from '../src/core/identifiers/index.js';

export function earTag(herdMark: string, animal: number): string {
  const animalNumber = String(animal).padStart(5, '0');
  return `UK${herdMark}${earTagCheckDigit(herdMark, animalNumber)}${animalNumber}`;
}

export function animalUrn(tag: string): string {
  return `urn:provenant:animal:${tag}`;
}

export function sgtin(companyPrefix: string, itemRef: string, serial: string | number): string {
  return `urn:epc:id:sgtin:${companyPrefix}.${itemRef}.${serial}`;
}

export function lgtin(companyPrefix: string, itemRef: string, lot: string): string {
  return `urn:epc:class:lgtin:${companyPrefix}.${itemRef}.${lot}`;
}

export function sscc(companyPrefix: string, serialRef: string): string {
  return `urn:epc:id:sscc:${companyPrefix}.${serialRef}`;
}

export function containerNumber(ownerAndCategory: string, serial: string): string {
  return `${ownerAndCategory}${serial}${iso6346CheckDigit(`${ownerAndCategory}${serial}`)}`;
}

export function sgln(companyPrefix: string, locationRef: string, extension = '0'): string {
  return `urn:epc:id:sgln:${companyPrefix}.${locationRef}.${extension}`;
}
