/**
 * Long main-thread work in steps: between steps the event loop serves other requests (health
 * checks, reads), so one large capture does not hold every caller for its whole length.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs `step` over the items in slices of `size`, yielding to the event loop between slices. */
export async function inSlices<T>(items: readonly T[], size: number, step: (slice: readonly T[]) => Promise<void> | void): Promise<void> {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('slice size must be a positive integer');
  for (let start = 0; start < items.length; start += size) {
    if (start > 0) await yieldToEventLoop();
    await step(items.slice(start, start + size));
  }
}
