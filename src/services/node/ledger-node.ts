/**
 * The node: holds each consortium's state in memory, admits signed records, persists them
 * durably before acknowledging, and seals pending records into blocks with its authority keys
 * every N ms or every M records. One node hosts many consortia, each on its own chain.
 *
 * Records come as members sent them (submit: the node checks shape, hashes and duplicates), or
 * prepared by a service that checked them against the live state and the store while holding the
 * consortium's ledger lane (lane: capture). Either way the node alone admits them (admission.ts) and
 * stores them with the writes that go with them in one transaction.
 */
import { EventEmitter } from 'node:events';
import { fromHex, toHex, type KeyPair } from '../../core/crypto/index.js';
import { blockHash, sealBlock, type Block, type BlockHeader, type Seal } from '../../core/ledger/block.js';
import { recordAdditions, type IndexAddition, type IndexEntry, type TrustedIndex } from '../../core/ledger/index-map/index.js';
import { ConsortiumState, admitRecord, buildBlockHeader, checkSeals, closeBlock, createGenesisBlock, type GenesisSpec } from '../../core/ledger/consortium.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { leafHash } from '../../core/ledger/merkle-hash.js';
import { MerkleAccumulator } from '../../core/ledger/merkle-tree.js';
import { checkpointOfBlock, signCheckpoint } from '../../core/ledger/checkpoint.js';
import { RecordKind, formatTimestamp, recordHash, type SignedRecord } from '../../core/ledger/record.js';
import type { ChainStore, StoredCheckpointInput } from '../../store/chain-store.js';
import type { WriteBatch } from '../../store/write-batch.js';
import { admitPrepared, admitSubmission, hashesOf, type AdmissionItem, type AdmittedItem } from './admission.js';
import { Mutex } from './mutex.js';
import { projectionOf } from './projection.js';
import { DuplicateScreen } from './staged.js';
import { openIndexMap, prepareBlockIndex } from './index-map-load.js';
import { IndexMapRuntime, type PreparedIndex } from './index-map-runtime.js';
import { writeIndexMap } from '../../store/index-map-store.js';
import type { AdmittedRecord, LaneCommit, LedgerLane, PreparedSubmission, SealedIn, SubmitOptions, SubmitOutcome } from './submission.js';

export type * from './submission.js';

/** Kinds whose admission changes membership, so projections are rewritten with their block. */
const MEMBERSHIP_KINDS = new Set<string>([RecordKind.PROPOSAL, RecordKind.APPROVAL, RecordKind.DEVICE_REGISTER, RecordKind.DEVICE_REVOKE]);

export interface LedgerNodeOptions {
  store: ChainStore;
  /** Authority keys this node may seal with. */
  authorityKeys?: KeyPair[];
  sealIntervalMs?: number;
  sealMaxRecords?: number;
  autoSeal?: boolean;
  now?: () => Date;
  /**
   * Seal version-2 blocks committing to the identifier index map (default true). False seals
   * version-1 blocks and keeps no map (the benchmark's baseline).
   */
  indexCommitment?: boolean;
}

interface SealWaiter {
  logIndex: number;
  resolve: (block: SealedIn) => void;
  reject: (err: Error) => void;
}

interface Runtime {
  state: ConsortiumState;
  /** Admitted records not yet in a block, in log order, with what each adds to the index map. */
  pending: { hash: string; kind: string; additions: IndexAddition[] }[];
  /** The head block's header. */
  head: BlockHeader;
  /** The identifier index map (absent: the node seals version-1 blocks). */
  index?: IndexMapRuntime;
  log: MerkleAccumulator;
  waiters: SealWaiter[];
  /** Submissions waiting to be admitted and committed together (group commit). */
  queue: SubmitJob[];
  sealBlockedReason?: string;
}

/** A submission's outcomes, and (with waitForSeal) the blocks its accepted records will be sealed in. */
interface Committed {
  outcomes: SubmitOutcome[];
  sealed: (Promise<SealedIn> | undefined)[];
}

interface SubmitJob {
  records: unknown[];
  options: SubmitOptions;
  resolve: (committed: Committed) => void;
  reject: (err: unknown) => void;
}

/** A group commit stops taking submissions at this many records, so one transaction stays short. */
const GROUP_MAX_RECORDS = 5000;

export interface SealedBlockEvent {
  consortium: string;
  header: BlockHeader;
  hash: string;
  recordHashes: string[];
}

export class LedgerNode extends EventEmitter {
  readonly store: ChainStore;
  readonly #runtimes = new Map<string, Runtime>();
  readonly #authorityKeys: Map<string, KeyPair>;
  readonly #mutex = new Mutex();
  readonly #sealIntervalMs: number;
  readonly #sealMaxRecords: number;
  readonly #now: () => Date;
  readonly #indexed: boolean;
  #timer?: NodeJS.Timeout;
  #closed = false;

  private constructor(options: LedgerNodeOptions) {
    super();
    this.store = options.store;
    this.#authorityKeys = new Map((options.authorityKeys ?? []).map((k) => [k.keyId, k]));
    this.#sealIntervalMs = options.sealIntervalMs ?? 250;
    this.#sealMaxRecords = options.sealMaxRecords ?? 2000;
    this.#now = options.now ?? (() => new Date());
    this.#indexed = options.indexCommitment ?? true;
  }

  static async open(options: LedgerNodeOptions): Promise<LedgerNode> {
    const node = new LedgerNode(options);
    for (const { id } of await node.store.listConsortia()) await node.#load(id);
    if (options.autoSeal !== false) node.#startSealer();
    return node;
  }

  addAuthorityKey(key: KeyPair): void {
    this.#authorityKeys.set(key.keyId, key);
  }

  consortia(): string[] {
    return [...this.#runtimes.keys()].sort();
  }

  /** The live state of a consortium. Callers must treat it as read-only. */
  state(consortiumId: string): ConsortiumState {
    return this.#runtime(consortiumId).state;
  }

  /** The index map the node trusts (undefined: it seals version-1 blocks), for verifying lineage answers. */
  trustedIndex(consortiumId: string): TrustedIndex | undefined {
    return this.#runtime(consortiumId).index;
  }

  /** Index entries of the admitted records not yet sealed, by identifier, in log order (the map holds them from the next block). */
  pendingIndexEntries(consortiumId: string): Map<string, IndexEntry[]> {
    const out = new Map<string, IndexEntry[]>();
    for (const p of this.#runtime(consortiumId).pending) {
      for (const a of p.additions) {
        const list = out.get(a.identifier);
        if (list) list.push(a.entry);
        else out.set(a.identifier, [a.entry]);
      }
    }
    return out;
  }

  pendingCount(consortiumId: string): number {
    return this.#runtime(consortiumId).pending.length;
  }

  #runtime(consortiumId: string): Runtime {
    const rt = this.#runtimes.get(consortiumId);
    if (!rt) throw new LedgerError('UNKNOWN_CONSORTIUM', `unknown consortium "${consortiumId}"`, { consortium: consortiumId });
    return rt;
  }

  /** Rebuilds the in-memory state from the stored chain (the store verified each record on write). */
  async #load(consortiumId: string): Promise<void> {
    let state: ConsortiumState | undefined;
    let head: BlockHeader | undefined;
    const log = new MerkleAccumulator();
    for await (const block of this.store.streamBlocks(consortiumId)) {
      head = block.header;
      const records = block.records.map((r) => r.record);
      if (!state) {
        state = ConsortiumState.fromGenesis({ header: block.header, records, seals: block.seals } as Block);
      } else {
        for (const row of block.records) admitRecord(state, row.record, { recordHash: row.storedHash, verifySignature: false });
        closeBlock(state, block.header, block.storedHash);
      }
      for (const row of block.records) log.append(leafHash(fromHex(row.storedHash, 32)));
    }
    if (!state || !head) throw new LedgerError('UNKNOWN_CONSORTIUM', `consortium "${consortiumId}" has no genesis block`);
    const index = this.#indexed ? await openIndexMap(this.store.db, consortiumId, { height: head.height, logSize: head.logSize, header: head }) : undefined;
    const pending: Runtime['pending'] = [];
    for (const row of await this.store.pendingRecords(consortiumId)) {
      admitRecord(state, row.record, { recordHash: row.storedHash, verifySignature: false });
      pending.push({ hash: row.storedHash, kind: row.record.kind, additions: recordAdditions(row.record, row.storedHash, row.logIndex) });
    }
    const previous = this.#runtimes.get(consortiumId);
    this.#runtimes.set(consortiumId, { state, pending, head, index, log, waiters: previous?.waiters ?? [], queue: previous?.queue ?? [] });
  }

  /** Creates a consortium from its genesis. Refuses a second genesis for the same id. */
  async createConsortium(spec: GenesisSpec, authorityKeys: KeyPair[]): Promise<{ blockHash: string }> {
    return this.#mutex.run(async () => {
      if (this.#runtimes.has(spec.consortiumId) || (await this.store.consortiumExists(spec.consortiumId))) {
        throw new LedgerError('DUPLICATE_GENESIS', `consortium "${spec.consortiumId}" already exists`, { consortium: spec.consortiumId });
      }
      const block = createGenesisBlock(spec, authorityKeys, formatTimestamp(this.#now()));
      const state = ConsortiumState.fromGenesis(block);
      const hash = blockHash(block.header);
      const recordHashes = block.records.map((r) => recordHash(r));
      await this.store.createConsortium({
        block,
        blockHash: hash,
        recordHashes,
        name: spec.name,
        quorum: state.quorum,
        projection: projectionOf(state),
      });
      const log = new MerkleAccumulator();
      for (const h of recordHashes) log.append(leafHash(fromHex(h, 32)));
      const index = this.#indexed ? IndexMapRuntime.empty(this.store.db, spec.consortiumId, 0, block.header.logSize) : undefined;
      this.#runtimes.set(spec.consortiumId, { state, pending: [], head: block.header, index, log, waiters: [], queue: [] });
      for (const key of authorityKeys) this.#authorityKeys.set(key.keyId, key);
      await this.#saveCheckpoint(spec.consortiumId, block.header, hash);
      return { blockHash: hash };
    });
  }

  /**
   * Admits and durably stores records as a member sent them. Validation failures are outcomes, not
   * exceptions; an unknown consortium throws. Acknowledged (accepted) records are on disk when this
   * resolves. Submissions that arrive while a transaction is in flight are committed together in
   * the next one (group commit: one fsync for many callers), each keeping its own atomicity.
   */
  async submit(consortiumId: string, records: unknown[], options: SubmitOptions = {}): Promise<SubmitOutcome[]> {
    const rt = this.#runtime(consortiumId);
    const committed = await new Promise<Committed>((resolve, reject) => {
      rt.queue.push({ records, options, resolve, reject });
      void this.#mutex.run(() => this.#drain(consortiumId));
    });
    this.#sealIfFull(consortiumId);
    if (!options.waitForSeal) return committed.outcomes;
    return Promise.all(committed.outcomes.map(async (o, i) => (o.status === 'accepted' && committed.sealed[i] ? { ...o, block: await committed.sealed[i] } : o)));
  }

  /**
   * Exclusive use of the consortium's ledger, for a service that checks records against the live
   * state and the store before they are admitted (capture): nothing else is admitted, committed or
   * sealed until the lane is released.
   */
  async lane(consortiumId: string): Promise<LedgerLane> {
    this.#runtime(consortiumId); // UNKNOWN_CONSORTIUM
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await new Promise<void>((entered) => {
      void this.#mutex.run(async () => {
        entered();
        await released;
      });
    });
    let open = true;
    const stateOf = (): ConsortiumState => this.state(consortiumId);
    return {
      get state() {
        return stateOf();
      },
      commit: (submissions, writes) => {
        if (!open) return Promise.reject(new Error('the ledger lane was released'));
        return this.#commitPrepared(consortiumId, submissions, writes);
      },
      release: () => {
        if (!open) return;
        open = false;
        release();
        this.#sealIfFull(consortiumId);
      },
    };
  }

  #sealIfFull(consortiumId: string): void {
    if (this.#runtime(consortiumId).pending.length >= this.#sealMaxRecords) void this.sealNow(consortiumId).catch(() => undefined);
  }

  /** Takes the queued submissions (up to GROUP_MAX_RECORDS) and commits them together. */
  async #drain(consortiumId: string): Promise<void> {
    // Let the event loop take in requests that arrived during the last (synchronous) commit, so
    // they join this group instead of each paying for its own fsync.
    await new Promise((resolve) => setImmediate(resolve));
    const rt = this.#runtime(consortiumId);
    const jobs: SubmitJob[] = [];
    let size = 0;
    while (rt.queue.length > 0 && (jobs.length === 0 || size + rt.queue[0]!.records.length <= GROUP_MAX_RECORDS)) {
      const job = rt.queue.shift()!;
      size += job.records.length;
      jobs.push(job);
    }
    if (jobs.length === 0) return;
    try {
      const committed = await this.#commitSubmitted(consortiumId, jobs);
      jobs.forEach((job, j) => job.resolve(committed[j]!));
    } catch (err) {
      // The state already moved on; rebuild it from what is durably stored.
      await this.#load(consortiumId);
      if (jobs.length === 1) return jobs[0]!.reject(err);
      // One submission's writes failed the shared transaction: commit each on its own, so only
      // the one at fault fails.
      for (const job of jobs) {
        try {
          const [committed] = await this.#commitSubmitted(consortiumId, [job]);
          job.resolve(committed!);
        } catch (single) {
          await this.#load(consortiumId);
          job.reject(single);
        }
      }
    }
  }

  /** Screens the submissions for duplicates, admits them in order and writes what was accepted in one transaction. */
  async #commitSubmitted(consortiumId: string, jobs: SubmitJob[]): Promise<Committed[]> {
    const rt = this.#runtime(consortiumId);
    const hashes = jobs.map((job) => hashesOf(job.records));
    const stored = await this.store.existingRecordHashes(consortiumId, hashes.flat().filter((h): h is string => typeof h === 'string'));
    const screen = new DuplicateScreen(stored);
    const admitted: AdmittedItem[][] = [];
    const outcomes = jobs.map((job, j) => {
      const items = hashes[j]!.map((hash, i): AdmissionItem => {
        if (typeof hash !== 'string') return { outcome: hash };
        if (screen.screen(hash)) return { outcome: { status: 'duplicate', recordHash: hash } };
        return { record: job.records[i] as SignedRecord, hash, writes: job.options.writes?.[i] };
      });
      const result = admitSubmission(rt.state, items, {
        atomic: job.options.atomic ?? true,
        verifySignatures: true,
        signerOrg: job.options.signerOrg,
      });
      rt.state = result.state;
      screen.end(result.admitted.map((a) => a.hash));
      admitted.push(result.admitted);
      return result.outcomes;
    });
    await this.#write(consortiumId, admitted.flat());
    return jobs.map((job, j) => ({
      outcomes: outcomes[j]!,
      sealed: outcomes[j]!.map((o) => (job.options.waitForSeal && o.status === 'accepted' ? this.#sealed(consortiumId, o.logIndex) : undefined)),
    }));
  }

  /** Admits prepared submissions, all or none, and writes them in one transaction. */
  async #commitPrepared(consortiumId: string, submissions: readonly PreparedSubmission[], writes?: WriteBatch): Promise<LaneCommit> {
    const rt = this.#runtime(consortiumId);
    if (submissions.every((s) => s.records.length === 0)) return { ok: true, admitted: submissions.map(() => []) };
    try {
      const result = admitPrepared(rt.state, submissions);
      rt.state = result.state;
      if (result.refused.length > 0) return { ok: false, refused: result.refused };
      await this.#write(consortiumId, result.admitted.flat(), writes ? [writes] : []);
      const admitted = result.admitted.map((list, s) =>
        list.map((a): AdmittedRecord => ({
          recordHash: a.hash,
          logIndex: a.logIndex,
          ...(submissions[s]!.waitForSeal ? { sealed: this.#sealed(consortiumId, a.logIndex) } : {}),
        })),
      );
      return { ok: true, admitted };
    } catch (err) {
      await this.#load(consortiumId);
      throw err;
    }
  }

  /** Stores admitted records (and the writes that go with them) in one transaction; they are then pending. */
  async #write(consortiumId: string, admitted: readonly AdmittedItem[], extra: readonly WriteBatch[] = []): Promise<void> {
    if (admitted.length === 0) return;
    const receivedAt = formatTimestamp(this.#now());
    await this.store.appendPending(
      consortiumId,
      admitted.map((a) => ({ record: a.record, hash: a.hash, logIndex: a.logIndex, receivedAt })),
      [...admitted.flatMap((a) => (a.writes ? [a.writes] : [])), ...extra],
    );
    const rt = this.#runtime(consortiumId);
    for (const a of admitted) rt.pending.push({ hash: a.hash, kind: a.record.kind, additions: rt.index ? recordAdditions(a.record, a.hash, a.logIndex) : [] });
  }

  /** Resolves with the block that seals the record at logIndex. Register before the lock is let go, so no seal can come first. */
  #sealed(consortiumId: string, logIndex: number): Promise<SealedIn> {
    const rt = this.#runtime(consortiumId);
    const sealed = new Promise<SealedIn>((resolve, reject) => rt.waiters.push({ logIndex, resolve, reject }));
    sealed.catch(() => undefined); // a caller that stops waiting must not leave an unhandled rejection
    return sealed;
  }

  /** Seals every pending record of the consortium into one block, if this node can reach quorum. */
  async sealNow(consortiumId: string): Promise<{ height: number; hash: string } | null> {
    return this.#mutex.run(() => this.#seal(consortiumId));
  }

  async #seal(consortiumId: string): Promise<{ height: number; hash: string } | null> {
    const rt = this.#runtime(consortiumId);
    if (rt.pending.length === 0) return null;
    const { state } = rt;
    const localAuthorities = state.authoritiesInForce.map((a) => this.#authorityKeys.get(a.keyId)).filter((k): k is KeyPair => !!k);
    const needed = state.requiredQuorum();
    if (localAuthorities.length < needed) {
      rt.sealBlockedReason = `this node holds ${localAuthorities.length} of the ${needed} authority keys a seal needs`;
      return null;
    }
    rt.sealBlockedReason = undefined;
    const recordHashes = rt.pending.map((p) => p.hash);
    let index: PreparedIndex | undefined;
    if (rt.index) ({ runtime: rt.index, prepared: index } = await prepareBlockIndex(this.store.db, consortiumId, rt.index, rt.head, rt.pending.flatMap((p) => p.additions), state));
    const header = buildBlockHeader(state, { height: state.height, hash: state.headHash }, recordHashes, this.#blockTimestamp(state), index?.version.root);
    const hash = blockHash(header);
    const seals: Seal[] = localAuthorities.map((k) => sealBlock(hash, k));
    const sealCheck = checkSeals(hash, seals, state.authoritiesInForce, state.quorum);
    if (sealCheck.valid.length < sealCheck.required) {
      throw new LedgerError('NO_QUORUM', `own seals do not reach quorum: ${sealCheck.problems.map((p) => p.message).join('; ')}`);
    }
    const membershipChanged = rt.pending.some((p) => MEMBERSHIP_KINDS.has(p.kind));
    const nextState = state.clone();
    closeBlock(nextState, header, hash);
    // The log grows first so the block's checkpoint is committed with it (one transaction, one fsync).
    for (const h of recordHashes) rt.log.append(leafHash(fromHex(h, 32)));
    if (index) rt.index!.begin(index);
    try {
      await this.store.commitBlock({
        header,
        blockHash: hash,
        seals,
        recordHashes,
        projection: membershipChanged ? projectionOf(nextState) : undefined,
        checkpoint: this.#checkpointOf(nextState, header, hash, rt.log),
        extra: index ? (tx) => writeIndexMap(tx, consortiumId, index.write) : undefined,
      });
    } catch (err) {
      rt.index?.abort();
      await this.#load(consortiumId);
      throw err;
    }
    if (index) rt.index!.publish(index);
    closeBlock(state, header, hash);
    rt.head = header;
    rt.pending = [];
    const block = { height: header.height, hash };
    rt.waiters = rt.waiters.filter((w) => {
      if (w.logIndex < header.logSize) {
        w.resolve(block);
        return false;
      }
      return true;
    });
    const event: SealedBlockEvent = { consortium: consortiumId, header, hash, recordHashes };
    this.emit('sealed', event);
    return block;
  }

  /** Block time never runs backwards, even if the wall clock does. */
  #blockTimestamp(state: ConsortiumState): string {
    const now = formatTimestamp(this.#now());
    return state.headTimestamp && now < state.headTimestamp ? state.headTimestamp : now;
  }

  async #saveCheckpoint(consortiumId: string, header: BlockHeader, hash: string): Promise<void> {
    const rt = this.#runtime(consortiumId);
    const checkpoint = this.#checkpointOf(rt.state, header, hash, rt.log);
    if (checkpoint) await this.store.saveCheckpoint(checkpoint);
  }

  /** The log checkpoint after a block, signed by this node's authority keys in force (none: undefined). */
  #checkpointOf(state: ConsortiumState, header: BlockHeader, hash: string, log: MerkleAccumulator): StoredCheckpointInput | undefined {
    const keys = state.authoritiesInForce.map((a) => this.#authorityKeys.get(a.keyId)).filter((k): k is KeyPair => !!k);
    if (keys.length === 0) return undefined;
    const checkpoint = checkpointOfBlock(header, hash, toHex(log.root()));
    return { ...checkpoint, signatures: keys.map((k) => signCheckpoint(checkpoint, k)) };
  }

  sealStatus(consortiumId: string): { pending: number; blockedReason?: string } {
    const rt = this.#runtime(consortiumId);
    return { pending: rt.pending.length, blockedReason: rt.sealBlockedReason };
  }

  #startSealer(): void {
    this.#timer = setInterval(() => {
      for (const id of this.#runtimes.keys()) {
        if (this.#runtime(id).pending.length > 0) void this.sealNow(id).catch((err) => this.emit('error', err));
      }
    }, this.#sealIntervalMs);
    this.#timer.unref();
  }

  /** Seals what is pending, then stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const id of this.#runtimes.keys()) {
      try {
        await this.sealNow(id);
      } catch {
        // Pending records stay durable and are sealed at the next start.
      }
      const rt = this.#runtime(id);
      for (const w of rt.waiters) w.reject(new Error('node closed before the record was sealed'));
      rt.waiters = [];
    }
  }
}
