/**
 * Completeness of a lineage answer (docs/completeness.md, "Checking an answer"): for every
 * identifier the walk visited, the index rows the store lists (which records touch it, in which
 * role, at which log index) must be exactly the chain the signed index map holds for it. A row
 * deleted, hidden, altered or forged changes the chain, and the identifier is INCOMPLETE.
 *
 * The map's leaves come from the database too: each bucket read is first checked against the
 * node's trusted top for some version at or after the answer's checkpoint (TrustedIndex), so the
 * chain is compared with what the signed indexRoot holds. Pure: the caller supplies the rows.
 */
import { toHex } from '../crypto/index.js';
import { EMPTY_HEX, bucketOfKey, chainHead, compareEntries, indexKeyHex, type IndexEntry, type LeafValue } from '../ledger/index-map/hashing.js';
import { compareKeys, type MapLeaf } from '../ledger/index-map/bucket.js';
import { buildMapProof, type MapProof } from '../ledger/index-map/proof.js';
import { versionOfBucket, type MapVersion, type TrustedIndex } from '../ledger/index-map/version.js';

/** Why an identifier is not proven complete (the shape of a hop reason: a hop carries it as is). */
export interface CompletenessReason {
  code: 'INCOMPLETE';
  message: string;
  details: Record<string, unknown>;
}

/** One index row of an identifier as the store lists it, with its event's record (null: not found). */
export interface ListedEntry {
  eventId: string;
  role: string;
  recordHash: string | null;
  logIndex: number | null;
}

/** An entry of a proven chain, with the event it came from. */
export interface ProvenEntry extends IndexEntry {
  eventId: string;
}

export type CompletenessStatus = 'COMPLETE' | 'INCOMPLETE' | 'UNPROVEN';

export interface IdentifierCompleteness {
  identifier: string;
  status: CompletenessStatus;
  /**
   * COMPLETE: the identifier's whole chain as proven, in chain order: every entry below
   * provenAt.logSize (those below the answer's checkpoint are its entries at the checkpoint).
   */
  entries: ProvenEntry[];
  /** The map version the identifier's leaf was proven under (its logSize bounds the chain checked). */
  provenAt?: { height: number; logSize: number; root: string };
  /** The proven leaf at that version. */
  leaf?: LeafValue;
  /** INCOMPLETE: why. */
  reason?: CompletenessReason;
  /** What a map proof for the identifier is built from (the version and its checked bucket). */
  basis?: ProofBasis;
}

export interface ProofBasis {
  version: MapVersion;
  bucketLeaves: ReadonlyMap<string, MapLeaf>;
  key: string;
}

/** The identifier's map proof under the version it was proven at (undefined: not proven). */
export function mapProofOf(c: IdentifierCompleteness): (MapProof & { height: number; logSize: number; indexRoot: string }) | undefined {
  const basis = c.basis;
  if (!basis) return undefined;
  const proof = buildMapProof(basis.version.top, [...basis.bucketLeaves.values()].sort(compareKeys), basis.key);
  return { ...proof, height: basis.version.height, logSize: basis.version.logSize, indexRoot: basis.version.root };
}

/** The checkpoint an answer is given at: the block after which the pinned map version stands. */
export interface AnswerCheckpoint {
  height: number;
  logSize: number;
  /** The map root at that block (committed by its header when signed). */
  indexRoot: string;
  signed: boolean;
}

export interface CompletenessReport {
  checkpoint: AnswerCheckpoint | null;
  byIdentifier: Map<string, IdentifierCompleteness>;
}

/** What proving leaves needs: the trusted versions, the pinned one, and the bucket reads. */
export interface LeafSource {
  index: TrustedIndex;
  pinned: MapVersion;
  /** Every stored leaf of the buckets, read from the store. */
  bucketLeaves(buckets: number[]): Promise<Map<number, MapLeaf[]>>;
  /** Work kept across answers (absent: none). */
  memo?: CompletenessMemo;
}

/** Buckets already checked, by version root and bucket: their leaves by key. */
export class CompletenessMemo {
  readonly #buckets = new Map<string, { version: MapVersion; leaves: Map<string, MapLeaf> }>();
  readonly #chains = new WeakMap<readonly ListedEntry[], Map<number, { count: number; head: string }>>();
  readonly #keys = new Map<string, string>();
  static readonly BUCKETS_KEPT = 100_000;
  static readonly KEYS_KEPT = 500_000;

  keyOf(identifier: string): string {
    let key = this.#keys.get(identifier);
    if (key === undefined) {
      key = indexKeyHex(identifier);
      if (this.#keys.size >= CompletenessMemo.KEYS_KEPT) this.#keys.clear();
      this.#keys.set(identifier, key);
    }
    return key;
  }

  bucket(version: MapVersion, bucket: number): { version: MapVersion; leaves: Map<string, MapLeaf> } | undefined {
    return this.#buckets.get(`${toHex(version.top.bucketRoot(bucket))}:${bucket}`);
  }

  setBucket(version: MapVersion, bucket: number, leaves: Map<string, MapLeaf>): void {
    if (this.#buckets.size >= CompletenessMemo.BUCKETS_KEPT) this.#buckets.clear();
    this.#buckets.set(`${toHex(version.top.bucketRoot(bucket))}:${bucket}`, { version, leaves });
  }

  /** The chain over the listed entries below the log size; kept per listed array (stores hand back the same array for the same rows). */
  chain(listed: readonly ListedEntry[], logSize: number, compute: () => { count: number; head: string }): { count: number; head: string } {
    let byLogSize = this.#chains.get(listed);
    if (!byLogSize) this.#chains.set(listed, (byLogSize = new Map()));
    let chain = byLogSize.get(logSize);
    if (!chain) byLogSize.set(logSize, (chain = compute()));
    return chain;
  }
}

/** Leaves of the identifiers, each proven under a trusted version at or after the pinned one. */
type Proven = { version: MapVersion; leaf: MapLeaf | undefined; basis: ProofBasis };

async function provenLeaves(identifiers: readonly string[], source: LeafSource): Promise<Map<string, Proven | undefined>> {
  const memo = source.memo ?? new CompletenessMemo();
  const versions = source.index.versionsFrom(source.pinned.height);
  const keys = new Map(identifiers.map((id) => [id, memo.keyOf(id)]));
  const proven = new Map<number, { version: MapVersion; leaves: Map<string, MapLeaf> }>();
  const unread: number[] = [];
  for (const key of new Set(keys.values())) {
    const b = bucketOfKey(key);
    if (proven.has(b)) continue;
    // A bucket checked before under some version still current enough is reused.
    const kept = versions.map((v) => memo.bucket(v, b)).find((k) => k !== undefined);
    if (kept) proven.set(b, kept);
    else if (!unread.includes(b)) unread.push(b);
  }
  if (unread.length > 0) {
    const read = await source.bucketLeaves(unread);
    // The versions again: a seal may have begun between taking the list and reading the rows.
    const checked = (vs: readonly MapVersion[], b: number, leaves: MapLeaf[]) => versionOfBucket(vs, b, leaves);
    for (const b of unread) {
      const leaves = read.get(b) ?? [];
      const version = checked(versions, b, leaves) ?? checked(source.index.versionsFrom(source.pinned.height), b, leaves);
      if (!version) continue;
      const byKey = new Map(leaves.map((l) => [l.key, l]));
      memo.setBucket(version, b, byKey);
      proven.set(b, { version, leaves: byKey });
    }
  }
  const out = new Map<string, Proven | undefined>();
  for (const [id, key] of keys) {
    const p = proven.get(bucketOfKey(key));
    out.set(id, p ? { version: p.version, leaf: p.leaves.get(key), basis: { version: p.version, bucketLeaves: p.leaves, key } } : undefined);
  }
  return out;
}

function incomplete(identifier: string, message: string, details: Record<string, unknown> = {}): CompletenessReason {
  return { code: 'INCOMPLETE', message: `${identifier}: ${message}`, details: { identifier, ...details } };
}

/** Checks one identifier's listed entries against its proven leaf. */
function checkOne(identifier: string, listed: readonly ListedEntry[], proven: Proven, memo: CompletenessMemo): IdentifierCompleteness {
  const { version, basis } = proven;
  const leaf: LeafValue = proven.leaf ? { count: proven.leaf.count, head: proven.leaf.head } : { count: 0, head: EMPTY_HEX };
  const provenAt = { height: version.height, logSize: version.logSize, root: version.root };
  const unresolved = listed.find((e) => e.recordHash === null || e.logIndex === null);
  if (unresolved) {
    return { identifier, status: 'INCOMPLETE', entries: [], provenAt, leaf, basis, reason: incomplete(identifier, `an index row names event ${unresolved.eventId}, which has no stored record`, { eventId: unresolved.eventId }) };
  }
  const resolved = (listed as (ListedEntry & IndexEntry)[]).filter((e) => e.logIndex < version.logSize).sort(compareEntries);
  const chain = memo.chain(listed, version.logSize, () => ({ count: resolved.length, head: toHex(chainHead(resolved)) }));
  if (chain.count !== leaf.count || chain.head !== leaf.head) {
    const what = chain.count < leaf.count ? `${leaf.count - chain.count} of its ${leaf.count} index entries are missing` : chain.count > leaf.count ? `${chain.count - leaf.count} index entries are not in the signed map` : 'its index entries differ from the signed map';
    return {
      identifier,
      status: 'INCOMPLETE',
      entries: [],
      provenAt,
      leaf,
      basis,
      reason: incomplete(identifier, `${what} (up to log size ${version.logSize})`, { expected: { count: leaf.count, head: leaf.head }, computed: chain, logSize: version.logSize }),
    };
  }
  const entries = resolved.map((e): ProvenEntry => ({ eventId: e.eventId, recordHash: e.recordHash, role: e.role, logIndex: e.logIndex }));
  return { identifier, status: 'COMPLETE', entries, provenAt, leaf, basis };
}

/**
 * Completeness of each identifier: its listed entries (all rows the store holds for it) against
 * its leaf in the signed map. Without a trusted index (or before the first version-2 block) every
 * identifier is UNPROVEN.
 */
export async function checkCompleteness(
  identifiers: readonly string[],
  listed: ReadonlyMap<string, readonly ListedEntry[]>,
  source: LeafSource | undefined,
  options: { requireSigned?: boolean } = {},
): Promise<CompletenessReport> {
  const byIdentifier = new Map<string, IdentifierCompleteness>();
  // A node may rely on the map it computed itself before any header commits to it (capture does); answers may not.
  if (!source || (!source.pinned.signed && options.requireSigned !== false)) {
    for (const id of identifiers) byIdentifier.set(id, { identifier: id, status: 'UNPROVEN', entries: [] });
    return { checkpoint: null, byIdentifier };
  }
  const memo = source.memo ?? new CompletenessMemo();
  const leaves = await provenLeaves(identifiers, { ...source, memo });
  for (const id of identifiers) {
    const proven = leaves.get(id);
    if (!proven) {
      byIdentifier.set(id, { identifier: id, status: 'INCOMPLETE', entries: [], reason: incomplete(id, "the stored index map does not give the signed root for this identifier's bucket") });
      continue;
    }
    byIdentifier.set(id, checkOne(id, listed.get(id) ?? [], proven, memo));
  }
  const { height, logSize, root, signed } = source.pinned;
  return { checkpoint: { height, logSize, indexRoot: root, signed }, byIdentifier };
}
