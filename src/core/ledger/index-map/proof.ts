/**
 * Map proofs: that an identifier's leaf holds (count, head) under an indexRoot, or that it has no
 * leaf (count 0). A proof lists the siblings along the key's path from the root down and how the
 * path ends: at the identifier's leaf, at an empty subtree, or at another key's leaf that shares
 * the path so far. docs/completeness.md, "Map proofs", states the verification step by step.
 */
import { fromHex, toHex } from '../../crypto/index.js';
import { bucketPath, leafHashOf, type MapLeaf } from './bucket.js';
import { BUCKET_BITS, EMPTY, EMPTY_HEX, KEY_BITS, bucketOfKey, indexKeyHex, keyBit, nodeHash, type LeafValue } from './hashing.js';
import type { MapTop } from './top.js';

export interface MapProof {
  /** key(identifier), hex. */
  key: string;
  /** Sibling hashes (hex) along the path: siblings[i] is the sibling subtree at depth i + 1. */
  siblings: string[];
  /** The identifier's leaf value; null when it has none (count 0). */
  leaf: LeafValue | null;
  /** With leaf null: the other key's leaf the path ends at (absent: the path ends at an empty subtree). */
  other?: MapLeaf;
}

export type MapProofCheck = { ok: true; value: LeafValue } | { ok: false; reason: string };

const HEX64 = /^[0-9a-f]{64}$/;

function isLeafValue(v: unknown): v is LeafValue {
  const o = v as LeafValue;
  return typeof o === 'object' && o !== null && Number.isSafeInteger(o.count) && o.count >= 0 && typeof o.head === 'string' && HEX64.test(o.head);
}

/** Builds the proof for a key from the top and the key's bucket (its leaves sorted by key). */
export function buildMapProof(top: MapTop, bucketLeaves: readonly MapLeaf[], key: string): MapProof {
  const above = top.siblings(bucketOfKey(key)).map(toHex);
  const path = bucketPath(bucketLeaves, key);
  const siblings = [...above, ...path.siblings.map(toHex)];
  if (path.end.kind === 'leaf') return { key, siblings, leaf: { count: path.end.leaf.count, head: path.end.leaf.head } };
  if (path.end.kind === 'other') return { key, siblings, leaf: null, other: { ...path.end.leaf } };
  return { key, siblings, leaf: null };
}

/** The hash the proof's path ends with, and the depth it ends at; or why the proof is malformed. */
function endOf(proof: MapProof, key: string): { hash: Uint8Array } | { reason: string } {
  const depth = proof.siblings.length;
  if (proof.leaf !== null) {
    if (!isLeafValue(proof.leaf)) return { reason: 'the leaf must be { count, head }' };
    if (proof.leaf.count === 0) return { reason: 'a leaf holds at least one entry' };
    if (proof.other !== undefined) return { reason: 'a proof ends at the leaf or at another leaf, not both' };
    if (depth < BUCKET_BITS) return { reason: `a leaf lies at depth ${BUCKET_BITS} or deeper` };
    return { hash: leafHashOf({ key, count: proof.leaf.count, head: proof.leaf.head }) };
  }
  if (proof.other === undefined) return { hash: EMPTY };
  const other = proof.other;
  if (typeof other !== 'object' || other === null || typeof other.key !== 'string' || !HEX64.test(other.key) || !isLeafValue(other)) {
    return { reason: 'the other leaf must be { key, count, head }' };
  }
  if (other.key === key) return { reason: 'the other leaf has the very key asked about' };
  if (other.count === 0) return { reason: 'a leaf holds at least one entry' };
  if (depth < BUCKET_BITS) return { reason: `a leaf lies at depth ${BUCKET_BITS} or deeper` };
  for (let i = 0; i < depth; i++) if (keyBit(other.key, i) !== keyBit(key, i)) return { reason: `the other leaf's key leaves the path at depth ${i}` };
  return { hash: leafHashOf(other) };
}

/**
 * Checks a map proof for the identifier against an indexRoot (hex). On success the value is the
 * identifier's leaf, or { count: 0, head: EMPTY } when the map has no leaf for it. `key` is given
 * for the membership chain (MEMBERSHIP_KEY_HEX); otherwise key(identifier).
 */
export function verifyMapProof(indexRoot: string, identifier: string, proof: MapProof, key: string = indexKeyHex(identifier)): MapProofCheck {
  if (typeof proof !== 'object' || proof === null || !Array.isArray(proof.siblings)) return { ok: false, reason: 'the proof must be { key, siblings, leaf }' };
  if (proof.key !== key) return { ok: false, reason: 'the proof is for another key' };
  if (proof.siblings.length > KEY_BITS) return { ok: false, reason: `a path has at most ${KEY_BITS} siblings` };
  if (!proof.siblings.every((s) => typeof s === 'string' && HEX64.test(s))) return { ok: false, reason: 'siblings must be 64 lower-case hex digits' };
  const end = endOf(proof, key);
  if ('reason' in end) return { ok: false, reason: end.reason };
  let h = end.hash;
  for (let i = proof.siblings.length - 1; i >= 0; i--) {
    const sibling = fromHex(proof.siblings[i]!, 32);
    h = keyBit(key, i) === 0 ? nodeHash(h, sibling) : nodeHash(sibling, h);
  }
  if (toHex(h) !== indexRoot) return { ok: false, reason: 'the path does not lead to the indexRoot' };
  return { ok: true, value: proof.leaf ?? { count: 0, head: EMPTY_HEX } };
}
