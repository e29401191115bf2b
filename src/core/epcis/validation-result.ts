// Shared result shape of EPCIS schema validation and of our own rules (pure).

export interface ValidationIssue {
  /** Human path into the validated value, e.g. "epcisBody.eventList[2].eventTime"; "(root)" for the value itself. */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true } | { ok: false; errors: ValidationIssue[] };

export const ROOT_PATH = '(root)';

const PLAIN_KEY = /^[A-Za-z_$@][\w$@:-]*$/;

/** Appends a property or index segment to a human path ("a.b[2]", keys with odd characters as ["k"]). */
export function joinPath(base: string, segment: string | number): string {
  const prefix = base === ROOT_PATH ? '' : base;
  if (typeof segment === 'number') return `${prefix}[${segment}]`;
  if (PLAIN_KEY.test(segment)) return prefix === '' ? segment : `${prefix}.${segment}`;
  return `${prefix}[${JSON.stringify(segment)}]`;
}

export function resultOf(errors: ValidationIssue[]): ValidationResult {
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}

/** Joins several results into one (errors concatenated in order). */
export function mergeResults(...results: ValidationResult[]): ValidationResult {
  return resultOf(results.flatMap((r) => (r.ok ? [] : r.errors)));
}
