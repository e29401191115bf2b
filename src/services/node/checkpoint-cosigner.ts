/**
 * Checkpoints of a consortium whose authority keys live on different nodes. A checkpoint is stored
 * only with signatures from a quorum of the authorities in force (what `provenant verify` and the
 * start-up check demand). A node holding that quorum itself (the embedded single-node consortium)
 * stores it with the block; otherwise each node signs with the keys it holds and publishes one
 * `cosignature` message per key in the log (the deriver ignores them), and every node stores the
 * checkpoint once the cosignatures it read from the log reach the quorum.
 */
import { canonicalBytes, toHex, sha256, type KeyPair } from '../../core/crypto/index.js';
import { quorumSize, type QuorumRule } from '../../core/ledger/block.js';
import { signCheckpoint, verifyCheckpointSignatures, type Checkpoint, type CheckpointSignature } from '../../core/ledger/checkpoint.js';
import { serializeOrderingMessage, type CosignatureMessage } from '../../core/ledger/ordering-message.js';
import type { AuthorityEntry } from '../../core/ledger/state-types.js';
import type { StoredCheckpointInput } from '../../store/chain-store.js';
import type { ChainContext } from './chain-context.js';

interface Collecting {
  readonly statement: Checkpoint;
  readonly digest: string;
  readonly authorities: readonly AuthorityEntry[];
  readonly required: number;
  readonly signatures: Map<string, CheckpointSignature>;
  stored: boolean;
}

/** Checkpoints still collecting, at most this many (the oldest are dropped: a later one supersedes them). */
const MAX_COLLECTING = 64;

const digestOf = (cp: Checkpoint) => toHex(sha256(canonicalBytes(cp)));

export class CheckpointCosigner {
  readonly #collecting = new Map<number, Collecting>();

  constructor(
    private readonly ctx: ChainContext,
    private readonly consortium: string,
    private readonly quorum: () => QuorumRule,
  ) {}

  /**
   * The checkpoint to store with its block when the local keys are a quorum; otherwise undefined,
   * and the local signatures start a collection that `publish` puts in the log.
   */
  signed(statement: Checkpoint, authorities: readonly AuthorityEntry[], keys: readonly KeyPair[]): StoredCheckpointInput | undefined {
    const signatures = keys.map((k) => signCheckpoint(statement, k));
    const required = quorumSize(authorities.length, this.quorum());
    if (signatures.length >= required) return { ...statement, signatures };
    const collecting: Collecting = { statement, digest: digestOf(statement), authorities, required, signatures: new Map(), stored: false };
    for (const s of signatures) collecting.signatures.set(s.keyId, s);
    this.#collecting.set(statement.logSize, collecting);
    for (const logSize of [...this.#collecting.keys()].sort((a, b) => a - b).slice(0, Math.max(0, this.#collecting.size - MAX_COLLECTING))) {
      this.#collecting.delete(logSize);
    }
    return undefined;
  }

  /** Appends this node's signatures on a collecting checkpoint, one cosignature message per key. */
  async publish(logSize: number, keys: readonly KeyPair[]): Promise<void> {
    const collecting = this.#collecting.get(logSize);
    if (!collecting) return;
    const messages = keys.flatMap((k) => {
      const cosignature = collecting.signatures.get(k.keyId);
      if (!cosignature) return [];
      const message: CosignatureMessage = { v: 1, consortium: this.consortium, kind: 'cosignature', checkpoint: collecting.statement, cosignature };
      return [serializeOrderingMessage(message)];
    });
    await Promise.all(messages.map((bytes) => this.ctx.ordering.append(this.consortium, bytes)));
  }

  /** A cosignature read from the log: counted when it is a valid authority signature on the checkpoint this node made. */
  async receive(message: CosignatureMessage): Promise<void> {
    const collecting = this.#collecting.get(message.checkpoint.logSize);
    if (!collecting || collecting.stored || collecting.signatures.has(message.cosignature.keyId)) return;
    if (digestOf(message.checkpoint) !== collecting.digest) return;
    try {
      verifyCheckpointSignatures(collecting.statement, [message.cosignature], collecting.authorities, { numerator: 0, denominator: 1 });
    } catch {
      return; // Not an authority in force, or a bad signature: it counts for nothing.
    }
    collecting.signatures.set(message.cosignature.keyId, message.cosignature);
    if (collecting.signatures.size < collecting.required) return;
    collecting.stored = true;
    await this.ctx.store.saveCheckpoint({ ...collecting.statement, signatures: [...collecting.signatures.values()] });
    for (const logSize of this.#collecting.keys()) if (logSize <= collecting.statement.logSize) this.#collecting.delete(logSize);
  }
}
