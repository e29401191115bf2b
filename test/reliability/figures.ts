/**
 * The reliability suite's scale and figures. RELIABILITY_SCALE=full is the long run
 * (`npm run test:reliability`): 10,000 cases per bad-input surface and 50 SIGKILL points; the
 * default is the short run CI takes with the other tests. Each section appends its row to
 * RELIABILITY_OUT (JSON lines) when set, and the runner prints them as one table.
 */
import { appendFileSync } from 'node:fs';
import { prng } from '../helpers/prng.js';

export { prng };

export const FULL = process.env.RELIABILITY_SCALE === 'full';

/** Cases per bad-input surface. */
export const CASES = Number(process.env.RELIABILITY_CASES ?? (FULL ? 10_000 : 100));

/** SIGKILL points of the crash section. */
export const KILLS = Number(process.env.RELIABILITY_KILLS ?? (FULL ? 50 : 3));

/** The seed every generator starts from (printed in the table, so a failing run can be replayed). */
export const SEED = Number(process.env.RELIABILITY_SEED ?? 20261207);

export interface FigureRow {
  section: 'bad input' | 'crash' | 'tamper' | 'abuse';
  surface: string;
  cases: number;
  /** Each figure that must be 0, by name. */
  mustBeZero: Record<string, number>;
  /** Other figures worth reading beside them (accepted, refused, seconds...). */
  notes?: Record<string, number | string>;
}

export function recordFigures(row: FigureRow): void {
  const out = process.env.RELIABILITY_OUT;
  if (out) appendFileSync(out, `${JSON.stringify({ ...row, seed: SEED })}\n`);
}

