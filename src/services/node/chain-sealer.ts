/**
 * This node's part in finality: each of its authority keys seals the block it derived, once the
 * block below is final and the block passes the checks `provenant verify` makes, and only after
 * the seal ledger durably says so (a key never seals two different blocks at one height, across
 * restarts). Final blocks are stored with their quorum of seals, the membership tables they change
 * and the log checkpoint after them, in one transaction; evidence found in the log is kept.
 */
import { fromHex, toHex, type KeyPair } from '../../core/crypto/index.js';
import { checkpointOfBlock, signCheckpoint, type Checkpoint } from '../../core/ledger/checkpoint.js';
import type { CheckpointCosigner } from './checkpoint-cosigner.js';
import { checkDerivedBlock, sealMessageOf, type Deriver, type DerivedBlock, type Evidence, type FinalBlock } from '../../core/ledger/derivation/index.js';
import { leafHash } from '../../core/ledger/merkle-hash.js';
import type { MerkleAccumulator } from '../../core/ledger/merkle-tree.js';
import { serializeOrderingMessage } from '../../core/ledger/ordering-message.js';
import { formatTimestamp } from '../../core/ledger/record.js';
import type { StoredCheckpointInput } from '../../store/chain-store.js';
import type { ChainContext } from './chain-context.js';
import { membershipProjectionOf as projectionOf } from '../../core/ledger/projections/membership-rows.js';
import type { ChainIndex } from './chain-index.js';

export class ChainSealer {
  /** Why this node's keys did not seal the block waiting for them, if they did not. */
  blockedReason: string | undefined;
  /** The chain's index map (absent: its blocks are version 1). */
  index: ChainIndex | undefined;
  /** Collects checkpoint signatures across nodes (absent: the local keys sign alone). */
  cosigner: CheckpointCosigner | undefined;
  /** `${height}:${keyId}` of seals this node published, or refused to. */
  readonly #done = new Set<string>();
  /** Key ids whose seal this node published, by height (recent heights only). */
  readonly #published = new Map<number, Set<string>>();

  constructor(
    private readonly ctx: ChainContext,
    private readonly consortium: string,
    /** Told when this node's keys refuse to seal the block at a height. */
    private readonly refused: (height: number) => void,
  ) {}

  /** Seals the block above the final head with every local authority key that has not sealed it yet. */
  async sealReady(deriver: Deriver): Promise<void> {
    const height = deriver.finalHeight + 1;
    const block = deriver.unfinalBlocks()[0];
    if (!block || block.header.height !== height) return;
    const held = this.ctx.authorityKeys();
    const sealed = deriver.sealedKeys(height);
    const keys = block.authorities.authorities
      .map((a) => held.get(a.keyId))
      .filter((k): k is KeyPair => k !== undefined && !sealed.has(k.keyId) && !this.#done.has(`${height}:${k.keyId}`));
    if (keys.length === 0) return;
    for (const k of keys) this.#done.add(`${height}:${k.keyId}`);
    const failures = checkDerivedBlock(block);
    if (failures.length > 0) {
      this.blockedReason = `block ${height} as derived here fails its checks, so this node does not seal it: ${failures.map((f) => f.message).join('; ')}`;
      this.ctx.fault(new Error(this.blockedReason));
      this.refused(height);
      return;
    }
    await this.#seal(block, keys);
  }

  async #seal(block: DerivedBlock, keys: KeyPair[]): Promise<void> {
    const { header, hash } = block;
    const ledger = await this.ctx.derivation.recordOwnSeals(this.consortium, header.height, hash, keys.map((k) => k.keyId), formatTimestamp(this.ctx.now()));
    const messages: Uint8Array[] = [];
    for (const key of keys) {
      const sealed = ledger.get(key.keyId);
      if (sealed !== hash) {
        this.blockedReason = `authority key ${key.keyId.slice(0, 16)} sealed block ${String(sealed).slice(0, 16)} at height ${header.height} before; it will not seal ${hash.slice(0, 16)} there`;
        continue;
      }
      await this.ctx.hooks?.afterSealPersisted?.({ consortium: this.consortium, height: header.height, keyId: key.keyId, hash });
      messages.push(serializeOrderingMessage(sealMessageOf(header, key)));
      const published = this.#published.get(header.height) ?? new Set<string>();
      published.add(key.keyId);
      this.#published.set(header.height, published);
    }
    if (messages.length === keys.length) this.blockedReason = undefined;
    else this.refused(header.height);
    await Promise.all(messages.map((bytes) => this.ctx.ordering.append(this.consortium, bytes)));
  }

  /** Key ids whose seal this node published at this height. */
  publishedAt(height: number): ReadonlySet<string> {
    return this.#published.get(height) ?? new Set();
  }

  /** Forgets what it published below this height. */
  forgetBelow(height: number): void {
    for (const h of this.#published.keys()) if (h < height) this.#published.delete(h);
    for (const done of this.#done) if (Number(done.split(':')[0]) < height) this.#done.delete(done);
  }

  /** Stores a final block with its seals, the membership tables it changed and the checkpoint after it. */
  async storeFinal(final: FinalBlock, log: MerkleAccumulator): Promise<void> {
    const { block, seals, finalSequence } = final;
    for (const h of block.recordHashes) log.append(leafHash(fromHex(h, 32)));
    const after = block.stateAfter?.authoritiesInForce ?? block.authorities.authorities;
    const held = this.ctx.authorityKeys();
    const keys = after.map((a) => held.get(a.keyId)).filter((k): k is KeyPair => k !== undefined);
    let checkpoint: StoredCheckpointInput | undefined;
    let statement: Checkpoint | undefined;
    if (keys.length > 0) {
      statement = checkpointOfBlock(block.header, block.hash, toHex(log.root()));
      checkpoint = this.cosigner ? this.cosigner.signed(statement, after, keys) : { ...statement, signatures: keys.map((k) => signCheckpoint(statement!, k)) };
    }
    const extra = this.index?.writeOf(block);
    try {
      await this.ctx.store.commitBlock({
        header: block.header,
        blockHash: block.hash,
        seals,
        recordHashes: block.recordHashes,
        projection: block.stateAfter ? projectionOf(block.stateAfter) : undefined,
        checkpoint,
        sequences: { cut: block.cutSequence, final: finalSequence },
        extra,
      });
    } catch (err) {
      this.index?.published(block, false);
      throw err;
    }
    this.index?.published(block);
    // Fewer local keys than a quorum: the other authorities' cosignatures complete the checkpoint.
    if (statement && !checkpoint) await this.cosigner?.publish(statement.logSize, keys);
  }

  async storeEvidence(evidence: Evidence): Promise<void> {
    const added = await this.ctx.derivation.saveEvidence(
      [{ consortium: evidence.consortium, kind: evidence.kind, height: evidence.height, keyId: evidence.keyId, orgId: evidence.orgId, sequence: evidence.sequence, body: evidence }],
      formatTimestamp(this.ctx.now()),
    );
    if (added > 0) this.ctx.evidence({ consortium: this.consortium, evidence });
  }
}
