/** Rebuilds a consortium's state and log from its final blocks as stored (the store verified each record on write). */
import { fromHex } from '../../core/crypto/index.js';
import type { Block, Seal } from '../../core/ledger/block.js';
import { ConsortiumState, admitRecord, closeBlock } from '../../core/ledger/consortium.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { leafHash } from '../../core/ledger/merkle-hash.js';
import { MerkleAccumulator } from '../../core/ledger/merkle-tree.js';
import type { ChainStore } from '../../store/chain-store.js';

export async function loadFinalChain(store: ChainStore, consortiumId: string): Promise<{ state: ConsortiumState; log: MerkleAccumulator; headSeals: Seal[] }> {
  let state: ConsortiumState | undefined;
  let headSeals: Seal[] = [];
  const log = new MerkleAccumulator();
  for await (const block of store.streamBlocks(consortiumId)) {
    const records = block.records.map((r) => r.record);
    if (!state) {
      state = ConsortiumState.fromGenesis({ header: block.header, records, seals: block.seals } as Block);
    } else {
      for (const row of block.records) admitRecord(state, row.record, { recordHash: row.storedHash, verifySignature: false });
      closeBlock(state, block.header, block.storedHash);
    }
    for (const row of block.records) log.append(leafHash(fromHex(row.storedHash, 32)));
    headSeals = [...block.seals];
  }
  if (!state) throw new LedgerError('UNKNOWN_CONSORTIUM', `consortium "${consortiumId}" has no genesis block`, { consortium: consortiumId });
  return { state, log, headSeals };
}
