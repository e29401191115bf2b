/**
 * A lower bound of the bytes a parsed JSON value takes as JSON text (exact for ASCII text without
 * escapes), counted only up to a cap: the walk stops there, so asking whether a document is large
 * costs little however large it is.
 */
export function jsonBytesUpTo(value: unknown, cap: number): number {
  let total = 0;
  // Containers being walked, each with the values still to count (in reverse, popped from the end).
  const pending: unknown[][] = [[value]];
  while (pending.length > 0 && total < cap) {
    const values = pending[pending.length - 1]!;
    if (values.length === 0) {
      pending.pop();
      continue;
    }
    const v = values.pop();
    if (typeof v === 'string') total += v.length + 2;
    else if (Array.isArray(v)) {
      // Brackets and a comma between items: a long list is over the cap without reading it.
      if (v.length > cap - total) return cap;
      total += 1 + Math.max(1, v.length);
      pending.push(v.slice().reverse());
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      // Each member takes at least four bytes: quotes, colon and a value.
      if (keys.length * 4 > cap - total) return cap;
      total += 1 + Math.max(1, keys.length);
      for (const key of keys) total += key.length + 3;
      pending.push(keys.map((k) => (v as Record<string, unknown>)[k]).reverse());
    } else total += String(v).length;
  }
  return Math.min(total, cap);
}
