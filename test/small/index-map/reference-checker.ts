/**
 * An independent reference checker for the identifier index map, written from docs/completeness.md
 * alone (and canonicalIdentifier, which the page names): slow and simple, no buckets kept, no
 * heaps, nothing shared with src/core/ledger/index-map. The tests hold the fast code to it.
 */
import { createHash } from 'node:crypto';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';

const EMPTY: Buffer = Buffer.alloc(32);

function H(tag: string, ...fields: Buffer[]): Buffer {
  const h = createHash('sha256');
  h.update(Buffer.from(tag, 'utf8'));
  h.update(Buffer.from([0]));
  for (const f of fields) h.update(f);
  return h.digest();
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

export function refKey(identifier: string): Buffer {
  return H('provenant/v1/index-key', Buffer.from(identifier, 'utf8'));
}

export interface RefEntry {
  recordHash: string;
  role: string;
  logIndex: number;
}

export function refChain(entries: readonly RefEntry[]): { count: number; head: string } {
  const sorted = [...entries].sort((a, b) => a.logIndex - b.logIndex || Buffer.compare(Buffer.from(a.role), Buffer.from(b.role)));
  let head = EMPTY;
  for (const e of sorted) head = H('provenant/v1/index-entry', head, Buffer.from(e.recordHash, 'hex'), u64(e.logIndex), Buffer.from(e.role, 'utf8'));
  return { count: sorted.length, head: head.toString('hex') };
}

function leaf(key: Buffer, count: number, head: Buffer): Buffer {
  return H('provenant/v1/index-leaf', key, u64(count), head);
}

function node(l: Buffer, r: Buffer): Buffer {
  if (l.equals(EMPTY) && r.equals(EMPTY)) return EMPTY;
  return H('provenant/v1/index-node', l, r);
}

function bit(key: Buffer, i: number): number {
  return (key[i >> 3]! >> (7 - (i & 7))) & 1;
}

export interface RefLeaf {
  key: Buffer;
  count: number;
  head: Buffer;
}

function subtree(leaves: RefLeaf[], d: number): Buffer {
  if (leaves.length === 0) return EMPTY;
  if (leaves.length === 1 && d >= 16) return leaf(leaves[0]!.key, leaves[0]!.count, leaves[0]!.head);
  return node(
    subtree(leaves.filter((l) => bit(l.key, d) === 0), d + 1),
    subtree(leaves.filter((l) => bit(l.key, d) === 1), d + 1),
  );
}

/** Section 4's key of the membership chain. */
export function refMembershipKey(): Buffer {
  return H('provenant/v1/index-membership-key');
}

/** The indexRoot of a map given as identifier -> entries (section 4), with the membership chain's entries. */
export function refRoot(map: ReadonlyMap<string, readonly RefEntry[]>, membership: readonly RefEntry[] = []): string {
  const leaves: RefLeaf[] = [];
  if (membership.length > 0) {
    const c = refChain(membership);
    leaves.push({ key: refMembershipKey(), count: c.count, head: Buffer.from(c.head, 'hex') });
  }
  for (const [id, entries] of map) {
    if (entries.length === 0) continue;
    const c = refChain(entries);
    leaves.push({ key: refKey(id), count: c.count, head: Buffer.from(c.head, 'hex') });
  }
  return subtree(leaves, 0).toString('hex');
}

/** Section 6, step by step. Returns the value, or a string saying why the proof fails. */
export function refVerifyProof(indexRoot: string, identifier: string, proof: any): { count: number; head: string } | string {
  const key = refKey(identifier);
  if (proof?.key !== key.toString('hex')) return 'wrong key';
  const siblings = proof.siblings;
  if (!Array.isArray(siblings) || siblings.length > 256 || !siblings.every((s: unknown) => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s))) return 'bad siblings';
  const m = siblings.length;
  let h: Buffer;
  if (proof.leaf !== null) {
    if (proof.other !== undefined || !(proof.leaf.count >= 1) || m < 16) return 'bad leaf';
    h = leaf(key, proof.leaf.count, Buffer.from(proof.leaf.head, 'hex'));
  } else if (proof.other === undefined) {
    h = EMPTY;
  } else {
    const other = Buffer.from(proof.other.key, 'hex');
    if (other.equals(key) || !(proof.other.count >= 1) || m < 16) return 'bad other';
    for (let i = 0; i < m; i++) if (bit(other, i) !== bit(key, i)) return 'other off path';
    h = leaf(other, proof.other.count, Buffer.from(proof.other.head, 'hex'));
  }
  for (let i = m - 1; i >= 0; i--) {
    const s = Buffer.from(siblings[i], 'hex');
    h = bit(key, i) === 0 ? node(h, s) : node(s, h);
  }
  if (h.toString('hex') !== indexRoot) return 'root differs';
  return proof.leaf ?? { count: 0, head: EMPTY.toString('hex') };
}

/** Section 1: what an epcis.event record's event touches. */
export function refTouches(event: any): { identifier: string; role: string }[] {
  const out: { identifier: string; role: string }[] = [];
  const add = (v: unknown, role: string) => {
    if (typeof v !== 'string') return;
    const identifier = canonicalIdentifier(v);
    if (!out.some((t) => t.identifier === identifier && t.role === role)) out.push({ identifier, role });
  };
  const strings = (v: unknown) => (Array.isArray(v) ? v : []);
  strings(event.epcList).forEach((v) => add(v, 'epc'));
  if (event.parentID) add(event.parentID, 'parent');
  strings(event.childEPCs).forEach((v) => add(v, 'child'));
  strings(event.inputEPCList).forEach((v) => add(v, 'input'));
  strings(event.outputEPCList).forEach((v) => add(v, 'output'));
  for (const [list, role] of [['quantityList', 'quantity'], ['childQuantityList', 'child'], ['inputQuantityList', 'input'], ['outputQuantityList', 'output']] as const) {
    strings(event[list]).forEach((q: any) => add(q?.epcClass, role));
  }
  if (typeof event['provenant:dam'] === 'string' && event['provenant:dam'].trim() !== '') add(event['provenant:dam'], 'dam');
  strings(event.sourceList).forEach((s: any) => add(s?.source, 'source'));
  strings(event.destinationList).forEach((s: any) => add(s?.destination, 'destination'));
  add(event.readPoint?.id, 'readPoint');
  add(event.bizLocation?.id, 'bizLocation');
  return out;
}
