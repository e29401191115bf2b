/**
 * The one block check, shared by the chain verifier (chain-verifier.ts), the hop verifier
 * (lineage/verify-hop.ts) and the proof-bundle verifier (lineage/bundle-verify.ts): the header's
 * shape and hash, the authority set it names against the set in force at its height, and its seals
 * against that set's quorum. Each verifier reports these failures with the same codes; the full
 * table, with the chain-position codes around it, is in docs/verification-codes.md.
 *
 *   code                    when                                                     expected / computed
 *   MALFORMED_BLOCK         the header is not a version-1 block header              -
 *   BLOCK_HASH_MISMATCH     the stored (or listed) block hash is not the header's   stored hash / header hash
 *   AUTHORITY_SET_MISMATCH  the header names another set than the one in force      named hash / hash in force (null: unknown)
 *   BAD_SEAL                a seal by a key outside the set, a second seal by one   - (details.sealIndex)
 *                           organisation, or a signature that does not verify
 *   NO_QUORUM               fewer valid seals of distinct organisations than needed required count / valid count
 */
import { assertHeaderShape, blockHash, type BlockHeader, type QuorumRule } from './block.js';
import { LedgerError } from './errors.js';
import { checkSeals } from './seals.js';
import type { AuthorityEntry } from './state-types.js';

export type BlockCheckCode = 'MALFORMED_BLOCK' | 'BLOCK_HASH_MISMATCH' | 'AUTHORITY_SET_MISMATCH' | 'BAD_SEAL' | 'NO_QUORUM';

/** The part of the block a failure is about (a verifier with JSON pointers points there). */
export type BlockPart = 'header' | 'hash' | 'authoritySetHash' | 'seals';

export interface BlockFailure {
  code: BlockCheckCode;
  part: BlockPart;
  message: string;
  /** height, expected and computed where values were compared; sealIndex, keyId for BAD_SEAL. */
  details: Record<string, unknown>;
}

export interface AuthoritySet {
  hash: string;
  authorities: readonly AuthorityEntry[];
  quorum: Readonly<QuorumRule>;
}

/** What the verifier knows about authority sets when it checks the block. */
export interface KnownAuthorities {
  /** The set in force at the block's height, once the verifier has established it. */
  inForce?: AuthoritySet;
  /** Sets the verifier can name by hash: they word the failure, and seal the block when inForce is not known yet. */
  byHash?(hash: string): AuthoritySet | undefined;
}

export interface HeaderCheck {
  /** Undefined when the header is malformed. */
  header?: BlockHeader;
  /** The hash the header computes to. */
  hash?: string;
  failures: BlockFailure[];
}

export interface BlockInput {
  header: unknown;
  /** The hash the block is stored or listed under. */
  storedHash: unknown;
  seals: unknown;
  /** The block's height (its position), for messages. */
  height: number;
  authorities: KnownAuthorities;
}

const short = (hash: string): string => hash.slice(0, 16);

/** Shape and hash: MALFORMED_BLOCK, or BLOCK_HASH_MISMATCH when the stored hash is not the header's. */
export function checkBlockHeader(header: unknown, storedHash: unknown, height: number): HeaderCheck {
  try {
    assertHeaderShape(header);
  } catch (err) {
    const message = err instanceof LedgerError ? err.message : `malformed block header: ${(err as Error)?.message ?? String(err)}`;
    return { failures: [{ code: 'MALFORMED_BLOCK', part: 'header', message: `block ${height}: ${message}`, details: { height } }] };
  }
  const hash = blockHash(header);
  const failures: BlockFailure[] = [];
  if (storedHash !== hash) {
    failures.push({
      code: 'BLOCK_HASH_MISMATCH',
      part: 'hash',
      message: `block ${height}: stored block hash does not match the hash of its header`,
      details: { height, expected: storedHash, computed: hash },
    });
  }
  return { header, hash, failures };
}

function authoritySetFailure(header: BlockHeader, height: number, known: KnownAuthorities, named: AuthoritySet | undefined): BlockFailure | undefined {
  const { inForce } = known;
  const claimed = header.authoritySetHash;
  if (inForce ? inForce.hash === claimed : named !== undefined) return undefined;
  let why = ', which is not among the known authority sets';
  if (inForce) {
    const never = !named && known.byHash ? ', which this chain never had in force;' : ', but';
    why = `${never} set ${short(inForce.hash)} was in force at that height`;
  }
  return {
    code: 'AUTHORITY_SET_MISMATCH',
    part: 'authoritySetHash',
    message: `block ${height} names authority set ${short(claimed)}${why}`,
    details: { height, expected: claimed, computed: inForce?.hash ?? null },
  };
}

/**
 * The authority set and the seals of a well-formed header whose hash is `hash`. Seals are checked
 * against the set in force when known, else against the set the header names.
 */
export function checkBlockSeals(header: BlockHeader, hash: string, seals: unknown, height: number, known: KnownAuthorities): BlockFailure[] {
  const named = known.byHash?.(header.authoritySetHash);
  const failures: BlockFailure[] = [];
  const mismatch = authoritySetFailure(header, height, known, named);
  if (mismatch) failures.push(mismatch);
  const set = known.inForce ?? named;
  if (!set) return failures;
  const check = checkSeals(hash, Array.isArray(seals) ? seals : [], set.authorities, set.quorum);
  for (const problem of check.problems) {
    failures.push({ code: 'BAD_SEAL', part: 'seals', message: `block ${height}: ${problem.message}`, details: { height, ...problem.details } });
  }
  if (check.valid.length < check.required) {
    failures.push({
      code: 'NO_QUORUM',
      part: 'seals',
      message: `block ${height} has ${check.valid.length} valid seals, needs ${check.required} of the ${set.authorities.length} authorities of set ${short(set.hash)}`,
      details: { height, authoritySetHash: set.hash, expected: check.required, computed: check.valid.length },
    });
  }
  return failures;
}

/** The whole block check: header shape and hash, then (for a well-formed header) authority set and seals. */
export function checkBlock(input: BlockInput): HeaderCheck {
  const result = checkBlockHeader(input.header, input.storedHash, input.height);
  if (!result.header || !result.hash) return result;
  return { ...result, failures: [...result.failures, ...checkBlockSeals(result.header, result.hash, input.seals, input.height, input.authorities)] };
}
