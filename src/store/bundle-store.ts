/**
 * Fetches the evidence for a proof bundle from the store: the records asked for,
 * every membership record up to the latest checkpoint, their blocks with seals, and RFC 6962
 * inclusion proofs in each block and in the log at the checkpoint's size. Assembly and the
 * derivation of authority sets and signers are pure (src/lineage/bundle.ts).
 */
import { fromHex, toHex } from '../core/crypto/index.js';
import type { BlockHeader, Seal } from '../core/ledger/block.js';
import type { Checkpoint, CheckpointSignature } from '../core/ledger/checkpoint.js';
import { leafHash } from '../core/ledger/merkle-hash.js';
import { inclusionProof } from '../core/ledger/merkle-tree.js';
import type { SignedRecord } from '../core/ledger/record.js';
import { BundleError, MEMBERSHIP_RECORD_KINDS, buildBundle, type BundleAnswer, type BundleBlock, type BundleCompleteness, type BundleRecord, type ProofBundle } from '../core/lineage/bundle.js';
import type { ChainStore } from './chain-store.js';
import { WitnessCosignatureStore } from './witness-cosignature-store.js';

interface RecordRow {
  hash: string;
  logIndex: number;
  blockHeight: number | null;
  indexInBlock: number | null;
  body: string;
}

const ROW_SELECT = { hash: true, logIndex: true, blockHeight: true, indexInBlock: true, body: true } as const;

/** What a v2 bundle answers, at the checkpoint of block `atHeight` (its checkpoint is filled in here). */
export interface AnswerEvidence {
  atHeight: number;
  answer: Omit<BundleAnswer, 'checkpoint'>;
  completeness: BundleCompleteness;
}

/** Builds a bundle proving the given records against the consortium's latest checkpoint (or, for an answer, its block's). */
export async function exportProofBundle(store: ChainStore, consortiumId: string, recordHashes: readonly string[], answered?: AnswerEvidence): Promise<ProofBundle> {
  const db = store.db;
  const cpRow = answered ? await db.checkpoint.findFirst({ where: { consortiumId, blockHeight: answered.atHeight } }) : await store.latestCheckpoint(consortiumId);
  if (!cpRow) throw new BundleError('BUNDLE_NO_CHECKPOINT', `consortium "${consortiumId}" has no signed checkpoint ${answered ? `at block ${answered.atHeight}` : 'yet'}`, { consortium: consortiumId });
  const checkpoint: Checkpoint = {
    v: 1,
    consortium: cpRow.consortiumId,
    logSize: cpRow.logSize,
    logRoot: cpRow.logRoot,
    blockHeight: cpRow.blockHeight,
    blockHash: cpRow.blockHash,
    timestamp: cpRow.timestamp,
  };
  const checkpointSignatures = JSON.parse(cpRow.signatures) as CheckpointSignature[];

  const traceRows: RecordRow[] = [];
  for (const hash of recordHashes) {
    const row = await db.ledgerRecord.findFirst({ where: { consortiumId, hash }, select: ROW_SELECT });
    if (!row) throw new BundleError('BUNDLE_RECORD_NOT_FOUND', `no record ${hash} in consortium "${consortiumId}"`, { recordHash: hash });
    if (row.blockHeight === null || row.logIndex >= checkpoint.logSize) {
      throw new BundleError('BUNDLE_RECORD_NOT_SEALED', `record ${hash} is not yet covered by a signed checkpoint (log size ${checkpoint.logSize})`, {
        recordHash: hash,
        logIndex: row.logIndex,
      });
    }
    traceRows.push(row);
  }
  const membershipRows = await db.ledgerRecord.findMany({
    where: { consortiumId, kind: { in: [...MEMBERSHIP_RECORD_KINDS] }, logIndex: { lt: checkpoint.logSize } },
    orderBy: { logIndex: 'asc' },
    select: ROW_SELECT,
  });

  const heights = new Set<number>([0, checkpoint.blockHeight]);
  for (const row of [...traceRows, ...membershipRows]) heights.add(row.blockHeight!);
  const blockRows = await db.block.findMany({ where: { consortiumId, height: { in: [...heights] } }, orderBy: { height: 'asc' } });
  const blocks: BundleBlock[] = blockRows.map((row) => {
    const header = JSON.parse(row.header) as BlockHeader;
    return { header, hash: row.hash, seals: JSON.parse(row.seals) as Seal[], recordCount: header.recordCount };
  });
  for (const h of heights) {
    if (!blocks.some((b) => b.header.height === h)) throw new BundleError('BUNDLE_MISSING_EVIDENCE', `block ${h} is missing from the store`, { height: h });
  }

  const logLeaves = (await store.logLeaves(consortiumId, checkpoint.logSize)).map((h) => leafHash(fromHex(h, 32)));
  const blockLeaves = new Map<number, Uint8Array[]>();
  const leavesOfBlock = async (height: number): Promise<Uint8Array[]> => {
    let leaves = blockLeaves.get(height);
    if (!leaves) {
      const rows = await db.ledgerRecord.findMany({ where: { consortiumId, blockHeight: height }, orderBy: { indexInBlock: 'asc' }, select: { hash: true } });
      leaves = rows.map((r) => leafHash(fromHex(r.hash, 32)));
      blockLeaves.set(height, leaves);
    }
    return leaves;
  };
  const entryOf = async (row: RecordRow): Promise<BundleRecord> => ({
    record: JSON.parse(row.body) as SignedRecord,
    hash: row.hash,
    logIndex: row.logIndex,
    blockHeight: row.blockHeight!,
    indexInBlock: row.indexInBlock!,
    blockInclusion: inclusionProof(await leavesOfBlock(row.blockHeight!), row.indexInBlock!).map(toHex),
    logInclusion: inclusionProof(logLeaves, row.logIndex).map(toHex),
  });
  const records: BundleRecord[] = [];
  for (const row of traceRows) records.push(await entryOf(row));
  const membershipRecords: BundleRecord[] = [];
  for (const row of membershipRows) membershipRecords.push(await entryOf(row));

  const cosigned = await new WitnessCosignatureStore(db).list(consortiumId, checkpoint.logSize);
  const witnessCosignatures = cosigned.length > 0 ? { witnessCosignatures: cosigned } : {};
  const answer = answered ? { answer: { ...answered.answer, checkpoint: { logSize: checkpoint.logSize, blockHeight: checkpoint.blockHeight, blockHash: checkpoint.blockHash } }, completeness: answered.completeness } : {};
  return buildBundle({ consortium: consortiumId, checkpoint, checkpointSignatures, blocks, records, membershipRecords, ...witnessCosignatures, ...answer });
}
