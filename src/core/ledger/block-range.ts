/**
 * Verifies final blocks a peer served (docs/design/network.md "Catch-up over HTTP"), on top of the
 * chain state a node holds: each block as `provenant verify` checks a stored one (header shape and
 * hash, height, hash link, time order, header version, every record's shape, hash, log index and
 * admission with its signature, record count, Merkle root, log size, the authority set in force and
 * a quorum of its seals). Nothing a peer says is trusted: a block is taken only when all hold, and
 * the first block that fails stops the range. The index root of version-2 headers is checked when
 * the node opens its index map at the new head (index-map-load.ts).
 */
import { merkleRootOfRecordHashes, headerVersionRule, type BlockHeader, type Seal } from './block.js';
import { checkBlockHeader, checkBlockSeals, type AuthoritySet } from './block-check.js';
import { admitRecord } from './admission.js';
import { LedgerError } from './errors.js';
import { assertRecordShape, recordHash, type SignedRecord } from './record.js';
import { MEMBERSHIP_KINDS } from './records/index.js';
import { closeBlock, type ConsortiumState } from './state.js';

/** A block as a peer serves it (GET /peer/consortia/:id/blocks); every field is untrusted. */
export interface ServedBlock {
  header: unknown;
  hash: unknown;
  seals: unknown;
  records: unknown;
  cutSequence: unknown;
  finalSequence: unknown;
}

export interface VerifiedRecord {
  record: SignedRecord;
  hash: string;
  logIndex: number;
}

export interface VerifiedBlock {
  header: BlockHeader;
  hash: string;
  seals: Seal[];
  records: VerifiedRecord[];
  /** The ordering log entries that cut the block and made it final, as the peer stored them (not signed). */
  cutSequence: number;
  finalSequence: number;
  /** A record of the block changed membership, keys or authorities. */
  membershipChanged: boolean;
  /** The state after the block, when its records changed membership (its tables are written from it). */
  stateAfter?: ConsortiumState;
}

export interface RangeFailure {
  height: number;
  code: string;
  message: string;
}

export interface RangeResult {
  verified: VerifiedBlock[];
  /** The state after the last verified block (a copy: the state passed in is left as it was). */
  state: ConsortiumState;
  /** The first block refused, and why; nothing after it was looked at. */
  failure?: RangeFailure;
}

export interface RangeHead {
  header: BlockHeader;
  /** The sequence that cut the head block (0 for genesis). */
  cutSequence: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSequence = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

class BlockRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Verifies `blocks` as the blocks after `head` on a copy of `state` (the state after `head`).
 * `isStoredRecord`: record hashes the node already holds in a final block (a record appears once
 * in a chain).
 */
export function verifyBlockRange(state: ConsortiumState, head: RangeHead, blocks: readonly unknown[], isStoredRecord: (hash: string) => boolean = () => false): RangeResult {
  let current = state.clone();
  let previous = head;
  const verified: VerifiedBlock[] = [];
  const seen = new Set<string>();
  for (const served of blocks) {
    const height = current.height + 1;
    const next = current.clone();
    try {
      const block = verifyOne(next, previous, served, height, (hash) => seen.has(hash) || isStoredRecord(hash));
      for (const r of block.records) seen.add(r.hash);
      verified.push(block.membershipChanged ? { ...block, stateAfter: next } : block);
      current = next;
      previous = { header: block.header, cutSequence: block.cutSequence };
    } catch (err) {
      if (err instanceof BlockRefused) return { verified, state: current, failure: { height, code: err.code, message: `block ${height}: ${err.message}` } };
      if (err instanceof LedgerError) return { verified, state: current, failure: { height, code: err.code, message: `block ${height}: ${err.message}` } };
      throw err;
    }
  }
  return { verified, state: current };
}

function verifyOne(state: ConsortiumState, previous: RangeHead, served: unknown, height: number, isDuplicate: (hash: string) => boolean): VerifiedBlock {
  const refuse = (code: string, message: string): never => {
    throw new BlockRefused(code, message);
  };
  if (!isObject(served)) return refuse('MALFORMED_BLOCK', 'a served block must be an object');
  const checked = checkBlockHeader(served.header, served.hash, height);
  if (checked.failures.length > 0 || !checked.header || !checked.hash) return refuse(checked.failures[0]?.code ?? 'MALFORMED_BLOCK', checked.failures[0]?.message ?? 'malformed header');
  const header = checked.header;
  const hash = checked.hash;
  if (header.consortium !== state.id) refuse('WRONG_CONSORTIUM', `it is for consortium "${header.consortium}", not "${state.id}"`);
  if (header.height !== height) refuse('WRONG_HEIGHT', `the header claims height ${header.height}`);
  if (header.previousHash !== state.headHash) refuse('BROKEN_HASH_LINK', 'previousHash is not the hash of the block before');
  if (header.timestamp < state.headTimestamp) refuse('TIME_REVERSED', `timestamp ${header.timestamp} is before ${state.headTimestamp}`);
  const versions = headerVersionRule(state.indexCommitment, previous.header.v);
  if (!versions.accepted.includes(header.v)) refuse('HEADER_VERSION', `a version-${header.v} header where version ${versions.accepted.join(' or ')} is allowed`);
  if (!isSequence(served.cutSequence) || !isSequence(served.finalSequence) || served.cutSequence <= previous.cutSequence || served.finalSequence < served.cutSequence) {
    refuse('BAD_SEQUENCE', `cutSequence and finalSequence must be integers with ${previous.cutSequence} < cutSequence <= finalSequence`);
  }
  if (!Array.isArray(served.records)) return refuse('MALFORMED_BLOCK', 'records must be an array');
  // The set that seals this block is the one in force before its records (they change the next block's).
  const inForce: AuthoritySet = { hash: state.authoritySetHash(), authorities: [...state.authoritiesInForce], quorum: state.quorum };
  const records = verifyRecords(state, served.records, isDuplicate, refuse);
  if (header.recordCount !== records.length) refuse('RECORD_COUNT_MISMATCH', `the header says ${header.recordCount} records, ${records.length} were served`);
  if (header.logSize !== state.logSize) refuse('LOG_SIZE_MISMATCH', `header logSize ${header.logSize}, the log holds ${state.logSize}`);
  if (header.merkleRoot !== merkleRootOfRecordHashes(records.map((r) => r.hash))) refuse('MERKLE_ROOT_MISMATCH', 'the Merkle root does not match the records served');
  const sealFailures = checkBlockSeals(header, hash, served.seals, height, { inForce, byHash: (h) => state.authoritySetByHash(h) });
  if (sealFailures.length > 0) refuse(sealFailures[0]!.code, sealFailures.map((f) => f.message).join('; '));
  closeBlock(state, header, hash);
  return {
    header,
    hash,
    seals: (served.seals as Seal[]).map((s) => ({ keyId: s.keyId, signature: s.signature })),
    records,
    cutSequence: served.cutSequence as number,
    finalSequence: served.finalSequence as number,
    membershipChanged: records.some((r) => MEMBERSHIP_KINDS.includes(r.record.kind)),
  };
}

function verifyRecords(state: ConsortiumState, served: readonly unknown[], isDuplicate: (hash: string) => boolean, refuse: (code: string, message: string) => never): VerifiedRecord[] {
  const records: VerifiedRecord[] = [];
  served.forEach((item, j) => {
    if (!isObject(item)) refuse('MALFORMED_RECORD', `record ${j} must be an object`);
    const row = item as Record<string, unknown>;
    if (row.logIndex !== state.logSize) refuse('LOG_INDEX_MISMATCH', `record ${j} is served at log index ${String(row.logIndex)}, expected ${state.logSize}`);
    assertRecordShape(row.record);
    const record = row.record;
    const hash = recordHash(record);
    if (row.hash !== hash) refuse('RECORD_HASH_MISMATCH', `record ${j}: the served hash is not the hash of its content`);
    if (isDuplicate(hash)) refuse('DUPLICATE_RECORD', `record ${j} already appears earlier in the chain`);
    // Signature and every rule of its kind, as the deriver admitted it.
    admitRecord(state, record, { recordHash: hash });
    records.push({ record, hash, logIndex: state.logSize - 1 });
  });
  return records;
}
