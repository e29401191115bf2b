/**
 * Organisation, OrgIdentifier, OrgKey and Device against the state the chain establishes. The node
 * rewrites them with each block that changes membership; the replay remembers, per row, the last
 * record that changed it, so a difference names the record it should come from.
 */
import { canonicalize, type JsonValue } from '../../core/crypto/index.js';
import type { ReplayedBlock } from '../../core/ledger/chain-verifier.js';
import { TABLE_SHAPES, diffRows, type TableShape } from '../../core/ledger/projections/compare.js';
import { membershipProjectionOf, orgIdentifierRowsOf } from '../../core/ledger/projections/membership-rows.js';
import type { MembershipProjection, RowSource } from '../../core/ledger/projections/rows.js';
import type { ConsortiumState } from '../../core/ledger/state.js';
import type { ChainStore } from '../../store/chain-store.js';
import type { ProjectionStore } from '../../store/projection-store.js';
import type { FailureSink } from './failure-sink.js';

type Rows = Record<string, unknown>[];

function tablesOf(projection: MembershipProjection): [TableShape, Rows][] {
  return [
    [TABLE_SHAPES.Organisation, projection.orgs as unknown as Rows],
    [TABLE_SHAPES.OrgIdentifier, orgIdentifierRowsOf(projection) as unknown as Rows],
    [TABLE_SHAPES.OrgKey, projection.keys as unknown as Rows],
    [TABLE_SHAPES.Device, projection.devices as unknown as Rows],
  ];
}

const rowKey = (shape: TableShape, row: Record<string, unknown>): string => `${shape.table}\u0000${shape.key.map((k) => String(row[k])).join('\u0000')}`;

export class MembershipCheck {
  /** Per row: its text as last derived, and the record that last changed it. */
  readonly #rows = new Map<string, { text: string; source: RowSource }>();
  #changedBy: RowSource | undefined;

  constructor(private readonly sink: FailureSink) {}

  /** A record that changes membership, in the block being replayed. */
  onMembershipRecord(source: RowSource): void {
    this.#changedBy = source;
  }

  /** After a block that changed membership (or genesis), attributes each changed row to its record. */
  onBlock(block: ReplayedBlock): void {
    if (!this.#changedBy) return;
    const source = { ...this.#changedBy, height: block.height };
    this.#changedBy = undefined;
    for (const [shape, rows] of tablesOf(membershipProjectionOf(block.state))) {
      for (const row of rows) {
        const key = rowKey(shape, row);
        const text = canonicalize(row as JsonValue);
        if (this.#rows.get(key)?.text !== text) this.#rows.set(key, { text, source });
      }
    }
  }

  /** Compares the stored tables with the membership the sealed chain establishes. */
  async finish(state: ConsortiumState, chain: ChainStore, store: ProjectionStore): Promise<void> {
    const stored = await chain.readProjection(store.consortiumId);
    const storedTables: Record<string, Rows> = {
      Organisation: stored.orgs as unknown as Rows,
      OrgIdentifier: (await store.orgIdentifiers()) as unknown as Rows,
      OrgKey: stored.keys as unknown as Rows,
      Device: stored.devices as unknown as Rows,
    };
    for (const [shape, rows] of tablesOf(membershipProjectionOf(state))) {
      const diff = diffRows(shape, rows, storedTables[shape.table] ?? [], (row) => this.#rows.get(rowKey(shape, row as Record<string, unknown>))?.source);
      this.sink.add(...diff.failures);
      this.sink.count(shape.table, rows.length, diff.seen);
    }
  }
}
