/**
 * Batch signatures (docs/batch-signatures.md): one signature over a batch header that holds the
 * RFC 6962 Merkle root of many record hashes. Each record carries its own inclusion path, so it
 * can be checked alone; a verification run checks each distinct header signature once through a
 * BatchSignatureCache the caller creates (core keeps no process-wide state).
 */
import {
  HashTag,
  canonicalBytes,
  fromHex,
  keyIdOf,
  parseSignature,
  signingMessage,
  taggedHash,
  toHex,
  verifySignature,
  type PublicKey,
} from '../crypto/index.js';
import { LedgerError } from './errors.js';
import { leafHash, nodeHash } from './merkle-hash.js';
import { MerkleProofError } from './merkle-errors.js';
import { rootHash } from './merkle-tree.js';
import { rootFromInclusionProof } from './merkle-verify.js';

export const BATCH_HEADER_VERSION = 1;
/** A batch larger than this is refused as malformed: paths stay short and sizes stay exact integers. */
export const MAX_BATCH_SIZE = 1 << 24;
/** ceil(log2(MAX_BATCH_SIZE)): no valid path is longer. */
export const MAX_BATCH_PATH_LENGTH = 24;

/** What a batch-signed record carries instead of `signature`. */
export interface BatchAuthenticator {
  /** `<alg>:<base64url>` over signingMessage(BATCH_HEADER, taggedHash(BATCH_HEADER, JCS(header))). */
  readonly signature: string;
  /** Leaves in the batch's tree. */
  readonly size: number;
  /** This record's leaf position (0-based, document order). */
  readonly index: number;
  /** RFC 6962 §2.1.1 audit path, leaf side first, as 64-hex. */
  readonly path: readonly string[];
}

/** The signed header; every field but root and size comes from the record itself. */
export interface BatchHeader {
  readonly v: typeof BATCH_HEADER_VERSION;
  readonly consortium: string;
  readonly signer: string;
  readonly signedAt: string;
  readonly size: number;
  /** Lower-case hex MTH of the leaves leafHash(recordHash bytes), in batch order. */
  readonly root: string;
}

/** The record fields the header repeats. */
export interface BatchSigner {
  readonly consortium: string;
  readonly signer: string;
  readonly signedAt: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Shape of a `batch` field (untrusted input); returns why it is malformed, or null. */
export function batchShapeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'batch must be an object';
  const b = value as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!['signature', 'size', 'index', 'path'].includes(key)) return `batch has unexpected field "${key}"`;
  if (typeof b.signature !== 'string') return 'batch.signature must be a string';
  if (typeof b.size !== 'number' || !Number.isSafeInteger(b.size) || b.size < 1 || b.size > MAX_BATCH_SIZE) return `batch.size must be an integer from 1 to ${MAX_BATCH_SIZE}`;
  if (typeof b.index !== 'number' || !Number.isSafeInteger(b.index) || b.index < 0 || b.index >= b.size) return 'batch.index must be an integer from 0 to batch.size - 1';
  if (!Array.isArray(b.path) || b.path.length > MAX_BATCH_PATH_LENGTH) return `batch.path must be an array of at most ${MAX_BATCH_PATH_LENGTH} hashes`;
  if (!b.path.every((h) => typeof h === 'string' && HEX64.test(h))) return 'batch.path elements must be 64 lower-case hex characters';
  return null;
}

export function batchHeaderBytes(header: BatchHeader): Uint8Array {
  const { v, consortium, signer, signedAt, size, root } = header;
  return canonicalBytes({ v, consortium, signer, signedAt, size, root });
}

/** The exact bytes an organisation signs for a batch: "provenant/v1/batch-header" 0x00 SHA-256(tag 0x00 JCS(header)). */
export function batchSigningMessage(header: BatchHeader): Uint8Array {
  return signingMessage(HashTag.BATCH_HEADER, taggedHash(HashTag.BATCH_HEADER, batchHeaderBytes(header)));
}

/** The batch header for these record hashes (all records share consortium, signer and signedAt). */
export function batchHeaderFor(fields: BatchSigner, recordHashes: readonly Uint8Array[]): BatchHeader {
  if (recordHashes.length < 1 || recordHashes.length > MAX_BATCH_SIZE) {
    throw new LedgerError('MALFORMED_RECORD', `a batch holds 1 to ${MAX_BATCH_SIZE} records, not ${recordHashes.length}`, { size: recordHashes.length });
  }
  const root = rootHash(recordHashes.map((h) => leafHash(h)));
  return { v: BATCH_HEADER_VERSION, consortium: fields.consortium, signer: fields.signer, signedAt: fields.signedAt, size: recordHashes.length, root: toHex(root) };
}

/**
 * Each record's `batch` field, given the batch's signature (index i is record i). The tree is
 * built once, level by level (a last odd node moves up unchanged, which is the RFC 6962 §2.1 tree),
 * so every path costs O(log n) and equals inclusionProof(leaves, i).
 */
export function batchAuthenticators(recordHashes: readonly Uint8Array[], signature: string): BatchAuthenticator[] {
  const levels: Uint8Array[][] = [recordHashes.map((h) => leafHash(h))];
  while (levels[levels.length - 1]!.length > 1) {
    const level = levels[levels.length - 1]!;
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    levels.push(next);
  }
  const hex = levels.map((level) => level.map(toHex));
  return recordHashes.map((_, index) => {
    const path: string[] = [];
    let p = index;
    for (let l = 0; l < levels.length - 1; l++) {
      const sibling = p % 2 === 1 ? p - 1 : p + 1;
      if (sibling < levels[l]!.length) path.push(hex[l]![sibling]!);
      p = Math.floor(p / 2);
    }
    return { signature, size: recordHashes.length, index, path };
  });
}

/**
 * Remembers signature verdicts by the exact header (every field), signature text and signer key id,
 * so a run checks each batch signature once. Bounded: the oldest verdicts go past maxEntries.
 * Create one per verification run.
 */
export class BatchSignatureCache {
  readonly #verdicts = new Map<string, boolean>();
  readonly #keyIds = new WeakMap<PublicKey, string>();
  /** Signatures actually checked (not served from the cache). */
  verifications = 0;

  constructor(readonly maxEntries = 4096) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new LedgerError('MALFORMED_RECORD', 'maxEntries must be a positive integer', { maxEntries });
  }

  get size(): number {
    return this.#verdicts.size;
  }

  /** keyIdOf(publicKey), computed once per key object in this run. */
  keyIdOf(publicKey: PublicKey): string {
    let id = this.#keyIds.get(publicKey);
    if (id === undefined) this.#keyIds.set(publicKey, (id = keyIdOf(publicKey)));
    return id;
  }

  /** Verifies (or recalls) whether signatureText by publicKey covers the header. */
  verify(header: BatchHeader, signatureText: string, publicKey: PublicKey): boolean {
    const key = JSON.stringify([this.keyIdOf(publicKey), signatureText, header.v, header.consortium, header.signer, header.signedAt, header.size, header.root]);
    const known = this.#verdicts.get(key);
    if (known !== undefined) return known;
    this.verifications += 1;
    const ok = verifyBatchHeaderSignature(header, signatureText, publicKey);
    if (this.#verdicts.size >= this.maxEntries) this.#verdicts.delete(this.#verdicts.keys().next().value!);
    this.#verdicts.set(key, ok);
    return ok;
  }
}

/** Whether signatureText by publicKey covers this header (false for a malformed signature). */
export function verifyBatchHeaderSignature(header: BatchHeader, signatureText: string, publicKey: PublicKey): boolean {
  return checkHeaderSignature(batchHeaderBytes(header), signatureText, publicKey);
}

function checkHeaderSignature(headerBytes: Uint8Array, signatureText: string, publicKey: PublicKey): boolean {
  try {
    const message = signingMessage(HashTag.BATCH_HEADER, taggedHash(HashTag.BATCH_HEADER, headerBytes));
    return verifySignature(publicKey, message, parseSignature(signatureText));
  } catch {
    return false; // a malformed signature or one of the wrong algorithm for the key
  }
}

/** The root the record's path implies; throws BAD_SIGNATURE naming a path of the wrong length. */
export function batchRootOf(recordHashBytes: Uint8Array, batch: BatchAuthenticator, recordHashHex: string): Uint8Array {
  try {
    return rootFromInclusionProof(leafHash(recordHashBytes), batch.index, batch.size, batch.path.map((h) => fromHex(h, 32)));
  } catch (err) {
    if (!(err instanceof MerkleProofError)) throw err;
    throw new LedgerError('BAD_SIGNATURE', `record's batch path does not verify: ${err.message}`, { recordHash: recordHashHex, reason: err.code, ...err.details });
  }
}

/**
 * Checks a batch-signed record: path → root, the header rebuilt from the record's own consortium,
 * signer and signedAt, then the header signature (once per exact header through the cache).
 * The caller has checked that publicKey is the key whose id is fields.signer.
 */
export function verifyBatchAuthenticator(
  fields: BatchSigner,
  recordHashBytes: Uint8Array,
  batch: BatchAuthenticator,
  publicKey: PublicKey,
  recordHashHex: string,
  cache?: BatchSignatureCache,
): void {
  const root = batchRootOf(recordHashBytes, batch, recordHashHex);
  const header: BatchHeader = { v: BATCH_HEADER_VERSION, consortium: fields.consortium, signer: fields.signer, signedAt: fields.signedAt, size: batch.size, root: toHex(root) };
  const ok = cache ? cache.verify(header, batch.signature, publicKey) : verifyBatchHeaderSignature(header, batch.signature, publicKey);
  if (!ok) {
    throw new LedgerError('BAD_SIGNATURE', 'batch signature does not verify over the header this record and its path imply', {
      recordHash: recordHashHex,
      reason: 'BATCH_SIGNATURE',
      signer: fields.signer,
      root: header.root,
      size: batch.size,
    });
  }
}
