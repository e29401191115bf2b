/**
 * The node: holds each consortium's state in memory, admits signed records, persists them
 * durably before acknowledging, and seals pending records into blocks with its authority keys
 * every N ms or every M records. One node hosts many consortia, each on its own chain.
 */
import { EventEmitter } from 'node:events';
import { fromHex, type KeyPair } from '../../core/crypto/index.js';
import { blockHash, sealBlock, type Block, type BlockHeader, type Seal } from '../../core/ledger/block.js';
import {
  ConsortiumState,
  admitRecord,
  buildBlockHeader,
  checkSeals,
  closeBlock,
  createGenesisBlock,
  requireActiveSigner,
  type AdmissionResult,
  type ResolvedSigner,
  type GenesisSpec,
} from '../../core/ledger/consortium.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { leafHash } from '../../core/ledger/merkle-hash.js';
import { MerkleAccumulator } from '../../core/ledger/merkle-tree.js';
import { checkpointOfBlock, signCheckpoint } from '../../core/ledger/checkpoint.js';
import { RecordKind, assertRecordShape, formatTimestamp, recordHash, type SignedRecord } from '../../core/ledger/record.js';
import { toHex } from '../../core/crypto/index.js';
import type { ChainStore, StoredCheckpointInput } from '../../store/chain-store.js';
import type { WriteBatch } from '../../store/write-batch.js';
import { Mutex } from './mutex.js';
import { projectionOf } from './projection.js';

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
}

export interface SubmitOptions {
  /** All records are stored, or none (default). With false, each record stands alone. */
  atomic?: boolean;
  /** Resolve only once the records are sealed into a block. */
  waitForSeal?: boolean;
  /** The caller already verified every record signature (e.g. in worker threads). */
  signaturesVerified?: boolean;
  /**
   * Extra checks per record before ledger admission, against the state as it then is
   * (e.g. the capture layer's role and custody rules). Throw a typed error to reject; return
   * 'duplicate' when the caller knows the record's content is already stored (it is then skipped).
   */
  check?: (record: SignedRecord, signer: ResolvedSigner) => void | 'duplicate';
  /** Extra writes committed with the records, in one transaction (e.g. lineage indexes). */
  persist?: (batch: WriteBatch, accepted: AcceptedRecord[]) => Promise<void> | void;
  /** This submission's admissions stand (it was not rolled back); later ones in its group follow. */
  admitted?: (accepted: AcceptedRecord[]) => void;
  /** Hooks shared with other submissions of the same caller, run once per group commit (see GroupHooks). */
  group?: { hooks: GroupHooks<unknown>; context: unknown };
  /** Record hashes the caller already computed (e.g. in worker threads), by record position. */
  recordHashes?: readonly (string | undefined)[];
}

/**
 * One caller's hooks for a whole group commit, so N concurrent submissions cost one read and one
 * write per table instead of N (each database statement has a fixed cost). `prepare` runs before
 * any of them is admitted; earlier submissions of the group are then admitted but not on disk, so
 * checks must see their effects through state the hooks keep (see CaptureService).
 */
export interface GroupHooks<C> {
  prepare?(contexts: C[]): Promise<void>;
  /** Writes for the group's transaction: the accepted records of every submission that used these hooks. */
  persist?(batch: WriteBatch, items: { context: C; accepted: AcceptedRecord[] }[]): Promise<void> | void;
}

export interface AcceptedRecord {
  index: number;
  record: SignedRecord;
  admission: AdmissionResult;
}

export type SubmitOutcome =
  | { status: 'accepted'; recordHash: string; logIndex: number; block?: { height: number; hash: string } }
  | { status: 'duplicate'; recordHash: string }
  | { status: 'rejected'; recordHash?: string; error: { code: string; message: string; details?: Record<string, unknown> } }
  | { status: 'not_stored'; recordHash?: string; reason: string };

interface SealWaiter {
  logIndex: number;
  resolve: (block: { height: number; hash: string }) => void;
  reject: (err: Error) => void;
}

interface Runtime {
  state: ConsortiumState;
  /** Hashes of admitted records not yet in a block, in log order. */
  pending: { hash: string; kind: string }[];
  log: MerkleAccumulator;
  waiters: SealWaiter[];
  /** Submissions waiting to be admitted and committed together (group commit). */
  queue: SubmitJob[];
  sealBlockedReason?: string;
}

interface SubmitJob {
  records: unknown[];
  atomic: boolean;
  options: SubmitOptions;
  resolve: (outcomes: SubmitOutcome[]) => void;
  reject: (err: unknown) => void;
}

interface AdmittedJob {
  job: SubmitJob;
  outcomes: SubmitOutcome[];
  accepted: AcceptedRecord[];
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
  #timer?: NodeJS.Timeout;
  #closed = false;

  private constructor(options: LedgerNodeOptions) {
    super();
    this.store = options.store;
    this.#authorityKeys = new Map((options.authorityKeys ?? []).map((k) => [k.keyId, k]));
    this.#sealIntervalMs = options.sealIntervalMs ?? 250;
    this.#sealMaxRecords = options.sealMaxRecords ?? 2000;
    this.#now = options.now ?? (() => new Date());
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
    const log = new MerkleAccumulator();
    for await (const block of this.store.streamBlocks(consortiumId)) {
      const records = block.records.map((r) => r.record);
      if (!state) {
        state = ConsortiumState.fromGenesis({ header: block.header, records, seals: block.seals } as Block);
      } else {
        for (const row of block.records) admitRecord(state, row.record, { recordHash: row.storedHash, verifySignature: false });
        closeBlock(state, block.header, block.storedHash);
      }
      for (const row of block.records) log.append(leafHash(fromHex(row.storedHash, 32)));
    }
    if (!state) throw new LedgerError('UNKNOWN_CONSORTIUM', `consortium "${consortiumId}" has no genesis block`);
    const pending: Runtime['pending'] = [];
    for (const row of await this.store.pendingRecords(consortiumId)) {
      admitRecord(state, row.record, { recordHash: row.storedHash, verifySignature: false });
      pending.push({ hash: row.storedHash, kind: row.record.kind });
    }
    const previous = this.#runtimes.get(consortiumId);
    this.#runtimes.set(consortiumId, { state, pending, log, waiters: previous?.waiters ?? [], queue: previous?.queue ?? [] });
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
      this.#runtimes.set(spec.consortiumId, { state, pending: [], log, waiters: [], queue: [] });
      for (const key of authorityKeys) this.#authorityKeys.set(key.keyId, key);
      await this.#saveCheckpoint(spec.consortiumId, block.header, hash);
      return { blockHash: hash };
    });
  }

  /**
   * Admits and durably stores records. Validation failures are outcomes, not exceptions; an
   * unknown consortium throws. Acknowledged (accepted) records are on disk when this resolves.
   * Submissions that arrive while a transaction is in flight are committed together in the next
   * one (group commit: one fsync for many callers), each keeping its own atomicity.
   */
  async submit(consortiumId: string, records: unknown[], options: SubmitOptions = {}): Promise<SubmitOutcome[]> {
    const rt = this.#runtime(consortiumId);
    const outcomes = await new Promise<SubmitOutcome[]>((resolve, reject) => {
      rt.queue.push({ records, atomic: options.atomic ?? true, options, resolve, reject });
      void this.#mutex.run(() => this.#drain(consortiumId));
    });
    if (rt.pending.length >= this.#sealMaxRecords) void this.sealNow(consortiumId).catch(() => undefined);
    if (!options.waitForSeal) return outcomes;
    return Promise.all(
      outcomes.map(async (o) => (o.status === 'accepted' ? { ...o, block: await this.#waitForSeal(consortiumId, o.logIndex) } : o)),
    );
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
      const admitted = await this.#commit(consortiumId, jobs);
      for (const a of admitted) a.job.resolve(a.outcomes);
    } catch (err) {
      // The state already moved on; rebuild it from what is durably stored.
      await this.#load(consortiumId);
      if (jobs.length === 1) return jobs[0]!.reject(err);
      // One submission's writes failed the shared transaction: commit each on its own, so only
      // the one at fault fails.
      for (const job of jobs) {
        try {
          const [admitted] = await this.#commit(consortiumId, [job]);
          job.resolve(admitted!.outcomes);
        } catch (single) {
          await this.#load(consortiumId);
          job.reject(single);
        }
      }
    }
  }

  /** Admits the submissions in order and writes what was accepted in one transaction. */
  async #commit(consortiumId: string, jobs: SubmitJob[]): Promise<AdmittedJob[]> {
    const hooks = new Map<GroupHooks<unknown>, SubmitJob[]>();
    for (const job of jobs) {
      const g = job.options.group;
      if (g) hooks.set(g.hooks, [...(hooks.get(g.hooks) ?? []), job]);
    }
    for (const [h, members] of hooks) await h.prepare?.(members.map((j) => j.options.group!.context));
    const hashes = jobs.map((job) => this.#hashes(job));
    const known = await this.store.existingRecordHashes(
      consortiumId,
      hashes.flatMap((h) => h.filter((x): x is string => typeof x === 'string')),
    );
    const admittedHashes = new Set<string>();
    const admitted = jobs.map((job, j) => this.#admit(consortiumId, job, hashes[j]!, known, admittedHashes));
    const writing = admitted.filter((a) => a.accepted.length > 0);
    if (writing.length === 0) return admitted;
    const receivedAt = formatTimestamp(this.#now());
    const rows = writing.flatMap((a) =>
      a.accepted.map((r) => ({ record: r.record, hash: r.admission.recordHash, logIndex: r.admission.logIndex, receivedAt })),
    );
    await this.store.appendPending(consortiumId, rows, async (tx) => {
      for (const a of writing) await a.job.options.persist?.(tx, a.accepted);
      for (const [h, members] of hooks) {
        const items = writing.filter((a) => members.includes(a.job)).map((a) => ({ context: a.job.options.group!.context, accepted: a.accepted }));
        if (items.length > 0) await h.persist?.(tx, items);
      }
    });
    const rt = this.#runtime(consortiumId);
    for (const a of writing) for (const r of a.accepted) rt.pending.push({ hash: r.admission.recordHash, kind: r.record.kind });
    return admitted;
  }

  /** Record hash per position, or the shape error (then the record is rejected). */
  #hashes(job: SubmitJob): (string | Error)[] {
    return job.records.map((r, i) => {
      try {
        assertRecordShape(r);
        return job.options.recordHashes?.[i] ?? recordHash(r);
      } catch (err) {
        return err as Error;
      }
    });
  }

  /** Admits one submission against the live state; an atomic one with any rejection is rolled back whole. */
  #admit(consortiumId: string, job: SubmitJob, hashes: (string | Error)[], known: Set<string>, admittedHashes: Set<string>): AdmittedJob {
    const { records, atomic, options } = job;
    const rt = this.#runtime(consortiumId);
    const outcomes: SubmitOutcome[] = new Array(records.length);
    const seen = new Set<string>();
    const snapshot = atomic ? rt.state.clone() : undefined;
    const accepted: AcceptedRecord[] = [];
    records.forEach((r, i) => {
      const hash = hashes[i]!;
      if (typeof hash !== 'string') {
        outcomes[i] = rejection(hash);
        return;
      }
      if (known.has(hash) || seen.has(hash) || admittedHashes.has(hash)) {
        outcomes[i] = { status: 'duplicate', recordHash: hash };
        return;
      }
      seen.add(hash);
      const record = r as SignedRecord;
      try {
        if (options.check?.(record, requireActiveSigner(rt.state, record.signer, record.kind)) === 'duplicate') {
          outcomes[i] = { status: 'duplicate', recordHash: hash };
          return;
        }
        const admission = admitRecord(rt.state, record, { recordHash: hash, verifySignature: !options.signaturesVerified });
        accepted.push({ index: i, record, admission });
        outcomes[i] = { status: 'accepted', recordHash: hash, logIndex: admission.logIndex };
      } catch (err) {
        outcomes[i] = { ...rejection(err), recordHash: hash };
      }
    });
    if (atomic && outcomes.some((o) => o.status === 'rejected')) {
      rt.state = snapshot!;
      const notStored = outcomes.map((o): SubmitOutcome =>
        o.status === 'accepted' ? { status: 'not_stored', recordHash: o.recordHash, reason: 'another record in the atomic batch was rejected' } : o,
      );
      return { job, outcomes: notStored, accepted: [] };
    }
    for (const a of accepted) admittedHashes.add(a.admission.recordHash);
    options.admitted?.(accepted);
    return { job, outcomes, accepted };
  }

  #waitForSeal(consortiumId: string, logIndex: number): Promise<{ height: number; hash: string }> {
    const rt = this.#runtime(consortiumId);
    return new Promise((resolve, reject) => rt.waiters.push({ logIndex, resolve, reject }));
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
    const header = buildBlockHeader(state, { height: state.height, hash: state.headHash }, recordHashes, this.#blockTimestamp(state));
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
    try {
      await this.store.commitBlock({
        header,
        blockHash: hash,
        seals,
        recordHashes,
        projection: membershipChanged ? projectionOf(nextState) : undefined,
        checkpoint: this.#checkpointOf(nextState, header, hash, rt.log),
      });
    } catch (err) {
      await this.#load(consortiumId);
      throw err;
    }
    closeBlock(state, header, hash);
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

function rejection(err: unknown): Extract<SubmitOutcome, { status: 'rejected' }> {
  if (err instanceof LedgerError || (err instanceof Error && 'code' in err && typeof (err as { code: unknown }).code === 'string')) {
    const e = err as LedgerError;
    return { status: 'rejected', error: { code: e.code, message: e.message, details: e.details } };
  }
  throw err;
}
