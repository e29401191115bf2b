/**
 * A v2 bundle's completeness (docs/completeness.md, section 9): what it answers is stated and tied
 * to its checkpoint; under the checkpoint block's indexRoot, the membership chain proves the bundle
 * holds every membership record after genesis, and each identifier's proof proves its listed
 * entries are all there are. Every entry's record is in the bundle (and touches the identifier in
 * that role), or is named as withheld. Dropping a hop, a record or a membership record fails here.
 */
import { toHex } from '../crypto/index.js';
import { indexRootOf, type BlockHeader } from '../ledger/block.js';
import type { Checkpoint } from '../ledger/checkpoint.js';
import { MEMBERSHIP_KEY_HEX, MEMBERSHIP_SUBJECT, chainHead, compareEntries, recordAdditions, verifyMapProof, type IndexEntry, type MapProof } from '../ledger/index-map/index.js';
import { RecordKind } from '../ledger/records/kinds.js';
import { isHash } from '../ledger/record.js';
import { canonicalIdentifier } from '../rules/authorisation.js';
import type { BundleRecord, ProofBundle } from './bundle-types.js';
import { walkGaps } from './query-walk.js';

type Check = (cond: boolean, path: string, code: string, message: string, extra?: { expected?: unknown; computed?: unknown }) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isEntry(e: unknown): e is IndexEntry {
  return isObject(e) && isHash(e.recordHash) && typeof e.role === 'string' && Number.isSafeInteger(e.logIndex) && (e.logIndex as number) >= 0 && Object.keys(e).length === 3;
}

/** The chain over entries against the proven leaf value: true when count and head agree. */
function chainMatches(entries: readonly IndexEntry[], value: { count: number; head: string }): boolean {
  return entries.length === value.count && toHex(chainHead(entries)) === value.head;
}

/** Shape of the answer and completeness sections; false when they cannot be read further. */
function shapeOk(bundle: ProofBundle, check: Check): boolean {
  const a = bundle.answer as unknown;
  const c = bundle.completeness as unknown;
  const answerOk =
    isObject(a) &&
    isObject(a.query) &&
    typeof a.query.kind === 'string' &&
    Array.isArray(a.identifiers) &&
    a.identifiers.every((i) => typeof i === 'string') &&
    isObject(a.checkpoint);
  const completenessOk =
    isObject(c) &&
    isObject(c.membership) &&
    Array.isArray(c.identifiers) &&
    c.identifiers.every((p) => isObject(p) && typeof p.identifier === 'string' && Array.isArray(p.entries) && isObject(p.proof)) &&
    Array.isArray(c.withheld) &&
    c.withheld.every((w) => isObject(w) && isHash(w.recordHash) && typeof w.reason === 'string');
  check(answerOk, '/answer', 'MALFORMED_BUNDLE', 'answer must be { query: { kind, … }, identifiers: [string], checkpoint: { logSize, blockHeight, blockHash } }');
  check(completenessOk, '/completeness', 'MALFORMED_BUNDLE', 'completeness must be { membership: proof, identifiers: [{ identifier, entries, proof }], withheld: [{ recordHash, reason }] }');
  return answerOk && completenessOk;
}

/** The membership chain: every membership record after genesis, in log order, gives the proven leaf. */
function checkMembership(bundle: ProofBundle, indexRoot: string, check: Check): void {
  const proven = verifyMapProof(indexRoot, MEMBERSHIP_SUBJECT, bundle.completeness!.membership as MapProof, MEMBERSHIP_KEY_HEX);
  if (!check(proven.ok, '/completeness/membership', 'BAD_MAP_PROOF', `membership chain proof fails: ${proven.ok ? '' : proven.reason}`)) return;
  const entries = bundle.membershipRecords
    .filter((r) => r.record.kind !== RecordKind.GENESIS)
    .map((r) => ({ recordHash: r.hash, role: r.record.kind, logIndex: r.logIndex }));
  const value = (proven as { value: { count: number; head: string } }).value;
  check(chainMatches(entries, value), '/membershipRecords', 'MEMBERSHIP_INCOMPLETE', `the bundle holds ${entries.length} membership record(s) after genesis; the signed index map counts ${value.count} up to the checkpoint`, {
    expected: value.count,
    computed: entries.length,
  });
}

/** One identifier: its proof, its entries' chain, and each entry's record (bundled and touching it, or withheld). */
function checkIdentifier(
  bundle: ProofBundle,
  checkpoint: Checkpoint,
  indexRoot: string,
  i: number,
  records: ReadonlyMap<string, BundleRecord>,
  withheld: ReadonlySet<string>,
  check: Check,
): void {
  const item = bundle.completeness!.identifiers[i]!;
  const path = `/completeness/identifiers/${i}`;
  const id = item.identifier;
  if (!check(item.entries.every(isEntry), `${path}/entries`, 'MALFORMED_BUNDLE', 'an entry is { recordHash, role, logIndex }')) return;
  const entries = item.entries;
  const ordered = entries.every((e, k) => k === 0 || compareEntries(entries[k - 1]!, e) < 0) && entries.every((e) => e.logIndex < checkpoint.logSize);
  if (!check(ordered, `${path}/entries`, 'RECORD_ORDER', `${id}: entries must be in chain order, below the checkpoint's log size`)) return;
  const proven = verifyMapProof(indexRoot, id, item.proof);
  if (!check(proven.ok, `${path}/proof`, 'BAD_MAP_PROOF', `${id}: map proof fails: ${proven.ok ? '' : proven.reason}`)) return;
  const value = (proven as { value: { count: number; head: string } }).value;
  check(chainMatches(entries, value), `${path}/entries`, 'INCOMPLETE', `${id}: the listed entries are not its whole history (the signed index map counts ${value.count})`, {
    expected: value.count,
    computed: entries.length,
  });
  entries.forEach((e, k) => {
    const entryPath = `${path}/entries/${k}`;
    const record = records.get(e.recordHash);
    if (!record) {
      check(withheld.has(e.recordHash), entryPath, 'INCOMPLETE', `${id}: record ${e.recordHash} of its history is neither in the bundle nor named as withheld`);
      return;
    }
    const touches = record.logIndex === e.logIndex && recordAdditions(record.record, record.hash, record.logIndex).some((a) => a.identifier === id && a.entry.role === e.role);
    check(touches, entryPath, 'ENTRY_MISMATCH', `${id}: record ${e.recordHash} does not touch it as ${e.role} at log index ${e.logIndex}`);
  });
}

/** Checks a v2 bundle's answer and completeness; the rest of the bundle has been checked (blocks, records, checkpoint). */
export function checkBundleCompleteness(bundle: ProofBundle, checkpoint: Checkpoint, checkpointHeader: BlockHeader | undefined, check: Check): void {
  if (!shapeOk(bundle, check)) return;
  const answer = bundle.answer!;
  const stated = answer.checkpoint;
  const same = stated.logSize === checkpoint.logSize && stated.blockHeight === checkpoint.blockHeight && stated.blockHash === checkpoint.blockHash;
  check(same, '/answer/checkpoint', 'CHECKPOINT_MISMATCH', 'the answer was given at another checkpoint than the one the bundle proves', { expected: stated, computed: { logSize: checkpoint.logSize, blockHeight: checkpoint.blockHeight, blockHash: checkpoint.blockHash } });
  const indexRoot = checkpointHeader ? indexRootOf(checkpointHeader) : undefined;
  if (!check(indexRoot !== undefined, '/checkpoint/blockHeight', 'NO_INDEX_ROOT', "the checkpoint's block commits to no identifier index map (a version-1 header)")) return;
  checkMembership(bundle, indexRoot!, check);
  const proofs = bundle.completeness!.identifiers;
  const provenIds = proofs.map((p) => p.identifier);
  const answerIds = new Set(answer.identifiers);
  check(provenIds.length === new Set(provenIds).size, '/completeness/identifiers', 'DUPLICATE_IDENTIFIER', 'an identifier is proven twice');
  answer.identifiers.forEach((id, i) => check(provenIds.includes(id), `/answer/identifiers/${i}`, 'INCOMPLETE', `${id}: the answer visited it but the bundle does not prove its history`));
  provenIds.forEach((id, i) => check(answerIds.has(id), `/completeness/identifiers/${i}/identifier`, 'UNEXPECTED_IDENTIFIER', `${id} is proven but not among the answer's identifiers`));
  const subject = answer.query.identifier;
  if (typeof subject === 'string') check(answerIds.has(canonicalIdentifier(subject)), '/answer/query/identifier', 'INCOMPLETE', `the query's own identifier ${subject} is not among the answer's identifiers`);
  const records = new Map<string, BundleRecord>(bundle.records.map((r) => [r.hash, r]));
  const withheld = new Set(bundle.completeness!.withheld.map((w) => w.recordHash));
  for (let i = 0; i < proofs.length; i++) checkIdentifier(bundle, checkpoint, indexRoot!, i, records, withheld, check);
  checkWalk(bundle, new Set(provenIds), check);
}

/**
 * The query re-walked over the bundle's records (query-walk.ts, the lineage services' rule): every
 * identifier it visits must be listed and proven. Withheld records are not walked: what lies only
 * beyond them rests on the node that answered (the report counts them).
 */
function checkWalk(bundle: ProofBundle, proven: ReadonlySet<string>, check: Check): void {
  const walked = walkGaps(bundle.answer!.query, bundle.records, new Set(bundle.answer!.identifiers), proven);
  if ('error' in walked) {
    check(false, '/answer/query', 'UNKNOWN_QUERY', `the verifier cannot re-walk this query: ${walked.error}`);
    return;
  }
  for (const gap of walked.gaps) {
    check(false, '/answer/identifiers', 'WALK_INCOMPLETE', `${gap.identifier}: the query's walk over the bundle's records visits it, but the answer ${gap.listed ? 'does not prove its history' : 'does not list it'}`, { expected: gap.identifier });
  }
}
