/**
 * A hop's verdict as the explorer shows it. The API's statuses are VERIFIED, WARNING and FAILED;
 * a hop whose only warning is that its record is not sealed into a block yet is shown as
 * incomplete: nothing is wrong with it, the chain just has not confirmed it.
 */
export type HopVerdictName = 'verified' | 'warning' | 'failed' | 'incomplete';

export interface HopLike {
  status: 'VERIFIED' | 'WARNING' | 'FAILED';
  warnings: readonly { code: string }[];
  failures: readonly { code: string }[];
}

export function classifyHop(hop: HopLike): HopVerdictName {
  if (hop.status === 'FAILED' || hop.failures.length > 0) return 'failed';
  if (hop.warnings.length > 0 && hop.warnings.every((w) => w.code === 'NOT_SEALED')) return 'incomplete';
  if (hop.status === 'WARNING' || hop.warnings.length > 0) return 'warning';
  return 'verified';
}

const RANK: Record<HopVerdictName, number> = { verified: 0, incomplete: 1, warning: 2, failed: 3 };

export function worstVerdict(verdicts: Iterable<HopVerdictName>): HopVerdictName {
  let worst: HopVerdictName = 'verified';
  for (const v of verdicts) if (RANK[v] > RANK[worst]) worst = v;
  return worst;
}

/** Colour is never the only sign: each verdict has a word and a symbol too. */
export const VERDICT_TEXT: Record<HopVerdictName, { label: string; symbol: string }> = {
  verified: { label: 'Verified', symbol: '✓' },
  warning: { label: 'Warning', symbol: '!' },
  failed: { label: 'Failed', symbol: '✗' },
  incomplete: { label: 'Incomplete', symbol: '…' },
};
