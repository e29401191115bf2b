import { describe, expect, it } from 'vitest';
import { OrderingError, SequenceGuard } from '../../../src/platform/ordering/ordering.js';

describe('SequenceGuard', () => {
  it('passes the next sequence, drops repeats, and reports a skip as ORDERING_GAP with both sequences', () => {
    const guard = new SequenceGuard('uk-red-meat', 3);
    expect(guard.admit(2)).toBe(false);
    expect(guard.admit(3)).toBe(false);
    expect(guard.admit(4)).toBe(true);
    expect(guard.admit(4)).toBe(false);
    expect(guard.lastSequence).toBe(4);
    let error: unknown;
    try {
      guard.admit(6);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OrderingError);
    expect(error).toMatchObject({ code: 'ORDERING_GAP', details: { consortium: 'uk-red-meat', expected: 5, actual: 6 } });
    expect(guard.lastSequence).toBe(4); // a gap moves nothing
    expect(guard.admit(5)).toBe(true);
  });
});
