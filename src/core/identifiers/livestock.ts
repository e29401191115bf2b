/** UK livestock and meat-plant identifiers: cattle ear tags, CPH holdings, FSA approval numbers. */
import { checkDigitError, identifierError } from './errors.js';

export interface EarTagIdentifier {
  kind: 'ear-tag';
  /** "UK" + 12 digits, e.g. "UK123450600001". */
  canonical: string;
  country: 'UK';
  herdMark: string;
  checkDigit: string;
  animalNumber: string;
  /** As printed on tags and passports: "UK 123450 600001" (check digit leads the animal number). */
  display: string;
  /** Each part separated: "UK 123450 6 00001". */
  segmented: string;
}

/**
 * UK cattle ear tag check digit (format "UK HHHHHH CNNNNN", in use since 2000). British Cattle Movement
 * Service (BCMS) rule: take the herd mark and the animal number as one 11-digit number; the check digit
 * is that number mod 7, plus 1 (so 1..7). Checked against published numbers: herd 123450 gives
 * 600001, 700002, 100003.
 */
export function earTagCheckDigit(herdMark: string, animalNumber: string): number {
  return Number(BigInt(herdMark + animalNumber) % 7n) + 1;
}

export function parseEarTag(text: string): EarTagIdentifier {
  const compact = text.trim().replace(/[\s-]+/g, '').toUpperCase();
  const match = /^UK(\d{6})(\d)(\d{5})$/.exec(compact);
  if (!match) {
    throw identifierError('BAD_FORMAT', 'ear-tag', text, 'expected "UK" + herd mark (6 digits) + check digit + animal number (5 digits)', {
      shown: compact,
      actual: compact,
    });
  }
  const [, herdMark, checkDigit, animalNumber] = match as unknown as [string, string, string, string];
  const expected = String(earTagCheckDigit(herdMark, animalNumber));
  if (checkDigit !== expected) throw checkDigitError('ear-tag', text, compact, checkDigit, expected);
  return {
    kind: 'ear-tag',
    canonical: compact,
    country: 'UK',
    herdMark,
    checkDigit,
    animalNumber,
    display: `UK ${herdMark} ${checkDigit}${animalNumber}`,
    segmented: `UK ${herdMark} ${checkDigit} ${animalNumber}`,
  };
}

export interface CphIdentifier {
  kind: 'cph';
  /** "12/345/6789". */
  canonical: string;
  county: string;
  parish: string;
  holding: string;
}

/** County Parish Holding number: county (01..99) / parish (3 digits) / holding (4 digits); no check digit. */
export function parseCph(text: string): CphIdentifier {
  const trimmed = text.trim();
  const match = /^(\d{2})[\s/]*(\d{3})[\s/]*(\d{4})$/.exec(trimmed);
  if (!match) {
    throw identifierError('BAD_FORMAT', 'cph', text, 'expected county (2 digits) / parish (3 digits) / holding (4 digits), e.g. 12/345/6789', {
      shown: trimmed,
      actual: trimmed,
    });
  }
  const [, county, parish, holding] = match as unknown as [string, string, string, string];
  const canonical = `${county}/${parish}/${holding}`;
  if (county === '00') {
    throw identifierError('OUT_OF_RANGE', 'cph', text, 'county must be 01..99, got 00', {
      shown: canonical,
      expected: '01..99',
      actual: county,
    });
  }
  return { kind: 'cph', canonical, county, parish, holding };
}

export interface FsaApprovalIdentifier {
  kind: 'fsa-approval';
  /** The approval number, zero-padded to 4 digits: "1234". */
  canonical: string;
  approvalNumber: string;
  /** Oval health mark text: "UK 1234 EC". */
  healthMark: string;
}

/**
 * FSA approval number of a UK approved meat establishment: 1..4 digits (zero-padded to 4), optionally
 * written as the health mark "UK 1234 EC" (the "UK" prefix and "EC" suffix are both optional on input).
 * Alphanumeric approval codes of other establishment types are not accepted.
 */
export function parseFsaApproval(text: string): FsaApprovalIdentifier {
  const compact = text.trim().replace(/\s+/g, ' ').toUpperCase();
  const match = /^(?:UK\s?)?(\d{1,4})(?:\s?EC)?$/.exec(compact);
  if (!match) {
    throw identifierError('BAD_FORMAT', 'fsa-approval', text, 'expected 1..4 digits, optionally as the health mark "UK 1234 EC"', {
      shown: compact,
      actual: compact,
    });
  }
  const approvalNumber = (match[1] as string).padStart(4, '0');
  if (approvalNumber === '0000') {
    throw identifierError('OUT_OF_RANGE', 'fsa-approval', text, 'approval number 0000 is not assigned', {
      shown: compact,
      expected: '0001..9999',
      actual: approvalNumber,
    });
  }
  return {
    kind: 'fsa-approval',
    canonical: approvalNumber,
    approvalNumber,
    healthMark: `UK ${approvalNumber} EC`,
  };
}
