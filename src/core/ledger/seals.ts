/**
 * Seals: authority signatures over a block hash. A block is final with valid seals from distinct
 * authority organisations of the set in force, strictly more than the quorum share of it.
 */
import { isValidSeal, quorumSize, type QuorumRule, type Seal } from './block.js';
import { LedgerError } from './errors.js';
import { isPlainObject } from './membership.js';
import type { AuthorityEntry } from './state-types.js';

export interface SealCheck {
  /** Key ids of valid, distinct authority seals. */
  valid: string[];
  /** One typed BAD_SEAL error per rejected seal, with its index in details.sealIndex. */
  problems: LedgerError[];
  required: number;
}

/** Checks every seal against the authority set in force for the block; never throws. */
export function checkSeals(blockHashHex: string, seals: readonly Seal[], authorities: readonly AuthorityEntry[], quorum: QuorumRule): SealCheck {
  const valid: string[] = [];
  const problems: LedgerError[] = [];
  const orgsSeen = new Set<string>();
  (Array.isArray(seals) ? seals : []).forEach((seal, sealIndex) => {
    const keyId = isPlainObject(seal) && typeof seal.keyId === 'string' ? seal.keyId : '(missing)';
    const authority = authorities.find((a) => a.keyId === keyId);
    if (!authority) {
      problems.push(new LedgerError('BAD_SEAL', `seal ${sealIndex} is by key ${keyId.slice(0, 16)}, which is not an authority in force for this block`, { sealIndex, keyId }));
      return;
    }
    if (orgsSeen.has(authority.orgId)) {
      problems.push(new LedgerError('BAD_SEAL', `seal ${sealIndex} duplicates a seal by authority "${authority.orgId}"`, { sealIndex, keyId, orgId: authority.orgId }));
      return;
    }
    if (typeof seal.signature !== 'string' || !isValidSeal(blockHashHex, seal, authority.publicKey)) {
      problems.push(new LedgerError('BAD_SEAL', `seal ${sealIndex} by authority "${authority.orgId}" does not verify over the block hash`, { sealIndex, keyId, orgId: authority.orgId, blockHash: blockHashHex }));
      return;
    }
    orgsSeen.add(authority.orgId);
    valid.push(keyId);
  });
  return { valid, problems, required: quorumSize(authorities.length, quorum) };
}

/** Throws BAD_SEAL for the first bad seal, or NO_QUORUM when too few valid distinct seals. */
export function assertSealQuorum(blockHashHex: string, seals: readonly Seal[], authorities: readonly AuthorityEntry[], quorum: QuorumRule): string[] {
  const check = checkSeals(blockHashHex, seals, authorities, quorum);
  if (check.problems.length > 0) throw check.problems[0]!;
  if (check.valid.length < check.required) {
    throw new LedgerError('NO_QUORUM', `block has ${check.valid.length} valid seals, needs ${check.required} of ${authorities.length} authorities`, {
      expected: check.required,
      computed: check.valid.length,
      blockHash: blockHashHex,
    });
  }
  return check.valid;
}
