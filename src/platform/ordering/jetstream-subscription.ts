/**
 * One subscription to a consortium's JetStream log: an ordered consumer (ephemeral, no acks,
 * in-memory, re-created by the client when deliveries skip) started at the last handled sequence
 * + 1. When it stalls (heartbeats missed while the reader waits: a server died or the connection
 * moved) or ends, it is dropped and a new one is created from the last sequence handed on. Every
 * message passes the SequenceGuard, so a repeat is dropped and a skipped sequence is an error.
 */
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { isMissingStream, toOrderingError } from './jetstream-errors.js';
import { OrderingError, SequenceGuard, timestampOfMillis, type OrderedMessage, type OrderingSubscription } from './ordering.js';

export interface ConsumeSettings {
  /** Messages requested per pull. */
  readonly batch: number;
  /** Server heartbeat while a pull waits; two missed ones mean the consumer is re-created. */
  readonly heartbeatMs: number;
  /** Lifetime of one pull request. */
  readonly expiresMs: number;
  /** Pause before re-creating a consumer. */
  readonly retryMs: number;
}

export interface SubscriptionContext {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly consortium: string;
  readonly stream: string;
  readonly settings: ConsumeSettings;
}

/** How long an abandoned consumer lingers on the servers before they remove it. */
const CONSUMER_INACTIVE_MS = 60_000;
/** Heartbeat intervals of silence after which a waiting consumer counts as lost. */
const STALL_HEARTBEATS = 4;

export class JetStreamSubscription implements OrderingSubscription {
  readonly #guard: SequenceGuard;
  #closed = false;
  #iterated = false;
  #messages: ConsumerMessages | null = null;
  #wakeSleep: (() => void) | null = null;
  /** True while the reader is waiting for the consumer (not busy with a message it was given). */
  #awaitingDelivery = false;
  /** When the last message or heartbeat arrived, or the reader last started waiting. */
  #lastActivity = 0;

  constructor(
    private readonly context: SubscriptionContext,
    afterSequence: number,
    private readonly onClose: () => void,
  ) {
    this.#guard = new SequenceGuard(context.consortium, afterSequence);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<OrderedMessage> {
    if (this.#iterated) throw new OrderingError('ORDERING_BAD_INPUT', 'a subscription is iterated once; subscribe again to read again');
    this.#iterated = true;
    const { js, consortium, stream, settings } = this.context;
    while (!this.#closed) {
      let messages: ConsumerMessages | null = null;
      try {
        await this.#checkStart();
        const consumer = await js.consumers.get(stream, { opt_start_seq: this.#guard.lastSequence + 1, inactive_threshold: CONSUMER_INACTIVE_MS });
        messages = await consumer.consume({ max_messages: settings.batch, idle_heartbeat: settings.heartbeatMs, expires: settings.expiresMs });
        this.#messages = messages;
        if (this.#closed) break;
        this.#watch(messages);
        this.#startWaiting();
        for await (const m of messages) {
          this.#awaitingDelivery = false;
          if (this.#closed) break;
          if (this.#guard.admit(m.seq)) yield orderedMessageOf(m);
          this.#startWaiting();
        }
      } catch (error) {
        if (this.#closed) break;
        const mapped = toOrderingError(error, { consortium });
        if (mapped.code !== 'ORDERING_UNAVAILABLE') throw mapped;
      } finally {
        this.#messages = null;
        this.#awaitingDelivery = false;
        messages?.stop();
      }
      await this.#sleep(settings.retryMs);
    }
  }

  /**
   * Refuses a start the log cannot serve faithfully: the caller handled more than the log holds
   * (it was lost or replaced), or what follows afterSequence was dropped by retention.
   */
  async #checkStart(): Promise<void> {
    const after = this.#guard.lastSequence;
    let state;
    try {
      state = (await this.context.jsm.streams.info(this.context.stream)).state;
    } catch (error) {
      if (isMissingStream(error)) throw toOrderingError(error, { consortium: this.context.consortium });
      throw error;
    }
    const details = { consortium: this.context.consortium, afterSequence: after, firstSequence: state.first_seq, lastSequence: state.last_seq };
    if (after > state.last_seq) {
      throw new OrderingError('ORDERING_LOG_SHORTER', `the ${this.context.consortium} log ends at ${state.last_seq}; the caller handled ${after}`, details);
    }
    const firstHeld = state.messages === 0 ? state.last_seq + 1 : state.first_seq;
    if (firstHeld > after + 1) {
      throw new OrderingError('ORDERING_GAP', `the ${this.context.consortium} log no longer holds ${after + 1}…${firstHeld - 1}`, {
        ...details,
        expected: after + 1,
        actual: firstHeld,
      });
    }
  }

  #startWaiting(): void {
    this.#awaitingDelivery = true;
    this.#lastActivity = Date.now();
  }

  /**
   * Drops a consumer that went quiet while the reader waits on it (no message and no heartbeat
   * for several heartbeat intervals: its server died, or the client is stuck re-checking it), so
   * the loop creates a new one from the last sequence handed on.
   */
  #watch(messages: ConsumerMessages): void {
    const { heartbeatMs } = this.context.settings;
    const stalled = (): boolean => this.#awaitingDelivery && Date.now() - this.#lastActivity > STALL_HEARTBEATS * heartbeatMs;
    const timer = setInterval(() => {
      if (stalled()) messages.stop();
    }, heartbeatMs);
    void messages.closed().finally(() => clearInterval(timer)).catch(() => undefined);
    void (async () => {
      for await (const status of messages.status()) {
        if (status.type === 'heartbeat') this.#lastActivity = Date.now();
        else if (status.type === 'heartbeats_missed' && this.#awaitingDelivery) messages.stop();
      }
    })().catch(() => undefined);
  }

  #sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakeSleep = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeSleep = done;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#messages?.stop();
    this.#wakeSleep?.();
    this.onClose();
  }
}

function orderedMessageOf(m: JsMsg): OrderedMessage {
  const headers: Record<string, string> = {};
  for (const name of m.headers?.keys() ?? []) {
    if (!/^nats-/i.test(name)) headers[name] = m.headers!.get(name);
  }
  return {
    sequence: m.seq,
    // The stream's own stored time (nanoseconds), never this reader's clock.
    timestamp: timestampOfMillis(Number(m.timestampNanos / 1_000_000n)),
    bytes: new Uint8Array(m.data),
    headers,
  };
}
