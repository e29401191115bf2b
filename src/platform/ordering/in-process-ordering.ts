/**
 * The embedded ordering adapter for a single-node consortium: the log is an in-memory array per
 * consortium, made durable through a callback (a file by default: file-ordering-log.ts). Order is
 * the order of append calls; an append resolves, and subscribers see its message, only after the
 * durability callback returned for it, so a subscriber never sees a message a crash could undo.
 *
 * What survives a crash: with a durability callback, every message whose append resolved. Without
 * one, nothing (the log lives and dies with the process). Timestamps come from the clock given
 * (Date.now by default), once, at append; the log keeps them and never lets them go backwards.
 */
import {
  OrderingError,
  SequenceGuard,
  assertAppendInput,
  assertConsortium,
  assertSubscribeInput,
  timestampOfMillis,
  type Appended,
  type OrderedMessage,
  type Ordering,
  type OrderingInfo,
  type OrderingSubscription,
  type SubscribeOptions,
} from './ordering.js';

export interface LogEntry extends OrderedMessage {
  readonly consortium: string;
}

export interface OrderingDurability {
  /** Called with entries in log order, one call at a time; resolves once they would survive a crash. */
  persist(entries: readonly LogEntry[]): Promise<void>;
  close(): Promise<void>;
}

export interface InProcessOrderingOptions {
  /** Where entries are made durable; omitted, the log is memory only. */
  readonly durability?: OrderingDurability;
  /** Entries persisted by an earlier run, in log order (FileOrderingLog.open returns them). */
  readonly restore?: readonly LogEntry[];
  /** Milliseconds since the epoch; Date.now by default. */
  readonly clock?: () => number;
}

interface ConsortiumLog {
  readonly consortium: string;
  /** Durable entries; entries[i] has sequence i + 1. */
  readonly entries: LogEntry[];
  /** The next sequence to assign (assigned ones may still be waiting to be persisted). */
  nextSequence: number;
  lastTimestampMs: number;
  readonly waiters: Set<() => void>;
}

interface PendingAppend {
  readonly log: ConsortiumLog;
  readonly entry: LogEntry;
  readonly resolve: (appended: Appended) => void;
  readonly reject: (error: unknown) => void;
}

export class InProcessOrdering implements Ordering {
  readonly #logs = new Map<string, ConsortiumLog>();
  readonly #subscriptions = new Set<InProcessSubscription>();
  readonly #durability: OrderingDurability | undefined;
  readonly #clock: () => number;
  #pending: PendingAppend[] = [];
  #flushing: Promise<void> | null = null;
  #failure: OrderingError | null = null;
  #closed = false;

  constructor(options: InProcessOrderingOptions = {}) {
    this.#durability = options.durability;
    this.#clock = options.clock ?? Date.now;
    for (const entry of options.restore ?? []) this.#restore(entry);
  }

  #restore(entry: LogEntry): void {
    assertConsortium(entry.consortium);
    const log = this.#log(entry.consortium);
    if (entry.sequence !== log.nextSequence) {
      throw new OrderingError('ORDERING_LOG_CORRUPT', `restored ${entry.consortium} log skips from ${log.nextSequence - 1} to ${entry.sequence}`, {
        consortium: entry.consortium,
        expected: log.nextSequence,
        actual: entry.sequence,
      });
    }
    log.entries.push(entry);
    log.nextSequence++;
    log.lastTimestampMs = Math.max(log.lastTimestampMs, Date.parse(entry.timestamp));
  }

  #log(consortium: string): ConsortiumLog {
    let log = this.#logs.get(consortium);
    if (!log) {
      log = { consortium, entries: [], nextSequence: 1, lastTimestampMs: 0, waiters: new Set() };
      this.#logs.set(consortium, log);
    }
    return log;
  }

  append(consortium: string, bytes: Uint8Array, headers?: Readonly<Record<string, string>>): Promise<Appended> {
    try {
      assertAppendInput(consortium, bytes, headers);
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    const log = this.#log(consortium);
    // Sequence and time are fixed now, synchronously: the log's order is the order of calls.
    const timestampMs = Math.max(log.lastTimestampMs, this.#clock());
    log.lastTimestampMs = timestampMs;
    const entry: LogEntry = {
      consortium,
      sequence: log.nextSequence++,
      timestamp: timestampOfMillis(timestampMs),
      bytes: new Uint8Array(bytes),
      headers: { ...(headers ?? {}) },
    };
    return new Promise<Appended>((resolve, reject) => {
      this.#pending.push({ log, entry, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /** Persists what is pending, in order, one batch at a time (group commit), then publishes it. */
  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      try {
        if (this.#failure) throw this.#failure;
        await this.#durability?.persist(batch.map((p) => p.entry));
      } catch (error) {
        // Sequences were handed out and the store is in doubt: refuse everything from here on;
        // a restart reloads what was durable.
        this.#failure ??= new OrderingError('ORDERING_UNAVAILABLE', 'the ordering log could not be made durable; restart the node', {
          cause: error instanceof Error ? error.message : String(error),
        });
        for (const p of batch) p.reject(this.#failure);
        continue;
      }
      for (const p of batch) {
        p.log.entries.push(p.entry);
        p.resolve({ sequence: p.entry.sequence, duplicate: false });
      }
      for (const log of new Set(batch.map((p) => p.log))) for (const wake of log.waiters) wake();
    }
    this.#flushing = null;
  }

  subscribe(consortium: string, options: SubscribeOptions): OrderingSubscription {
    assertSubscribeInput(consortium, options);
    this.#assertOpen();
    const log = this.#log(consortium);
    if (options.afterSequence > log.entries.length) {
      throw new OrderingError('ORDERING_LOG_SHORTER', `the ${consortium} log holds ${log.entries.length} messages; the caller handled ${options.afterSequence}`, {
        consortium,
        afterSequence: options.afterSequence,
        lastSequence: log.entries.length,
      });
    }
    const subscription = new InProcessSubscription(log, new SequenceGuard(consortium, options.afterSequence), () =>
      this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async info(consortium: string): Promise<OrderingInfo> {
    assertConsortium(consortium);
    this.#assertOpen();
    const entries = this.#logs.get(consortium)?.entries ?? [];
    const last = entries.at(-1);
    return {
      consortium,
      lastSequence: entries.length,
      firstSequence: 1,
      messages: entries.length,
      bytes: entries.reduce((n, e) => n + e.bytes.length, 0),
      lastTimestamp: last?.timestamp ?? null,
      replicas: 1,
      cluster: { name: null, leader: 'in-process', peers: [{ name: 'in-process', current: true, offline: false, lag: 0 }] },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    while (this.#flushing) await this.#flushing;
    await this.#durability?.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new OrderingError('ORDERING_CLOSED', 'the ordering adapter is closed');
    if (this.#failure) throw this.#failure;
  }
}

class InProcessSubscription implements OrderingSubscription {
  #closed = false;
  #iterated = false;
  #wake: (() => void) | null = null;

  constructor(
    private readonly log: ConsortiumLog,
    private readonly guard: SequenceGuard,
    private readonly onClose: () => void,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<OrderedMessage> {
    if (this.#iterated) throw new OrderingError('ORDERING_BAD_INPUT', 'a subscription is iterated once; subscribe again to read again');
    this.#iterated = true;
    while (!this.#closed) {
      // entries[i] holds sequence i + 1, so the next one to hand on sits at index lastSequence.
      const next = this.log.entries[this.guard.lastSequence];
      if (next) {
        if (this.guard.admit(next.sequence)) yield { sequence: next.sequence, timestamp: next.timestamp, bytes: new Uint8Array(next.bytes), headers: { ...next.headers } };
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.log.waiters.add(resolve);
      });
      if (this.#wake) this.log.waiters.delete(this.#wake);
      this.#wake = null;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    this.onClose();
  }
}
