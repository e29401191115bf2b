/**
 * The node: hosts consortia, each a chain derived from the consortium's ordering log
 * (docs/design/network.md). What members send (submit) or a service prepared (lane: capture) is
 * pre-checked, stored as pending rows and appended to the log as a submission; the node answers
 * once its own deriver has decided it. An authority node with pending work publishes a cut marker
 * every seal interval; each authority key it holds seals the block it derived; a block is stored
 * once seals from more than two thirds of its authority set make it final. The embedded default
 * is an in-process ordering log (a file in the data directory): a single-node consortium needs no
 * NATS, and the demo node, holding all four demo authority keys, seals alone.
 */
import { EventEmitter } from 'node:events';
import { fromHex, toHex, type KeyPair } from '../../core/crypto/index.js';
import { blockHash, quorumSize, type Block } from '../../core/ledger/block.js';
import { ConsortiumState, createGenesisBlock, type GenesisSpec } from '../../core/ledger/consortium.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { leafHash } from '../../core/ledger/merkle-hash.js';
import { MerkleAccumulator } from '../../core/ledger/merkle-tree.js';
import { checkpointOfBlock, signCheckpoint } from '../../core/ledger/checkpoint.js';
import { formatTimestamp, recordHash } from '../../core/ledger/record.js';
import { InProcessOrdering } from '../../platform/ordering/in-process-ordering.js';
import type { Ordering } from '../../platform/ordering/ordering.js';
import type { ChainStore } from '../../store/chain-store.js';
import type { LoadObserver } from './chain-load.js';
import { DerivationStore } from '../../store/derivation-store.js';
import type { WriteBatch } from '../../store/write-batch.js';
import { ConsortiumChain, type ChainStatus } from './chain.js';
import { pendingEntries } from './chain-index.js';
import type { IndexEntry, TrustedIndex } from '../../core/ledger/index-map/index.js';
import type { ChainContext, LedgerNodeTestHooks, PeerCatchUpSettings } from './chain-context.js';
import type { Logger } from '../../platform/logger.js';
import { openLane } from './lane.js';
import { Mutex } from './mutex.js';
import { LiveCatchUp } from './live-catch-up.js';
import { membershipProjectionOf as projectionOf } from '../../core/ledger/projections/membership-rows.js';
import { canonicalMemo } from '../../core/ledger/projections/event-rows.js';
import { commitSubmitted, type SubmitJob } from './submit-group.js';
import { withBlock } from './local-submission.js';
import type { LedgerLane, SealedIn, SubmitOptions, SubmitOutcome } from './submission.js';

export type * from './submission.js';
export type { LoadObserver } from './chain-load.js';
export type { EvidenceEvent, LedgerNodeTestHooks, SealedBlockEvent } from './chain-context.js';


export interface LedgerNodeOptions {
  store: ChainStore;
  /** Observers of the start-up load, per consortium (none: nothing observed). */
  observeLoad?: (consortiumId: string) => LoadObserver | undefined;
  /** Authority keys this node may seal with. */
  authorityKeys?: KeyPair[];
  sealIntervalMs?: number;
  autoSeal?: boolean;
  /** Local time: genesis time, and the clock of the in-memory log the node makes without `ordering`. */
  now?: () => Date;
  /**
   * The consortia's ordering log. Without it the node keeps an in-memory log of its own, which
   * does not outlive the process: a restart then re-reads nothing and submits again what it
   * stored but had not sealed.
   */
  ordering?: Ordering;
  /** Test-only hooks (chain-context.ts). */
  testHooks?: LedgerNodeTestHooks;
  /**
   * The genesis setting `indexCommitment` for consortia this node creates whose spec does not say
   * (absent: left unsaid). Each consortium's own genesis decides its header versions; this never
   * changes how a node derives an existing chain.
   */
  indexCommitment?: boolean;
  /** Catch-up over HTTP from the peers registered on chain when the ordering log no longer holds what the node lacks (absent: off). */
  peers?: PeerCatchUpSettings;
  logger?: Logger;
}

/** A group commit stops taking submissions at this many records, so one transaction stays short. */
const GROUP_MAX_RECORDS = 5000;
/** How long close() waits for pending records to become final before it stops anyway. */
const CLOSE_SEAL_TIMEOUT_MS = 10_000;

export class LedgerNode extends EventEmitter {
  readonly store: ChainStore;
  readonly ordering: Ordering;
  readonly #ownsOrdering: boolean;
  readonly #derivation: DerivationStore;
  readonly #chains = new Map<string, ConsortiumChain>();
  readonly #queues = new Map<string, SubmitJob[]>();
  readonly #authorityKeys: Map<string, KeyPair>;
  readonly #mutex = new Mutex();
  /** canonicalIdentifier, remembered: each commit group reads the same pending records again. */
  readonly #canonical = canonicalMemo();
  readonly #sealIntervalMs: number;
  readonly #now: () => Date;
  readonly #ctx: ChainContext;
  readonly #newIndexCommitment: boolean | undefined;
  readonly #cutting = new Set<string>();
  readonly #catchUp: LiveCatchUp;
  #timer?: NodeJS.Timeout;
  #closed = false;

  private constructor(options: LedgerNodeOptions) {
    super();
    this.store = options.store;
    this.#authorityKeys = new Map((options.authorityKeys ?? []).map((k) => [k.keyId, k]));
    this.#sealIntervalMs = options.sealIntervalMs ?? 250;
    this.#now = options.now ?? (() => new Date());
    this.#ownsOrdering = options.ordering === undefined;
    this.ordering = options.ordering ?? new InProcessOrdering({ clock: () => this.#now().getTime() });
    this.#derivation = new DerivationStore(options.store.db);
    this.#newIndexCommitment = options.indexCommitment;
    this.#ctx = {
      store: this.store,
      derivation: this.#derivation,
      ordering: this.ordering,
      authorityKeys: () => this.#authorityKeys,
      now: () => this.#now(),
      sealed: (event) => this.emit('sealed', event),
      evidence: (event) => this.emit('evidence', event),
      fault: (err) => this.#fault(err),
      gap: (id, reason) => this.#catchUp.start(id, reason),
      hooks: options.testHooks,
      peers: options.peers,
      logger: options.logger,
    };
    this.#catchUp = new LiveCatchUp(this.#ctx, {
      closed: () => this.#closed,
      current: (id) => this.#chains.get(id),
      exclusive: (work) => this.#mutex.run(work),
      replace: (id, chain) => void this.#chains.set(id, chain),
      resubmit: async (id, orphans) => void (await this.submit(id, orphans, { atomic: false })),
    });
  }

  static async open(options: LedgerNodeOptions): Promise<LedgerNode> {
    const node = new LedgerNode(options);
    try {
      for (const { id } of await node.store.listConsortia()) {
        const { chain, orphans } = await ConsortiumChain.open(node.#ctx, id, { fromStart: node.#ownsOrdering, observer: options.observeLoad?.(id) });
        node.#chains.set(id, chain);
        // Stored before a crash lost their append: they go through the log now, in their order.
        if (orphans.length > 0) await node.submit(id, orphans, { atomic: false });
      }
    } catch (err) {
      await node.#stop();
      throw err;
    }
    if (options.autoSeal !== false) node.#startCutter();
    return node;
  }

  #fault(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  addAuthorityKey(key: KeyPair): void {
    this.#authorityKeys.set(key.keyId, key);
  }

  consortia(): string[] {
    return [...this.#chains.keys()].sort();
  }

  #chain(consortiumId: string): ConsortiumChain {
    const chain = this.#chains.get(consortiumId);
    if (!chain) throw new LedgerError('UNKNOWN_CONSORTIUM', `unknown consortium "${consortiumId}"`, { consortium: consortiumId });
    return chain;
  }

  /** The live state of a consortium: what is admitted, sealed or not. Callers must treat it as read-only. */
  state(consortiumId: string): ConsortiumState {
    return this.#chain(consortiumId).state;
  }

  /** The index map the node trusts (undefined: version-1 blocks), for verifying lineage answers. */
  trustedIndex(consortiumId: string): TrustedIndex | undefined {
    return this.#chain(consortiumId).trustedIndex;
  }

  /**
   * Index entries of the admitted records not in a stored block yet, by identifier, in log order (the
   * map holds them from their block). With `mapLogSize` (the log size of the map version a reader
   * pinned), also those of records stored in blocks after it, whose map may not be published yet.
   */
  async pendingIndexEntries(consortiumId: string, mapLogSize?: number): Promise<Map<string, IndexEntry[]>> {
    this.#chain(consortiumId);
    const rows = mapLogSize === undefined ? await this.store.pendingRecords(consortiumId) : await this.store.recordsAfterMap(consortiumId, mapLogSize);
    return pendingEntries(rows.map((r) => ({ record: r.record, hash: r.storedHash, logIndex: r.logIndex })), this.#canonical);
  }

  pendingCount(consortiumId: string): number {
    return this.#chain(consortiumId).pendingCount;
  }

  /** Where the consortium's chain stands on this node: final and derived heights, the log read, why it stops. */
  chainStatus(consortiumId: string): ChainStatus & { finalHash: string } {
    const chain = this.#chain(consortiumId);
    return { ...chain.status(), finalHash: chain.finalHead.hash };
  }

  /** Log entries this node has not applied yet: the ordering log's last sequence less the last one applied. */
  async logLag(consortiumId: string): Promise<number> {
    const chain = this.#chain(consortiumId);
    return Math.max(0, (await this.ordering.info(consortiumId)).lastSequence - chain.status().lastSequence);
  }

  /** Creates a consortium from its genesis. Refuses a second genesis for the same id. */
  async createConsortium(spec: GenesisSpec, authorityKeys: KeyPair[]): Promise<{ blockHash: string }> {
    return this.#mutex.run(async () => {
      const id = spec.consortiumId;
      await this.#refuseDuplicate(id);
      const held = (await this.ordering.info(id)).lastSequence;
      if (held > 0) {
        throw new LedgerError('DUPLICATE_GENESIS', `the ordering log already holds ${held} messages for consortium "${id}"; it belongs to an earlier chain`, { consortium: id });
      }
      const setting = spec.indexCommitment ?? this.#newIndexCommitment;
      const block = createGenesisBlock(setting === undefined ? spec : { ...spec, indexCommitment: setting }, authorityKeys, formatTimestamp(this.#now()));
      const state = ConsortiumState.fromGenesis(block);
      for (const key of authorityKeys) this.#authorityKeys.set(key.keyId, key);
      const { hash, log } = await this.#storeGenesis(block, state);
      this.#chains.set(id, ConsortiumChain.created(this.#ctx, block, state, log));
      return { blockHash: hash };
    });
  }

  /**
   * Joins a consortium whose genesis block was made elsewhere (`provenant network init`): every
   * node of a multi-node consortium starts from the same block, checked here (shape and a quorum
   * of authority seals), then reads the consortium's log from its start. `authorityKeys`: keys this
   * node seals with besides those it opened with.
   */
  async importGenesis(block: Block, authorityKeys: readonly KeyPair[] = []): Promise<{ consortium: string; blockHash: string }> {
    return this.#mutex.run(async () => {
      const state = ConsortiumState.fromGenesis(block);
      await this.#refuseDuplicate(state.id);
      for (const key of authorityKeys) this.#authorityKeys.set(key.keyId, key);
      const { hash } = await this.#storeGenesis(block, state);
      const { chain, orphans } = await ConsortiumChain.open(this.#ctx, state.id, { fromStart: this.#ownsOrdering });
      this.#chains.set(state.id, chain);
      if (orphans.length > 0) throw new LedgerError('INVALID_GENESIS', 'a freshly imported chain has pending rows', { consortium: state.id });
      return { consortium: state.id, blockHash: hash };
    });
  }

  async #refuseDuplicate(id: string): Promise<void> {
    if (this.#chains.has(id) || (await this.store.consortiumExists(id))) {
      throw new LedgerError('DUPLICATE_GENESIS', `consortium "${id}" already exists`, { consortium: id });
    }
  }

  /** Stores the genesis block with its projection, and a checkpoint signed by the authority keys held here. */
  async #storeGenesis(block: Block, state: ConsortiumState): Promise<{ hash: string; log: MerkleAccumulator }> {
    const hash = blockHash(block.header);
    const recordHashes = block.records.map((r) => recordHash(r));
    const name = (block.records[0]!.payload as { consortium?: { name?: string } }).consortium?.name ?? state.id;
    await this.store.createConsortium({ block, blockHash: hash, recordHashes, name, quorum: state.quorum, projection: projectionOf(state) });
    const log = new MerkleAccumulator();
    for (const h of recordHashes) log.append(leafHash(fromHex(h, 32)));
    const keys = state.authoritiesInForce.map((a) => this.#authorityKeys.get(a.keyId)).filter((k): k is KeyPair => !!k);
    // A checkpoint is stored with a quorum of signatures only; a node of a multi-node consortium has its own key alone.
    if (keys.length > 0 && keys.length >= quorumSize(state.authoritiesInForce.length, state.quorum)) {
      const checkpoint = checkpointOfBlock(block.header, hash, toHex(log.root()));
      await this.store.saveCheckpoint({ ...checkpoint, signatures: keys.map((k) => signCheckpoint(checkpoint, k)) });
    }
    return { hash, log };
  }

  /**
   * Admits records as a member sent them. Validation failures are outcomes, not exceptions; an
   * unknown consortium throws. Accepted records are stored and in the ordering log when this
   * resolves, and the deriver decided them. Submissions that arrive while a group is being stored
   * are stored together in the next one (one fsync for many callers), each keeping its atomicity.
   */
  async submit(consortiumId: string, records: unknown[], options: SubmitOptions = {}): Promise<SubmitOutcome[]> {
    const chain = this.#chain(consortiumId);
    const done = await new Promise<{ outcomes: Promise<SubmitOutcome[]> }>((resolve, reject) => {
      const queue = this.#queues.get(consortiumId) ?? [];
      this.#queues.set(consortiumId, queue);
      queue.push({ records, options, resolve, reject });
      void this.#mutex.run(() => this.#drain(consortiumId));
    });
    const outcomes = await done.outcomes;
    if (!options.waitForSeal) return outcomes;
    return Promise.all(outcomes.map((o) => withBlock(o, (logIndex) => chain.sealedIn(logIndex))));
  }

  /** Takes the queued submissions (up to GROUP_MAX_RECORDS) and stores them together, in one turn. */
  async #drain(consortiumId: string): Promise<void> {
    // Let the event loop take in requests that arrived during the last (synchronous) commit.
    await new Promise((resolve) => setImmediate(resolve));
    const queue = this.#queues.get(consortiumId) ?? [];
    const jobs: SubmitJob[] = [];
    let size = 0;
    while (queue.length > 0 && (jobs.length === 0 || size + queue[0]!.records.length <= GROUP_MAX_RECORDS)) {
      const job = queue.shift()!;
      size += job.records.length;
      jobs.push(job);
    }
    if (jobs.length === 0) return;
    const chain = this.#chain(consortiumId);
    const release = chain.hold();
    try {
      await this.#commitJobs(chain, jobs);
    } finally {
      release();
    }
  }

  async #commitJobs(chain: ConsortiumChain, jobs: SubmitJob[]): Promise<void> {
    try {
      await chain.settle();
      const outcomes = await commitSubmitted(this.store, chain, jobs, this.#now());
      jobs.forEach((job, j) => job.resolve({ outcomes: outcomes[j]! }));
    } catch (err) {
      chain.invalidate();
      if (jobs.length === 1) return jobs[0]!.reject(err);
      // One submission's writes failed the shared transaction: store each on its own, so only the one at fault fails.
      for (const job of jobs) {
        try {
          await chain.settle();
          const [outcomes] = await commitSubmitted(this.store, chain, [job], this.#now());
          job.resolve({ outcomes: outcomes! });
        } catch (single) {
          chain.invalidate();
          job.reject(single);
        }
      }
    }
  }

  /**
   * Exclusive use of the consortium's ledger, for a service that checks records against the live
   * state and the store before they are admitted (capture): nothing else is admitted, committed or
   * sealed until the lane is released, or until a commit has appended its submissions (the next
   * holder then sees them in the state and the store).
   */
  async lane(consortiumId: string): Promise<LedgerLane> {
    const chain = this.#chain(consortiumId);
    return openLane(this.#mutex, chain, { store: this.store, now: () => this.#now() });
  }

  /**
   * Cuts the block of every pending record (a cut marker from this node's authority key) and
   * resolves once it is final; null when nothing is pending or this node cannot make it final alone.
   */
  async sealNow(consortiumId: string): Promise<SealedIn | null> {
    const chain = this.#chain(consortiumId);
    const target = await this.#mutex.run(() =>
      this.#held(chain, async () => {
        await chain.settle();
        if (chain.pendingCount === 0) return null;
        const held = chain.localAuthorities();
        // With fewer keys than the quorum this node cuts and seals, and other authorities' nodes complete it.
        if (held === 0 || held < chain.state.requiredQuorum() || chain.status().blockedReason) {
          chain.appendCut();
          return null;
        }
        return chain.appendCut() ?? chain.state.height;
      }),
    );
    return target === null ? null : chain.finalAt(target);
  }

  sealStatus(consortiumId: string): { pending: number; blockedReason?: string } {
    const chain = this.#chain(consortiumId);
    const held = chain.localAuthorities();
    const needed = chain.state.requiredQuorum();
    const status = chain.status();
    const reason =
      status.halted ??
      status.blockedReason ??
      (status.stuck?.detail ||
        (held < needed && chain.pendingCount > 0 ? `this node holds ${held} of the ${needed} authority keys a seal needs; the other authorities' nodes must seal` : undefined));
    return { pending: chain.pendingCount, ...(reason ? { blockedReason: reason } : {}) };
  }

  /** Runs a turn's work with the chain's tentative state left to it. */
  async #held<T>(chain: ConsortiumChain, work: () => Promise<T>): Promise<T> {
    const release = chain.hold();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Every seal interval, an authority node with pending records publishes a cut marker. */
  #startCutter(): void {
    this.#timer = setInterval(() => {
      for (const [id, chain] of this.#chains) {
        if (this.#cutting.has(id) || chain.openCount === 0 || chain.localAuthorities() === 0) continue;
        this.#cutting.add(id);
        void this.#mutex
          .run(() =>
            this.#held(chain, async () => {
              await chain.settle();
              chain.appendCut();
            }),
          )
          .catch((err: unknown) => this.#fault(err))
          .finally(() => this.#cutting.delete(id));
      }
    }, this.#sealIntervalMs);
    this.#timer.unref();
  }

  /** Seals what is pending (unless told not to write: a node that refused to serve), then stops. */
  async close(options: { seal?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const id of this.#chains.keys()) {
      let timeout: NodeJS.Timeout | undefined;
      try {
        if (options.seal !== false) await Promise.race([this.sealNow(id), new Promise((resolve) => (timeout = setTimeout(resolve, CLOSE_SEAL_TIMEOUT_MS)))]);
      } catch {
        // Pending records stay stored and in the log: they are sealed after the next start.
      } finally {
        clearTimeout(timeout);
      }
    }
    await this.#stop();
  }

  /**
   * Stops at once, as a crash would: no cut, no seal, the log readers and the timer stop. What
   * is stored and in the log stays; the next start goes on from it.
   */
  async abandon(): Promise<void> {
    await this.#stop();
  }

  async #stop(): Promise<void> {
    this.#closed = true;
    this.#catchUp.stop();
    if (this.#timer) clearInterval(this.#timer);
    for (const chain of this.#chains.values()) await chain.close();
    if (this.#ownsOrdering) await this.ordering.close();
  }
}

export type { ChainStatus, WriteBatch };
