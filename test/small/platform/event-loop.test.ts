import { describe, expect, it } from 'vitest';
import { inSlices } from '../../../src/platform/event-loop.js';

describe('inSlices', () => {
  it('hands every item over once, in order, in slices of the size given', async () => {
    const seen: number[][] = [];
    await inSlices([1, 2, 3, 4, 5], 2, (slice) => void seen.push([...slice]));
    expect(seen).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('lets the event loop run between slices, so a waiting timer fires before the last slice', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('other work'));
    await inSlices(['a', 'b', 'c'], 1, (slice) => void order.push(slice[0]!));
    expect(order.indexOf('other work')).toBeGreaterThan(0);
    expect(order.indexOf('other work')).toBeLessThan(order.indexOf('c'));
  });

  it('refuses a slice size that is not a positive integer', async () => {
    await expect(inSlices([1], 0, () => undefined)).rejects.toThrow(/positive integer/);
    await expect(inSlices([1], 1.5, () => undefined)).rejects.toThrow(/positive integer/);
  });
});
