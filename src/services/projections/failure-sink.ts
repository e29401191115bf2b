/** Collects projection failures up to a bound, and the rows each table's replay accounted for. */
import type { ProjectionFailure } from '../../core/ledger/projections/compare.js';

export class FailureSink {
  readonly failures: ProjectionFailure[] = [];
  readonly ruleFailures: ProjectionFailure[] = [];
  truncated = false;
  /** Per table: rows the chain derives, and stored rows the replay compared. */
  readonly tables = new Map<string, { derived: number; stored: number }>();

  constructor(private readonly max = 10_000) {}

  add(...failures: ProjectionFailure[]): void {
    for (const f of failures) {
      if (this.failures.length >= this.max) {
        this.truncated = true;
        return;
      }
      this.failures.push(f);
    }
  }

  rule(failure: ProjectionFailure): void {
    if (this.ruleFailures.length >= this.max) this.truncated = true;
    else this.ruleFailures.push(failure);
  }

  count(table: string, derived: number, stored: number): void {
    const t = this.tables.get(table) ?? { derived: 0, stored: 0 };
    t.derived += derived;
    t.stored += stored;
    this.tables.set(table, t);
  }
}
