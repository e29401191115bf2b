/**
 * Final blocks for a peer node that catches up over HTTP (docs/design/network.md "Catch-up over
 * HTTP"): served by height range, a bounded page at a time, with their records, seals and the log
 * sequences that cut them and made them final, to a node that signed the request with an active
 * key of an active member organisation.
 */
import { PEER_PAGE_MAX, PEER_REQUEST_MAX_SKEW_MS, isValidPeerRequest, parsePeerHeader } from '../core/ledger/peer-request.js';
import type { ServedBlock } from '../core/ledger/block-range.js';
import { hostedState, type NodeHandles } from './node-handles.js';
import { ReadError, forbidden, notFound } from './read-errors.js';

export interface PeerBlocksPage {
  consortium: string;
  /** The serving node's last final block. */
  head: { height: number; hash: string };
  blocks: ServedBlock[];
}

function badRange(message: string, details: Record<string, unknown>): ReadError {
  return new ReadError('BAD_RANGE', message, details);
}

/** Checks the request's signature and signer; returns the signing organisation. */
function authenticatePeer(handles: NodeHandles, consortium: string, fromHeight: number, limit: number, header: unknown, now: number): string {
  const state = hostedState(handles.node, consortium);
  if (!state) throw notFound(`unknown consortium "${consortium}"`, { consortium });
  const claimed = parsePeerHeader(header);
  if (!claimed) throw new ReadError('UNAUTHENTICATED', 'a peer request must carry "X-Provenant-Peer: <keyId> <at> <signature>"');
  const key = state.keys.get(claimed.keyId);
  const org = key ? state.orgs.get(key.orgId) : undefined;
  if (!key || key.status !== 'active' || org?.status !== 'active') throw forbidden('the request is not signed by an active key of an active member organisation', { keyId: claimed.keyId });
  if (Math.abs(Date.parse(claimed.at) - now) > PEER_REQUEST_MAX_SKEW_MS) throw new ReadError('UNAUTHENTICATED', `the request was signed at ${claimed.at}, more than ${PEER_REQUEST_MAX_SKEW_MS / 1000} s from this node's clock`);
  if (!isValidPeerRequest({ consortium, fromHeight, limit }, claimed, key.publicKey)) throw new ReadError('UNAUTHENTICATED', 'the peer request signature does not verify');
  return org.id;
}

/** Final blocks from `fromHeight` on, at most `limit` (1 to PEER_PAGE_MAX). */
export async function peerBlocks(handles: NodeHandles, consortium: string, query: { fromHeight: unknown; limit: unknown }, header: unknown, now = Date.now()): Promise<PeerBlocksPage> {
  // An anonymous caller learns nothing, not even whether its range was well-formed.
  if (!parsePeerHeader(header)) throw new ReadError('UNAUTHENTICATED', 'a peer request must carry "X-Provenant-Peer: <keyId> <at> <signature>"');
  const fromHeight = Number(query.fromHeight);
  const limit = query.limit === undefined ? PEER_PAGE_MAX : Number(query.limit);
  if (!Number.isSafeInteger(fromHeight) || fromHeight < 1) throw badRange('from must be a block height of at least 1', { from: query.fromHeight ?? null });
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > PEER_PAGE_MAX) throw badRange(`limit must be an integer from 1 to ${PEER_PAGE_MAX}`, { limit: query.limit ?? null });
  authenticatePeer(handles, consortium, fromHeight, limit, header, now);
  const head = handles.node.chainStatus(consortium);
  const blocks: ServedBlock[] = [];
  for await (const row of handles.store.streamBlocks(consortium, limit, { markColumnMismatches: false, fromHeight })) {
    if (blocks.length >= limit) break;
    blocks.push({
      header: row.header,
      hash: row.storedHash,
      seals: row.seals,
      records: row.records.map((r) => ({ record: r.record, hash: r.storedHash, logIndex: r.logIndex })),
      cutSequence: row.columns?.['cutSequence'] ?? null,
      finalSequence: row.columns?.['finalSequence'] ?? null,
    });
  }
  return { consortium, head: { height: head.finalHeight, hash: head.finalHash }, blocks };
}
