/**
 * The other authority nodes as this node sees them in the ordering log: each authority key's last
 * valid seal (the deriver judged its signature), with the height it sealed and the log entry and
 * log time that carried it. A node that stopped sealing shows an old height here.
 */
import type { SealMessage } from '../../core/ledger/ordering-message.js';
import type { DerivationOutput } from '../../core/ledger/derivation/types.js';
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { orderingIdentityText } from '../../core/ledger/node-endpoint.js';

export interface PeerSeen {
  readonly keyId: string;
  readonly lastSealedHeight: number;
  readonly lastSequence: number;
  /** The log's timestamp of that entry (never this node's clock). */
  readonly lastSeenAt: string;
}

export class ChainPeers {
  readonly #byKey = new Map<string, PeerSeen>();

  /**
   * After the deriver applied a seal message: counted when the deriver holds a valid seal of that
   * key at that height and did not ignore this entry (a forged copy naming the key moves nothing).
   */
  seal(message: SealMessage, entry: { sequence: number; timestamp: string }, validKeys: ReadonlySet<string>, outputs: readonly DerivationOutput[]): void {
    const keyId = message.seal.keyId;
    if (!validKeys.has(keyId)) return;
    if (outputs.some((o) => o.type === 'ignored' && o.sequence === entry.sequence)) return;
    const height = message.header.height;
    const seen = this.#byKey.get(keyId);
    if (seen && seen.lastSealedHeight > height) return;
    this.#byKey.set(keyId, { keyId, lastSealedHeight: height, lastSequence: entry.sequence, lastSeenAt: entry.timestamp });
  }

  list(): PeerSeen[] {
    return [...this.#byKey.values()].sort((a, b) => a.keyId.localeCompare(b.keyId));
  }
}

/** An authority key as this node sees it in the ordering log; the seal fields are null until it sealed. */
export interface PeerView {
  keyId: string;
  orgId: string | null;
  /** The key is held by this node. */
  local: boolean;
  /** The key is an authority in force now. */
  inForce: boolean;
  lastSealedHeight: number | null;
  lastSequence: number | null;
  lastSeenAt: string | null;
  /** The node URL its organisation registered on chain (node.endpoint); absent when none is. */
  nodeUrl?: string;
}

/** A member organisation's node as registered on chain: where peers reach it. */
export interface NodeView {
  orgId: string;
  url: string;
  /** "natsUser:NAME" or "nkey:KEY". */
  ordering: string;
  registeredAtLogIndex: number;
  /** The organisation's keys are held by this node. */
  local: boolean;
}

/** Every active member organisation's registered node, by org id. */
export function nodesOf(state: ConsortiumState, held: ReadonlySet<string>): NodeView[] {
  const localOrgs = new Set([...held].map((k) => state.keys.get(k)?.orgId));
  return [...state.orgs.values()]
    .filter((o) => o.status === 'active' && o.node)
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((o) => ({ orgId: o.id, url: o.node!.url, ordering: orderingIdentityText(o.node!.ordering), registeredAtLogIndex: o.node!.fromLogIndex, local: localOrgs.has(o.id) }));
}

/** Every authority key in force, and any other key seen sealing, by key id; with its last seal if any. */
export function peersOf(state: ConsortiumState, seen: readonly PeerSeen[], held: ReadonlySet<string>): PeerView[] {
  const byKey = new Map(seen.map((p) => [p.keyId, p]));
  const inForce = new Set(state.authoritiesInForce.map((a) => a.keyId));
  return [...new Set([...inForce, ...byKey.keys()])].sort().map((keyId) => {
    const last = byKey.get(keyId);
    const orgId = state.keys.get(keyId)?.orgId ?? null;
    const nodeUrl = orgId === null ? undefined : state.orgs.get(orgId)?.node?.url;
    return {
      keyId,
      orgId,
      local: held.has(keyId),
      inForce: inForce.has(keyId),
      lastSealedHeight: last?.lastSealedHeight ?? null,
      lastSequence: last?.lastSequence ?? null,
      lastSeenAt: last?.lastSeenAt ?? null,
      ...(nodeUrl ? { nodeUrl } : {}),
    };
  });
}
