/** Shape checks shared by the payload parsers of kinds whose payloads are read, not admitted. */
import { LedgerError } from '../errors.js';

export function malformedPayload(kind: string, message: string, field: string): LedgerError {
  return new LedgerError('MALFORMED_RECORD', `${kind} payload: ${message}`, { field });
}

/** A plain object with exactly the required keys and any of the optional ones. */
export function requireKeys(kind: string, value: unknown, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformedPayload(kind, 'must be an object', 'payload');
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) if (!required.includes(key) && !optional.includes(key)) throw malformedPayload(kind, `unexpected field "${key}"`, key);
  for (const key of required) if (v[key] === undefined) throw malformedPayload(kind, `"${key}" is missing`, key);
  return v;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isCount(value: unknown, min = 0): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min;
}
