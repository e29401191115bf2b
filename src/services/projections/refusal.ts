/** The node's refusal to serve consortia whose projections disagree with their chains: one clear error naming each table. */
import type { ProjectionFailure } from '../../core/ledger/projections/compare.js';
import { ProjectionError } from './errors.js';

export interface Disagreement {
  consortium: string;
  failures: ProjectionFailure[];
}

const LISTED = 20;

export function refuseDisagreeing(disagreements: readonly Disagreement[]): never {
  const parts = disagreements.map(({ consortium, failures }) => {
    const tables = [...new Set(failures.map((f) => f.table))];
    return `consortium "${consortium}": ${tables.join(', ')} disagree with the chain (${failures[0]!.message}${failures.length > 1 ? `; and ${failures.length - 1} more` : ''}); repair with: provenant rebuild-projections --consortium ${consortium}`;
  });
  throw new ProjectionError('PROJECTIONS_DISAGREE', `refusing to serve: ${parts.join('. ')}`, {
    consortia: disagreements.map(({ consortium, failures }) => ({
      consortium,
      tables: [...new Set(failures.map((f) => f.table))],
      failures: failures.slice(0, LISTED).map(({ code, table, key, column, message }) => ({ code, table, key, column, message })),
      more: Math.max(0, failures.length - LISTED),
    })),
  });
}
