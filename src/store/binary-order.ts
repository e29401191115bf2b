/**
 * SQLite's BINARY collation orders text by its UTF-8 bytes, which is code point order. JavaScript's
 * `<` compares UTF-16 code units, which differs once a string holds a character above U+FFFF
 * (a surrogate pair, 0xD800-0xDFFF) where the other holds one in U+E000-U+FFFF.
 */
export function compareBinary(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xHigh = x >= 0xd800 && x <= 0xdfff;
    const yHigh = y >= 0xd800 && y <= 0xdfff;
    // A surrogate stands for a code point above every unit outside the surrogate range.
    if (xHigh !== yHigh) return xHigh ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
