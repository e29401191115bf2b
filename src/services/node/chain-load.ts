/** Rebuilds a consortium's state and log from its final blocks as stored (the store verified each record on write). */
import { fromHex, toHex } from '../../core/crypto/index.js';
import type { Block, BlockHeader, Seal } from '../../core/ledger/block.js';
import { ConsortiumState, admitRecord, closeBlock } from '../../core/ledger/consortium.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { leafHash } from '../../core/ledger/merkle-hash.js';
import { MerkleAccumulator } from '../../core/ledger/merkle-tree.js';
import type { ChainStore, VerifiableBlockRow, VerifiableRecordRow } from '../../store/chain-store.js';

/**
 * Sees the chain as the node loads it at start-up (the start-up projection check rides on the
 * replay the node does anyway): each record once admitted, each block once closed, and the state
 * after the last sealed block.
 */
export interface LoadObserver {
  record(row: VerifiableRecordRow, state: ConsortiumState, sealed: boolean): void;
  block(block: VerifiableBlockRow, state: ConsortiumState, logRoot: () => string): void;
  /** The state after the head; a promise holds the catch-up back (it may write the tables the observer reads). */
  sealed(state: ConsortiumState): void | Promise<void>;
  /** Before the blocks the catch-up stored: rows the catch-up wrote beside them (checkpoints) are read again. */
  caughtUp?(): Promise<void>;
}

/** Appends a closed block's records to the log, then shows the block to the observer with the log's root after it. */
function appendToLog(block: VerifiableBlockRow, state: ConsortiumState, log: MerkleAccumulator, observer: LoadObserver | undefined): void {
  for (const row of block.records) log.append(leafHash(fromHex(row.storedHash, 32)));
  observer?.block(block, state, () => toHex(log.root()));
}

/** `observer` sees each record once admitted, each block once closed, and the state after the head (the start-up projection check). */
export async function loadFinalChain(store: ChainStore, consortiumId: string, observer?: LoadObserver): Promise<{ state: ConsortiumState; log: MerkleAccumulator; headSeals: Seal[]; head: BlockHeader }> {
  let state: ConsortiumState | undefined;
  let headSeals: Seal[] = [];
  let head: BlockHeader | undefined;
  const log = new MerkleAccumulator();
  // An observer compares the Block columns with the headers itself, so they reach it as stored.
  for await (const block of store.streamBlocks(consortiumId, undefined, { markColumnMismatches: !observer })) {
    const records = block.records.map((r) => r.record);
    if (!state) {
      state = ConsortiumState.fromGenesis({ header: block.header, records, seals: block.seals } as Block);
      if (block.records[0]) observer?.record(block.records[0], state, true);
    } else {
      for (const row of block.records) {
        admitRecord(state, row.record, { recordHash: row.storedHash, verifySignature: false });
        observer?.record(row, state, true);
      }
      closeBlock(state, block.header, block.storedHash);
    }
    appendToLog(block, state, log, observer);
    headSeals = [...block.seals];
    head = block.header;
  }
  if (!state || !head) throw new LedgerError('UNKNOWN_CONSORTIUM', `consortium "${consortiumId}" has no genesis block`, { consortium: consortiumId });
  await observer?.sealed(state);
  return { state, log, headSeals, head };
}

/**
 * Shows the observer the blocks stored after `loadFinalChain` (made final while the node caught up
 * with its ordering log, or fetched from peers), as that function shows the ones it loads: replayed
 * on `stateAsLoaded` (a copy of the state after the loaded head; it is moved forward), so the
 * observer is handed the state after the last final block. The chain's own state may hold records
 * admitted to blocks not yet final, whose projection rows are not written yet. `log` is the log as
 * loaded (a copy: it is appended to).
 */
export async function observeCaughtUp(store: ChainStore, consortiumId: string, loadedHeight: number, log: MerkleAccumulator, stateAsLoaded: ConsortiumState, observer: LoadObserver): Promise<void> {
  let blocks = 0;
  await observer.caughtUp?.();
  const state = stateAsLoaded;
  for await (const block of store.streamBlocks(consortiumId, undefined, { markColumnMismatches: false, fromHeight: loadedHeight + 1 })) {
    for (const row of block.records) {
      admitRecord(state, row.record, { recordHash: row.storedHash, verifySignature: false });
      observer.record(row, state, true);
    }
    closeBlock(state, block.header, block.storedHash);
    appendToLog(block, state, log, observer);
    blocks += 1;
  }
  if (blocks > 0) await observer.sealed(state);
}
