/**
 * Verifies a parsed proof bundle fully offline. Every failure names a JSON pointer into the bundle.
 * Sizes and roots for Merkle proofs are always taken from the same signed header or checkpoint.
 * Blocks go through the one block check (ledger/block-check.ts): first against the authority sets
 * the bundle lists (each hash recomputed), then, after the membership replay, against the set the
 * chain put in force at each height.
 */
import { canonicalize, fromHex, keyIdOf, parsePublicKey, type JsonValue } from '../crypto/index.js';
import type { BlockHeader, QuorumRule } from '../ledger/block.js';
import { checkBlock, checkBlockSeals, type AuthoritySet, type BlockFailure } from '../ledger/block-check.js';
import { assertCheckpointShape, verifyCheckpointSignatures, type Checkpoint } from '../ledger/checkpoint.js';
import type { LedgerError } from '../ledger/errors.js';
import { leafHash } from '../ledger/merkle-hash.js';
import { MerkleProofError } from '../ledger/merkle-errors.js';
import { verifyInclusion } from '../ledger/merkle-verify.js';
import { assertRecordShape, isHash, recordHash } from '../ledger/record.js';
import { hashAuthoritySet, type AuthorityEntry } from '../ledger/state-types.js';
import { authorityList, deriveAuthoritySets, deriveSigners, failFrom, neededHeights, replayMembership, type Replay } from './bundle-replay.js';
import { checkAnchor } from './bundle-anchor.js';
import { checkBundleCompleteness } from './bundle-completeness.js';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_V2,
  MEMBERSHIP_RECORD_KINDS,
  type BundleAnchor,
  type BundleAuthoritySet,
  type BundleFailure,
  type BundleRecord,
  type BundleReport,
  type ProofBundle,
} from './bundle-types.js';

import { checkBundleOpenings } from './bundle-openings.js';

const TOP_LEVEL_KEYS = ['format', 'consortium', 'genesisHash', 'checkpoint', 'checkpointSignatures', 'authoritySets', 'blocks', 'records', 'membershipRecords', 'signers'];
/** witnessCosignatures in any format; answer and completeness in v2, where they are required. */
const OPTIONAL_KEYS = ['witnessCosignatures', 'answer', 'completeness'];
const RECORD_ENTRY_KEYS = ['record', 'hash', 'logIndex', 'blockHeight', 'indexInBlock', 'blockInclusion', 'logInclusion'];
const BLOCK_ENTRY_KEYS = ['header', 'hash', 'seals', 'recordCount'];
const AUTHORITY_SET_KEYS = ['hash', 'authorities', 'quorum', 'heights', 'signsCheckpoint'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

type Compared = { expected?: unknown; computed?: unknown };

function isAuthoritySetShape(set: unknown): set is BundleAuthoritySet {
  if (!isObject(set) || Object.keys(set).length !== AUTHORITY_SET_KEYS.length || !AUTHORITY_SET_KEYS.every((k) => k in set)) return false;
  const q = set.quorum;
  const quorumOk = isObject(q) && Object.keys(q).length === 2 && Number.isSafeInteger(q.numerator) && Number.isSafeInteger(q.denominator) && (q.denominator as number) > 0;
  const authoritiesOk =
    Array.isArray(set.authorities) &&
    set.authorities.every((a) => isObject(a) && Object.keys(a).length === 3 && typeof a.orgId === 'string' && isHash(a.keyId) && typeof a.publicKey === 'string');
  return isHash(set.hash) && quorumOk && authoritiesOk && Array.isArray(set.heights) && typeof set.signsCheckpoint === 'boolean';
}

/** Where in a block entry a block-check failure points. */
function blockFailurePath(path: string, failure: BlockFailure): string {
  switch (failure.part) {
    case 'header':
      return `${path}/header`;
    case 'hash':
      return `${path}/hash`;
    case 'authoritySetHash':
      return `${path}/header/authoritySetHash`;
    case 'seals':
      return failure.code === 'BAD_SEAL' ? `${path}/seals/${String(failure.details.sealIndex ?? '')}` : `${path}/seals`;
  }
}

interface CheckedBlock {
  index: number;
  header: BlockHeader;
  hash: string;
}

/** One verification run: the failures found and the number of checks made. */
class BundleVerification {
  readonly failures: BundleFailure[] = [];
  checks = 0;
  readonly listedSets = new Map<string, AuthoritySet & { index: number }>();
  readonly blocksByHeight = new Map<number, CheckedBlock>();

  readonly fail = (path: string, code: string, message: string, extra: Compared = {}): void => {
    this.failures.push({ path, code, message, ...extra });
  };

  readonly check = (cond: boolean, path: string, code: string, message: string, extra: Compared = {}): boolean => {
    this.checks += 1;
    if (!cond) this.fail(path, code, message, extra);
    return cond;
  };

  done(extra: Partial<BundleReport> = {}): BundleReport {
    return { ok: this.failures.length === 0, checks: this.checks, failures: this.failures, ...extra };
  }

  addBlockFailures(path: string, failures: readonly BlockFailure[]): void {
    this.checks += 1;
    for (const f of failures) this.fail(blockFailurePath(path, f), f.code, f.message, { ...pick(f.details, 'expected'), ...pick(f.details, 'computed') });
  }

  /** Top-level shape; the bundle when it can be read further. */
  shape(input: unknown): ProofBundle | undefined {
    if (!this.check(isObject(input), '', 'MALFORMED_BUNDLE', 'the bundle must be a JSON object')) return undefined;
    const b = input as Record<string, unknown>;
    const v2 = b.format === BUNDLE_FORMAT_V2;
    const allowed = [...TOP_LEVEL_KEYS, 'openings', ...(v2 ? OPTIONAL_KEYS : OPTIONAL_KEYS.slice(0, 1))];
    for (const key of Object.keys(b)) this.check(allowed.includes(key), `/${escapePointer(key)}`, 'MALFORMED_BUNDLE', `unexpected field "${key}"`);
    for (const key of v2 ? [...TOP_LEVEL_KEYS, 'answer', 'completeness'] : TOP_LEVEL_KEYS) this.check(key in b, `/${key}`, 'MALFORMED_BUNDLE', `field "${key}" is missing`);
    this.check(b.format === BUNDLE_FORMAT || v2, '/format', 'UNSUPPORTED_FORMAT', `format must be "${BUNDLE_FORMAT}" or "${BUNDLE_FORMAT_V2}"`, { expected: BUNDLE_FORMAT_V2, computed: b.format });
    for (const key of ['checkpointSignatures', 'authoritySets', 'blocks', 'records', 'membershipRecords', 'signers']) {
      this.check(Array.isArray(b[key]), `/${key}`, 'MALFORMED_BUNDLE', `${key} must be an array`);
    }
    return this.failures.length > 0 ? undefined : (b as unknown as ProofBundle);
  }

  checkpointShape(bundle: ProofBundle): Checkpoint | undefined {
    try {
      this.checks += 1;
      assertCheckpointShape(bundle.checkpoint);
    } catch (err) {
      failFrom(this.fail, '/checkpoint', err);
      return undefined;
    }
    const checkpoint = bundle.checkpoint;
    this.check(checkpoint.consortium === bundle.consortium, '/checkpoint/consortium', 'WRONG_CONSORTIUM', 'checkpoint is for another consortium', {
      expected: bundle.consortium,
      computed: checkpoint.consortium,
    });
    return checkpoint;
  }

  /** Authority sets as listed, each hash recomputed from its authorities. */
  listedAuthoritySets(bundle: ProofBundle): void {
    bundle.authoritySets.forEach((set, i) => {
      const path = `/authoritySets/${i}`;
      const shape = 'authority set must be { hash, authorities: [{ orgId, keyId, publicKey }], quorum: { numerator, denominator }, heights, signsCheckpoint }';
      if (!this.check(isAuthoritySetShape(set), path, 'MALFORMED_BUNDLE', shape)) return;
      const authorities: AuthorityEntry[] = [];
      set.authorities.forEach((a, j) => {
        try {
          const publicKey = parsePublicKey(a?.publicKey);
          const keyId = keyIdOf(publicKey);
          this.check(keyId === a.keyId, `${path}/authorities/${j}/keyId`, 'KEY_ID_MISMATCH', 'authority keyId is not the id of its public key', { expected: a.keyId, computed: keyId });
          authorities.push({ orgId: a.orgId, keyId: a.keyId, publicKey, encoded: a.publicKey });
        } catch (err) {
          failFrom(this.fail, `${path}/authorities/${j}/publicKey`, err);
        }
      });
      let computed: string | undefined;
      try {
        computed = hashAuthoritySet(set.authorities);
      } catch (err) {
        failFrom(this.fail, `${path}/authorities`, err);
      }
      if (this.check(computed === set.hash, `${path}/hash`, 'AUTHORITY_SET_MISMATCH', 'authority set hash does not match its authorities', { expected: set.hash, computed })) {
        this.listedSets.set(set.hash, { index: i, hash: set.hash, authorities, quorum: set.quorum as QuorumRule });
      }
    });
  }

  /** Each block: the block check against the listed sets, then its place in the bundle. */
  blocks(bundle: ProofBundle, checkpoint: Checkpoint): void {
    bundle.blocks.forEach((entry, i) => {
      const path = `/blocks/${i}`;
      if (!this.check(isObject(entry), path, 'MALFORMED_BUNDLE', 'block entry must be an object')) return;
      for (const key of Object.keys(entry)) this.check(BLOCK_ENTRY_KEYS.includes(key), `${path}/${escapePointer(key)}`, 'MALFORMED_BUNDLE', `unexpected field "${key}"`);
      const claimed = isObject(entry.header) && isIndex(entry.header.height) ? entry.header.height : i;
      const checked = checkBlock({ header: entry.header, storedHash: entry.hash, seals: entry.seals, height: claimed, authorities: { byHash: (h) => this.listedSets.get(h) } });
      this.addBlockFailures(path, checked.failures);
      if (!checked.header || !checked.hash) return;
      const header = checked.header;
      this.check(Array.isArray(entry.seals), `${path}/seals`, 'MALFORMED_BUNDLE', 'seals must be an array');
      this.check(entry.recordCount === header.recordCount, `${path}/recordCount`, 'RECORD_COUNT_MISMATCH', 'recordCount differs from the signed header', { expected: header.recordCount, computed: entry.recordCount });
      this.check(header.consortium === bundle.consortium, `${path}/header/consortium`, 'WRONG_CONSORTIUM', 'block is for another consortium', { expected: bundle.consortium, computed: header.consortium });
      this.check(header.logSize >= header.recordCount, `${path}/header/logSize`, 'LOG_SIZE_MISMATCH', 'block logSize is smaller than its recordCount');
      this.check(header.height <= checkpoint.blockHeight, `${path}/header/height`, 'BEYOND_CHECKPOINT', `block ${header.height} is after the checkpoint's block ${checkpoint.blockHeight}`);
      const previous = i > 0 ? bundle.blocks[i - 1]?.header : undefined;
      const ordered = previous === undefined || (isObject(previous) && typeof previous.height === 'number' && previous.height < header.height);
      this.check(ordered, `${path}/header/height`, 'BLOCK_ORDER', 'blocks must be in ascending height order, each once');
      this.blocksByHeight.set(header.height, { index: i, header, hash: checked.hash });
    });
  }

  /** The genesis block, and the checkpoint's block and signatures. */
  checkpointEvidence(bundle: ProofBundle, checkpoint: Checkpoint): void {
    const genesisBlock = this.blocksByHeight.get(0);
    if (this.check(genesisBlock !== undefined, '/blocks', 'MISSING_GENESIS', 'the genesis block (height 0) is not in the bundle')) {
      this.check(genesisBlock!.hash === bundle.genesisHash, '/genesisHash', 'BLOCK_HASH_MISMATCH', 'genesisHash is not the hash of block 0', { expected: bundle.genesisHash, computed: genesisBlock!.hash });
    }
    const cpBlock = this.blocksByHeight.get(checkpoint.blockHeight);
    if (this.check(cpBlock !== undefined, '/checkpoint/blockHeight', 'MISSING_BLOCK', `the checkpoint's block ${checkpoint.blockHeight} is not in the bundle`)) {
      this.check(cpBlock!.hash === checkpoint.blockHash, '/checkpoint/blockHash', 'BLOCK_HASH_MISMATCH', "checkpoint blockHash is not its block's hash", { expected: checkpoint.blockHash, computed: cpBlock!.hash });
      this.check(cpBlock!.header.logSize === checkpoint.logSize, '/checkpoint/logSize', 'LOG_SIZE_MISMATCH', "checkpoint logSize is not its block's logSize", {
        expected: cpBlock!.header.logSize,
        computed: checkpoint.logSize,
      });
    }
    const cpSetIndex = bundle.authoritySets.findIndex((s) => isObject(s) && s.signsCheckpoint === true);
    const cpSet = cpSetIndex >= 0 ? this.listedSets.get(bundle.authoritySets[cpSetIndex]!.hash) : undefined;
    if (this.check(cpSet !== undefined, '/authoritySets', 'UNKNOWN_AUTHORITY_SET', 'no valid authority set is marked as signing the checkpoint')) {
      try {
        this.checks += 1;
        verifyCheckpointSignatures(checkpoint, bundle.checkpointSignatures, cpSet!.authorities, cpSet!.quorum);
      } catch (err) {
        const index = (err as LedgerError)?.details?.index;
        failFrom(this.fail, typeof index === 'number' ? `/checkpointSignatures/${index}` : '/checkpointSignatures', err);
      }
    }
  }

  /** An RFC 9162 inclusion proof of leaf at index in a tree of size with the given root. */
  inclusion(leaf: Uint8Array, index: number, size: number, rootHex: string, proof: unknown, path: string, what: string): void {
    this.checks += 1;
    if (!Array.isArray(proof)) {
      this.fail(path, 'MALFORMED_BUNDLE', `${what} inclusion proof must be an array of hex hashes`);
      return;
    }
    const elements: Uint8Array[] = [];
    for (const [k, h] of proof.entries()) {
      if (!isHash(h)) {
        this.fail(`${path}/${k}`, 'MALFORMED_HASH', `${what} inclusion proof element must be 64 lower-case hex digits`);
        return;
      }
      elements.push(fromHex(h, 32));
    }
    if (index >= size) {
      this.fail(path, 'INDEX_OUT_OF_RANGE', `index ${index} is outside the ${what} of size ${size}`);
      return;
    }
    try {
      verifyInclusion(leaf, index, size, elements, fromHex(rootHex, 32));
    } catch (err) {
      if (err instanceof MerkleProofError) this.fail(path, err.code, `${what} inclusion proof fails: ${err.message}`);
      else throw err;
    }
  }

  /** A record entry: shape, hash, position in its block and in the log, and both inclusion proofs. True when it holds. */
  recordEntry(bundle: ProofBundle, checkpoint: Checkpoint, entry: BundleRecord, path: string): boolean {
    const before = this.failures.length;
    if (!this.check(isObject(entry), path, 'MALFORMED_BUNDLE', 'record entry must be an object')) return false;
    for (const key of Object.keys(entry)) this.check(RECORD_ENTRY_KEYS.includes(key), `${path}/${escapePointer(key)}`, 'MALFORMED_BUNDLE', `unexpected field "${key}"`);
    try {
      this.checks += 1;
      assertRecordShape(entry.record);
    } catch (err) {
      const field = (err as LedgerError)?.details?.field;
      failFrom(this.fail, typeof field === 'string' ? `${path}/record/${escapePointer(field)}` : `${path}/record`, err);
      return false;
    }
    for (const key of ['logIndex', 'blockHeight', 'indexInBlock'] as const) this.check(isIndex(entry[key]), `${path}/${key}`, 'MALFORMED_BUNDLE', `${key} must be a non-negative integer`);
    if (this.failures.length > before) return false;
    this.check(entry.record.consortium === bundle.consortium, `${path}/record/consortium`, 'WRONG_CONSORTIUM', 'record is for another consortium');
    const computed = recordHash(entry.record);
    this.check(computed === entry.hash, `${path}/hash`, 'RECORD_HASH_MISMATCH', 'record hash does not match the record', { expected: entry.hash, computed });
    const leaf = leafHash(fromHex(computed, 32));
    const block = this.blocksByHeight.get(entry.blockHeight);
    if (this.check(block !== undefined, `${path}/blockHeight`, 'MISSING_BLOCK', `block ${entry.blockHeight} is not in the bundle`)) {
      const { header } = block!;
      const expectedLogIndex = header.logSize - header.recordCount + entry.indexInBlock;
      this.check(entry.indexInBlock < header.recordCount, `${path}/indexInBlock`, 'INDEX_OUT_OF_RANGE', `indexInBlock ${entry.indexInBlock} is not below the block's recordCount ${header.recordCount}`);
      this.check(entry.logIndex === expectedLogIndex, `${path}/logIndex`, 'LOG_INDEX_MISMATCH', "logIndex does not match the block's log range and indexInBlock", {
        expected: expectedLogIndex,
        computed: entry.logIndex,
      });
      this.inclusion(leaf, entry.indexInBlock, header.recordCount, header.merkleRoot, entry.blockInclusion, `${path}/blockInclusion`, 'block');
    }
    this.check(entry.blockHeight <= checkpoint.blockHeight, `${path}/blockHeight`, 'BEYOND_CHECKPOINT', 'record is in a block after the checkpoint');
    this.inclusion(leaf, entry.logIndex, checkpoint.logSize, checkpoint.logRoot, entry.logInclusion, `${path}/logInclusion`, 'log');
    return this.failures.length === before;
  }

  /** Trace and membership entries, membership kinds and order, and no record listed twice. */
  records(bundle: ProofBundle, checkpoint: Checkpoint): void {
    const traceOk = bundle.records.map((entry, i) => this.recordEntry(bundle, checkpoint, entry, `/records/${i}`));
    const membershipOk = bundle.membershipRecords.map((entry, i) => this.recordEntry(bundle, checkpoint, entry, `/membershipRecords/${i}`));
    bundle.membershipRecords.forEach((entry, i) => {
      if (!membershipOk[i]) return;
      this.check(MEMBERSHIP_RECORD_KINDS.includes(entry.record.kind), `/membershipRecords/${i}/record/kind`, 'NOT_MEMBERSHIP', `${entry.record.kind} is not a membership record`);
      if (i > 0) this.check(entry.logIndex > bundle.membershipRecords[i - 1]!.logIndex, `/membershipRecords/${i}/logIndex`, 'RECORD_ORDER', 'membership records must be in ascending log order');
    });
    const seen = new Map<string, number>();
    bundle.records.forEach((entry, i) => {
      if (!traceOk[i]) return;
      const j = seen.get(entry.hash);
      this.check(j === undefined, `/records/${i}/hash`, 'DUPLICATE_RECORD', `record is listed twice (also /records/${j})`);
      seen.set(entry.hash, i);
    });
  }

  /** Each block against the authority set the membership records put in force at its height. */
  blocksAgainstReplay(bundle: ProofBundle, replay: Replay): void {
    for (const [height, { index, header, hash }] of this.blocksByHeight) {
      const set = replay.setsByHeight.get(height);
      const path = `/blocks/${index}`;
      if (!set) {
        this.check(false, `${path}/header/authoritySetHash`, 'AUTHORITY_SET_MISMATCH', `block ${height}: no authority set was in force at its height`, { expected: header.authoritySetHash });
        continue;
      }
      const inForce = { hash: hashAuthoritySet(authorityList(set)), authorities: set, quorum: replay.finalState.quorum };
      this.addBlockFailures(path, checkBlockSeals(header, hash, bundle.blocks[index]!.seals, height, { inForce, byHash: (h) => this.listedSets.get(h) }));
    }
  }

  /** Listed authority sets and signers against those the replay derives; each trace record within its signer's window. */
  derivedListings(bundle: ProofBundle, checkpoint: Checkpoint, replay: Replay): void {
    compareList(bundle.authoritySets, deriveAuthoritySets(replay, bundle.blocks, checkpoint), '/authoritySets', 'AUTHORITY_SET_MISMATCH', 'authority set', this.check);
    compareList(bundle.signers, deriveSigners(replay.finalState, bundle.records), '/signers', 'SIGNER_MISMATCH', 'signer', this.check);
    // The validity window, as the bundle states it (already compared with the replay above).
    bundle.records.forEach((entry, i) => {
      const signerIndex = bundle.signers.findIndex((s) => s?.keyId === entry.record.signer);
      const signer = bundle.signers[signerIndex];
      if (!this.check(signer !== undefined, `/records/${i}/record/signer`, 'UNKNOWN_SIGNER', 'the record signer is not listed in signers')) return;
      const ended = signer!.endedAtLogIndex ?? Number.MAX_SAFE_INTEGER;
      this.check(signer!.addedAtLogIndex <= entry.logIndex && entry.logIndex < ended, `/signers/${signerIndex}`, 'SIGNER_NOT_VALID', `key was not valid at log index ${entry.logIndex}`, {
        expected: `[${signer!.addedAtLogIndex}, ${signer!.endedAtLogIndex ?? '∞'})`,
        computed: entry.logIndex,
      });
    });
  }
}

function pick(details: Record<string, unknown>, key: 'expected' | 'computed'): Compared {
  return details[key] !== undefined ? { [key]: details[key] } : {};
}

/**
 * Verifies a parsed bundle fully offline. Every failure names a JSON pointer into the bundle.
 * Sizes and roots for Merkle proofs are always taken from the same signed header or checkpoint.
 * With an anchor, the bundle must also be tied to it (UNANCHORED when the anchor names nothing);
 * without one, the report says only that the bundle is self-consistent.
 */
export function verifyBundle(input: unknown, anchor?: BundleAnchor): BundleReport {
  try {
    const report = verifyBundleUnsafe(input);
    if (anchor === undefined || !report.ok) return report;
    const anchored = checkAnchor(input as ProofBundle, anchor);
    const failures = [...report.failures, ...anchored.failures];
    return { ...report, ok: failures.length === 0, checks: report.checks + 1, failures, ...(anchored.failures.length === 0 ? { anchoredBy: anchored.anchoredBy.join('; ') } : {}) };
  } catch (err) {
    // Shape checks should make this unreachable; a hostile bundle must still never verify.
    return { ok: false, checks: 0, failures: [{ path: '', code: 'UNVERIFIABLE', message: `bundle could not be checked: ${(err as Error)?.message ?? String(err)}` }] };
  }
}

function verifyBundleUnsafe(input: unknown): BundleReport {
  const run = new BundleVerification();
  const bundle = run.shape(input);
  if (!bundle) return run.done();
  const checkpoint = run.checkpointShape(bundle);
  if (!checkpoint) return run.done();
  run.listedAuthoritySets(bundle);
  run.blocks(bundle, checkpoint);
  run.checkpointEvidence(bundle, checkpoint);
  run.records(bundle, checkpoint);
  if (bundle.openings !== undefined) checkBundleOpenings(bundle.openings, bundle.records, run.check);
  if (run.failures.length > 0) return run.done();
  const replay = replayMembership(bundle.membershipRecords, bundle.records, neededHeights(bundle.blocks, checkpoint), (path, code, message, extra) => {
    run.checks += 1;
    run.fail(path, code, message, extra);
  });
  if (!replay) return run.done();
  run.blocksAgainstReplay(bundle, replay);
  run.derivedListings(bundle, checkpoint, replay);
  if (bundle.format === BUNDLE_FORMAT_V2) checkBundleCompleteness(bundle, checkpoint, run.blocksByHeight.get(checkpoint.blockHeight)?.header, run.check);
  const answer = bundle.answer ? { answer: { ...bundle.answer, withheld: bundle.completeness?.withheld.length ?? 0 } } : {};
  return run.done({ genesisHash: bundle.genesisHash, checkpoint: { logSize: checkpoint.logSize, blockHeight: checkpoint.blockHeight, logRoot: checkpoint.logRoot }, ...answer });
}

/** Compares a listed array with the derived one entry by entry, field by field (JCS equality). */
function compareList(
  listed: readonly unknown[],
  derived: readonly object[],
  base: string,
  code: string,
  what: string,
  check: (cond: boolean, path: string, code: string, message: string, extra?: Compared) => boolean,
): void {
  check(listed.length === derived.length, base, code, `${derived.length} ${what}(s) expected, ${listed.length} listed`, { expected: derived.length, computed: listed.length });
  derived.forEach((want, i) => {
    const got = listed[i];
    if (!check(isObject(got), `${base}/${i}`, code, `${what} ${i} is missing or not an object`)) return;
    const keys = new Set([...Object.keys(want), ...Object.keys(got as object)]);
    for (const key of keys) {
      const a = (want as Record<string, unknown>)[key];
      const g = (got as Record<string, unknown>)[key];
      const same = a !== undefined && g !== undefined && canonicalize(a as JsonValue) === canonicalize(g as JsonValue);
      check(same, `${base}/${i}/${escapePointer(key)}`, code, `${what} ${i}: "${key}" is not what the chain establishes`, { expected: a, computed: g });
    }
  });
}
