/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 * Values JCS cannot represent faithfully are rejected, never rounded: non-finite numbers,
 * digit-form integers outside the IEEE-754 safe range, bigints, undefined, functions and symbols.
 */
import { CryptoError } from './errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalize(value: unknown): string {
  return serialize(value, '$');
}

export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}

function serialize(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value); // RFC 8785 §3.2.2.2: ECMAScript string escaping
    case 'number':
      return serializeNumber(value, path);
    case 'object':
      if (Array.isArray(value)) return `[${value.map((v, i) => serialize(v, `${path}[${i}]`)).join(',')}]`;
      return serializeObject(value as Record<string, unknown>, path);
    default:
      throw new CryptoError('NON_CANONICAL_VALUE', `${path}: ${typeof value} has no JSON representation`, { path });
  }
}

function serializeNumber(value: number, path: string): string {
  if (!Number.isFinite(value)) {
    throw new CryptoError('NON_CANONICAL_VALUE', `${path}: non-finite number ${value} cannot be canonicalised`, { path });
  }
  // An integer beyond 2^53 written as plain digits (|x| < 1e21, e.g. a 64-bit id) has already lost
  // precision; refuse rather than sign a rounded value. From 1e21 on, ECMAScript (hence JCS) uses
  // exponent form, an ordinary double (RFC 8785's own test data has 1E30 -> 1e+30).
  if (Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 1e21) {
    throw new CryptoError('NON_CANONICAL_VALUE', `${path}: integer ${value} is beyond 2^53 and cannot be represented exactly`, { path });
  }
  // RFC 8785 §3.2.2.3: ECMAScript Number.prototype.toString; -0 serialises as 0.
  return Object.is(value, -0) ? '0' : String(value);
}

function serializeObject(value: Record<string, unknown>, path: string): string {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new CryptoError('NON_CANONICAL_VALUE', `${path}: only plain objects can be canonicalised`, { path });
  }
  // RFC 8785 §3.2.3: sort by UTF-16 code units, which is JavaScript's default string order.
  const keys = Object.keys(value).sort();
  const members: string[] = [];
  for (const key of keys) {
    const member = value[key];
    if (member === undefined) {
      throw new CryptoError('NON_CANONICAL_VALUE', `${path}.${key}: undefined has no JSON representation`, { path: `${path}.${key}` });
    }
    members.push(`${JSON.stringify(key)}:${serialize(member, `${path}.${key}`)}`);
  }
  return `{${members.join(',')}}`;
}
