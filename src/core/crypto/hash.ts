/**
 * SHA-256 with domain separation. Every kind of thing we hash has its own tag, so a digest of one
 * kind can never be replayed as a digest of another. Merkle leaves and nodes use the RFC 6962
 * one-byte prefixes instead, so an outside RFC 6962 verifier agrees with us byte for byte.
 */
import { createHash } from 'node:crypto';
import { canonicalBytes } from './jcs.js';
import { concatBytes, toHex } from './encoding.js';

export const HashTag = {
  RECORD: 'provenant/v1/record',
  BLOCK_HEADER: 'provenant/v1/block-header',
  CHECKPOINT: 'provenant/v1/checkpoint',
  APPROVAL: 'provenant/v1/approval',
  AUTHORITY_SET: 'provenant/v1/authority-set',
  KEY_ID: 'provenant/v1/key-id',
  SEAL: 'provenant/v1/seal',
  SUBMISSION: 'provenant/v1/submission',
  DEVICE_READING: 'provenant/v1/device-reading',
  PERSONAL_DATA_COMMITMENT: 'provenant/v1/personal-data',
  // Withheld event fields (docs/redaction.md).
  WITHHELD_FIELD: 'provenant/v1/withheld-field',
  API_TOKEN: 'provenant/v1/api-token',
  RULESET: 'provenant/v1/ruleset',
  // The identifier index map (docs/completeness.md).
  INDEX_KEY: 'provenant/v1/index-key',
  INDEX_MEMBERSHIP_KEY: 'provenant/v1/index-membership-key',
  INDEX_ENTRY: 'provenant/v1/index-entry',
  INDEX_LEAF: 'provenant/v1/index-leaf',
  INDEX_NODE: 'provenant/v1/index-node',
  WITNESS_COSIGNATURE: 'provenant/v1/witness-cosignature',
  CUT_MARKER: 'provenant/v1/cut-marker',
  // A batch header: one signature over the Merkle root of many record hashes (docs/batch-signatures.md).
  BATCH_HEADER: 'provenant/v1/batch-header',
  // A node asking a peer node for final blocks (docs/design/network.md "Catch-up over HTTP").
  PEER_REQUEST: 'provenant/v1/peer-request',
} as const;
export type HashTag = (typeof HashTag)[keyof typeof HashTag];

/** RFC 6962 §2.1 prefixes. */
export const MERKLE_LEAF_PREFIX = 0x00;
export const MERKLE_NODE_PREFIX = 0x01;

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** SHA-256 of the parts' concatenation, without concatenating them first (Merkle hot paths). */
export function sha256Parts(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const digest = h.digest();
  // A plain Uint8Array view (no copy): callers compare hashes with Uint8Array equality, which a Buffer fails.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}

const encoder = new TextEncoder();
const tagPrefixes = new Map<string, Uint8Array>();
function tagPrefix(tag: HashTag): Uint8Array {
  let prefix = tagPrefixes.get(tag);
  if (!prefix) {
    // tag bytes, then a 0x00 separator: no tag is a prefix of another tag's message.
    prefix = concatBytes(encoder.encode(tag), new Uint8Array([0]));
    tagPrefixes.set(tag, prefix);
  }
  return prefix;
}

/** SHA-256(tag || 0x00 || data). */
export function taggedHash(tag: HashTag, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(tagPrefix(tag)).update(data).digest());
}

/** SHA-256(tag || 0x00 || part1 || part2 || ...), without concatenating the parts first (hot paths). */
export function taggedHashParts(tag: HashTag, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256').update(tagPrefix(tag));
  for (const p of parts) h.update(p);
  const digest = h.digest();
  // A plain Uint8Array view (no copy): callers compare hashes with Uint8Array equality, which a Buffer fails.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}

/** SHA-256(tag || 0x00 || JCS(value)), as lower-case hex. */
export function hashCanonical(tag: HashTag, value: unknown): string {
  return toHex(taggedHash(tag, canonicalBytes(value)));
}

/** The message a signature covers: tag || 0x00 || digest. Signing a digest keeps messages small. */
export function signingMessage(tag: HashTag, digest: Uint8Array): Uint8Array {
  return concatBytes(tagPrefix(tag), digest);
}
