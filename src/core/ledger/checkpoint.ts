/**
 * Checkpoints: a signed statement "after block H (hash B) the consortium log has N records with
 * RFC 6962 root R". A light client holding an older signed checkpoint checks a newer one with a
 * consistency proof, so it detects any rewrite of history without replaying the chain.
 */
import {
  HashTag,
  canonicalBytes,
  encodeSignature,
  fromHex,
  parsePublicKey,
  parseSignature,
  sign,
  signingMessage,
  taggedHash,
  toHex,
  verifySignature,
  type KeyPair,
  type PublicKey,
} from '../crypto/index.js';
import { quorumSize, type BlockHeader, type QuorumRule } from './block.js';
import { LedgerError } from './errors.js';
import { MerkleProofError } from './merkle-errors.js';
import { verifyConsistency } from './merkle-verify.js';
import { isConsortiumId, isHash, isTimestamp } from './record.js';

export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  readonly v: typeof CHECKPOINT_VERSION;
  readonly consortium: string;
  readonly logSize: number;
  /** RFC 6962 root over the first logSize record hashes, hex. */
  readonly logRoot: string;
  readonly blockHeight: number;
  readonly blockHash: string;
  readonly timestamp: string;
}

export interface CheckpointSignature {
  readonly keyId: string;
  /** `<alg>:<base64url>` over signingMessage(CHECKPOINT, checkpointHash). */
  readonly signature: string;
}

export function assertCheckpointShape(value: unknown): asserts value is Checkpoint {
  const fail = (message: string): never => {
    throw new LedgerError('MALFORMED_CHECKPOINT', `malformed checkpoint: ${message}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not an object');
  const c = value as Record<string, unknown>;
  const allowed = ['v', 'consortium', 'logSize', 'logRoot', 'blockHeight', 'blockHash', 'timestamp'];
  for (const key of Object.keys(c)) if (!allowed.includes(key)) fail(`unexpected field "${key}"`);
  if (c.v !== CHECKPOINT_VERSION) fail(`unsupported version ${JSON.stringify(c.v)}`);
  if (!isConsortiumId(c.consortium)) fail('consortium must be a slug');
  for (const field of ['logSize', 'blockHeight'] as const) {
    if (!Number.isSafeInteger(c[field]) || (c[field] as number) < 0) fail(`${field} must be a non-negative integer`);
  }
  for (const field of ['logRoot', 'blockHash'] as const) if (!isHash(c[field])) fail(`${field} must be 64 lower-case hex digits`);
  if (!isTimestamp(c.timestamp)) fail('timestamp must be RFC 3339 UTC with milliseconds');
}

/** The checkpoint for a closed block: its log size, the log root at that size, and the block's time. */
export function checkpointOfBlock(header: BlockHeader, blockHashHex: string, logRoot: string): Checkpoint {
  const cp: Checkpoint = {
    v: CHECKPOINT_VERSION,
    consortium: header.consortium,
    logSize: header.logSize,
    logRoot,
    blockHeight: header.height,
    blockHash: blockHashHex,
    timestamp: header.timestamp,
  };
  assertCheckpointShape(cp);
  return cp;
}

function checkpointHashBytes(cp: Checkpoint): Uint8Array {
  assertCheckpointShape(cp);
  return taggedHash(HashTag.CHECKPOINT, canonicalBytes(cp));
}

export function checkpointHash(cp: Checkpoint): string {
  return toHex(checkpointHashBytes(cp));
}

export function checkpointSigningMessage(cp: Checkpoint): Uint8Array {
  return signingMessage(HashTag.CHECKPOINT, checkpointHashBytes(cp));
}

export function signCheckpoint(cp: Checkpoint, authorityKey: KeyPair): CheckpointSignature {
  return { keyId: authorityKey.keyId, signature: encodeSignature(sign(authorityKey.privateKey, checkpointSigningMessage(cp))) };
}

/**
 * Throws BAD_SEAL for any signature by a key outside the set, a duplicate or an invalid one, and
 * NO_QUORUM when fewer than quorumSize(authorities) valid signatures remain. Returns the signers.
 */
export function verifyCheckpointSignatures(
  cp: Checkpoint,
  signatures: readonly CheckpointSignature[],
  authorities: readonly { keyId: string; publicKey: PublicKey | string }[],
  quorum: QuorumRule,
): string[] {
  const message = checkpointSigningMessage(cp);
  const signers: string[] = [];
  signatures.forEach((s, i) => {
    const authority = authorities.find((a) => a.keyId === s?.keyId);
    if (!authority) throw new LedgerError('BAD_SEAL', `checkpoint signature ${i} is by key ${String(s?.keyId).slice(0, 16)}, not an authority`, { index: i, keyId: s?.keyId });
    if (signers.includes(authority.keyId)) throw new LedgerError('BAD_SEAL', `checkpoint signature ${i} duplicates another by the same key`, { index: i, keyId: s.keyId });
    let ok: boolean;
    try {
      const key = typeof authority.publicKey === 'string' ? parsePublicKey(authority.publicKey) : authority.publicKey;
      ok = verifySignature(key, message, parseSignature(s.signature));
    } catch {
      ok = false;
    }
    if (!ok) throw new LedgerError('BAD_SEAL', `checkpoint signature ${i} by key ${s.keyId.slice(0, 16)} does not verify`, { index: i, keyId: s.keyId });
    signers.push(authority.keyId);
  });
  const required = quorumSize(authorities.length, quorum);
  if (signers.length < required) {
    throw new LedgerError('NO_QUORUM', `checkpoint has ${signers.length} valid signatures, needs ${required} of ${authorities.length} authorities`, {
      expected: required,
      computed: signers.length,
    });
  }
  return signers;
}

/**
 * Throws CHECKPOINT_INCONSISTENT unless newer's log extends older's (RFC 9162 §2.1.4.2 proof,
 * hex hashes as a log server serves them), i.e. history up to older.logSize was not rewritten.
 */
export function verifyCheckpointExtends(older: Checkpoint, newer: Checkpoint, consistencyProof: readonly string[]): void {
  assertCheckpointShape(older);
  assertCheckpointShape(newer);
  if (older.consortium !== newer.consortium) {
    throw new LedgerError('WRONG_CONSORTIUM', `checkpoints are for different consortia: "${older.consortium}" and "${newer.consortium}"`, {
      expected: older.consortium,
      computed: newer.consortium,
    });
  }
  if (newer.logSize < older.logSize || newer.blockHeight < older.blockHeight) {
    throw new LedgerError('CHECKPOINT_INCONSISTENT', `newer checkpoint (size ${newer.logSize}, height ${newer.blockHeight}) is behind the older one (size ${older.logSize}, height ${older.blockHeight})`, {
      expected: older.logSize,
      computed: newer.logSize,
    });
  }
  if (newer.blockHeight === older.blockHeight && newer.blockHash !== older.blockHash) {
    throw new LedgerError('CHECKPOINT_INCONSISTENT', `two different blocks at height ${older.blockHeight}: the chain forked`, { expected: older.blockHash, computed: newer.blockHash });
  }
  let proof: Uint8Array[];
  try {
    proof = consistencyProof.map((h) => fromHex(h, 32));
  } catch (err) {
    throw new LedgerError('CHECKPOINT_INCONSISTENT', `consistency proof is malformed: ${(err as Error).message}`);
  }
  try {
    verifyConsistency(older.logSize, newer.logSize, fromHex(older.logRoot, 32), fromHex(newer.logRoot, 32), proof);
  } catch (err) {
    if (err instanceof MerkleProofError) {
      throw new LedgerError('CHECKPOINT_INCONSISTENT', `log at size ${newer.logSize} does not extend the log at size ${older.logSize}: ${err.message}`, {
        cause: err.code,
        ...err.details,
      });
    }
    throw err;
  }
}
