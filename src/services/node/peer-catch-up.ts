/**
 * Catch-up beyond the ordering log's retention (docs/design/network.md "Catch-up over HTTP"): when
 * the log no longer holds the entries after the block this node last stored, the node fetches the
 * final blocks it lacks from the peer nodes registered on chain (node.endpoint), verifies each one
 * on top of its own state (block-range.ts) and stores it, until the log holds what follows its new
 * head. A peer that serves a bad block is skipped with a log line and the next one is asked.
 */
import { fromHex, type KeyPair } from '../../core/crypto/index.js';
import type { BlockHeader, Seal } from '../../core/ledger/block.js';
import { verifyBlockRange, type VerifiedBlock } from '../../core/ledger/block-range.js';
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { leafHash } from '../../core/ledger/merkle-hash.js';
import type { MerkleAccumulator } from '../../core/ledger/merkle-tree.js';
import { PEER_PAGE_MAX, signPeerRequest } from '../../core/ledger/peer-request.js';
import { membershipProjectionOf } from '../../core/ledger/projections/membership-rows.js';
import { formatTimestamp } from '../../core/ledger/record.js';
import { fetchPeerBlocks } from '../../platform/peer-client.js';
import type { ChainContext, PeerCatchUpSettings } from './chain-context.js';
import { placeWithProjection } from './admitted-projection.js';

/** The chain as loaded from the store; catch-up moves it forward in place. */
export interface LoadedChain {
  state: ConsortiumState;
  log: MerkleAccumulator;
  headSeals: Seal[];
  head: BlockHeader;
}

export interface PeerNode {
  orgId: string;
  url: string;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const ROUND_PAUSE_MS = 1_000;

/** The registered nodes of active member organisations other than this node's own, by org id. */
export function peerNodesOf(state: ConsortiumState, ownOrgs: ReadonlySet<string>): PeerNode[] {
  return [...state.orgs.values()]
    .filter((o) => o.status === 'active' && o.node && !ownOrgs.has(o.id))
    .map((o) => ({ orgId: o.id, url: o.node!.url }))
    .sort((a, b) => a.orgId.localeCompare(b.orgId));
}

/** A key of this node that is active for an active member in the state: it signs peer requests. */
function signingKey(state: ConsortiumState, held: ReadonlyMap<string, KeyPair>): KeyPair | undefined {
  for (const key of held.values()) {
    const entry = state.keys.get(key.keyId);
    if (entry?.status === 'active' && state.orgs.get(entry.orgId)?.status === 'active') return key;
  }
  return undefined;
}

class PeerCatchUp {
  /** Why each peer could not serve, in the last round. */
  readonly problems = new Map<string, string>();

  constructor(
    private readonly ctx: ChainContext,
    private readonly settings: PeerCatchUpSettings,
    private readonly consortium: string,
    private readonly loaded: LoadedChain,
    /** The sequence that cut the head block. */
    public cutSequence: number,
  ) {}

  #log(level: 'info' | 'warn', fields: Record<string, unknown>, message: string): void {
    this.ctx.logger?.[level]({ consortium: this.consortium, ...fields }, message);
  }

  /** Notes why a peer could not serve; logged once per reason, not at every round. */
  #skip(peer: PeerNode, problem: string, fields: Record<string, unknown>, line: string): void {
    if (this.problems.get(peer.orgId) !== problem) this.#log('warn', { peer: peer.orgId, ...fields }, `catch-up: peer ${peer.orgId} ${line}`);
    this.problems.set(peer.orgId, problem);
  }

  /** Asks one peer for every block it has past the head; false when it served nothing usable. */
  async fromPeer(peer: PeerNode, key: KeyPair): Promise<boolean> {
    if (peer.url.startsWith('http:') && !this.settings.allowHttp) {
      this.#skip(peer, `${peer.url} is plain http and PEER_ALLOW_HTTP is not set`, { url: peer.url }, 'skipped: its URL is plain http and PEER_ALLOW_HTTP is not set');
      return false;
    }
    let progressed = false;
    for (;;) {
      const fromHeight = this.loaded.head.height + 1;
      const request = { consortium: this.consortium, fromHeight, limit: PEER_PAGE_MAX, at: formatTimestamp(this.ctx.now()) };
      let page: unknown;
      try {
        page = await fetchPeerBlocks(peer.url, this.consortium, request, signPeerRequest(request, key), this.settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
      } catch (err) {
        this.#skip(peer, (err as Error).message, { url: peer.url }, `could not serve blocks from ${fromHeight}: ${(err as Error).message}`);
        return progressed;
      }
      const blocks = (page as { blocks?: unknown })?.blocks;
      if (!Array.isArray(blocks) || blocks.length > PEER_PAGE_MAX) {
        this.#skip(peer, 'the answer holds no list of at most 50 blocks', { url: peer.url }, 'skipped: its answer holds no list of blocks');
        return progressed;
      }
      if (blocks.length === 0) return progressed;
      const stored = await this.ctx.derivation.finalRecordHashes(this.consortium, blocks.flatMap(recordHashesClaimed));
      const result = verifyBlockRange(this.loaded.state, { header: this.loaded.head, cutSequence: this.cutSequence }, blocks, (h) => stored.has(h));
      for (const block of result.verified) await this.#store(block, result.state);
      this.loaded.state = result.state;
      if (result.verified.length > 0) {
        progressed = true;
        this.#log('info', { peer: peer.orgId, height: this.loaded.head.height }, `catch-up: stored blocks ${fromHeight} to ${this.loaded.head.height} from peer ${peer.orgId}, each verified`);
      }
      if (result.failure) {
        const { height, code, message } = result.failure;
        this.#skip(peer, `served a bad block: ${message}`, { url: peer.url, height, code }, `skipped: it served a block that fails verification (${code}): ${message}`);
        return progressed;
      }
    }
  }

  /** Stores a verified block as the node stores one it made final itself, and moves the loaded chain to it. */
  async #store(block: VerifiedBlock, state: ConsortiumState): Promise<void> {
    const rows = block.records.map((r) => ({ record: r.record, hash: r.hash, logIndex: r.logIndex }));
    await placeWithProjection(this.ctx, this.consortium, state, rows, formatTimestamp(this.ctx.now()));
    await this.ctx.store.commitBlock({
      header: block.header,
      blockHash: block.hash,
      seals: block.seals,
      recordHashes: block.records.map((r) => r.hash),
      projection: block.stateAfter ? membershipProjectionOf(block.stateAfter) : undefined,
      sequences: { cut: block.cutSequence, final: block.finalSequence },
    });
    for (const r of block.records) this.loaded.log.append(leafHash(fromHex(r.hash, 32)));
    this.loaded.head = block.header;
    this.loaded.headSeals = block.seals;
    this.cutSequence = block.cutSequence;
  }
}

function recordHashesClaimed(block: unknown): string[] {
  const records = (block as { records?: unknown })?.records;
  if (!Array.isArray(records)) return [];
  return records.map((r) => (r as { hash?: unknown })?.hash).filter((h): h is string => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h));
}

/**
 * Brings the loaded chain up to where the ordering log takes over. Returns the sequence to read
 * the log after, or why no peer could serve (the chain then stays where it is).
 */
export async function catchUpFromPeers(ctx: ChainContext, consortium: string, loaded: LoadedChain, after: number): Promise<{ after: number; failure?: string }> {
  const settings = ctx.peers;
  let first = (await ctx.ordering.info(consortium)).firstSequence;
  if (!settings || first <= after + 1) return { after };
  const held = ctx.authorityKeys();
  const ownOrgs = new Set([...held.keys()].map((k) => loaded.state.keys.get(k)?.orgId).filter((o): o is string => o !== undefined));
  const run = new PeerCatchUp(ctx, settings, consortium, loaded, after);
  ctx.logger?.warn({ consortium, after, firstSequence: first }, `catch-up: the ordering log no longer holds entries ${after + 1} to ${first - 1}; fetching final blocks from peers over HTTP`);
  const deadline = Date.now() + settings.waitMs;
  for (;;) {
    const key = signingKey(loaded.state, held);
    const peers = peerNodesOf(loaded.state, ownOrgs);
    if (!key) return { after: run.cutSequence, failure: 'catch-up over HTTP: this node holds no active key of a member organisation to sign peer requests with' };
    for (const peer of peers) {
      await run.fromPeer(peer, key);
      first = (await ctx.ordering.info(consortium)).firstSequence;
      if (first <= run.cutSequence + 1) return { after: run.cutSequence };
    }
    if (Date.now() >= deadline) {
      const reasons = peers.length === 0 ? 'no member organisation has a node registered on chain' : peers.map((p) => `${p.orgId}: ${run.problems.get(p.orgId) ?? 'its last block is still older than the log'}`).join('; ');
      return {
        after: run.cutSequence,
        failure: `catch-up over HTTP failed: the ordering log starts at entry ${first}, after the entry ${run.cutSequence} that cut block ${loaded.head.height}, and no peer served the blocks between (${reasons})`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(ROUND_PAUSE_MS, Math.max(0, deadline - Date.now()))));
  }
}
