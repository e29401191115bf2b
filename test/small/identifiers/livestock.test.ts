import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  earTagCheckDigit,
  parseCph,
  parseEarTag,
  parseFsaApproval,
} from '../../../src/core/identifiers/index.js';
import { errorOf } from './error-of.js';


describe('UK cattle ear tags', () => {
  // Published numbers: herd 123450's first calves are 600001, 700002, 100003; a herd 284205 animal
  // is UK 284205 700016, between 600015 and 100017.
  it.each([
    ['123450', '00001', 6],
    ['123450', '00002', 7],
    ['123450', '00003', 1],
    ['284205', '00015', 6],
    ['284205', '00016', 7],
    ['284205', '00017', 1],
    ['123456', '00012', 5],
  ])('herd %s animal %s -> check digit %i', (herd, animal, digit) => {
    expect(earTagCheckDigit(herd, animal)).toBe(digit);
  });

  it.each(['UK 123450 600001', 'UK123450600001', 'uk 123450 6 00001', ' UK 123450-600001 '])('normalises %s', (text) => {
    expect(parseEarTag(text)).toEqual({
      kind: 'ear-tag',
      canonical: 'UK123450600001',
      country: 'UK',
      herdMark: '123450',
      checkDigit: '6',
      animalNumber: '00001',
      display: 'UK 123450 600001',
      segmented: 'UK 123450 6 00001',
    });
  });

  it('reports a wrong check digit', () => {
    const e = errorOf(() => parseEarTag('UK 123456 7 00012'));
    expect(e.code).toBe('BAD_CHECK_DIGIT');
    expect(e.message).toBe('ear tag UK123456700012: check digit is 7, expected 5');
    expect(e.details).toEqual({ kind: 'ear-tag', input: 'UK 123456 7 00012', expected: '5', actual: '7' });
  });

  it.each(['UK 12345 600001', 'UK 123450 60001', 'IE 123450 600001', '123450600001', 'UK 12345O 600001'])(
    'rejects malformed %s',
    (text) => {
      expect(errorOf(() => parseEarTag(text)).code).toBe('BAD_FORMAT');
    },
  );

  it('property: exactly one check digit is accepted for each herd mark and animal number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 99_999 }), (herd, animal) => {
        const herdMark = String(herd).padStart(6, '0');
        const animalNumber = String(animal).padStart(5, '0');
        const accepted = [...'0123456789'].filter((digit) => {
          try {
            parseEarTag(`UK${herdMark}${digit}${animalNumber}`);
            return true;
          } catch {
            return false;
          }
        });
        expect(accepted).toEqual([String(Number(BigInt(herdMark + animalNumber) % 7n) + 1)]);
      }),
    );
  });
});

describe('CPH numbers', () => {
  it.each(['12/345/6789', '12 345 6789', '123456789', ' 12 / 345 / 6789 '])('normalises %s', (text) => {
    expect(parseCph(text)).toEqual({ kind: 'cph', canonical: '12/345/6789', county: '12', parish: '345', holding: '6789' });
  });

  it('rejects county 00', () => {
    const e = errorOf(() => parseCph('00/345/6789'));
    expect(e.code).toBe('OUT_OF_RANGE');
    expect(e.message).toBe('CPH number 00/345/6789: county must be 01..99, got 00');
  });

  it.each(['12/345/678', '1/345/6789', '12-345-6789', '12/34A/6789', ''])('rejects malformed "%s"', (text) => {
    expect(errorOf(() => parseCph(text)).code).toBe('BAD_FORMAT');
  });
});

describe('FSA approval numbers', () => {
  it.each(['UK 1234 EC', 'uk1234ec', '1234', 'UK 1234', '1234 EC'])('normalises %s', (text) => {
    expect(parseFsaApproval(text)).toEqual({
      kind: 'fsa-approval',
      canonical: '1234',
      approvalNumber: '1234',
      healthMark: 'UK 1234 EC',
    });
  });

  it('zero-pads short numbers', () => {
    expect(parseFsaApproval('UK 12 EC').canonical).toBe('0012');
  });

  it.each(['UK 12345 EC', 'UK AB12 EC', 'EC 1234', ''])('rejects malformed "%s"', (text) => {
    expect(errorOf(() => parseFsaApproval(text)).code).toBe('BAD_FORMAT');
  });

  it('rejects 0000', () => {
    expect(errorOf(() => parseFsaApproval('UK 0 EC')).code).toBe('OUT_OF_RANGE');
  });
});
