import { describe, expect, it } from 'vitest';
import { correctionKey, correctionStatusOf, declaredEventIdOf, errorDeclarationOf, normaliseErrorReason, utcTimestamp } from '../../../src/core/capture/corrections.js';
import { eventHashId } from '../../../src/core/epcis/event-hash.js';

const event = { type: 'ObjectEvent', eventTime: '2005-04-03T20:33:31.116-06:00', eventTimeZoneOffset: '-06:00', action: 'OBSERVE', epcList: ['urn:epc:id:sgtin:0614141.107346.2017'] };

describe('error declarations', () => {
  it('CBV error reasons in every form become the short form; other URIs stay', () => {
    expect(normaliseErrorReason('incorrect_data')).toBe('incorrect_data');
    expect(normaliseErrorReason('urn:epcglobal:cbv:er:did_not_occur')).toBe('did_not_occur');
    expect(normaliseErrorReason('https://ref.gs1.org/cbv/ER-incorrect_data')).toBe('incorrect_data');
    expect(normaliseErrorReason('https://example.org/reasons/typo')).toBe('https://example.org/reasons/typo');
    expect(normaliseErrorReason(undefined)).toBeNull();
    expect(normaliseErrorReason('  ')).toBeNull();
  });

  it('declaration times become RFC 3339 UTC with milliseconds (sub-millisecond digits dropped)', () => {
    expect(utcTimestamp('2021-02-01T22:46:31.117000+00:00')).toBe('2021-02-01T22:46:31.117Z');
    expect(utcTimestamp('2021-02-01T23:46:31+01:00')).toBe('2021-02-01T22:46:31.000Z');
    expect(utcTimestamp('2021-02-01T22:46:31.1Z')).toBe('2021-02-01T22:46:31.100Z');
    expect(utcTimestamp('yesterday')).toBeUndefined();
  });

  it('reads the declaration: CORRECTED with corrective events, RETRACTED without; the key tells repeats apart', () => {
    const corrected = { ...event, errorDeclaration: { declarationTime: '2021-02-01T22:46:31.117000+00:00', reason: 'incorrect_data', correctiveEventIDs: ['urn:uuid:1', 7] } };
    const d = errorDeclarationOf(corrected)!;
    expect(d).toMatchObject({ declarationTime: '2021-02-01T22:46:31.117Z', reason: 'incorrect_data', correctiveEventIds: ['urn:uuid:1'] });
    expect(correctionStatusOf(d)).toBe('CORRECTED');
    const retracted = errorDeclarationOf({ ...event, errorDeclaration: { declarationTime: '2021-02-02T00:00:00Z' } })!;
    expect(correctionStatusOf(retracted)).toBe('RETRACTED');
    expect(retracted.reason).toBeNull();
    expect(errorDeclarationOf(event)).toBeUndefined();
    // The same declaration with its keys in another order is the same declaration.
    const reordered = errorDeclarationOf({ ...event, errorDeclaration: { correctiveEventIDs: ['urn:uuid:1', 7], reason: 'incorrect_data', declarationTime: '2021-02-01T22:46:31.117000+00:00' } })!;
    expect(correctionKey('id', reordered.canonical)).toBe(correctionKey('id', d.canonical));
    expect(correctionKey('id', retracted.canonical)).not.toBe(correctionKey('id', d.canonical));
  });

  it('the declaring event has the hash ID of the event it corrects (CBV 2.0 leaves the declaration out)', () => {
    const declaring = { ...event, eventID: 'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6', errorDeclaration: { declarationTime: '2021-02-01T22:46:31Z', reason: 'did_not_occur' } };
    expect(eventHashId(declaring)).toBe(eventHashId(event));
    expect(declaredEventIdOf(declaring)).toBe('urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
    expect(declaredEventIdOf(event)).toBeNull();
  });
});
