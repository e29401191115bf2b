/**
 * Chain reads for every surface: chain status, records (payloads as the read policy allows, with
 * inclusion proofs), blocks and their records, organisations, and the light-client log
 * (checkpoints, RFC 6962 inclusion and consistency proofs).
 */
import { fromHex, toHex } from '../core/crypto/index.js';
import { blockHash, type BlockHeader, type Seal } from '../core/ledger/block.js';
import { DerivationStore } from '../store/derivation-store.js';
import type { ConsortiumState, OrgEntry } from '../core/ledger/consortium.js';
import { leafHash } from '../core/ledger/merkle-hash.js';
import { consistencyProof, inclusionProof, rootHash } from '../core/ledger/merkle-tree.js';
import { redactEvent } from '../core/lineage/visibility.js';
import { ChainReadStore, type StoredBlock, type StoredRecord } from '../store/chain-read-store.js';
import { hostedState, type NodeHandles } from './node-handles.js';
import { forbidden, invalidIdentifier, notFound, ReadError } from './read-errors.js';
import { requireMember, requireViewer, type ReadContext } from './read-context.js';
import { isShownRead } from './read-policy.js';
import { commitmentsOf, withheldViews, type WithheldView } from './withheld-reads.js';
import { Visibility, type RecordDecision } from './visibility.js';
import { nodesOf, peersOf, type NodeView, type PeerView } from './node/chain-peers.js';

export type { StoredBlock, StoredRecord } from '../store/chain-read-store.js';

const HEX64 = /^[0-9a-f]{64}$/;

type SignedHeaderLike = { header: BlockHeader; seal: Seal; orgId?: string };

export interface ChainStatusView {
  consortium: string;
  state: ConsortiumState;
  pending: number;
  sealBlockedReason: string | null;
  authorityKeysHeld: number;
  /** Where derivation from the ordering log stands on this node. */
  finality: {
    finalHeight: number;
    finalHash: string;
    derivedHeight: number;
    lastSequence: number;
    stuck: { height: number; reason: string } | null;
    haltedReason: string | null;
    /** The authority nodes as the log shows them: every key in force (and any other seen sealing), with its last valid seal. */
    peers: PeerView[];
    /** Every member organisation's node as registered on chain (node.endpoint). */
    nodes: NodeView[];
    /** Log entries not applied yet (null when the ordering log does not answer). */
    lag: () => Promise<number | null>;
  };
}

/** Evidence against an authority found in the ordering log, with what proves it. */
export interface EvidenceView {
  id: string;
  kind: string;
  height: number;
  keyId: string;
  orgId: string;
  sequence: number;
  detectedAt: string;
  /** The block hashes the signed headers name (two for equivocation: both sealed by one key). */
  blockHashes: string[];
  /** Who sealed which block hash, one per signed header, in the order the evidence keeps them. */
  signers: EvidenceSigner[];
  /** The evidence as kept: the signed headers (an equivocation's payload can be posted as an evidence.equivocation record). */
  body: unknown;
}

export interface EvidenceSigner {
  keyId: string;
  orgId: string;
  blockHash: string;
}

export interface InclusionProofView {
  leafIndex: number;
  treeSize: number;
  merkleRoot: string;
  path: string[];
}

const HIDDEN_RECORD: RecordDecision = { visibility: 'HIDDEN', reason: 'NOT_ENTITLED', access: null, ownerOrg: null };

function forbiddenRecord(hash: string): ReadError {
  return forbidden(`record ${hash} is another organisation's and nothing you hold entitles you to it (docs/access.md)`, { hash });
}

export class ChainReads {
  readonly #rows: ChainReadStore;
  readonly #visibility: Visibility;
  /** Decisions already made for the record rows each request read (rows are per-request objects). */
  readonly #decided = new WeakMap<ReadContext, WeakMap<StoredRecord, RecordDecision>>();

  constructor(private readonly handles: NodeHandles) {
    this.#rows = new ChainReadStore(handles.db);
    this.#visibility = new Visibility(handles.db, (id) => hostedState(handles.node, id));
  }

  /** The live state of a consortium the viewer is a member of (FORBIDDEN for another, NOT_FOUND when not hosted). */
  liveState(rc: ReadContext, consortiumId: string): ConsortiumState {
    requireMember(rc, consortiumId);
    const state = hostedState(this.handles.node, consortiumId);
    if (!state) throw notFound(`unknown consortium "${consortiumId}"`, { consortium: consortiumId });
    return state;
  }

  status(rc: ReadContext, consortiumId: string): ChainStatusView {
    const state = this.liveState(rc, consortiumId);
    const seal = this.handles.node.sealStatus(consortiumId);
    const held = new Set(this.handles.keystore.list().map((k) => k.keyPair.keyId));
    const chain = this.handles.node.chainStatus(consortiumId);
    return {
      consortium: consortiumId,
      state,
      pending: seal.pending,
      sealBlockedReason: seal.blockedReason ?? null,
      authorityKeysHeld: state.authoritiesInForce.filter((a) => held.has(a.keyId)).length,
      finality: {
        finalHeight: chain.finalHeight,
        finalHash: chain.finalHash,
        derivedHeight: chain.derivedHeight,
        lastSequence: chain.lastSequence,
        stuck: chain.stuck ? { height: chain.stuck.height, reason: chain.stuck.detail } : null,
        haltedReason: chain.halted ?? null,
        peers: peersOf(state, chain.peers, held),
        nodes: nodesOf(state, held),
        lag: () => answeredWithin(this.handles.node.logLag(consortiumId), LAG_TIMEOUT_MS),
      },
    };
  }

  /** Evidence this node found in the consortium's ordering log, oldest height first. */
  async evidence(consortiumId: string): Promise<EvidenceView[]> {
    const rows = await new DerivationStore(this.handles.db).listEvidence(consortiumId);
    return rows.map((r) => {
      const body = JSON.parse(r.body) as { first?: SignedHeaderLike; second?: SignedHeaderLike; sealed?: SignedHeaderLike; signedHeaders?: SignedHeaderLike[] };
      const headers = [body.first, body.second, body.sealed, ...(body.signedHeaders ?? [])].filter((h): h is SignedHeaderLike => h !== undefined);
      const signers = headers.map((h) => ({ keyId: h.seal.keyId, orgId: h.orgId ?? r.orgId, blockHash: blockHash(h.header) }));
      return { id: r.id, kind: r.kind, height: r.height, keyId: r.keyId, orgId: r.orgId, sequence: r.sequence, detectedAt: r.detectedAt, blockHashes: signers.map((s) => s.blockHash), signers, body };
    });
  }

  /** The latest signed checkpoint of a consortium (asked for as part of a status the viewer may read). */
  lastCheckpoint(consortiumId: string) {
    return this.handles.store.latestCheckpoint(consortiumId);
  }

  /** Organisation that owns a signing key (org key or device key); null if the key is unknown. */
  orgOfSigner(consortiumId: string, keyId: string): string | null {
    const state = hostedState(this.handles.node, consortiumId);
    return state ? (state.orgOfKey(keyId)?.id ?? state.deviceKeys.get(keyId)?.orgId ?? null) : null;
  }

  /** Decides each record row for the viewer (records of other consortia are hidden). */
  async decideRecordRows(rc: ReadContext, rows: readonly StoredRecord[]): Promise<Map<string, RecordDecision>> {
    const viewer = requireViewer(rc);
    const decided = await this.#visibility.decideRecords(viewer, rows);
    const kept = this.#decidedIn(rc);
    for (const r of rows) {
      const d = decided.get(r.hash);
      if (d) kept.set(r, d);
    }
    return decided;
  }

  async recordDecision(rc: ReadContext, row: StoredRecord): Promise<RecordDecision> {
    return this.#decidedIn(rc).get(row) ?? (await this.decideRecordRows(rc, [row])).get(row.hash) ?? HIDDEN_RECORD;
  }

  #decidedIn(rc: ReadContext): WeakMap<StoredRecord, RecordDecision> {
    let kept = this.#decided.get(rc);
    if (!kept) this.#decided.set(rc, (kept = new WeakMap()));
    return kept;
  }

  /** A record the viewer may see: NOT_FOUND when absent or of another consortium, FORBIDDEN when hidden. */
  async record(rc: ReadContext, hashText: string): Promise<StoredRecord> {
    const viewer = requireViewer(rc);
    const hash = hashText.toLowerCase();
    if (!HEX64.test(hash)) throw invalidIdentifier('a record hash is 64 hex characters', { hash: hashText });
    const row = await this.#rows.recordByHash(hash);
    // Records of other consortia are as good as absent.
    if (!row || row.consortiumId !== viewer.consortiumId) throw notFound(`no record ${hash}`, { hash });
    const decision = await this.recordDecision(rc, row);
    if (!isShownRead(decision)) throw forbiddenRecord(hash);
    return row;
  }

  /** A record row by hash in the consortium, for links from notices (the read of its payload is decided when asked). */
  async recordRow(consortiumId: string, hash: string): Promise<StoredRecord> {
    const row = await this.#rows.recordByHash(hash);
    if (!row || row.consortiumId !== consortiumId) throw notFound(`record ${hash} not found`, { recordHash: hash });
    return row;
  }

  /** The signed payload as the viewer may see it (finding withheld when redacted); the read is access-logged. */
  async payload(rc: ReadContext, row: StoredRecord): Promise<unknown> {
    const decision = await this.recordDecision(rc, row);
    if (!isShownRead(decision)) throw forbiddenRecord(row.hash);
    rc.access.record(decision);
    const payload = (JSON.parse(row.body) as { payload: unknown }).payload;
    if (decision.visibility !== 'REDACTED' || !payload || typeof payload !== 'object') return payload;
    return { ...(payload as Record<string, unknown>), event: redactEvent((payload as { event?: unknown }).event).event };
  }

  async redacted(rc: ReadContext, row: StoredRecord): Promise<boolean> {
    return (await this.recordDecision(rc, row)).visibility === 'REDACTED';
  }

  async withheldFields(rc: ReadContext, row: StoredRecord): Promise<string[]> {
    if ((await this.recordDecision(rc, row)).visibility !== 'REDACTED') return [];
    const event = (JSON.parse(row.body) as { payload?: { event?: unknown } }).payload?.event;
    return [...redactEvent(event).withheld, ...commitmentsOf(event).map((c) => c.path)].sort();
  }

  /** The record's withheld-field commitments; with value and salt when the viewer sees the event in full (docs/redaction.md). */
  async withheld(rc: ReadContext, row: StoredRecord): Promise<WithheldView[]> {
    const decision = await this.recordDecision(rc, row);
    if (!isShownRead(decision)) throw forbiddenRecord(row.hash);
    const event = (JSON.parse(row.body) as { payload?: { event?: unknown } }).payload?.event;
    const views = (await withheldViews(this.handles.db, row.consortiumId, [{ recordHash: row.hash, event, open: decision.visibility === 'VISIBLE' }])).get(row.hash) ?? [];
    if (views.length > 0) rc.access.record(decision);
    return views;
  }

  /** As `withheld`, by record hash (a lineage hop names its record). */
  async withheldOfHash(rc: ReadContext, hash: string): Promise<WithheldView[]> {
    return this.withheld(rc, await this.record(rc, hash));
  }

  blockHashOf(row: StoredRecord): Promise<string | null> {
    return row.blockHeight === null ? Promise.resolve(null) : this.#rows.blockHash(row.consortiumId, row.blockHeight);
  }

  blockOf(row: StoredRecord): Promise<StoredBlock | null> {
    return row.blockHeight === null ? Promise.resolve(null) : this.#rows.block(row.consortiumId, row.blockHeight);
  }

  /** RFC 6962 inclusion proof of the record hash in its block's Merkle tree; null while pending. */
  async inclusionProof(row: StoredRecord): Promise<InclusionProofView | null> {
    if (row.blockHeight === null || row.indexInBlock === null) return null;
    const [root, hashes] = await Promise.all([this.#rows.merkleRoot(row.consortiumId, row.blockHeight), this.#rows.recordHashesOfBlock(row.consortiumId, row.blockHeight)]);
    if (root === null) return null;
    const leaves = hashes.map((h) => leafHash(fromHex(h, 32)));
    return { leafIndex: row.indexInBlock, treeSize: leaves.length, merkleRoot: root, path: inclusionProof(leaves, row.indexInBlock).map(toHex) };
  }

  async block(rc: ReadContext, consortiumId: string, height: number): Promise<StoredBlock> {
    this.liveState(rc, consortiumId);
    const row = await this.#rows.block(consortiumId, height);
    if (!row) throw notFound(`no block ${height} in "${consortiumId}"`, { consortium: consortiumId, height });
    return row;
  }

  /** Blocks of a consortium the viewer is a member of, between height bounds (exclusive). */
  blocks(rc: ReadContext, consortiumId: string, page: { below?: number; above?: number; limit: number; newestFirst: boolean }): Promise<StoredBlock[]> {
    this.liveState(rc, consortiumId);
    return this.#rows.blocks(consortiumId, page);
  }

  /** A page of a block's records in block order; `shown` tells which of them the viewer may see. */
  async blockRecords(rc: ReadContext, block: StoredBlock, offset: number, limit: number): Promise<{ rows: StoredRecord[]; shown: (row: StoredRecord) => boolean }> {
    const rows = await this.#rows.recordsOfBlock(block.consortiumId, block.height, offset, limit);
    const decisions = await this.decideRecordRows(rc, rows);
    return { rows, shown: (row) => isShownRead(decisions.get(row.hash)) };
  }

  seals(block: StoredBlock): (Seal & { orgId: string | null })[] {
    return (JSON.parse(block.seals) as Seal[]).map((s) => ({ ...s, orgId: this.orgOfSigner(block.consortiumId, s.keyId) }));
  }

  /** Member organisations in the live state, by id. */
  organisations(rc: ReadContext, consortiumId: string): (OrgEntry & { isAuthority: boolean })[] {
    const state = this.liveState(rc, consortiumId);
    return [...state.orgs.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((o) => ({ ...o, isAuthority: state.isAuthorityOrg(o.id) }));
  }

  /** The consortium whose series a metrics scrape shows: the viewer's own (the only one the policy shows it). */
  metricsConsortium(rc: ReadContext): string {
    return requireMember(rc, requireViewer(rc).consortiumId).consortiumId;
  }

  // ---- the light-client log (REST) ----

  /** The viewer may read the log of this consortium: UNAUTHENTICATED, UNKNOWN_CONSORTIUM or FORBIDDEN otherwise. */
  async requireLogReader(rc: ReadContext, consortiumId: string): Promise<void> {
    const viewer = requireViewer(rc);
    if (!(await this.handles.store.consortiumExists(consortiumId))) throw new ReadError('UNKNOWN_CONSORTIUM', `unknown consortium "${consortiumId}"`);
    requireMember({ viewer }, consortiumId);
  }

  async checkpoint(rc: ReadContext, consortiumId: string) {
    await this.requireLogReader(rc, consortiumId);
    const cp = await this.handles.store.latestCheckpoint(consortiumId);
    if (!cp) throw notFound(`no checkpoint for consortium "${consortiumId}"`);
    return {
      checkpoint: { v: 1, consortium: cp.consortiumId, logSize: cp.logSize, logRoot: cp.logRoot, blockHeight: cp.blockHeight, blockHash: cp.blockHash, timestamp: cp.timestamp },
      signatures: JSON.parse(cp.signatures) as unknown,
    };
  }

  /** Leaf hashes of the sealed log (only sealed records are in the checkpointed log). */
  async logLeaves(rc: ReadContext, consortiumId: string): Promise<Uint8Array[]> {
    await this.requireLogReader(rc, consortiumId);
    const head = await this.handles.store.head(consortiumId);
    const hashes = await this.handles.store.logLeaves(consortiumId, head?.logSize ?? 0);
    return hashes.map((h) => leafHash(fromHex(h, 32)));
  }

  consistency(leaves: Uint8Array[], from: number, to: number) {
    return { from, to, root: toHex(rootHash(leaves.slice(0, to))), proof: consistencyProof(leaves, from, to).map(toHex) };
  }

  inclusion(leaves: Uint8Array[], index: number, size: number) {
    return { index, size, root: toHex(rootHash(leaves.slice(0, size))), proof: inclusionProof(leaves.slice(0, size), index).map(toHex) };
  }
}

/**
 * The status answers while the ordering log is out of reach (a node cut off from NATS is exactly
 * when it is asked): the lag is then unknown, null, rather than a request that waits for the reconnect.
 */
const LAG_TIMEOUT_MS = 1000;

async function answeredWithin<T>(answer: Promise<T>, timeoutMs: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    return await Promise.race([answer.catch(() => null), late]);
  } finally {
    clearTimeout(timer);
  }
}
