/**
 * Independent re-verification of a stored chain from genesis. Every stored value (block hash,
 * record hash, log index) is recomputed and compared, and every record is re-admitted through
 * admitRecord, so an edit of any database row is caught and named by block and record position.
 * It keeps going after a failure where it can and collects all failures.
 */
import { fromHex, toHex } from '../crypto/index.js';
import { admitRecord } from './admission.js';
import { BatchSignatureCache } from './batch-signature.js';
import { GENESIS_PREVIOUS_HASH, headerVersionRule, merkleRootOfRecordHashes, type BlockHeader, type Seal } from './block.js';
import { checkBlockHeader, checkBlockSeals, type AuthoritySet, type BlockFailure } from './block-check.js';
import { ConsortiumState, closeBlock } from './state.js';
import { LedgerError, type LedgerErrorCode } from './errors.js';
import { leafHash } from './merkle-hash.js';
import { MerkleAccumulator, rootHash } from './merkle-tree.js';
import { assertRecordShape, isHash, recordHash, type SignedRecord } from './record.js';
import { recordAdditions } from './index-map/entries.js';
import { MemoryIndexMap, type IndexAddition } from './index-map/update.js';

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

/** A record as the replay re-admitted it, with the state as of it (after it, for a record that changes the state). */
export interface ReplayedRecord {
  state: ConsortiumState;
  record: SignedRecord;
  recordHash: string;
  logIndex: number;
  height: number;
  recordIndex: number;
  /** False when re-admission refused it (its failure is in the report). */
  admitted: boolean;
}

/** A block as the replay closed it: its header when well-formed, and the log after it. */
export interface ReplayedBlock {
  height: number;
  header?: BlockHeader;
  hash?: string;
  state: ConsortiumState;
  /** Records in the log after the block, and their RFC 6962 root (hex). */
  logSize: number;
  logRoot: string;
}

export interface VerifyChainOptions {
  onProgress?(progress: { height: number; records: number }): void;
  /** Each record in log order, once re-admitted (projection replays derive their rows here). */
  onRecord?(record: ReplayedRecord): void;
  /** Each block once closed. */
  onBlock?(block: ReplayedBlock): void;
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

type Fail = (code: LedgerErrorCode, message: string, extra?: Partial<ChainFailure>) => void;

/** One block's failures as they are found, with the block's position and claimed hash. */
class BlockFailures {
  readonly list: ChainFailure[] = [];
  constructor(
    readonly height: number,
    private readonly storedHash: string | undefined,
  ) {}

  readonly fail: Fail = (code, message, extra = {}) => {
    this.list.push({ height: this.height, blockHash: this.storedHash, code, message, ...extra });
  };

  /** A typed error (or anything thrown) as a failure, keeping its expected and computed values. */
  failWith(err: unknown, extra: Partial<ChainFailure>): void {
    if (err instanceof LedgerError) {
      const { expected, computed } = err.details as { expected?: unknown; computed?: unknown };
      this.fail(err.code, err.message, { ...extra, ...compared(expected, computed) });
    } else {
      this.fail('MALFORMED_RECORD', (err as Error)?.message ?? String(err), extra);
    }
  }

  /** Failures of the shared block check (block-check.ts), in its order. */
  addBlockFailures(failures: readonly BlockFailure[]): void {
    for (const f of failures) this.fail(f.code, f.message, compared(f.details.expected, f.details.computed));
  }
}

function compared(expected: unknown, computed: unknown): Partial<ChainFailure> {
  return { ...(expected !== undefined ? { expected } : {}), ...(computed !== undefined ? { computed } : {}) };
}

/** The replay of a chain from genesis: state, log, and the failures collected so far. */
class ChainReplay {
  readonly failures: ChainFailure[] = [];
  failuresTruncated = false;
  readonly log = new MerkleAccumulator();
  readonly seenRecords = new Set<string>();
  /** The identifier index map replayed from every record, for version-2 headers' indexRoot. */
  readonly indexMap = new MemoryIndexMap();
  /** Each batch signature is checked once per run. */
  readonly batchCache = new BatchSignatureCache();
  /** The last block's header version (genesis: 1). */
  #previousVersion = 1;
  state: ConsortiumState | undefined;
  prev: PreviousBlock | null = null;
  blockCount = 0;
  recordCount = 0;
  constructor(readonly options: VerifyChainOptions) {}

  report(): ChainReport {
    const result: ChainReport = {
      ok: this.failures.length === 0 && !this.failuresTruncated,
      consortium: this.state?.id ?? this.options.expectedConsortium ?? '',
      height: this.prev?.height ?? -1,
      blocks: this.blockCount,
      records: this.recordCount,
      failures: this.failures,
      failuresTruncated: this.failuresTruncated,
      headHash: this.prev?.hash ?? '',
      logRoot: toHex(this.log.root()),
    };
    if (this.state) result.finalState = this.state;
    return result;
  }

  /** Verifies one block; false when the chain cannot be replayed further (no usable genesis). */
  block(vb: VerifiableBlock): boolean {
    const height = this.prev === null ? 0 : this.prev.height + 1;
    const out = new BlockFailures(height, typeof vb?.storedHash === 'string' ? vb.storedHash : undefined);
    const checked = checkBlockHeader(vb?.header, vb?.storedHash, height);
    out.addBlockFailures(checked.failures);
    if (checked.header) this.#checkPosition(checked.header, height, out.fail);
    const records: readonly VerifiableRecord[] = Array.isArray(vb?.records) ? vb.records : [];
    if (!Array.isArray(vb?.records)) out.fail('MALFORMED_BLOCK', `block ${height}: records are missing`);
    const base = this.prev === null ? 0 : this.prev.logSizeBasis;
    const leaves: string[] = [];
    const state = this.state ?? this.#genesis(records, base, leaves, out);
    if (!state) return this.#finish(out, false);
    this.state = state;
    if (checked.header && checked.header.consortium !== state.id && this.options.expectedConsortium === undefined) {
      out.fail('WRONG_CONSORTIUM', `block ${height} is for consortium "${checked.header.consortium}", the chain's genesis is "${state.id}"`, {
        expected: state.id,
        computed: checked.header.consortium,
      });
    }
    // The set in force for this block is fixed before its records can change it.
    const inForce: AuthoritySet = { hash: state.authoritySetHash(), authorities: [...state.authoritiesInForce], quorum: state.quorum };
    const additions = this.#records(state, records, leaves.length, base, leaves, out);
    for (const leaf of leaves) this.log.append(leafHash(fromHex(leaf, 32)));
    this.indexMap.apply(additions);
    this.recordCount += records.length;
    let sealed = false;
    if (checked.header && checked.hash) {
      sealed = this.#commitments(state, vb, checked.header, checked.hash, { records, leaves, base, inForce }, out);
    } else {
      state.height = height;
      state.headHash = typeof vb?.storedHash === 'string' ? vb.storedHash : '';
      state.authoritiesInForce = [...state.pendingAuthorities];
    }
    this.prev = {
      height,
      hash: checked.hash ?? (typeof vb?.storedHash === 'string' ? vb.storedHash : ''),
      timestamp: checked.header?.timestamp ?? this.prev?.timestamp ?? '',
      logSizeBasis: sealed && checked.header ? checked.header.logSize : base + records.length,
    };
    if (this.options.onBlock) {
      this.options.onBlock({ height, header: checked.header, hash: checked.hash, state, logSize: this.log.size, logRoot: toHex(this.log.root()) });
    }
    this.options.onProgress?.({ height, records: this.recordCount });
    return this.#finish(out, true);
  }

  #finish(out: BlockFailures, goOn: boolean): boolean {
    this.blockCount += 1;
    if (!pushFailures(this.failures, out.list, this.options.maxFailures ?? 10_000)) this.failuresTruncated = true;
    return goOn;
  }

  /** Height, hash link, time order and consortium of a well-formed header. */
  #checkPosition(header: BlockHeader, height: number, fail: Fail): void {
    const prev = this.prev;
    if (header.height !== height) fail('WRONG_HEIGHT', `block at position ${height} claims height ${header.height}`, { expected: height, computed: header.height });
    const linkTo = prev?.hash ?? GENESIS_PREVIOUS_HASH;
    if (header.previousHash !== linkTo) {
      fail('BROKEN_HASH_LINK', `block ${height}: previousHash does not match the recomputed hash of block ${height - 1}`, { expected: header.previousHash, computed: linkTo });
    }
    if (prev && header.timestamp < prev.timestamp) {
      fail('TIME_REVERSED', `block ${height}: timestamp ${header.timestamp} is before block ${height - 1}'s ${prev.timestamp}`, { expected: prev.timestamp, computed: header.timestamp });
    }
    const expected = this.options.expectedConsortium;
    if (expected !== undefined && header.consortium !== expected) {
      fail('WRONG_CONSORTIUM', `block ${height} is for consortium "${header.consortium}", expected "${expected}"`, { expected, computed: header.consortium });
    }
  }

  /** The first record creates the state; undefined when there is no usable genesis record. */
  #genesis(records: readonly VerifiableRecord[], base: number, leaves: string[], out: BlockFailures): ConsortiumState | undefined {
    const first = records[0];
    if (!first) {
      out.fail('MISSING_GENESIS', 'the chain does not start with a genesis block holding the genesis record');
      return undefined;
    }
    const genesisHash = checkStoredRecord(first, 0, base, out.fail);
    let state: ConsortiumState;
    try {
      state = ConsortiumState.fromGenesisRecord(first.record, genesisHash);
    } catch (err) {
      out.failWith(err, { recordIndex: 0, logIndex: first.logIndex, ...(genesisHash ? { recordHash: genesisHash } : {}) });
      return undefined;
    }
    const expected = this.options.expectedConsortium;
    if (expected !== undefined && state.id !== expected && !out.list.some((f) => f.code === 'WRONG_CONSORTIUM')) {
      out.fail('WRONG_CONSORTIUM', `genesis is for consortium "${state.id}", expected "${expected}"`, { expected, computed: state.id });
    }
    if (records.length !== 1) out.fail('MALFORMED_BLOCK', `genesis block must hold exactly one record, holds ${records.length}`, { expected: 1, computed: records.length });
    leaves.push(genesisHash ?? '0'.repeat(64));
    if (genesisHash) this.seenRecords.add(genesisHash);
    if (genesisHash) this.options.onRecord?.({ state, record: first.record, recordHash: genesisHash, logIndex: base, height: out.height, recordIndex: 0, admitted: true });
    return state;
  }

  /** Re-admits each stored record from startIndex; a failed record still takes its log slot. Returns the block's index additions. */
  #records(state: ConsortiumState, records: readonly VerifiableRecord[], startIndex: number, base: number, leaves: string[], out: BlockFailures): IndexAddition[] {
    const additions: IndexAddition[] = [];
    for (let j = startIndex; j < records.length; j++) {
      const vr = records[j]!;
      const hash = checkStoredRecord(vr, j, base, out.fail);
      const where: Partial<ChainFailure> = { recordIndex: j, logIndex: vr?.logIndex, ...(hash ? { recordHash: hash } : {}) };
      if (hash === undefined) {
        state.logSize += 1; // the slot is consumed, so later log indexes still line up
        leaves.push(isHash(vr?.storedHash) ? vr.storedHash : '0'.repeat(64));
        continue;
      }
      leaves.push(hash);
      additions.push(...recordAdditions(vr.record, hash, base + j));
      if (this.seenRecords.has(hash)) {
        out.fail('DUPLICATE_RECORD', `block ${out.height} record ${j}: the same record already appears earlier in the log`, where);
        state.logSize += 1;
        continue;
      }
      this.seenRecords.add(hash);
      const logIndex = state.logSize;
      let admitted = true;
      try {
        admitRecord(state, vr.record, { recordHash: hash, batchCache: this.batchCache });
      } catch (err) {
        out.failWith(err, where);
        state.logSize += 1;
        admitted = false;
      }
      this.options.onRecord?.({ state, record: vr.record, recordHash: hash, logIndex, height: out.height, recordIndex: j, admitted });
    }
    return additions;
  }

  /** Record count, Merkle root, log size, then the block check's authority set and seals; closes the block. True when sealed. */
  #commitments(state: ConsortiumState, vb: VerifiableBlock, header: BlockHeader, hash: string, body: BlockBody, out: BlockFailures): boolean {
    const { records, leaves, base, inForce } = body;
    const height = out.height;
    if (header.recordCount !== records.length) {
      out.fail('RECORD_COUNT_MISMATCH', `block ${height}: header says ${header.recordCount} records, ${records.length} are stored`, { expected: header.recordCount, computed: records.length });
    }
    const root = merkleRootOfRecordHashes(leaves);
    if (root !== header.merkleRoot) {
      const extra = leaves.length === header.recordCount + 1 ? locateExtraLeaf(leaves, header.merkleRoot) : undefined;
      out.fail(
        'MERKLE_ROOT_MISMATCH',
        extra === undefined
          ? `block ${height}: Merkle root over the stored records does not match the header`
          : `block ${height}: Merkle root does not match; without record ${extra} it would (record ${extra} was inserted)`,
        { expected: header.merkleRoot, computed: root, ...(extra !== undefined ? { recordIndex: extra, logIndex: records[extra]?.logIndex } : {}) },
      );
    }
    const derivedLogSize = base + records.length;
    if (header.logSize !== derivedLogSize) {
      out.fail('LOG_SIZE_MISMATCH', `block ${height}: header logSize ${header.logSize}, but the log holds ${derivedLogSize} records after it`, { expected: header.logSize, computed: derivedLogSize });
    }
    const versions = headerVersionRule(state.indexCommitment, this.#previousVersion);
    if (height > 0 && !versions.accepted.includes(header.v)) {
      out.fail('HEADER_VERSION', `block ${height}: a version-${header.v} header, but the consortium's genesis setting allows version ${versions.accepted.join(' or ')} here`, { expected: versions.accepted, computed: header.v });
    }
    this.#previousVersion = header.v;
    if (header.v === 2) {
      const indexRoot = this.indexMap.rootHex();
      if (header.indexRoot !== indexRoot) {
        out.fail('INDEX_ROOT_MISMATCH', `block ${height}: the identifier index map replayed from the records does not give the header's indexRoot`, { expected: header.indexRoot, computed: indexRoot });
      }
    }
    const sealFailures = checkBlockSeals(header, hash, vb.seals, height, { inForce, byHash: (h) => state.authoritySetByHash(h) });
    out.addBlockFailures(sealFailures);
    closeBlock(state, header, hash);
    return !sealFailures.some((f) => f.code === 'NO_QUORUM') && vb.storedHash === hash;
  }
}

interface BlockBody {
  records: readonly VerifiableRecord[];
  leaves: string[];
  base: number;
  inForce: AuthoritySet;
}

export async function verifyChain(
  blocks: Iterable<VerifiableBlock> | AsyncIterable<VerifiableBlock>,
  options: VerifyChainOptions = {},
): Promise<ChainReport> {
  const replay = new ChainReplay(options);
  for await (const vb of blocks) {
    if (!replay.block(vb)) return replay.report();
  }
  if (replay.blockCount === 0) replay.failures.push({ height: 0, code: 'MISSING_GENESIS', message: 'the chain is empty: no genesis block' });
  return replay.report();
}

/** Checks a stored record's shape, hash and log index; returns the recomputed hash (undefined if malformed). */
function checkStoredRecord(vr: VerifiableRecord | undefined, j: number, base: number, fail: Fail): string | undefined {
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
