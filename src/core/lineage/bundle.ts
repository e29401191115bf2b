/**
 * Proof bundle: one self-contained JSON file that proves a set of records offline.
 * It holds the records with RFC 6962 inclusion proofs in their blocks and in the consortium log
 * at a signed checkpoint, the sealed block headers, and every membership record up to the
 * checkpoint (genesis, proposals, approvals, device registrations) so the verifier can replay who
 * held which key and role at each record's log index and which authority set was in force at each
 * height. The authority sets and signers listed in the bundle are for readers; the verifier
 * re-derives them and compares.
 *
 * Pure: no I/O. buildBundle assembles fetched evidence; verifyBundle checks a parsed bundle.
 */
import { canonicalize, fromHex, keyIdOf, parsePublicKey, type JsonValue } from '../crypto/index.js';
import { assertHeaderShape, blockHash, type BlockHeader, type QuorumRule, type Seal } from '../ledger/block.js';
import {
  assertCheckpointShape,
  verifyCheckpointSignatures,
  type Checkpoint,
  type CheckpointSignature,
} from '../ledger/checkpoint.js';
import { ConsortiumState, admitRecord, checkSeals, hashAuthoritySet, requireActiveSigner, type AuthorityEntry } from '../ledger/consortium.js';
import { LedgerError } from '../ledger/errors.js';
import { leafHash } from '../ledger/merkle-hash.js';
import { MerkleProofError } from '../ledger/merkle-errors.js';
import { verifyInclusion } from '../ledger/merkle-verify.js';
import { RecordKind, assertRecordShape, isHash, recordHash, verifyRecordSignature, type SignedRecord } from '../ledger/record.js';
import { ruleFor } from '../rules/authorisation.js';
import { CodedError } from '../coded-error.js';

export const BUNDLE_FORMAT = 'provenant-proof-bundle/v1';

/** Record kinds that change membership or authorities: all of them up to the checkpoint are bundled. */
export const MEMBERSHIP_RECORD_KINDS: readonly string[] = [
  RecordKind.GENESIS,
  RecordKind.PROPOSAL,
  RecordKind.APPROVAL,
  RecordKind.DEVICE_REGISTER,
  RecordKind.DEVICE_REVOKE,
];

export interface BundleRecord {
  record: SignedRecord;
  hash: string;
  logIndex: number;
  blockHeight: number;
  indexInBlock: number;
  /** RFC 9162 inclusion proof (hex) in the block's merkleRoot, tree size = header.recordCount. */
  blockInclusion: string[];
  /** RFC 9162 inclusion proof (hex) in checkpoint.logRoot, tree size = checkpoint.logSize. */
  logInclusion: string[];
}

export interface BundleBlock {
  header: BlockHeader;
  hash: string;
  seals: Seal[];
  recordCount: number;
}

export interface BundleAuthority {
  orgId: string;
  keyId: string;
  publicKey: string;
}

export interface BundleAuthoritySet {
  hash: string;
  /** Sorted by keyId, as hashAuthoritySet commits them. */
  authorities: BundleAuthority[];
  quorum: QuorumRule;
  /** Heights of bundled blocks sealed under this set (ascending). */
  heights: number[];
  /** True when this set signed the checkpoint (the set in force after checkpoint.blockHeight). */
  signsCheckpoint: boolean;
}

export interface BundleSigner {
  keyId: string;
  type: 'org' | 'device';
  orgId: string;
  /** Roles of the organisation as of the checkpoint. */
  roles: string[];
  publicKey: string;
  /** Set for device keys. */
  deviceId: string | null;
  status: string;
  addedAtLogIndex: number;
  /** Log index where the key stopped being valid (revoked/rotated), null while valid. */
  endedAtLogIndex: number | null;
}

export interface ProofBundle {
  format: typeof BUNDLE_FORMAT;
  consortium: string;
  /** Hash of block 0: compare with the genesis hash you trust. */
  genesisHash: string;
  checkpoint: Checkpoint;
  checkpointSignatures: CheckpointSignature[];
  authoritySets: BundleAuthoritySet[];
  blocks: BundleBlock[];
  /** The trace: the records asked for, in the order asked. */
  records: BundleRecord[];
  /** Every membership record up to checkpoint.logSize, in log order (genesis first). */
  membershipRecords: BundleRecord[];
  signers: BundleSigner[];
}

export interface BundleFailure {
  /** RFC 6901 JSON pointer into the bundle. */
  path: string;
  code: string;
  message: string;
  expected?: unknown;
  computed?: unknown;
}

export interface BundleReport {
  ok: boolean;
  checks: number;
  failures: BundleFailure[];
  genesisHash?: string;
  checkpoint?: { logSize: number; blockHeight: number; logRoot: string };
}

export class BundleError extends CodedError<'BUNDLE_RECORD_NOT_FOUND' | 'BUNDLE_RECORD_NOT_SEALED' | 'BUNDLE_NO_CHECKPOINT' | 'BUNDLE_MISSING_EVIDENCE' | 'BUNDLE_INVALID'> {
  override readonly name = 'BundleError';
}

// ---- build ----

export interface BundleEvidence {
  consortium: string;
  checkpoint: Checkpoint;
  checkpointSignatures: CheckpointSignature[];
  blocks: BundleBlock[];
  records: BundleRecord[];
  membershipRecords: BundleRecord[];
}

/** Assembles a bundle from evidence fetched from a store, deriving authority sets and signers by replay. */
export function buildBundle(evidence: BundleEvidence): ProofBundle {
  const blocks = [...evidence.blocks].sort((a, b) => a.header.height - b.header.height);
  const genesis = blocks.find((b) => b.header.height === 0);
  if (!genesis) throw new BundleError('BUNDLE_MISSING_EVIDENCE', 'the genesis block is missing from the evidence');
  const membershipRecords = [...evidence.membershipRecords].sort((a, b) => a.logIndex - b.logIndex);
  const replay = replayMembership(membershipRecords, evidence.records, neededHeights(blocks, evidence.checkpoint), () => undefined);
  if (!replay) throw new BundleError('BUNDLE_INVALID', 'membership records do not replay from genesis');
  const bundle: ProofBundle = {
    format: BUNDLE_FORMAT,
    consortium: evidence.consortium,
    genesisHash: genesis.hash,
    checkpoint: evidence.checkpoint,
    checkpointSignatures: evidence.checkpointSignatures,
    authoritySets: deriveAuthoritySets(replay, blocks, evidence.checkpoint),
    blocks,
    records: evidence.records,
    membershipRecords,
    signers: deriveSigners(replay.finalState, evidence.records),
  };
  const report = verifyBundle(bundle);
  if (!report.ok) {
    const first = report.failures[0]!;
    throw new BundleError('BUNDLE_INVALID', `the exported bundle does not verify: ${first.path}: ${first.code}: ${first.message}`, { failures: report.failures });
  }
  return bundle;
}

// ---- membership replay (shared by build and verify) ----

interface Replay {
  finalState: ConsortiumState;
  /** Authority set in force for each needed block height. */
  setsByHeight: Map<number, AuthorityEntry[]>;
}

function neededHeights(blocks: readonly { header: BlockHeader }[], checkpoint: Checkpoint): number[] {
  const heights = new Set<number>(blocks.map((b) => b.header.height));
  heights.add(checkpoint.blockHeight + 1); // checkpoints are signed by the set in force after their block
  return [...heights].sort((a, b) => a - b);
}

/**
 * Replays genesis and the membership records in log order (admitRecord at their log index), and
 * checks each trace record's signer standing at its own log index. An authority change approved
 * in block h is in force from block h + 1 (closeBlock), so the set for height H is the pending set
 * after every membership record in blocks below H. Returns null when genesis cannot be read.
 */
function replayMembership(
  membership: readonly BundleRecord[],
  trace: readonly BundleRecord[],
  heights: readonly number[],
  fail: (path: string, code: string, message: string, extra?: { expected?: unknown; computed?: unknown }) => void,
  tracePaths: readonly string[] = trace.map((_, i) => `/records/${i}`),
): Replay | null {
  const genesis = membership[0];
  if (!genesis || genesis.record?.kind !== RecordKind.GENESIS || genesis.logIndex !== 0) {
    fail('/membershipRecords/0', 'MISSING_GENESIS', 'the first membership record must be the genesis record at log index 0');
    return null;
  }
  let state: ConsortiumState;
  try {
    state = ConsortiumState.fromGenesisRecord(genesis.record, genesis.hash);
  } catch (err) {
    failFrom(fail, '/membershipRecords/0/record', err);
    return null;
  }
  const membershipHashes = new Set(membership.map((m) => m.hash));
  type Step = { entry: BundleRecord; path: string; membership: boolean };
  const steps: Step[] = [
    ...membership.slice(1).map((entry, i) => ({ entry, path: `/membershipRecords/${i + 1}`, membership: true })),
    ...trace.map((entry, i) => ({ entry, path: tracePaths[i]!, membership: false })).filter((s) => !membershipHashes.has(s.entry.hash)),
  ].sort((a, b) => a.entry.logIndex - b.entry.logIndex);

  const setsByHeight = new Map<number, AuthorityEntry[]>();
  const pendingHeights = [...heights];
  let currentHeight = 0;
  const takeSetsBelowOrAt = (height: number): void => {
    while (pendingHeights.length > 0 && pendingHeights[0]! <= height) {
      const h = pendingHeights.shift()!;
      setsByHeight.set(h, h <= currentHeight ? [...state.authoritiesInForce] : [...state.pendingAuthorities]);
    }
  };
  takeSetsBelowOrAt(0);
  for (const step of steps) {
    const { entry } = step;
    if (entry.blockHeight > currentHeight) {
      takeSetsBelowOrAt(entry.blockHeight);
      // Changes from block currentHeight are in force from the next block (as closeBlock does).
      state.height = currentHeight;
      state.authoritiesInForce = [...state.pendingAuthorities];
      currentHeight = entry.blockHeight;
      state.height = currentHeight - 1;
    }
    try {
      if (step.membership) {
        state.logSize = entry.logIndex;
        admitRecord(state, entry.record, { recordHash: entry.hash });
      } else {
        const signer = requireActiveSigner(state, entry.record.signer, entry.record.kind);
        verifyRecordSignature(entry.record, signer.type === 'org' ? signer.key.publicKey : signer.device.publicKey, entry.hash);
        const problem = roleProblem(state, entry, signer.org.id);
        if (problem) fail(`${step.path}/record/signer`, 'ROLE_NOT_HELD', problem.message, { expected: problem.expected, computed: problem.computed });
      }
    } catch (err) {
      const field = err instanceof LedgerError && err.code === 'BAD_SIGNATURE' ? '/record/signature' : '/record';
      failFrom(fail, `${step.path}${field}`, err);
    }
  }
  takeSetsBelowOrAt(Number.MAX_SAFE_INTEGER);
  return { finalState: state, setsByHeight };
}

/** The role rule of an event record, checked against the roles its signer's org held at the record's log index. */
function roleProblem(state: ConsortiumState, entry: BundleRecord, orgId: string): { message: string; expected: string[]; computed: string[] } | undefined {
  const payload = entry.record.payload;
  const event = isObject(payload) ? payload.event : undefined;
  const rule = event !== undefined ? ruleFor(event) : undefined;
  if (!rule) return undefined;
  const held = state.rolesAt(orgId, entry.logIndex);
  if (held && rule.roles.some((r) => held.has(r))) return undefined;
  const heldText = held === undefined ? 'was not a member' : held.size === 0 ? 'held no roles' : `held ${[...held].sort().join(', ')}`;
  return {
    message: `${orgId} ${heldText} at log index ${entry.logIndex}; rule ${rule.id} needs ${rule.roles.join(' or ')}`,
    expected: [...rule.roles],
    computed: held ? [...held].sort() : [],
  };
}

function failFrom(fail: (path: string, code: string, message: string, extra?: { expected?: unknown; computed?: unknown }) => void, path: string, err: unknown): void {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'INVALID';
  const details = (err as { details?: { expected?: unknown; computed?: unknown } })?.details ?? {};
  const extra: { expected?: unknown; computed?: unknown } = {};
  if (details.expected !== undefined) extra.expected = details.expected;
  if (details.computed !== undefined) extra.computed = details.computed;
  fail(path, code, (err as Error)?.message ?? String(err), extra);
}

function authorityList(set: readonly AuthorityEntry[]): BundleAuthority[] {
  return set
    .map((a) => ({ orgId: a.orgId, keyId: a.keyId, publicKey: a.encoded }))
    .sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
}

function deriveAuthoritySets(replay: Replay, blocks: readonly { header: BlockHeader }[], checkpoint: Checkpoint): BundleAuthoritySet[] {
  const byHash = new Map<string, BundleAuthoritySet>();
  const entryFor = (set: readonly AuthorityEntry[]): BundleAuthoritySet => {
    const authorities = authorityList(set);
    const hash = hashAuthoritySet(authorities);
    let entry = byHash.get(hash);
    if (!entry) {
      entry = { hash, authorities, quorum: { ...replay.finalState.quorum }, heights: [], signsCheckpoint: false };
      byHash.set(hash, entry);
    }
    return entry;
  };
  for (const block of blocks) {
    const set = replay.setsByHeight.get(block.header.height);
    if (set) entryFor(set).heights.push(block.header.height);
  }
  const cpSet = replay.setsByHeight.get(checkpoint.blockHeight + 1);
  if (cpSet) entryFor(cpSet).signsCheckpoint = true;
  for (const e of byHash.values()) e.heights.sort((a, b) => a - b);
  return [...byHash.values()].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
}

function deriveSigners(state: ConsortiumState, trace: readonly BundleRecord[]): BundleSigner[] {
  const keyIds = [...new Set(trace.map((r) => r.record?.signer).filter((k): k is string => typeof k === 'string'))].sort();
  const out: BundleSigner[] = [];
  for (const keyId of keyIds) {
    const resolved = state.resolveSigner(keyId);
    if (!resolved) continue;
    const roles = [...resolved.org.roles].sort();
    if (resolved.type === 'org') {
      out.push({
        keyId,
        type: 'org',
        orgId: resolved.org.id,
        roles,
        publicKey: resolved.key.encoded,
        deviceId: null,
        status: resolved.key.status,
        addedAtLogIndex: resolved.key.addedAtLogIndex,
        endedAtLogIndex: resolved.key.endedAtLogIndex ?? null,
      });
    } else {
      out.push({
        keyId,
        type: 'device',
        orgId: resolved.org.id,
        roles,
        publicKey: resolved.device.encoded,
        deviceId: resolved.device.deviceId,
        status: resolved.device.status,
        addedAtLogIndex: resolved.device.registeredAtLogIndex,
        endedAtLogIndex: resolved.device.revokedAtLogIndex ?? null,
      });
    }
  }
  return out;
}

// ---- verify ----

const TOP_LEVEL_KEYS = ['format', 'consortium', 'genesisHash', 'checkpoint', 'checkpointSignatures', 'authoritySets', 'blocks', 'records', 'membershipRecords', 'signers'];
const RECORD_ENTRY_KEYS = ['record', 'hash', 'logIndex', 'blockHeight', 'indexInBlock', 'blockInclusion', 'logInclusion'];
const BLOCK_ENTRY_KEYS = ['header', 'hash', 'seals', 'recordCount'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Verifies a parsed bundle fully offline. Every failure names a JSON pointer into the bundle.
 * Sizes and roots for Merkle proofs are always taken from the same signed header or checkpoint.
 */
export function verifyBundle(input: unknown): BundleReport {
  try {
    return verifyBundleUnsafe(input);
  } catch (err) {
    // Shape checks should make this unreachable; a hostile bundle must still never verify.
    return { ok: false, checks: 0, failures: [{ path: '', code: 'UNVERIFIABLE', message: `bundle could not be checked: ${(err as Error)?.message ?? String(err)}` }] };
  }
}

const AUTHORITY_SET_KEYS = ['hash', 'authorities', 'quorum', 'heights', 'signsCheckpoint'];

function isAuthoritySetShape(set: unknown): set is BundleAuthoritySet {
  if (!isObject(set) || Object.keys(set).length !== AUTHORITY_SET_KEYS.length || !AUTHORITY_SET_KEYS.every((k) => k in set)) return false;
  const q = set.quorum;
  const quorumOk = isObject(q) && Object.keys(q).length === 2 && Number.isSafeInteger(q.numerator) && Number.isSafeInteger(q.denominator) && (q.denominator as number) > 0;
  const authoritiesOk =
    Array.isArray(set.authorities) &&
    set.authorities.every((a) => isObject(a) && Object.keys(a).length === 3 && typeof a.orgId === 'string' && isHash(a.keyId) && typeof a.publicKey === 'string');
  return isHash(set.hash) && quorumOk && authoritiesOk && Array.isArray(set.heights) && typeof set.signsCheckpoint === 'boolean';
}

function verifyBundleUnsafe(input: unknown): BundleReport {
  const failures: BundleFailure[] = [];
  let checks = 0;
  const fail = (path: string, code: string, message: string, extra: { expected?: unknown; computed?: unknown } = {}): void => {
    failures.push({ path, code, message, ...extra });
  };
  const check = (cond: boolean, path: string, code: string, message: string, extra: { expected?: unknown; computed?: unknown } = {}): boolean => {
    checks += 1;
    if (!cond) fail(path, code, message, extra);
    return cond;
  };
  const done = (extra: Partial<BundleReport> = {}): BundleReport => ({ ok: failures.length === 0, checks, failures, ...extra });

  // ---- shape ----
  if (!check(isObject(input), '', 'MALFORMED_BUNDLE', 'the bundle must be a JSON object')) return done();
  const b = input as Record<string, unknown>;
  for (const key of Object.keys(b)) check(TOP_LEVEL_KEYS.includes(key), `/${escapePointer(key)}`, 'MALFORMED_BUNDLE', `unexpected field "${key}"`);
  for (const key of TOP_LEVEL_KEYS) check(key in b, `/${key}`, 'MALFORMED_BUNDLE', `field "${key}" is missing`);
  check(b.format === BUNDLE_FORMAT, '/format', 'UNSUPPORTED_FORMAT', `format must be "${BUNDLE_FORMAT}"`, { expected: BUNDLE_FORMAT, computed: b.format });
  for (const key of ['checkpointSignatures', 'authoritySets', 'blocks', 'records', 'membershipRecords', 'signers']) {
    check(Array.isArray(b[key]), `/${key}`, 'MALFORMED_BUNDLE', `${key} must be an array`);
  }
  if (failures.length > 0) return done();
  const bundle = b as unknown as ProofBundle;

  // ---- checkpoint shape ----
  let checkpoint: Checkpoint;
  try {
    checks += 1;
    assertCheckpointShape(bundle.checkpoint);
    checkpoint = bundle.checkpoint;
  } catch (err) {
    failFrom(fail, '/checkpoint', err);
    return done();
  }
  check(checkpoint.consortium === bundle.consortium, '/checkpoint/consortium', 'WRONG_CONSORTIUM', 'checkpoint is for another consortium', { expected: bundle.consortium, computed: checkpoint.consortium });

  // ---- authority sets as listed (each hash recomputed) ----
  const listedSets = new Map<string, { index: number; authorities: AuthorityEntry[]; quorum: QuorumRule }>();
  bundle.authoritySets.forEach((set, i) => {
    const path = `/authoritySets/${i}`;
    if (!check(isAuthoritySetShape(set), path, 'MALFORMED_BUNDLE', 'authority set must be { hash, authorities: [{ orgId, keyId, publicKey }], quorum: { numerator, denominator }, heights, signsCheckpoint }')) return;
    const authorities: AuthorityEntry[] = [];
    set.authorities.forEach((a, j) => {
      try {
        const publicKey = parsePublicKey(a?.publicKey);
        check(keyIdOf(publicKey) === a.keyId, `${path}/authorities/${j}/keyId`, 'KEY_ID_MISMATCH', 'authority keyId is not the id of its public key', { expected: a.keyId, computed: keyIdOf(publicKey) });
        authorities.push({ orgId: a.orgId, keyId: a.keyId, publicKey, encoded: a.publicKey });
      } catch (err) {
        failFrom(fail, `${path}/authorities/${j}/publicKey`, err);
      }
    });
    let computed: string | undefined;
    try {
      computed = hashAuthoritySet(set.authorities);
    } catch (err) {
      failFrom(fail, `${path}/authorities`, err);
    }
    if (check(computed === set.hash, `${path}/hash`, 'AUTHORITY_SET_MISMATCH', 'authority set hash does not match its authorities', { expected: set.hash, computed })) {
      listedSets.set(set.hash, { index: i, authorities, quorum: set.quorum });
    }
  });

  // ---- blocks ----
  const blocksByHeight = new Map<number, { index: number; header: BlockHeader; hash: string }>();
  bundle.blocks.forEach((entry, i) => {
    const path = `/blocks/${i}`;
    if (!check(isObject(entry), path, 'MALFORMED_BUNDLE', 'block entry must be an object')) return;
    for (const key of Object.keys(entry)) check(BLOCK_ENTRY_KEYS.includes(key), `${path}/${escapePointer(key)}`, 'MALFORMED_BUNDLE', `unexpected field "${key}"`);
    let header: BlockHeader;
    try {
      checks += 1;
      assertHeaderShape(entry.header);
      header = entry.header;
    } catch (err) {
      failFrom(fail, `${path}/header`, err);
      return;
    }
    const computed = blockHash(header);
    check(computed === entry.hash, `${path}/hash`, 'BLOCK_HASH_MISMATCH', `block ${header.height}: hash does not match its header`, { expected: entry.hash, computed });
    check(entry.recordCount === header.recordCount, `${path}/recordCount`, 'RECORD_COUNT_MISMATCH', 'recordCount differs from the signed header', { expected: header.recordCount, computed: entry.recordCount });
    check(header.consortium === bundle.consortium, `${path}/header/consortium`, 'WRONG_CONSORTIUM', 'block is for another consortium', { expected: bundle.consortium, computed: header.consortium });
    check(header.logSize >= header.recordCount, `${path}/header/logSize`, 'LOG_SIZE_MISMATCH', 'block logSize is smaller than its recordCount');
    check(header.height <= checkpoint.blockHeight, `${path}/header/height`, 'BEYOND_CHECKPOINT', `block ${header.height} is after the checkpoint's block ${checkpoint.blockHeight}`);
    const previous = i > 0 ? bundle.blocks[i - 1]?.header : undefined;
    check(previous === undefined || (isObject(previous) && typeof previous.height === 'number' && previous.height < header.height), `${path}/header/height`, 'BLOCK_ORDER', 'blocks must be in ascending height order, each once');
    const set = listedSets.get(header.authoritySetHash);
    if (check(set !== undefined, `${path}/header/authoritySetHash`, 'UNKNOWN_AUTHORITY_SET', `block ${header.height}: its authority set is not in the bundle`, { computed: header.authoritySetHash })) {
      checks += 1;
      const sealCheck = checkSeals(computed, Array.isArray(entry.seals) ? entry.seals : [], set!.authorities, set!.quorum);
      for (const problem of sealCheck.problems) {
        const sealIndex = (problem.details as { sealIndex?: number }).sealIndex;
        fail(`${path}/seals/${sealIndex ?? ''}`, problem.code, `block ${header.height}: ${problem.message}`);
      }
      check(Array.isArray(entry.seals), `${path}/seals`, 'MALFORMED_BUNDLE', 'seals must be an array');
      check(sealCheck.valid.length >= sealCheck.required, `${path}/seals`, 'NO_QUORUM', `block ${header.height} has ${sealCheck.valid.length} valid seals, needs ${sealCheck.required}`, {
        expected: sealCheck.required,
        computed: sealCheck.valid.length,
      });
    }
    blocksByHeight.set(header.height, { index: i, header, hash: computed });
  });
  const genesisBlock = blocksByHeight.get(0);
  if (check(genesisBlock !== undefined, '/blocks', 'MISSING_GENESIS', 'the genesis block (height 0) is not in the bundle')) {
    check(genesisBlock!.hash === bundle.genesisHash, '/genesisHash', 'BLOCK_HASH_MISMATCH', 'genesisHash is not the hash of block 0', { expected: bundle.genesisHash, computed: genesisBlock!.hash });
  }

  // ---- checkpoint: its block, its signatures ----
  const cpBlock = blocksByHeight.get(checkpoint.blockHeight);
  if (check(cpBlock !== undefined, '/checkpoint/blockHeight', 'MISSING_BLOCK', `the checkpoint's block ${checkpoint.blockHeight} is not in the bundle`)) {
    check(cpBlock!.hash === checkpoint.blockHash, '/checkpoint/blockHash', 'BLOCK_HASH_MISMATCH', "checkpoint blockHash is not its block's hash", { expected: checkpoint.blockHash, computed: cpBlock!.hash });
    check(cpBlock!.header.logSize === checkpoint.logSize, '/checkpoint/logSize', 'LOG_SIZE_MISMATCH', "checkpoint logSize is not its block's logSize", { expected: cpBlock!.header.logSize, computed: checkpoint.logSize });
  }
  const cpSetIndex = bundle.authoritySets.findIndex((s) => isObject(s) && s.signsCheckpoint === true);
  const cpSet = cpSetIndex >= 0 ? listedSets.get(bundle.authoritySets[cpSetIndex]!.hash) : undefined;
  if (check(cpSet !== undefined, '/authoritySets', 'UNKNOWN_AUTHORITY_SET', 'no valid authority set is marked as signing the checkpoint')) {
    try {
      checks += 1;
      verifyCheckpointSignatures(checkpoint, bundle.checkpointSignatures, cpSet!.authorities, cpSet!.quorum);
    } catch (err) {
      const index = (err as LedgerError)?.details?.index;
      failFrom(fail, typeof index === 'number' ? `/checkpointSignatures/${index}` : '/checkpointSignatures', err);
    }
  }

  // ---- records (trace and membership): hash, position, block and log inclusion ----
  const checkEntries = (list: BundleRecord[], base: string): boolean[] =>
    list.map((entry, i) => {
      const path = `${base}/${i}`;
      const before = failures.length;
      if (!check(isObject(entry), path, 'MALFORMED_BUNDLE', 'record entry must be an object')) return false;
      for (const key of Object.keys(entry)) check(RECORD_ENTRY_KEYS.includes(key), `${path}/${escapePointer(key)}`, 'MALFORMED_BUNDLE', `unexpected field "${key}"`);
      try {
        checks += 1;
        assertRecordShape(entry.record);
      } catch (err) {
        const field = (err as LedgerError)?.details?.field;
        failFrom(fail, typeof field === 'string' ? `${path}/record/${escapePointer(field)}` : `${path}/record`, err);
        return false;
      }
      for (const key of ['logIndex', 'blockHeight', 'indexInBlock'] as const) {
        check(isIndex(entry[key]), `${path}/${key}`, 'MALFORMED_BUNDLE', `${key} must be a non-negative integer`);
      }
      if (failures.length > before) return false;
      check(entry.record.consortium === bundle.consortium, `${path}/record/consortium`, 'WRONG_CONSORTIUM', 'record is for another consortium');
      const computed = recordHash(entry.record);
      check(computed === entry.hash, `${path}/hash`, 'RECORD_HASH_MISMATCH', 'record hash does not match the record', { expected: entry.hash, computed });
      const leaf = leafHash(fromHex(computed, 32));
      const block = blocksByHeight.get(entry.blockHeight);
      if (check(block !== undefined, `${path}/blockHeight`, 'MISSING_BLOCK', `block ${entry.blockHeight} is not in the bundle`)) {
        const { header } = block!;
        const expectedLogIndex = header.logSize - header.recordCount + entry.indexInBlock;
        check(entry.indexInBlock < header.recordCount, `${path}/indexInBlock`, 'INDEX_OUT_OF_RANGE', `indexInBlock ${entry.indexInBlock} is not below the block's recordCount ${header.recordCount}`);
        check(entry.logIndex === expectedLogIndex, `${path}/logIndex`, 'LOG_INDEX_MISMATCH', "logIndex does not match the block's log range and indexInBlock", { expected: expectedLogIndex, computed: entry.logIndex });
        checkInclusion(leaf, entry.indexInBlock, header.recordCount, header.merkleRoot, entry.blockInclusion, `${path}/blockInclusion`, 'block');
      }
      check(entry.blockHeight <= checkpoint.blockHeight, `${path}/blockHeight`, 'BEYOND_CHECKPOINT', 'record is in a block after the checkpoint');
      checkInclusion(leaf, entry.logIndex, checkpoint.logSize, checkpoint.logRoot, entry.logInclusion, `${path}/logInclusion`, 'log');
      return failures.length === before;
    });

  const checkInclusion = (leaf: Uint8Array, index: number, size: number, rootHex: string, proof: unknown, path: string, what: string): void => {
    checks += 1;
    if (!Array.isArray(proof)) {
      fail(path, 'MALFORMED_BUNDLE', `${what} inclusion proof must be an array of hex hashes`);
      return;
    }
    const elements: Uint8Array[] = [];
    for (const [k, h] of proof.entries()) {
      if (!isHash(h)) {
        fail(`${path}/${k}`, 'MALFORMED_HASH', `${what} inclusion proof element must be 64 lower-case hex digits`);
        return;
      }
      elements.push(fromHex(h, 32));
    }
    if (index >= size) {
      fail(path, 'INDEX_OUT_OF_RANGE', `index ${index} is outside the ${what} of size ${size}`);
      return;
    }
    try {
      verifyInclusion(leaf, index, size, elements, fromHex(rootHex, 32));
    } catch (err) {
      if (err instanceof MerkleProofError) fail(path, err.code, `${what} inclusion proof fails: ${err.message}`);
      else throw err;
    }
  };

  const traceOk = checkEntries(bundle.records, '/records');
  const membershipOk = checkEntries(bundle.membershipRecords, '/membershipRecords');
  bundle.membershipRecords.forEach((entry, i) => {
    if (!membershipOk[i]) return;
    check(MEMBERSHIP_RECORD_KINDS.includes(entry.record.kind), `/membershipRecords/${i}/record/kind`, 'NOT_MEMBERSHIP', `${entry.record.kind} is not a membership record`);
    if (i > 0) check(entry.logIndex > bundle.membershipRecords[i - 1]!.logIndex, `/membershipRecords/${i}/logIndex`, 'RECORD_ORDER', 'membership records must be in ascending log order');
  });
  const seen = new Map<string, number>();
  bundle.records.forEach((entry, i) => {
    if (!traceOk[i]) return;
    const j = seen.get(entry.hash);
    check(j === undefined, `/records/${i}/hash`, 'DUPLICATE_RECORD', `record is listed twice (also /records/${j})`);
    seen.set(entry.hash, i);
  });
  if (failures.length > 0) return done();

  // ---- membership replay: authority sets, signer standing, signer listing ----
  const replay = replayMembership(bundle.membershipRecords, bundle.records, neededHeights(bundle.blocks, checkpoint), (path, code, message, extra) => {
    checks += 1;
    fail(path, code, message, extra);
  });
  if (!replay) return done();
  for (const [height, { index, header }] of blocksByHeight) {
    const set = replay.setsByHeight.get(height);
    const computed = set ? hashAuthoritySet(authorityList(set)) : undefined;
    check(computed === header.authoritySetHash, `/blocks/${index}/header/authoritySetHash`, 'AUTHORITY_SET_MISMATCH', `block ${height}: authority set is not the one the membership records put in force`, {
      expected: header.authoritySetHash,
      computed,
    });
  }
  const derivedSets = deriveAuthoritySets(replay, bundle.blocks, checkpoint);
  compareList(bundle.authoritySets, derivedSets, '/authoritySets', 'AUTHORITY_SET_MISMATCH', 'authority set', check);
  const derivedSigners = deriveSigners(replay.finalState, bundle.records);
  compareList(bundle.signers, derivedSigners, '/signers', 'SIGNER_MISMATCH', 'signer', check);

  // The validity window, as the bundle states it (already compared with the replay above).
  bundle.records.forEach((entry, i) => {
    const signerIndex = bundle.signers.findIndex((s) => s?.keyId === entry.record.signer);
    const signer = bundle.signers[signerIndex];
    if (!check(signer !== undefined, `/records/${i}/record/signer`, 'UNKNOWN_SIGNER', 'the record signer is not listed in signers')) return;
    const ended = signer!.endedAtLogIndex ?? Number.MAX_SAFE_INTEGER;
    check(signer!.addedAtLogIndex <= entry.logIndex && entry.logIndex < ended, `/signers/${signerIndex}`, 'SIGNER_NOT_VALID', `key was not valid at log index ${entry.logIndex}`, {
      expected: `[${signer!.addedAtLogIndex}, ${signer!.endedAtLogIndex ?? '∞'})`,
      computed: entry.logIndex,
    });
  });

  return done({ genesisHash: bundle.genesisHash, checkpoint: { logSize: checkpoint.logSize, blockHeight: checkpoint.blockHeight, logRoot: checkpoint.logRoot } });
}

/** Compares a listed array with the derived one entry by entry, field by field (JCS equality). */
function compareList(
  listed: readonly unknown[],
  derived: readonly object[],
  base: string,
  code: string,
  what: string,
  check: (cond: boolean, path: string, code: string, message: string, extra?: { expected?: unknown; computed?: unknown }) => boolean,
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
