/**
 * One consortium's chain on this node. The deriver reads the consortium's ordering log and is the
 * authority on every decision (docs/design/network.md). Beside it the node keeps a tentative state:
 * the deriver's state plus the submissions this node appended and pre-checked but the deriver has
 * not read yet. While this node is the only one appending (the embedded single-node consortium) the
 * tentative state is exactly what the deriver will say, so submissions are pre-checked against it,
 * stored as pending rows before they are appended (one fsync per group commit), and the next group
 * can start while the log makes the last one durable. Anything else the deriver reads (another
 * node's entries, a replay) makes the tentative state inexact until the node has copied the
 * deriver's state again; a decision that differs from the pre-check moves or removes its rows.
 */
import type { Block, Seal } from '../../core/ledger/block.js';
import { closeBlock, type CheckedSigner, type ConsortiumState } from '../../core/ledger/consortium.js';
import { Deriver, signCutMarker, submissionMessageBytes, type DerivationFacts, type DerivationOutput, type DerivedBlock, type SubmissionDecision } from '../../core/ledger/derivation/index.js';
import { MerkleAccumulator } from '../../core/ledger/merkle-tree.js';
import { OrderingMessageError, parseOrderingMessage, serializeOrderingMessage, type OrderingMessage, type SubmissionMessage } from '../../core/ledger/ordering-message.js';
import { formatTimestamp, recordHash, type SignedRecord } from '../../core/ledger/record.js';
import type { OrderedMessage, OrderingSubscription } from '../../platform/ordering/ordering.js';
import { commitsIndex, type ChainContext } from './chain-context.js';
import { loadFinalChain, observeCaughtUp, type LoadObserver } from './chain-load.js';
import { canonicalTextOf } from './record-text.js';
import { ChainSealer } from './chain-sealer.js';
import { CheckpointCosigner } from './checkpoint-cosigner.js';
import { ChainPeers } from './chain-peers.js';
import { FinalBlocks } from './final-blocks.js';
import { ChainIndex } from './chain-index.js';
import type { TrustedIndex } from '../../core/ledger/index-map/index.js';
import type { SealedIn } from './submission.js';
import { Thresholds, deferred, type Deferred } from './waiters.js';
import { ChainHaltedError, gapAdvice, hexSha256, type ChainStatus } from './chain-status.js';
import { catchUpFromPeers } from './peer-catch-up.js';
import { placeWithProjection } from './admitted-projection.js';

export { ChainHaltedError, type ChainStatus } from './chain-status.js';

interface LocalAppend {
  readonly message: SubmissionMessage;
  /** The log indexes the node stored the records at before appending them. */
  readonly predicted: readonly number[];
  readonly decided: Deferred<SubmissionDecision>;
}

export class ConsortiumChain {
  readonly #ctx: ChainContext;
  readonly #deriver: Deriver;
  readonly #sealer: ChainSealer;
  /** The node's view for pre-checks: the deriver's state plus what this node appended since. */
  #tentative: ConsortiumState;
  #exact = true;
  /** Local appends by the SHA-256 of their bytes, until the deriver decides them. */
  readonly #local = new Map<string, LocalAppend>();
  readonly #outstanding = new Set<Promise<unknown>>();
  /** Records this node verified or hashed itself: the deriver need not do it again. */
  readonly #verified = new WeakSet<SignedRecord>();
  readonly #hashes = new WeakMap<SignedRecord, string>();
  /** Signers the preparer checked (capture, when the document arrived): the deriver need not check them again. */
  readonly #signers = new WeakMap<SignedRecord, CheckedSigner>();
  readonly #derivedAt = new Thresholds<void>();
  readonly #finals: FinalBlocks;
  readonly #peers = new ChainPeers();
  /** The identifier index map (absent: the chain's blocks are version 1). */
  readonly #index: ChainIndex | undefined;
  /** Turns in progress: the tentative state is theirs until they end. */
  #held = 0;
  /** The highest height this node appended a cut marker for. */
  #cutRequested = 0;
  #derivedLogSize: number;
  readonly #log: MerkleAccumulator;
  #subscription: OrderingSubscription | undefined;
  #loop: Promise<void> | undefined;
  #caughtUp = false;
  #halted: string | undefined;
  #stuck: { height: number; detail: string } | undefined;
  #closed = false;

  private constructor(ctx: ChainContext, readonly id: string, loaded: { state: ConsortiumState; log: MerkleAccumulator; headSeals: Seal[] }, afterSequence: number, index: ChainIndex | undefined) {
    const { state } = loaded;
    this.#ctx = ctx;
    this.#index = index;
    this.#deriver = new Deriver({ state, afterSequence, forgetFinalRecords: true, index: index?.deriving });
    this.#tentative = this.#tentativeCopy();
    this.#log = loaded.log;
    this.#finals = new FinalBlocks(ctx, id, { height: state.height, hash: state.headHash, logSize: state.logSize, seals: loaded.headSeals });
    this.#derivedLogSize = state.logSize;
    this.#sealer = new ChainSealer(ctx, id, (height) => this.#finals.refused(height));
    this.#sealer.index = index;
    this.#sealer.cosigner = new CheckpointCosigner(ctx, id, () => this.#deriver.state.quorum);
  }

  /**
   * Loads the final chain from the store, reads the ordering log from where the head block was cut
   * (`fromStart`: from its beginning, for a log that does not outlive the process) and catches up.
   * Returns the chain and the pending rows no log entry accounts for (written before a crash lost
   * their append), which the caller submits again.
   */
  static async open(ctx: ChainContext, id: string, options: { fromStart: boolean; observer?: LoadObserver }): Promise<{ chain: ConsortiumChain; orphans: SignedRecord[] }> {
    const loaded = await loadFinalChain(ctx.store, id, options.observer);
    const logAsLoaded = options.observer ? loaded.log.copy() : undefined;
    const stateAsLoaded = options.observer ? loaded.state.clone() : undefined;
    const loadedHeight = loaded.head.height;
    // Blocks the ordering log no longer holds come from peers over HTTP, each verified, before the log takes over.
    const { after, failure } = options.fromStart ? { after: 0 } : await catchUpFromPeers(ctx, id, loaded, await ctx.derivation.resumeSequence(id));
    const index = commitsIndex(ctx, loaded.state.indexCommitment) ? await ChainIndex.open(ctx.store.db, id, loaded.head) : undefined;
    const chain = new ConsortiumChain(ctx, id, loaded, after, index);
    if (failure) {
      // Reported in chainStatus (haltedReason) and refused to writers, rather than a start that fails again and again.
      chain.#halted = failure;
      ctx.logger?.error({ consortium: id }, failure);
      if (options.observer) await observeCaughtUp(ctx.store, id, loadedHeight, logAsLoaded!, stateAsLoaded!, options.observer);
      return { chain, orphans: [] };
    }
    const { lastSequence } = await ctx.ordering.info(id);
    chain.#start(after);
    try {
      await chain.#derived(lastSequence);
      if (chain.#halted) throw new ChainHaltedError(chain.#halted, { consortium: id });
    } catch (err) {
      await chain.close();
      throw err;
    }
    chain.#caughtUp = true;
    chain.#tentative = chain.#tentativeCopy();
    chain.#exact = true;
    const orphans = await chain.#orphans();
    // The start-up check also sees the records admitted but not yet in a final block, and the
    // orphans: their projection rows stay, as the caller submits them again straight away.
    if (options.observer) {
      await observeCaughtUp(ctx.store, id, loadedHeight, logAsLoaded!, stateAsLoaded!, options.observer);
      for (const row of await ctx.store.pendingRecords(id)) options.observer.record(row, chain.state, false);
      for (const row of orphans) options.observer.record({ record: row.record, storedHash: row.hash, logIndex: row.logIndex }, chain.state, false);
    }
    await chain.#sealer.sealReady(chain.#deriver);
    return { chain, orphans: orphans.map((o) => o.record) };
  }

  /** A chain whose genesis was just stored: the log has nothing for it yet. */
  static created(ctx: ChainContext, genesis: Block, state: ConsortiumState, log: MerkleAccumulator): ConsortiumChain {
    const index = commitsIndex(ctx, state.indexCommitment) ? ChainIndex.created(ctx.store.db, state.id, genesis.header) : undefined;
    const chain = new ConsortiumChain(ctx, state.id, { state, log, headSeals: [...genesis.seals] }, 0, index);
    chain.#caughtUp = true;
    chain.#start(0);
    return chain;
  }

  /** Pending rows past what the log admitted: their appends never became durable. Deleted here. */
  async #orphans(): Promise<{ record: SignedRecord; hash: string; logIndex: number }[]> {
    const logSize = this.#deriver.state.logSize;
    const orphans = (await this.#ctx.derivation.pendingRows(this.id)).filter((r) => r.logIndex >= logSize);
    await this.#ctx.derivation.deletePending(this.id, orphans.map((o) => o.hash));
    return orphans;
  }

  // ---- views ----

  get state(): ConsortiumState {
    return this.#view();
  }

  /**
   * The tentative state, copied from the deriver's first when it is inexact and nothing of this
   * node's is in flight or being pre-checked (then the two agree on everything this node knows).
   */
  #view(): ConsortiumState {
    if (!this.#exact && this.#held === 0 && this.#outstanding.size === 0 && !this.#halted) {
      this.#tentative = this.#tentativeCopy();
      this.#exact = true;
    }
    return this.#tentative;
  }

  /** The deriver's state as the tentative state: it keeps the signer mark, so signers checked on it stand in the deriver too while neither changes them. */
  #tentativeCopy(): ConsortiumState {
    return this.#deriver.state.clone({ keepSignerMark: true });
  }

  /** Marks a turn: until `release`, the tentative state is left to it. */
  hold(): () => void {
    this.#held += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held -= 1;
    };
  }

  /** Takes the state a pre-check left (a rolled-back admission hands back its snapshot). */
  adopt(state: ConsortiumState): void {
    this.#tentative = state;
  }

  /** Admitted (or pre-checked) records not in a final block yet. */
  get pendingCount(): number {
    return this.#view().logSize - this.#finals.head.logSize;
  }

  /** Records in the block not cut yet, as this node sees it. */
  get openCount(): number {
    return this.#view().logSize - this.#derivedLogSize;
  }

  /** The index map readers may trust (undefined: version-1 blocks). */
  get trustedIndex(): TrustedIndex | undefined {
    return this.#index?.trusted;
  }

  get finalHead(): { height: number; hash: string; logSize: number } {
    return this.#finals.head;
  }

  status(): ChainStatus {
    return {
      // The final block this node has stored (the deriver may be a block ahead while it is stored).
      finalHeight: this.#finals.head.height,
      derivedHeight: this.#deriver.derivedHeight,
      lastSequence: this.#deriver.lastSequence,
      peers: this.#peers.list(),
      ...(this.#stuck ? { stuck: this.#stuck } : {}),
      ...(this.#halted ? { halted: this.#halted } : {}),
      ...(this.#sealer.blockedReason ? { blockedReason: this.#sealer.blockedReason } : {}),
    };
  }

  /** Authority keys this node holds in the set in force for the open block. */
  localAuthorities(): number {
    const held = this.#ctx.authorityKeys();
    return this.#view().authoritiesInForce.filter((a) => held.has(a.keyId)).length;
  }

  /** A stopped chain's reason, replaced by the latest try to go on (catch-up from peers after a gap). */
  haltedAgain(reason: string): void {
    if (this.#halted) this.#halted = reason;
  }

  assertRunning(): void {
    if (this.#halted) throw new ChainHaltedError(`consortium "${this.id}" stopped: ${this.#halted}`, { consortium: this.id });
    if (this.#closed) throw new ChainHaltedError(`consortium "${this.id}" is closed`, { consortium: this.id });
  }

  // ---- the tentative state, in the node's turns ----

  /**
   * Makes the tentative state exact again if the deriver read something this node did not
   * append: waits for this node's own appends to be decided, then copies the deriver's state.
   * Call at the start of a turn.
   */
  async settle(): Promise<void> {
    this.assertRunning();
    if (this.#exact) return;
    while (this.#outstanding.size > 0) await Promise.allSettled([...this.#outstanding]);
    this.assertRunning();
    this.#tentative = this.#tentativeCopy();
    this.#exact = true;
  }

  /** After a refused pre-check or a failed write: the tentative state is rebuilt at the next turn. */
  invalidate(): void {
    this.#exact = false;
  }

  /** The next record is pre-checked to land at this log index. */
  get nextLogIndex(): number {
    return this.#tentative.logSize;
  }

  /**
   * The bytes of a submission, or the error that refuses it (ORDERING_MESSAGE_TOO_LARGE), before
   * anything is admitted. Records of another consortium cannot be carried (MALFORMED_ORDERING_MESSAGE).
   */
  encodeSubmission(records: readonly SignedRecord[]): { message: SubmissionMessage; bytes: Uint8Array } {
    const message: SubmissionMessage = { v: 1, consortium: this.id, kind: 'submission', records };
    for (const r of records) {
      if (r?.consortium !== this.id) throw new OrderingMessageError('MALFORMED_ORDERING_MESSAGE', 'malformed ordering message: a record belongs to another consortium', { field: 'records' });
    }
    return { message, bytes: submissionMessageBytes(this.id, records.map(canonicalTextOf)) };
  }

  /**
   * Appends a pre-checked submission whose records the node has stored at `predicted` log
   * indexes. Resolves with the deriver's decision. `verified`: the node checked every signature;
   * `signer`: the one signer of every record, as the preparer checked it.
   */
  appendSubmission(
    encoded: { message: SubmissionMessage; bytes: Uint8Array },
    records: { hash: string; logIndex: number }[],
    verified: boolean,
    signer?: CheckedSigner,
  ): Promise<SubmissionDecision> {
    encoded.message.records.forEach((record, i) => {
      this.#hashes.set(record, records[i]!.hash);
      if (verified) this.#verified.add(record);
      if (signer) this.#signers.set(record, signer);
    });
    const local: LocalAppend = { message: encoded.message, predicted: records.map((r) => r.logIndex), decided: deferred() };
    const key = hexSha256(encoded.bytes);
    this.#local.set(key, local);
    this.#track(local.decided.promise);
    this.#ctx.ordering.append(this.id, encoded.bytes).catch((err: unknown) => {
      this.#local.delete(key);
      this.#halt(`the ordering log refused an append: ${(err as Error)?.message ?? String(err)}`);
      local.decided.reject(err);
    });
    return local.decided.promise;
  }

  /**
   * Appends a cut marker for the open block, signed by a local authority key, and returns the
   * height it closes (null: no key, or nothing to cut). The deriver reads it later; the block then
   * becomes final, or this node's keys refuse to seal it (finalAt resolves null).
   */
  appendCut(): number | null {
    const held = this.#ctx.authorityKeys();
    const state = this.#view();
    const key = state.authoritiesInForce.map((a) => held.get(a.keyId)).find((k) => k !== undefined);
    if (!key || this.openCount === 0) return null;
    const height = state.height + 1;
    // One marker per height is enough: the first valid one cuts it.
    if (height <= this.#cutRequested) return height;
    this.#cutRequested = height;
    this.#ctx.ordering.append(this.id, serializeOrderingMessage(signCutMarker(this.id, height, key))).catch((err: unknown) => {
      this.#halt(`the ordering log refused an append: ${(err as Error)?.message ?? String(err)}`);
    });
    return height;
  }

  /** Resolves once the deriver has read the log up to this sequence. */
  #derived(sequence: number): Promise<void> {
    if (this.#deriver.lastSequence >= sequence) return Promise.resolve();
    if (this.#halted) return Promise.reject(new ChainHaltedError(`consortium "${this.id}" stopped: ${this.#halted}`, { consortium: this.id }));
    return this.#derivedAt.wait(sequence);
  }

  /** Resolves with the block that holds the record at this log index once it is final. */
  sealedIn(logIndex: number): Promise<SealedIn> {
    return this.#finals.sealedIn(logIndex);
  }

  /** Resolves once the block at this height is final and stored; null if this node's keys refuse to seal it. */
  finalAt(height: number): Promise<SealedIn | null> {
    return this.#finals.finalAt(height);
  }

  #track(promise: Promise<unknown>): void {
    this.#outstanding.add(promise);
    void promise.then(
      () => this.#outstanding.delete(promise),
      () => this.#outstanding.delete(promise),
    );
  }

  // ---- reading the log ----

  #start(afterSequence: number): void {
    const subscription = this.#ctx.ordering.subscribe(this.id, { afterSequence });
    this.#subscription = subscription;
    this.#loop = this.#read(subscription);
  }

  async #read(subscription: OrderingSubscription): Promise<void> {
    try {
      for await (const entry of subscription) {
        await this.#apply(entry);
        if (this.#halted) break;
      }
      if (!this.#closed) this.#halt('the ordering log subscription ended');
    } catch (err) {
      // A gap (retention dropped entries this node never read) is filled from peers without a restart, when the node can ask them.
      const live = (err as { code?: string })?.code === 'ORDERING_GAP' && this.#ctx.peers !== undefined && this.#ctx.gap !== undefined;
      this.#halt(`reading the ordering log failed: ${(err as Error)?.message ?? String(err)}${gapAdvice(err, live)}`);
      if (live) this.#ctx.gap!(this.id, this.#halted!);
      else this.#ctx.fault(err);
    }
  }

  async #apply(entry: OrderedMessage): Promise<void> {
    const local = this.#local.size > 0 ? this.#takeLocal(entry.bytes) : undefined;
    let message: OrderingMessage | null = local?.message ?? null;
    if (!local) {
      try {
        message = parseOrderingMessage(entry.bytes);
      } catch {
        message = null;
      }
    }
    const facts = local ? this.#localFacts() : await this.#remoteFacts(message);
    if (this.#index && message?.kind === 'submission' && message.consortium === this.id) await this.#index.prepare(message.records, this.#finals.head);
    const outputs = this.#deriver.apply({ sequence: entry.sequence, timestamp: entry.timestamp, message }, facts);
    if (message?.kind === 'cosignature' && message.consortium === this.id) await this.#sealer.cosigner?.receive(message);
    if (message?.kind === 'seal' && message.consortium === this.id) this.#peers.seal(message, entry, this.#deriver.sealedKeys(message.header.height), outputs);
    for (const output of outputs) await this.#output(output, local);
    await this.#finals.storeReady(this.#sealer, this.#log);
    await this.#index?.settle(this.#finals.head.height, this.#deriver.derivedHeight, this.#deriver.openRecords());
    this.#derivedAt.settle((s) => s <= entry.sequence, undefined);
    if (this.#caughtUp && !this.#halted) await this.#sealer.sealReady(this.#deriver);
  }

  #takeLocal(bytes: Uint8Array): LocalAppend | undefined {
    const key = hexSha256(bytes);
    const local = this.#local.get(key);
    if (local) this.#local.delete(key);
    return local;
  }

  #localFacts(): DerivationFacts {
    // The node screened these records against everything it stores before appending them.
    return { isStoredRecord: () => false, knownHash: (r) => this.#hashes.get(r), isVerified: (r) => this.#verified.has(r), checkedSigner: (r) => this.#signers.get(r) };
  }

  async #remoteFacts(message: OrderingMessage | null): Promise<DerivationFacts> {
    if (message?.kind !== 'submission' || message.consortium !== this.id) return {};
    const hashes = new Map(message.records.map((r) => [r, recordHash(r)]));
    const stored = await this.#ctx.derivation.finalRecordHashes(this.id, [...hashes.values()]);
    return { isStoredRecord: (h) => stored.has(h), knownHash: (r) => hashes.get(r) };
  }

  async #output(output: DerivationOutput, local: LocalAppend | undefined): Promise<void> {
    switch (output.type) {
      case 'submission':
        return this.#decided(output.decision, local);
      case 'block':
        this.#derivedLogSize = Math.max(this.#derivedLogSize, output.block.header.logSize);
        this.#closeTentative(output.block);
        return;
      case 'final':
        this.#finals.add(output.final);
        if (this.#stuck && this.#stuck.height <= output.final.block.header.height) this.#stuck = undefined;
        return;
      case 'late-seal':
        return this.#finals.lateSeal(output.height, output.hash, output.seal);
      case 'evidence':
        await this.#sealer.storeEvidence(output.evidence);
        return;
      case 'stuck':
        this.#stuck = { height: output.height, detail: output.detail };
        return;
      case 'halted':
        this.#halt(output.detail);
        return;
      case 'ignored':
        return;
    }
  }

  /**
   * Closes the block in the tentative state too, when that gives exactly the deriver's state: the
   * tentative state holds nothing another node appended, and neither the cut nor this node's
   * submissions after it change the authority set. Otherwise the next turn copies the deriver's.
   */
  #closeTentative(block: DerivedBlock): void {
    const tentative = this.#tentative;
    const derived = this.#deriver.state;
    const unchanged = block.authorities.hash === derived.authoritySetHash();
    if (this.#exact && unchanged && tentative.height === block.header.height - 1) {
      closeBlock(tentative, block.header, block.hash);
      if (tentative.authoritySetHash() === derived.authoritySetHash()) return;
    }
    this.#exact = false;
  }

  async #decided(decision: SubmissionDecision, local: LocalAppend | undefined): Promise<void> {
    const receivedAt = formatTimestamp(this.#ctx.now());
    if (local) {
      const matches = decision.admitted && decision.records.every((r, i) => r.logIndex === local.predicted[i]);
      if (!matches) {
        this.#exact = false;
        if (decision.admitted) await placeWithProjection(this.#ctx, this.id, this.#deriver.state, decision.records, receivedAt);
        else await this.#ctx.derivation.deletePending(this.id, local.message.records.map((r) => this.#hashes.get(r) ?? recordHash(r)));
      }
      local.decided.resolve(decision);
      return;
    }
    if (decision.admitted) {
      this.#exact = false;
      await placeWithProjection(this.#ctx, this.id, this.#deriver.state, decision.records, receivedAt);
    }
  }

  #halt(reason: string): void {
    if (this.#halted || this.#closed) return;
    this.#halted = reason;
    const err = new ChainHaltedError(`consortium "${this.id}" stopped: ${reason}`, { consortium: this.id });
    for (const local of this.#local.values()) local.decided.reject(err);
    this.#local.clear();
    this.#finals.rejectAll(err);
    this.#derivedAt.rejectAll(err);
  }

  /** Stops reading the log; whoever still waits is told the node closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#subscription?.close();
    await this.#loop;
    const err = new Error('node closed before the record was sealed');
    for (const local of this.#local.values()) local.decided.reject(err);
    this.#local.clear();
    this.#finals.rejectAll(err);
    this.#derivedAt.rejectAll(err);
  }
}
