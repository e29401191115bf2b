import { describe, expect, it } from 'vitest';
import { classifyHop, worstVerdict } from '../../../web/src/verdict.js';

const hop = (status: 'VERIFIED' | 'WARNING' | 'FAILED', warnings: string[] = [], failures: string[] = []) => ({
  status,
  warnings: warnings.map((code) => ({ code })),
  failures: failures.map((code) => ({ code })),
});

describe('hop verdicts as the explorer shows them', () => {
  it('maps the API statuses, with an unsealed record shown as incomplete', () => {
    expect(classifyHop(hop('VERIFIED'))).toBe('verified');
    expect(classifyHop(hop('WARNING', ['COLD_CHAIN_BREACH']))).toBe('warning');
    expect(classifyHop(hop('WARNING', ['NOT_SEALED']))).toBe('incomplete');
    expect(classifyHop(hop('WARNING', ['NOT_SEALED', 'CUSTODY']))).toBe('warning');
    expect(classifyHop(hop('FAILED', [], ['BAD_SIGNATURE']))).toBe('failed');
    // A failure outweighs every warning.
    expect(classifyHop(hop('FAILED', ['NOT_SEALED'], ['RECORD_HASH_MISMATCH']))).toBe('failed');
  });

  it('takes the worst of several', () => {
    expect(worstVerdict([])).toBe('verified');
    expect(worstVerdict(['verified', 'incomplete'])).toBe('incomplete');
    expect(worstVerdict(['incomplete', 'warning', 'verified'])).toBe('warning');
    expect(worstVerdict(['warning', 'failed'])).toBe('failed');
  });
});
