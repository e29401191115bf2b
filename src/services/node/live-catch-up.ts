/**
 * Catch-up of a running node (docs/design/network.md "Catch-up over HTTP"): when a chain's log
 * subscription meets a gap (retention dropped entries the node never read), the stopped chain is
 * closed and the consortium reopened as on a start (final blocks from peers over HTTP, each
 * verified, then the log from the new head), and the new chain takes the old one's place. Reads
 * keep being served by the stopped chain meanwhile; writes are refused with CHAIN_HALTED. A try
 * that fails leaves the chain stopped, its reason naming each peer and why, and is repeated after
 * a pause that doubles up to `retryMaxMs`.
 */
import type { SignedRecord } from '../../core/ledger/record.js';
import { ConsortiumChain } from './chain.js';
import type { ChainContext } from './chain-context.js';

/** What the node lends the catch-up: its chains, under its write lock. */
export interface LiveCatchUpHost {
  closed(): boolean;
  current(consortium: string): ConsortiumChain | undefined;
  /** Runs `work` when no turn of the node holds the consortium's ledger. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** Puts the chain in place of the consortium's current one (called inside `exclusive`). */
  replace(consortium: string, chain: ConsortiumChain): void;
  /** Records stored before their append was lost: submitted again, in their order. */
  resubmit(consortium: string, orphans: SignedRecord[]): Promise<void>;
}

const FIRST_RETRY_MS = 1_000;
const DEFAULT_RETRY_MAX_MS = 60_000;

export class LiveCatchUp {
  readonly #running = new Map<string, Promise<void>>();
  /** Consortia whose chain met a gap again while a try was under way. */
  readonly #again = new Set<string>();
  readonly #wakers = new Set<() => void>();

  constructor(
    private readonly ctx: ChainContext,
    private readonly host: LiveCatchUpHost,
  ) {}

  /** Starts catching the consortium up, unless a catch-up of it is already under way. */
  start(consortium: string, reason: string): void {
    if (this.host.closed()) return;
    if (this.#running.has(consortium)) {
      this.#again.add(consortium);
      return;
    }
    this.ctx.logger?.warn({ consortium }, `catch-up: the running chain stopped (${reason}); catching up without a restart`);
    const run = this.#run(consortium).finally(() => this.#running.delete(consortium));
    this.#running.set(consortium, run);
  }

  /** Ends the pauses between tries; a try under way sees the node closed when it ends. */
  stop(): void {
    for (const wake of this.#wakers) wake();
  }

  async #run(consortium: string): Promise<void> {
    let pause = FIRST_RETRY_MS;
    const retryMax = this.ctx.peers?.retryMaxMs ?? DEFAULT_RETRY_MAX_MS;
    for (let attempt = 1; !this.host.closed(); attempt += 1) {
      this.#again.delete(consortium);
      const failure = await this.#attempt(consortium);
      if (failure === undefined && !this.#again.has(consortium)) return;
      this.ctx.logger?.error({ consortium, attempt, retryInMs: pause }, `catch-up: try ${attempt} failed: ${failure ?? 'the new chain met a gap too'}; trying again in ${pause} ms`);
      await this.#pause(pause);
      pause = Math.min(pause * 2, Math.max(FIRST_RETRY_MS, retryMax));
    }
  }

  /** One try: closes the stopped chain, reopens the consortium and puts the new chain in place. Returns why it failed. */
  async #attempt(consortium: string): Promise<string | undefined> {
    const old = this.host.current(consortium);
    // Any turn under way on the stopped chain ends first: nothing of it is written while the new chain loads.
    await this.host.exclusive(async () => old?.close());
    let opened: { chain: ConsortiumChain; orphans: SignedRecord[] };
    try {
      opened = await ConsortiumChain.open(this.ctx, consortium, { fromStart: false });
    } catch (err) {
      const failure = `catch-up failed: ${(err as Error)?.message ?? String(err)}`;
      old?.haltedAgain(failure);
      return failure;
    }
    const { chain, orphans } = opened;
    // A chain no peer could catch up still takes the place of the old one: its reason names each peer and why.
    const placed = await this.host.exclusive(async () => {
      if (this.host.closed()) return false;
      this.host.replace(consortium, chain);
      return true;
    });
    if (!placed) {
      await chain.close();
      return undefined;
    }
    const halted = chain.status().halted;
    if (halted !== undefined) return halted;
    this.ctx.logger?.info({ consortium, height: chain.finalHead.height }, `catch-up: the chain goes on from block ${chain.finalHead.height} without a restart`);
    if (orphans.length > 0) await this.host.resubmit(consortium, orphans).catch((err: unknown) => this.ctx.fault(err));
    return undefined;
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.#wakers.add(wake);
    });
  }
}
