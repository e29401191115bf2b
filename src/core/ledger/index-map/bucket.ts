/**
 * Below depth BUCKET_BITS the map is a compact sparse Merkle tree: a subtree holding one leaf IS
 * that leaf's hash (at any depth >= BUCKET_BITS), an empty one is EMPTY, any other is
 * node(left, right) split on the next key bit. A bucket's root is its subtree at depth BUCKET_BITS.
 */
import { fromHex } from '../../crypto/index.js';
import { BUCKET_BITS, EMPTY, KEY_BITS, keyBit, leafHash, nodeHash } from './hashing.js';

/** One identifier's leaf as stored: its key (hex) and value. */
export interface MapLeaf {
  key: string;
  count: number;
  head: string;
}

export function compareKeys(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

export function leafHashOf(leaf: MapLeaf): Uint8Array {
  return leafHash(fromHex(leaf.key, 32), leaf.count, fromHex(leaf.head, 32));
}

/** First index in [lo, hi) whose key has bit `depth` set (keys sorted, sharing bits above depth). */
function split(leaves: readonly MapLeaf[], lo: number, hi: number, depth: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (keyBit(leaves[mid]!.key, depth) === 0) a = mid + 1;
    else b = mid;
  }
  return a;
}

function subtree(leaves: readonly MapLeaf[], lo: number, hi: number, depth: number): Uint8Array {
  if (hi === lo) return EMPTY;
  if (hi - lo === 1 && depth >= BUCKET_BITS) return leafHashOf(leaves[lo]!);
  if (depth >= KEY_BITS) throw new RangeError('two leaves with the same key');
  const mid = split(leaves, lo, hi, depth);
  return nodeHash(subtree(leaves, lo, mid, depth + 1), subtree(leaves, mid, hi, depth + 1));
}

/** The root of a bucket's subtree; `leaves` sorted by key, all in the bucket. */
export function bucketRoot(leaves: readonly MapLeaf[]): Uint8Array {
  return subtree(leaves, 0, leaves.length, BUCKET_BITS);
}

/** Where a key's path inside its bucket ends. */
export type PathEnd = { kind: 'leaf'; leaf: MapLeaf } | { kind: 'empty' } | { kind: 'other'; leaf: MapLeaf };

export interface BucketPath {
  /** Siblings from depth BUCKET_BITS + 1 down: siblings[i] is the sibling subtree at depth BUCKET_BITS + 1 + i. */
  siblings: Uint8Array[];
  end: PathEnd;
}

/** The path of `key` inside its bucket (leaves sorted by key, all in the bucket). */
export function bucketPath(leaves: readonly MapLeaf[], key: string): BucketPath {
  const siblings: Uint8Array[] = [];
  let lo = 0;
  let hi = leaves.length;
  let depth = BUCKET_BITS;
  for (;;) {
    if (hi === lo) return { siblings, end: { kind: 'empty' } };
    if (hi - lo === 1) {
      const leaf = leaves[lo]!;
      return { siblings, end: leaf.key === key ? { kind: 'leaf', leaf } : { kind: 'other', leaf } };
    }
    const mid = split(leaves, lo, hi, depth);
    if (keyBit(key, depth) === 0) {
      siblings.push(subtree(leaves, mid, hi, depth + 1));
      hi = mid;
    } else {
      siblings.push(subtree(leaves, lo, mid, depth + 1));
      lo = mid;
    }
    depth += 1;
  }
}
