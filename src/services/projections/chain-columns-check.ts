/**
 * Columns of the chain tables that repeat signed data, against the replay: every Block column
 * named like a header field (and its hash), the Consortium row against the genesis block, and
 * every stored checkpoint against the log as the chain has it at that size (root, block, time,
 * and signatures by a quorum of the authorities in force). A checkpoint for a log larger than the
 * head is a rollback: CHECKPOINT_BEYOND_HEAD.
 */
import type { ReplayedBlock } from '../../core/ledger/chain-verifier.js';
import { verifyCheckpointSignatures, type Checkpoint, type CheckpointSignature, CHECKPOINT_VERSION } from '../../core/ledger/checkpoint.js';
import { blockColumnMismatches, consortiumRowOf } from '../../core/ledger/projections/chain-rows.js';
import { TABLE_SHAPES, diffRows, rowFailure, type ProjectionFailure } from '../../core/ledger/projections/compare.js';
import type { ProjectionStore, StoredCheckpointRow } from '../../store/projection-store.js';
import type { FailureSink } from './failure-sink.js';

const CHECKPOINT = { table: 'Checkpoint' };

function checkpointFailure(code: 'CHECKPOINT_MISMATCH' | 'CHECKPOINT_BEYOND_HEAD', cp: StoredCheckpointRow, message: string, extra: Partial<ProjectionFailure> = {}): ProjectionFailure {
  return { code, table: 'Checkpoint', key: { logSize: cp.logSize }, message: `Checkpoint row (logSize=${cp.logSize}): ${message}`, ...extra };
}

/** The checkpoint's signatures against the authorities that signed checkpoints after this block. */
function signatureFailure(cp: StoredCheckpointRow, statement: Checkpoint, block: ReplayedBlock): ProjectionFailure | undefined {
  let signatures: CheckpointSignature[];
  try {
    signatures = JSON.parse(cp.signatures) as CheckpointSignature[];
    if (!Array.isArray(signatures)) throw new Error('not an array');
  } catch {
    return checkpointFailure('CHECKPOINT_MISMATCH', cp, 'signatures are not a JSON array', { column: 'signatures' });
  }
  try {
    verifyCheckpointSignatures(statement, signatures, block.state.authoritiesInForce, block.state.quorum);
    return undefined;
  } catch (err) {
    return checkpointFailure('CHECKPOINT_MISMATCH', cp, `signatures do not hold: ${(err as Error).message}`, { column: 'signatures', source: { height: block.height } });
  }
}

export class ChainColumnsCheck {
  #checkpoints = new Map<number, StoredCheckpointRow>();
  readonly #matched = new Set<number>();
  #consortium: Record<string, unknown> | undefined;
  #columns: Record<string, unknown> | undefined;
  #headLogSize = 0;
  /** Height and log size of each block replayed. */
  readonly #blocks: { height: number; logSize: number }[] = [];

  constructor(
    private readonly store: ProjectionStore,
    private readonly sink: FailureSink,
    /** False for a node of a multi-node consortium: a checkpoint waits for a quorum of cosignatures, which a crash may cut short. */
    private readonly everyBlock = true,
  ) {}

  async start(): Promise<void> {
    this.#checkpoints = new Map((await this.store.checkpoints()).map((c) => [c.logSize, c]));
    this.#consortium = await this.store.consortiumRow();
  }

  /** The stored columns of the block about to be replayed. */
  setColumns(columns: Record<string, unknown> | undefined): void {
    this.#columns = columns;
  }

  onBlock(block: ReplayedBlock): void {
    this.#headLogSize = block.logSize;
    this.#blocks.push({ height: block.height, logSize: block.logSize });
    const { header, hash } = block;
    if (!header || !hash) return;
    for (const m of blockColumnMismatches(this.#columns ?? {}, header, hash)) {
      this.sink.add(rowFailure('ROW_MISMATCH', { table: 'Block' }, { height: block.height }, { column: m.column, expected: m.signed, stored: m.stored, source: { height: block.height } }));
    }
    if (block.height === 0) {
      const derived = consortiumRowOf(block.state, header, hash);
      this.sink.add(...diffRows(TABLE_SHAPES.Consortium, [derived], this.#consortium ? [this.#consortium] : [], () => ({ height: 0 })).failures);
    }
    const cp = this.#checkpoints.get(block.logSize);
    if (!cp) return;
    this.#matched.add(cp.logSize);
    const statement: Checkpoint = { v: CHECKPOINT_VERSION, consortium: header.consortium, logSize: block.logSize, logRoot: block.logRoot, blockHeight: block.height, blockHash: hash, timestamp: header.timestamp };
    const stated = { logRoot: cp.logRoot, blockHeight: cp.blockHeight, blockHash: cp.blockHash, timestamp: cp.timestamp };
    let columnsHold = true;
    for (const [column, value] of Object.entries(stated)) {
      const expected = statement[column as keyof Checkpoint];
      if (value !== expected) {
        columnsHold = false;
        this.sink.add(checkpointFailure('CHECKPOINT_MISMATCH', cp, `${column} is ${JSON.stringify(value)}, the chain says ${JSON.stringify(expected)} after block ${block.height}`, { column, expected, stored: value, source: { height: block.height } }));
      }
    }
    // Signatures are checked over the statement the chain makes (a forged column fails above already).
    if (columnsHold) {
      const failure = signatureFailure(cp, statement, block);
      if (failure) this.sink.add(failure);
    }
  }

  /**
   * A node that signs checkpoints signs one with every block it seals (services/node/ledger-node.ts):
   * from its first checkpoint on, a block without one lost it.
   */
  #gaps(): void {
    const first = this.#blocks.findIndex((b) => this.#matched.has(b.logSize));
    if (first < 0 || !this.everyBlock) return;
    let reported = 0;
    for (const b of this.#blocks.slice(first)) {
      if (this.#matched.has(b.logSize) || reported++ >= 20) continue;
      this.sink.add({ code: 'ROW_MISSING', table: 'Checkpoint', key: { logSize: b.logSize }, source: { height: b.height }, message: `Checkpoint row (logSize=${b.logSize}) is missing: the node signed a checkpoint with every block from its first one on, but none is stored after block ${b.height}` });
    }
  }

  /** Checkpoints no block accounts for: beyond the head (a rollback), or at a size no block ends at. */
  finish(): number {
    for (const cp of this.#checkpoints.values()) {
      if (this.#matched.has(cp.logSize)) continue;
      if (cp.logSize > this.#headLogSize) {
        this.sink.add(checkpointFailure('CHECKPOINT_BEYOND_HEAD', cp, `signed for a log of ${cp.logSize} records, but the chain's head holds ${this.#headLogSize}: history was rolled back or is missing`, { expected: this.#headLogSize, stored: cp.logSize }));
      } else {
        this.sink.add(checkpointFailure('CHECKPOINT_MISMATCH', cp, `no block of the chain ends at log size ${cp.logSize}`));
      }
    }
    this.#gaps();
    this.sink.count(CHECKPOINT.table, this.#matched.size, this.#checkpoints.size);
    return this.#checkpoints.size;
  }
}
