/**
 * Columns of the chain tables that repeat signed data: Block columns repeat the sealed header
 * (and the hash computed from it), the Consortium row repeats the genesis block, a Checkpoint row
 * must state the log as the chain has it at that size.
 */
import type { BlockHeader } from '../block.js';
import type { ConsortiumState } from '../state.js';
import type { BlockColumns, ConsortiumRow } from './rows.js';

/** The Block columns of a sealed header. */
export function blockColumnsOf(header: BlockHeader, hash: string): BlockColumns {
  return {
    height: header.height,
    hash,
    previousHash: header.previousHash,
    merkleRoot: header.merkleRoot,
    recordCount: header.recordCount,
    logSize: header.logSize,
    timestamp: header.timestamp,
    authoritySetHash: header.authoritySetHash,
  };
}

/**
 * Every stored Block column that names a header field and disagrees with it (a header version may
 * add fields: any column named like one is compared). `hash` is compared with the computed hash.
 */
export function blockColumnMismatches(stored: Record<string, unknown>, header: BlockHeader, hash: string): { column: string; stored: unknown; signed: unknown }[] {
  const signed: Record<string, unknown> = { ...(header as unknown as Record<string, unknown>), hash };
  const out: { column: string; stored: unknown; signed: unknown }[] = [];
  for (const [column, value] of Object.entries(stored)) {
    if (!(column in signed) || column === 'consortium') continue;
    if (value !== signed[column]) out.push({ column, stored: value, signed: signed[column] });
  }
  return out;
}

/** The Consortium row of a chain: genesis as block 0 states it. */
export function consortiumRowOf(genesis: ConsortiumState, genesisHeader: BlockHeader, genesisHash: string): ConsortiumRow {
  return {
    id: genesis.id,
    name: genesis.name,
    genesisHash,
    quorumNumerator: genesis.quorum.numerator,
    quorumDenominator: genesis.quorum.denominator,
    createdAt: genesisHeader.timestamp,
  };
}
