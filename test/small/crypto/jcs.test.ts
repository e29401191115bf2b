import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalize, CryptoError } from '../../../src/core/crypto/index.js';
import { JCS_DIR } from '../../vectors/index.js';

const vectorNames = fs.readdirSync(path.join(JCS_DIR, 'input')).filter((f) => f.endsWith('.json')).sort();

function expectNonCanonical(value: unknown): void {
  let caught: unknown;
  try {
    canonicalize(value);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CryptoError);
  expect((caught as CryptoError).code).toBe('NON_CANONICAL_VALUE');
}

describe('RFC 8785 reference vectors (cyberphone/json-canonicalization)', () => {
  it('has the four vector pairs', () => {
    expect(vectorNames).toEqual(['arrays.json', 'french.json', 'structures.json', 'values.json']);
  });

  it.each(vectorNames)('%s canonicalises byte for byte', (name) => {
    const input: unknown = JSON.parse(fs.readFileSync(path.join(JCS_DIR, 'input', name), 'utf8'));
    // Output files are exact canonical bytes; none ends in a newline, so nothing is trimmed.
    const expected = fs.readFileSync(path.join(JCS_DIR, 'output', name));
    expect(expected.at(-1)).not.toBe(0x0a);
    expect(Buffer.from(canonicalBytes(input)).equals(expected)).toBe(true);
    expect(canonicalize(input)).toBe(expected.toString('utf8'));
  });
});

describe('values without a faithful JCS form are rejected', () => {
  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['2**53', 2 ** 53],
    ['-(2**53)', -(2 ** 53)],
    ['2**64 (a rounded 64-bit id)', 2 ** 64],
    ['undefined', undefined],
    ['a function', () => 1],
    ['a bigint', 1n],
    ['a symbol', Symbol('s')],
    ['a class instance', new (class Point { x = 1; })()],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['NaN nested in an array', [1, NaN]],
    ['undefined as an object member', { a: undefined }],
    ['a bigint deep in an object', { a: { b: [1n] } }],
  ])('%s', (_label, value) => expectNonCanonical(value));

  it('names the failing path', () => {
    try {
      canonicalize({ a: [0, { b: NaN }] });
      expect.unreachable();
    } catch (err) {
      expect((err as CryptoError).details).toEqual({ path: '$.a[1].b' });
    }
  });
});

describe('numbers', () => {
  it('-0 serialises as 0', () => {
    expect(canonicalize(-0)).toBe('0');
    expect(canonicalize([-0, { z: -0 }])).toBe('[0,{"z":0}]');
  });

  it('accepts the largest safe integers and exponent-form magnitudes', () => {
    expect(canonicalize(2 ** 53 - 1)).toBe('9007199254740991');
    expect(canonicalize(-(2 ** 53 - 1))).toBe('-9007199254740991');
    expect(canonicalize(1e21)).toBe('1e+21');
    expect(canonicalize(-1e30)).toBe('-1e+30');
  });

  it('rejects the largest digit-form integer below 1e21', () => {
    expectNonCanonical(999999999999999900000);
  });

  it('uses ECMAScript shortest round-trip number form', () => {
    expect(canonicalize([0.1, 1e-7, 123e-20, 4.5, 100])).toBe('[0.1,1e-7,1.23e-18,4.5,100]');
  });
});

describe('strings and keys', () => {
  it('sorts keys by UTF-16 code units, not code points or locale', () => {
    // U+FFFD sorts after U+1F600 (surrogate 0xD83D) in UTF-16 order, before it in code point order.
    expect(canonicalize({ '\u{1F600}': 1, '\uFFFD': 2, b: 3, B: 4 })).toBe('{"B":4,"b":3,"😀":1,"\uFFFD":2}');
  });

  it('escapes control characters as RFC 8785 §3.2.2.2 requires', () => {
    expect(canonicalize('\u0000\b\t\n\f\r\u001f"\\/')).toBe('"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/"');
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
    expect(canonicalize(bare)).toBe('{"a":2,"b":1}');
  });
});

/** fc.jsonValue() doubles can be digit-form integers beyond 2^53, which we reject by design. */
function isRepresentable(value: unknown): boolean {
  if (typeof value === 'number') return !(Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 1e21);
  if (Array.isArray(value)) return value.every(isRepresentable);
  if (value !== null && typeof value === 'object') return Object.values(value).every(isRepresentable);
  return true;
}

const representableJson = fc.jsonValue().filter(isRepresentable);

function shuffledKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffledKeys(v, seed));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  // Deterministic rotation plus reversal: a different insertion order for any object with 2+ keys.
  const rotated = entries.slice(seed % Math.max(entries.length, 1)).concat(entries.slice(0, seed % Math.max(entries.length, 1))).reverse();
  return Object.fromEntries(rotated.map(([k, v]) => [k, shuffledKeys(v, seed)]));
}

describe('properties', () => {
  it('canonicalisation is idempotent through JSON.parse', () => {
    fc.assert(
      fc.property(representableJson, (value) => {
        const once = canonicalize(value);
        expect(canonicalize(JSON.parse(once))).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('canonical form is valid JSON that parses back to an equal value (-0 read as 0)', () => {
    fc.assert(
      fc.property(representableJson, (value) => {
        expect(JSON.parse(canonicalize(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on key insertion order', () => {
    fc.assert(
      fc.property(representableJson, fc.nat(), (value, seed) => {
        expect(canonicalize(shuffledKeys(value, seed))).toBe(canonicalize(value));
      }),
      { numRuns: 500 },
    );
  });

  it('digit-form integers beyond 2^53 are always rejected', () => {
    fc.assert(
      fc.property(fc.double({ min: 2 ** 53, max: 1e21, noNaN: true }).filter((x) => x < 1e21), fc.boolean(), (x, negative) => {
        const value = Math.floor(x) * (negative ? -1 : 1);
        expectNonCanonical(value);
      }),
    );
  });
});
