/**
 * The byte layouts of the identifier index map (docs/completeness.md, "Encoding"). Every hash is
 * SHA-256(tag || 0x00 || fields) under its own tag, so no hash of one kind can stand for another.
 *
 *   key(I)           = H(INDEX_KEY,   UTF-8(I))                                     32 bytes
 *   step(h, e)       = H(INDEX_ENTRY, h || recordHash || u64be(logIndex) || UTF-8(role))
 *   leaf(k, n, head) = H(INDEX_LEAF,  k || u64be(n) || head)
 *   node(l, r)       = EMPTY when l = r = EMPTY, else H(INDEX_NODE, l || r)
 *   EMPTY            = 32 zero bytes (an empty subtree at any depth), also head_0
 */
import { HashTag, fromHex, taggedHash, taggedHashParts, toHex } from '../../crypto/index.js';

/** Version of the map's encoding, as named in the version-2 block header's documentation. */
export const INDEX_MAP_VERSION = 1;
/** The top BUCKET_BITS levels form a complete tree over 2^BUCKET_BITS buckets (never collapsed). */
export const BUCKET_BITS = 16;
export const BUCKET_COUNT = 1 << BUCKET_BITS;
/** Key length in bits: a path never goes deeper. */
export const KEY_BITS = 256;

export const EMPTY: Uint8Array = new Uint8Array(32);
export const EMPTY_HEX = '0'.repeat(64);

const encoder = new TextEncoder();

/** One entry of an identifier's chain: a record that touches it, in a role, at a log index. */
export interface IndexEntry {
  /** Record hash, 64 lower-case hex digits. */
  recordHash: string;
  role: string;
  logIndex: number;
}

/** What the map holds for an identifier: how many entries its chain has, and the chain's head. */
export interface LeafValue {
  count: number;
  /** 64 lower-case hex digits (EMPTY_HEX when count is 0). */
  head: string;
}

export function isEmpty(hash: Uint8Array): boolean {
  for (let i = 0; i < hash.length; i++) if (hash[i] !== 0) return false;
  return true;
}

/** The map key of an identifier (canonical form, as the lineage index stores it). */
export function indexKey(identifier: string): Uint8Array {
  return taggedHash(HashTag.INDEX_KEY, encoder.encode(identifier));
}

export function indexKeyHex(identifier: string): string {
  return toHex(indexKey(identifier));
}

/**
 * The key of the membership chain: every record that changes membership, keys or authorities
 * (genesis, proposals, approvals, device registrations and revocations), in the role of its kind.
 * Its own tag, so no identifier's key can equal it.
 */
export const MEMBERSHIP_KEY_HEX = toHex(taggedHash(HashTag.INDEX_MEMBERSHIP_KEY, new Uint8Array(0)));
/** How the membership chain is named where an identifier would be (stored rows, answers). */
export const MEMBERSHIP_SUBJECT = '(membership)';

/** The bucket of a key: its first BUCKET_BITS bits. */
export function bucketOfKey(keyHex: string): number {
  return parseInt(keyHex.slice(0, BUCKET_BITS / 4), 16);
}

function u64be(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative safe integer: ${n}`);
  const out = new Uint8Array(8);
  let v = n;
  for (let i = 7; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** One step of an identifier's chain. */
export function chainStep(head: Uint8Array, entry: IndexEntry): Uint8Array {
  return taggedHashParts(HashTag.INDEX_ENTRY, head, fromHex(entry.recordHash, 32), u64be(entry.logIndex), encoder.encode(entry.role));
}

/** The chain over entries (in log order), from head_0 = EMPTY. */
export function chainHead(entries: Iterable<IndexEntry>, start: Uint8Array = EMPTY): Uint8Array {
  let head = start;
  for (const e of entries) head = chainStep(head, e);
  return head;
}

export function leafHash(key: Uint8Array, count: number, head: Uint8Array): Uint8Array {
  return taggedHashParts(HashTag.INDEX_LEAF, key, u64be(count), head);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (isEmpty(left) && isEmpty(right)) return EMPTY;
  return taggedHashParts(HashTag.INDEX_NODE, left, right);
}

/** Bit `i` (0 = most significant) of a key given as hex. */
export function keyBit(keyHex: string, i: number): number {
  return (parseInt(keyHex[i >> 2]!, 16) >> (3 - (i & 3))) & 1;
}

/** Entries compare by log index, then role (code point order): the order of a chain. */
export function compareEntries(a: Pick<IndexEntry, 'logIndex' | 'role'>, b: Pick<IndexEntry, 'logIndex' | 'role'>): number {
  if (a.logIndex !== b.logIndex) return a.logIndex - b.logIndex;
  return a.role < b.role ? -1 : a.role > b.role ? 1 : 0;
}
