/** Typed identifier errors: each names the identifier kind, the input and what is wrong. */
export type IdentifierKind =
  | 'sgtin'
  | 'lgtin'
  | 'gtin'
  | 'sscc'
  | 'sgln'
  | 'gln'
  | 'ear-tag'
  | 'cph'
  | 'fsa-approval'
  | 'container'
  | 'imo'
  | 'awb'
  | 'unlocode'
  | 'eori'
  | 'hs-code';

export type IdentifierErrorCode =
  | 'BAD_FORMAT'
  | 'BAD_CHECK_DIGIT'
  | 'OUT_OF_RANGE'
  | 'UNKNOWN_KIND'
  | 'UNSUPPORTED'
  | 'MISSING_COMPANY_PREFIX_LENGTH';

export interface IdentifierErrorDetails {
  /** Undefined only for UNKNOWN_KIND, where no kind could be detected. */
  kind: IdentifierKind | undefined;
  input: string;
  expected?: string;
  actual?: string;
  [key: string]: unknown;
}

/** Human-readable names used in error messages. */
export const KIND_LABELS: Readonly<Record<IdentifierKind, string>> = {
  sgtin: 'SGTIN',
  lgtin: 'LGTIN',
  gtin: 'GTIN',
  sscc: 'SSCC',
  sgln: 'SGLN',
  gln: 'GLN',
  'ear-tag': 'ear tag',
  cph: 'CPH number',
  'fsa-approval': 'FSA approval number',
  container: 'container number',
  imo: 'IMO number',
  awb: 'air waybill',
  unlocode: 'UN/LOCODE',
  eori: 'EORI number',
  'hs-code': 'HS code',
};

export class IdentifierError extends Error {
  override readonly name = 'IdentifierError';
  constructor(
    readonly code: IdentifierErrorCode,
    message: string,
    readonly details: IdentifierErrorDetails,
  ) {
    super(message);
  }
}

/** Builds "<kind label> <shown>: <problem>" so every message names the kind and the value. */
export function identifierError(
  code: IdentifierErrorCode,
  kind: IdentifierKind,
  input: string,
  problem: string,
  extra: Omit<IdentifierErrorDetails, 'kind' | 'input'> & { shown?: string } = {},
): IdentifierError {
  const { shown, ...rest } = extra;
  const label = KIND_LABELS[kind];
  const value = shown ?? input;
  const message = value.length > 0 ? `${label} ${value}: ${problem}` : `${label} (empty): ${problem}`;
  return new IdentifierError(code, message, { kind, input, ...rest });
}

export function checkDigitError(
  kind: IdentifierKind,
  input: string,
  shown: string,
  actual: string,
  expected: string,
): IdentifierError {
  return identifierError(
    'BAD_CHECK_DIGIT',
    kind,
    input,
    `check digit is ${actual}, expected ${expected}`,
    { shown, actual, expected },
  );
}
