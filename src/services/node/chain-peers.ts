/**
 * The other authority nodes as this node sees them in the ordering log: each authority key's last
 * valid seal (the deriver judged its signature), with the height it sealed and the log entry and
 * log time that carried it. A node that stopped sealing shows an old height here.
 */
import type { SealMessage } from '../../core/ledger/ordering-message.js';
import type { DerivationOutput } from '../../core/ledger/derivation/types.js';

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
