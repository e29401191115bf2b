/**
 * Independent re-verification of a stored chain from genesis. Every stored value (block hash,
 * record hash, log index) is recomputed and compared, and every record is re-admitted through
 * admitRecord, so an edit of any database row is caught and named by block and record position.
 * It keeps going after a failure where it can and collects all failures.
 */
import { fromHex, toHex } from '../crypto/index.js';
import { GENESIS_PREVIOUS_HASH, assertHeaderShape, blockHash, merkleRootOfRecordHashes, type BlockHeader, type Seal } from './block.js';
import { ConsortiumState, admitRecord, checkSeals, closeBlock, type AuthorityEntry } from './consortium.js';
import { LedgerError, type LedgerErrorCode } from './errors.js';
import { leafHash } from './merkle-hash.js';
import { MerkleAccumulator, rootHash } from './merkle-tree.js';
import { assertRecordShape, isHash, recordHash, type SignedRecord } from './record.js';

export interface VerifiableRecord {
  record: SignedRecord;
  /** The record hash the database claims. */
  storedHash: string;
  /** The log index the database claims. */
  logIndex: number;
}

export interface VerifiableBlock {
  header: BlockHeader;
  /** The block hash the database claims. */
  storedHash: string;
  seals: readonly Seal[];
  records: readonly VerifiableRecord[];
}

/**
 * One failure. height is the block's position in the chain (genesis = 0), recordIndex the
 * record's position inside the block. For comparisons of a committed/stored value with a
 * recomputed one, expected = the stored or committed value (header field, stored hash) and
 * computed = the value the verifier derived; for sequence and count checks (WRONG_HEIGHT,
 * LOG_INDEX_MISMATCH, NO_QUORUM) expected = the required value and computed = the actual one.
 */
export interface ChainFailure {
  height: number;
  blockHash?: string;
  recordIndex?: number;
  logIndex?: number;
  recordHash?: string;
  code: LedgerErrorCode;
  message: string;
  expected?: unknown;
  computed?: unknown;
}

export interface ChainReport {
  ok: boolean;
  consortium: string;
  /** Height of the last block seen (-1 for an empty chain). */
  height: number;
  blocks: number;
  records: number;
  failures: ChainFailure[];
  /** True when more than maxFailures failures occurred and the rest were dropped. */
  failuresTruncated: boolean;
  /** Recomputed hash of the last block. */
  headHash: string;
  /** RFC 6962 root over all recomputed record hashes, hex. */
  logRoot: string;
  finalState?: ConsortiumState;
}

export interface VerifyChainOptions {
  onProgress?(progress: { height: number; records: number }): void;
  expectedConsortium?: string;
  /** Stop collecting (not verifying) after this many failures; default 10 000. */
  maxFailures?: number;
}

/** Above this many records, an inserted record is not searched for by trial Merkle roots. */
const LOCATE_INSERTION_LIMIT = 512;

interface PreviousBlock {
  height: number;
  hash: string;
  timestamp: string;
  /** Log size the next block starts from: the header's if it was sealed, else the derived one. */
  logSizeBasis: number;
}

export async function verifyChain(
  blocks: Iterable<VerifiableBlock> | AsyncIterable<VerifiableBlock>,
  options: VerifyChainOptions = {},
): Promise<ChainReport> {
  const maxFailures = options.maxFailures ?? 10_000;
  const failures: ChainFailure[] = [];
  let failuresTruncated = false;
  const log = new MerkleAccumulator();
  const seenRecords = new Set<string>();
  let state: ConsortiumState | undefined;
  let prev: PreviousBlock | null = null;
  let blockCount = 0;
  let recordCount = 0;

  const report = (): ChainReport => {
    const result: ChainReport = {
      ok: failures.length === 0 && !failuresTruncated,
      consortium: state?.id ?? options.expectedConsortium ?? '',
      height: prev?.height ?? -1,
      blocks: blockCount,
      records: recordCount,
      failures,
      failuresTruncated,
      headHash: prev?.hash ?? '',
      logRoot: toHex(log.root()),
    };
    if (state) result.finalState = state;
    return result;
  };

  for await (const vb of blocks) {
    const height: number = prev === null ? 0 : prev.height + 1;
    const blockFailures: ChainFailure[] = [];
    const fail = (code: LedgerErrorCode, message: string, extra: Partial<ChainFailure> = {}): void => {
      blockFailures.push({ height, blockHash: typeof vb?.storedHash === 'string' ? vb.storedHash : undefined, code, message, ...extra });
    };
    const failWith = (err: unknown, extra: Partial<ChainFailure>): void => {
      if (err instanceof LedgerError) {
        const { expected, computed } = err.details as { expected?: unknown; computed?: unknown };
        fail(err.code, err.message, { ...extra, ...(expected !== undefined ? { expected } : {}), ...(computed !== undefined ? { computed } : {}) });
      } else {
        fail('MALFORMED_RECORD', (err as Error)?.message ?? String(err), extra);
      }
    };

    // ---- header ----
    let header: BlockHeader | undefined;
    let computedHash: string | undefined;
    try {
      assertHeaderShape(vb?.header);
      header = vb.header;
      computedHash = blockHash(header);
    } catch (err) {
      failWith(err, {});
      header = undefined;
      computedHash = undefined;
    }
    if (header && computedHash) {
      if (vb.storedHash !== computedHash) {
        fail('BLOCK_HASH_MISMATCH', `block ${height}: stored block hash does not match the hash of its header`, { expected: vb.storedHash, computed: computedHash });
      }
      if (header.height !== height) fail('WRONG_HEIGHT', `block at position ${height} claims height ${header.height}`, { expected: height, computed: header.height });
      const linkTo = prev?.hash ?? GENESIS_PREVIOUS_HASH;
      if (header.previousHash !== linkTo) {
        fail('BROKEN_HASH_LINK', `block ${height}: previousHash does not match the recomputed hash of block ${height - 1}`, { expected: header.previousHash, computed: linkTo });
      }
      if (prev && header.timestamp < prev.timestamp) {
        fail('TIME_REVERSED', `block ${height}: timestamp ${header.timestamp} is before block ${height - 1}'s ${prev.timestamp}`, { expected: prev.timestamp, computed: header.timestamp });
      }
      if (options.expectedConsortium !== undefined && header.consortium !== options.expectedConsortium) {
        fail('WRONG_CONSORTIUM', `block ${height} is for consortium "${header.consortium}", expected "${options.expectedConsortium}"`, {
          expected: options.expectedConsortium,
          computed: header.consortium,
        });
      }
    }

    const records: readonly VerifiableRecord[] = Array.isArray(vb?.records) ? vb.records : [];
    if (!Array.isArray(vb?.records)) fail('MALFORMED_BLOCK', `block ${height}: records are missing`);
    const base: number = prev === null ? 0 : (prev as PreviousBlock).logSizeBasis;
    const leaves: string[] = [];
    let startIndex = 0;

    // ---- genesis: the first record creates the state ----
    if (!state) {
      const first = records[0];
      if (!first) {
        fail('MISSING_GENESIS', 'the chain does not start with a genesis block holding the genesis record');
        if (!pushFailures(failures, blockFailures, maxFailures)) failuresTruncated = true;
        blockCount += 1;
        return report();
      }
      const genesisHash = checkStoredRecord(first, 0, base, fail);
      try {
        state = ConsortiumState.fromGenesisRecord(first.record, genesisHash);
      } catch (err) {
        failWith(err, { recordIndex: 0, logIndex: first.logIndex, ...(genesisHash ? { recordHash: genesisHash } : {}) });
        if (!pushFailures(failures, blockFailures, maxFailures)) failuresTruncated = true;
        blockCount += 1;
        return report();
      }
      if (options.expectedConsortium !== undefined && state.id !== options.expectedConsortium && !blockFailures.some((f) => f.code === 'WRONG_CONSORTIUM')) {
        fail('WRONG_CONSORTIUM', `genesis is for consortium "${state.id}", expected "${options.expectedConsortium}"`, { expected: options.expectedConsortium, computed: state.id });
      }
      if (records.length !== 1) fail('MALFORMED_BLOCK', `genesis block must hold exactly one record, holds ${records.length}`, { expected: 1, computed: records.length });
      leaves.push(genesisHash ?? '0'.repeat(64));
      if (genesisHash) seenRecords.add(genesisHash);
      startIndex = 1;
    }
    if (header && header.consortium !== state.id && options.expectedConsortium === undefined) {
      fail('WRONG_CONSORTIUM', `block ${height} is for consortium "${header.consortium}", the chain's genesis is "${state.id}"`, { expected: state.id, computed: header.consortium });
    }

    // The set in force for this block is fixed before its records can change it.
    const inForce: AuthorityEntry[] = [...state.authoritiesInForce];
    const setHash = state.authoritySetHash();
    const quorum = state.quorum;

    // ---- records ----
    for (let j = startIndex; j < records.length; j++) {
      const vr = records[j]!;
      const hash = checkStoredRecord(vr, j, base, fail);
      const where: Partial<ChainFailure> = { recordIndex: j, logIndex: vr?.logIndex, ...(hash ? { recordHash: hash } : {}) };
      if (hash === undefined) {
        state.logSize += 1; // the slot is consumed, so later log indexes still line up
        leaves.push(isHash(vr?.storedHash) ? vr.storedHash : '0'.repeat(64));
        continue;
      }
      leaves.push(hash);
      if (seenRecords.has(hash)) {
        fail('DUPLICATE_RECORD', `block ${height} record ${j}: the same record already appears earlier in the log`, where);
        state.logSize += 1;
        continue;
      }
      seenRecords.add(hash);
      try {
        admitRecord(state, vr.record, { recordHash: hash });
      } catch (err) {
        failWith(err, where);
        state.logSize += 1;
      }
    }
    for (const leaf of leaves) log.append(leafHash(fromHex(leaf, 32)));
    recordCount += records.length;

    // ---- commitments and seals ----
    let sealed = false;
    if (header && computedHash) {
      if (header.recordCount !== records.length) {
        fail('RECORD_COUNT_MISMATCH', `block ${height}: header says ${header.recordCount} records, ${records.length} are stored`, { expected: header.recordCount, computed: records.length });
      }
      const root = merkleRootOfRecordHashes(leaves);
      if (root !== header.merkleRoot) {
        const extra = leaves.length === header.recordCount + 1 ? locateExtraLeaf(leaves, header.merkleRoot) : undefined;
        fail(
          'MERKLE_ROOT_MISMATCH',
          extra === undefined
            ? `block ${height}: Merkle root over the stored records does not match the header`
            : `block ${height}: Merkle root does not match; without record ${extra} it would (record ${extra} was inserted)`,
          { expected: header.merkleRoot, computed: root, ...(extra !== undefined ? { recordIndex: extra, logIndex: records[extra]?.logIndex } : {}) },
        );
      }
      const derivedLogSize: number = base + records.length;
      if (header.logSize !== derivedLogSize) {
        fail('LOG_SIZE_MISMATCH', `block ${height}: header logSize ${header.logSize}, but the log holds ${derivedLogSize} records after it`, { expected: header.logSize, computed: derivedLogSize });
      }
      if (header.authoritySetHash !== setHash) {
        fail('AUTHORITY_SET_MISMATCH', `block ${height}: authoritySetHash is not the authority set in force at this height`, { expected: header.authoritySetHash, computed: setHash });
      }
      const seals = checkSeals(computedHash, Array.isArray(vb.seals) ? vb.seals : [], inForce, quorum);
      for (const problem of seals.problems) failWith(problem, {});
      if (seals.valid.length < seals.required) {
        fail('NO_QUORUM', `block ${height}: ${seals.valid.length} valid seals, needs ${seals.required} of ${inForce.length} authorities`, { expected: seals.required, computed: seals.valid.length });
      } else {
        sealed = vb.storedHash === computedHash;
      }
      closeBlock(state, header, computedHash);
    } else {
      state.height = height;
      state.headHash = typeof vb?.storedHash === 'string' ? vb.storedHash : '';
      state.authoritiesInForce = [...state.pendingAuthorities];
    }

    const previousTimestamp: string = prev === null ? '' : (prev as PreviousBlock).timestamp;
    prev = {
      height,
      hash: computedHash ?? (typeof vb?.storedHash === 'string' ? vb.storedHash : ''),
      timestamp: header?.timestamp ?? previousTimestamp,
      logSizeBasis: sealed && header ? header.logSize : base + records.length,
    };
    blockCount += 1;
    if (!pushFailures(failures, blockFailures, maxFailures)) failuresTruncated = true;
    options.onProgress?.({ height, records: recordCount });
  }

  if (blockCount === 0) failures.push({ height: 0, code: 'MISSING_GENESIS', message: 'the chain is empty: no genesis block' });
  return report();
}

/** Checks a stored record's shape, hash and log index; returns the recomputed hash (undefined if malformed). */
function checkStoredRecord(
  vr: VerifiableRecord | undefined,
  j: number,
  base: number,
  fail: (code: LedgerErrorCode, message: string, extra?: Partial<ChainFailure>) => void,
): string | undefined {
  const where = { recordIndex: j, logIndex: vr?.logIndex };
  if (vr?.logIndex !== base + j) {
    fail('LOG_INDEX_MISMATCH', `record ${j} of the block is stored at log index ${String(vr?.logIndex)}, expected ${base + j}`, { ...where, expected: base + j, computed: vr?.logIndex });
  }
  let hash: string;
  try {
    assertRecordShape(vr?.record);
    hash = recordHash(vr!.record);
  } catch (err) {
    fail(err instanceof LedgerError ? err.code : 'MALFORMED_RECORD', `record ${j}: ${(err as Error).message}`, where);
    return undefined;
  }
  if (vr!.storedHash !== hash) {
    fail('RECORD_HASH_MISMATCH', `record ${j}: stored record hash does not match the hash of its content`, { ...where, recordHash: hash, expected: vr!.storedHash, computed: hash });
  }
  return hash;
}

/** Finds the one record whose removal makes the Merkle root match (an inserted record). */
function locateExtraLeaf(recordHashes: readonly string[], expectedRoot: string): number | undefined {
  if (recordHashes.length > LOCATE_INSERTION_LIMIT) return undefined;
  const leaves = recordHashes.map((h) => leafHash(fromHex(h, 32)));
  for (let i = 0; i < leaves.length; i++) {
    if (toHex(rootHash([...leaves.slice(0, i), ...leaves.slice(i + 1)])) === expectedRoot) return i;
  }
  return undefined;
}

/** Appends one block's failures, by record position with block-level ones last; false once truncated. */
function pushFailures(all: ChainFailure[], blockFailures: ChainFailure[], max: number): boolean {
  const sorted = blockFailures
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (a.f.recordIndex ?? Infinity) - (b.f.recordIndex ?? Infinity) || a.i - b.i)
    .map(({ f }) => f);
  for (const f of sorted) {
    if (all.length >= max) return false;
    all.push(f);
  }
  return true;
}
