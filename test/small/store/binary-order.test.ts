import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBinary } from '../../../src/store/binary-order.js';

const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('compareBinary (SQLite BINARY order)', () => {
  it('orders as the UTF-8 bytes do, where UTF-16 units would not', () => {
    const astral = '\u{1F404}'; // a surrogate pair
    const high = '\uFF01'; // above the surrogates as a unit, below them as a code point
    expect(astral < high).toBe(true); // UTF-16 units put it first
    expect(Math.sign(compareBinary(astral, high))).toBe(1);
    expect(Math.sign(byUtf8(astral, high))).toBe(1);
    expect(compareBinary('ni:///a', 'ni:///a')).toBe(0);
    expect(Math.sign(compareBinary('ni:///a', 'ni:///ab'))).toBe(-1);
  });

  it('agrees with the sign of Buffer.compare on UTF-8 for any strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => Math.sign(compareBinary(a, b)) === Math.sign(byUtf8(a, b))),
      { numRuns: 5000 },
    );
  });
});
