/**
 * A block holds an ordered batch of records, the RFC 6962 Merkle root over their hashes, the hash
 * of the previous block, its height and time, the consortium log size after it, and the hash of
 * the authority set in force. Authorities seal the block hash; it is final with a quorum of seals.
 * Version 2 headers also carry indexRoot: the root of the identifier index map after the block's
 * records (docs/completeness.md). Version 1 headers stay valid.
 */
import {
  HashTag,
  canonicalBytes,
  encodeSignature,
  fromHex,
  parseSignature,
  sign,
  signingMessage,
  taggedHash,
  toHex,
  verifySignature,
  type KeyPair,
  type PublicKey,
} from '../crypto/index.js';
import { LedgerError } from './errors.js';
import { leafHash } from './merkle-hash.js';
import { rootHash } from './merkle-tree.js';
import { isConsortiumId, isHash, isTimestamp, type SignedRecord } from './record.js';

/** The version blocks are sealed with: 2, with indexRoot. */
export const BLOCK_VERSION = 2;
/** Versions a verifier accepts: 1 (no indexRoot) and 2. */
export const BLOCK_VERSIONS: readonly number[] = [1, 2];
export const GENESIS_PREVIOUS_HASH = '0'.repeat(64);

export interface BlockHeader {
  readonly v: 1 | 2;
  readonly consortium: string;
  readonly height: number;
  readonly previousHash: string;
  readonly merkleRoot: string;
  readonly recordCount: number;
  /** Size of the consortium log after this block: ties each block to a log checkpoint. */
  readonly logSize: number;
  readonly timestamp: string;
  readonly authoritySetHash: string;
  /** Version 2 only: root of the identifier index map after this block's records, hex. */
  readonly indexRoot?: string;
}

/** The index map root the header commits to (undefined for a version-1 header). */
export function indexRootOf(header: BlockHeader): string | undefined {
  return header.v === 2 ? header.indexRoot : undefined;
}

export interface Seal {
  /** Key id of the sealing authority key. */
  readonly keyId: string;
  /** `<alg>:<base64url>` over signingMessage(SEAL, blockHash). */
  readonly signature: string;
}

export interface Block {
  readonly header: BlockHeader;
  readonly records: readonly SignedRecord[];
  readonly seals: readonly Seal[];
}

export function assertHeaderShape(value: unknown): asserts value is BlockHeader {
  const fail = (message: string): never => {
    throw new LedgerError('MALFORMED_BLOCK', `malformed block header: ${message}`);
  };
  if (typeof value !== 'object' || value === null) fail('not an object');
  const h = value as Record<string, unknown>;
  if (!BLOCK_VERSIONS.includes(h.v as number)) fail(`unsupported version ${JSON.stringify(h.v)}`);
  const allowed = ['v', 'consortium', 'height', 'previousHash', 'merkleRoot', 'recordCount', 'logSize', 'timestamp', 'authoritySetHash', ...(h.v === 2 ? ['indexRoot'] : [])];
  for (const key of Object.keys(h)) if (!allowed.includes(key)) fail(`unexpected field "${key}"`);
  if (h.v === 2 && !isHash(h.indexRoot)) fail('indexRoot must be 64 lower-case hex digits');
  if (!isConsortiumId(h.consortium)) fail('consortium must be a slug');
  for (const field of ['height', 'recordCount', 'logSize'] as const) {
    if (!Number.isSafeInteger(h[field]) || (h[field] as number) < 0) fail(`${field} must be a non-negative integer`);
  }
  for (const field of ['previousHash', 'merkleRoot', 'authoritySetHash'] as const) {
    if (!isHash(h[field])) fail(`${field} must be 64 lower-case hex digits`);
  }
  if (!isTimestamp(h.timestamp)) fail('timestamp must be RFC 3339 UTC with milliseconds');
}

export function blockHashBytes(header: BlockHeader): Uint8Array {
  return taggedHash(HashTag.BLOCK_HEADER, canonicalBytes(header));
}

export function blockHash(header: BlockHeader): string {
  return toHex(blockHashBytes(header));
}

/** RFC 6962 Merkle tree hash over the block's record hashes (leaf data = the 32-byte record hash). */
export function merkleRootOfRecordHashes(recordHashes: readonly string[]): string {
  return toHex(rootHash(recordHashes.map((h) => leafHash(fromHex(h, 32)))));
}

export function sealMessage(blockHashHex: string): Uint8Array {
  return signingMessage(HashTag.SEAL, fromHex(blockHashHex, 32));
}

export function sealBlock(blockHashHex: string, authority: KeyPair): Seal {
  return { keyId: authority.keyId, signature: encodeSignature(sign(authority.privateKey, sealMessage(blockHashHex))) };
}

/** True when the seal verifies under the key; false (never throws) for a malformed or wrong seal. */
export function isValidSeal(blockHashHex: string, seal: Seal, publicKey: PublicKey): boolean {
  try {
    return verifySignature(publicKey, sealMessage(blockHashHex), parseSignature(seal.signature));
  } catch {
    return false;
  }
}

/** Strictly more than numerator/denominator of the set: e.g. 2/3 of 4 authorities needs 3 seals. */
export function quorumSize(authorityCount: number, quorum: QuorumRule): number {
  return Math.floor((authorityCount * quorum.numerator) / quorum.denominator) + 1;
}

export interface QuorumRule {
  readonly numerator: number;
  readonly denominator: number;
}

export const DEFAULT_QUORUM: QuorumRule = { numerator: 2, denominator: 3 };

/** Records after which a block is cut without a cut marker, when genesis does not say (docs/design/network.md). */
export const DEFAULT_SEAL_MAX_RECORDS = 2000;
/** The largest block size governance may set: a block's records are held in memory until final. */
export const MAX_SEAL_MAX_RECORDS = 100_000;

export function isSealMaxRecords(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_SEAL_MAX_RECORDS;
}

/**
 * The header version of a block after genesis, from the chain alone (docs/completeness.md, section
 * 5): the genesis setting `indexCommitment` true gives version 2, false version 1. Absent (consortia
 * created before the setting), nodes cut version 2, and a verifier also accepts version 1 until the
 * first version-2 block (a chain sealed before the map), never after it.
 */
export function headerVersionRule(indexCommitment: boolean | undefined, previousVersion: number): { cut: 1 | 2; accepted: readonly number[] } {
  if (indexCommitment === true) return { cut: 2, accepted: [2] };
  if (indexCommitment === false) return { cut: 1, accepted: [1] };
  return { cut: 2, accepted: previousVersion === 2 ? [2] : [1, 2] };
}
