/** What a consortium's chain on this node reports about itself, and the error of a stopped chain. */
import { sha256, toHex } from '../../core/crypto/index.js';
import type { PeerSeen } from './chain-peers.js';

export interface ChainStatus {
  finalHeight: number;
  derivedHeight: number;
  lastSequence: number;
  /** Each authority key's last valid seal in the log. */
  peers: PeerSeen[];
  stuck?: { height: number; detail: string };
  halted?: string;
  blockedReason?: string;
}

export class ChainHaltedError extends Error {
  readonly code = 'CHAIN_HALTED';
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function hexSha256(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}

/** What a chain whose log subscription failed says it does next: a gap is filled from peers over HTTP, live or after a restart. */
export function gapAdvice(err: unknown, live: boolean): string {
  if ((err as { code?: string })?.code !== 'ORDERING_GAP') return '';
  return live ? '; fetching the blocks the log dropped from peers over HTTP' : '; restart the node to fetch the blocks the log dropped from peers over HTTP';
}
