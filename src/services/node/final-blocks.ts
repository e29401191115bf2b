/**
 * The final blocks of a consortium on this node: a block the deriver made final is stored, in
 * height order, once this node's own seals on it are read too (one write per block, with every seal
 * read so far; a later seal joins the stored block), then announced to whoever waits for it.
 */
import type { BlockHeader, Seal } from '../../core/ledger/block.js';
import { FINAL_WINDOW, type FinalBlock } from '../../core/ledger/derivation/index.js';
import type { MerkleAccumulator } from '../../core/ledger/merkle-tree.js';
import type { ChainContext } from './chain-context.js';
import type { ChainSealer } from './chain-sealer.js';
import type { SealedIn } from './submission.js';
import { Thresholds } from './waiters.js';

/** Final blocks kept to answer which block holds a record that became final before the caller asked. */
const RECENT_FINALS = 64;

export class FinalBlocks {
  readonly #sealedAt = new Thresholds<SealedIn>();
  readonly #finalAt = new Thresholds<SealedIn>();
  readonly #refusedAt = new Thresholds<null>();
  /** Heights above the head whose block this node's keys refused to seal. */
  readonly #refused = new Set<number>();
  #head: { height: number; hash: string; logSize: number };
  /** The last final blocks, for a caller that asks after the fact which one holds a record. */
  #recent: { height: number; hash: string; firstLogIndex: number; logSize: number }[] = [];
  /** The stored seals of recent final blocks, by height. */
  readonly #seals = new Map<number, Seal[]>();
  /** Final blocks not stored yet, in height order. */
  #unstored: { final: FinalBlock; seals: Seal[] }[] = [];

  constructor(
    private readonly ctx: ChainContext,
    private readonly consortium: string,
    head: { height: number; hash: string; logSize: number; seals: readonly Seal[] },
  ) {
    this.#head = { height: head.height, hash: head.hash, logSize: head.logSize };
    this.#seals.set(head.height, [...head.seals]);
  }

  /** The last final block stored. */
  get head(): { height: number; hash: string; logSize: number } {
    return { ...this.#head };
  }

  /** A block the deriver made final: it waits for this node's own seals on it. */
  add(final: FinalBlock): void {
    this.#unstored.push({ final, seals: [...final.seals] });
  }

  /** A later valid seal on a final block joins its seals (stored or not yet). */
  async lateSeal(height: number, hash: string, seal: Seal): Promise<void> {
    const unstored = this.#unstored.find((u) => u.final.block.header.height === height);
    const seals = unstored?.seals ?? this.#seals.get(height);
    if (!seals || seals.some((s) => s.keyId === seal.keyId)) return;
    seals.push(seal);
    if (!unstored) await this.ctx.derivation.updateSeals(this.consortium, height, hash, seals);
  }

  /** Stores what is ready, in height order, and announces it. */
  async storeReady(sealer: ChainSealer, log: MerkleAccumulator): Promise<void> {
    while (this.#unstored.length > 0) {
      const next = this.#unstored[0]!;
      const { block } = next.final;
      const height = block.header.height;
      const own = [...sealer.publishedAt(height)];
      if (!own.every((keyId) => next.seals.some((s) => s.keyId === keyId))) return;
      this.#unstored.shift();
      await sealer.storeFinal({ ...next.final, seals: next.seals }, log);
      this.#head = { height, hash: block.hash, logSize: block.header.logSize };
      this.#seals.set(height, next.seals);
      this.#seals.delete(height - FINAL_WINDOW);
      sealer.forgetBelow(height - FINAL_WINDOW);
      this.#announce(block.header, block.hash, [...block.recordHashes]);
    }
  }

  #announce(header: BlockHeader, hash: string, recordHashes: string[]): void {
    const block = { height: header.height, hash };
    this.#recent.push({ height: header.height, hash, firstLogIndex: header.logSize - header.recordCount, logSize: header.logSize });
    if (this.#recent.length > RECENT_FINALS) this.#recent.shift();
    this.#sealedAt.settle((logIndex) => logIndex < header.logSize, block);
    this.#finalAt.settle((height) => height <= header.height, block);
    // Final after all (other nodes' seals made the quorum): nobody waits for a refusal there.
    this.#refusedAt.drop((height) => height <= header.height);
    for (const height of this.#refused) if (height <= header.height) this.#refused.delete(height);
    this.ctx.sealed({ consortium: this.consortium, header, hash, recordHashes });
  }

  /** Resolves with the block that holds the record at this log index once it is final. */
  sealedIn(logIndex: number): Promise<SealedIn> {
    const recent = this.#recent.find((b) => b.firstLogIndex <= logIndex && logIndex < b.logSize);
    if (recent) return Promise.resolve({ height: recent.height, hash: recent.hash });
    return this.#sealedAt.wait(logIndex);
  }

  /** Resolves once the block at this height is final and stored; null if this node's keys refused to seal it. */
  finalAt(height: number): Promise<SealedIn | null> {
    if (height <= this.#head.height) {
      const recent = this.#recent.find((b) => b.height === height);
      return Promise.resolve(recent ? { height, hash: recent.hash } : { height: this.#head.height, hash: this.#head.hash });
    }
    if (this.#refused.has(height)) return Promise.resolve(null);
    return Promise.race([this.#finalAt.wait(height), this.#refusedAt.wait(height)]);
  }

  /** This node's keys refused to seal the block at this height. */
  refused(height: number): void {
    if (height > this.#head.height) this.#refused.add(height);
    this.#refusedAt.settle((at) => at === height, null);
  }

  rejectAll(err: unknown): void {
    this.#sealedAt.rejectAll(err);
    this.#finalAt.rejectAll(err);
    this.#refusedAt.rejectAll(err);
  }
}
