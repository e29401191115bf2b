/**
 * Ordering: per consortium, one totally ordered, durable log of opaque messages. Every node reads
 * the same messages in the same order with the same sequence numbers and the same log timestamps,
 * and derives blocks from that order (docs/design/ordering.md). An adapter's whole job is a
 * faithful feed: durable before acknowledged, strictly in order, and never a silent gap. Safety
 * does not rest on it: a broker that shows nodes different orders stops the chain, it cannot fork it.
 *
 * Adapters: InProcessOrdering (embedded, single-node consortium) and JetStreamOrdering (NATS).
 */
import { CodedError } from '../../core/coded-error.js';
import { isConsortiumId } from '../../core/ledger/record.js';
import { MAX_ORDERING_MESSAGE_BYTES } from '../../core/ledger/ordering-message.js';

export interface OrderedMessage {
  /** Position in the consortium's log: 1, 2, 3, … with no gaps. */
  readonly sequence: number;
  /**
   * The log's own time for the message (RFC 3339 UTC, milliseconds), the same for every reader.
   * Never a reader's clock. Not guaranteed monotonic (a new JetStream leader's clock may lag the
   * old one's): deterministic rules take the running maximum.
   */
  readonly timestamp: string;
  readonly bytes: Uint8Array;
  /** Headers given to append (transport metadata: nothing a node may base a decision on). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface Appended {
  /** The sequence the message is stored at; durable when append resolves. */
  readonly sequence: number;
  /** True when the log already held these bytes from an earlier try (JetStream's duplicate window). */
  readonly duplicate: boolean;
}

export interface SubscribeOptions {
  /** The last sequence the caller has handled (0 for none): delivery starts at afterSequence + 1. */
  readonly afterSequence: number;
}

/**
 * Messages in sequence order, each once. Iteration throws an OrderingError when the feed cannot go
 * on faithfully (a gap, a log shorter than afterSequence, no permission); the caller subscribes
 * again from its last handled sequence. Transient disconnects are retried inside the adapter.
 */
export interface OrderingSubscription extends AsyncIterable<OrderedMessage> {
  /** Ends iteration (a pending next() resolves done). Idempotent. */
  close(): Promise<void>;
}

export interface OrderingPeer {
  readonly name: string;
  /** This peer holds the log up to the leader's last committed entry. */
  readonly current: boolean;
  readonly offline: boolean;
  /** Entries behind the leader, as the leader last saw. */
  readonly lag: number;
}

export interface OrderingInfo {
  readonly consortium: string;
  /** 0 when the log is empty. */
  readonly lastSequence: number;
  /** The first sequence still held (retention may have dropped older ones); lastSequence + 1 when empty. */
  readonly firstSequence: number;
  readonly messages: number;
  readonly bytes: number;
  readonly lastTimestamp: string | null;
  readonly replicas: number;
  /** The replica set: the leader, then the followers. In-process: one local peer. */
  readonly cluster: { readonly name: string | null; readonly leader: string | null; readonly peers: readonly OrderingPeer[] };
}

export interface Ordering {
  /** Appends the bytes to the consortium's log; resolves once they are durable (see the adapter). */
  append(consortium: string, bytes: Uint8Array, headers?: Readonly<Record<string, string>>): Promise<Appended>;
  subscribe(consortium: string, options: SubscribeOptions): OrderingSubscription;
  info(consortium: string): Promise<OrderingInfo>;
  /** Ends every subscription and releases connections and files. Idempotent. */
  close(): Promise<void>;
}

export type OrderingErrorCode =
  /** The log skipped sequences: messages were dropped by retention, or the feed is faulty. */
  | 'ORDERING_GAP'
  /** The caller has handled more of the log than the log holds: it was lost or replaced. */
  | 'ORDERING_LOG_SHORTER'
  | 'ORDERING_UNAVAILABLE'
  | 'ORDERING_AUTH_FAILED'
  | 'ORDERING_FORBIDDEN'
  | 'ORDERING_UNKNOWN_CONSORTIUM'
  | 'ORDERING_STREAM_MISMATCH'
  | 'ORDERING_CLOSED'
  | 'ORDERING_BAD_INPUT'
  | 'ORDERING_LOG_CORRUPT';

export class OrderingError extends CodedError<OrderingErrorCode> {
  override readonly name = 'OrderingError';
}

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
// NATS headers are text lines; a CR or LF would split one header into two.
const HEADER_VALUE = /^[^\r\n]{0,1024}$/;

export function assertConsortium(consortium: unknown): asserts consortium is string {
  if (!isConsortiumId(consortium)) {
    throw new OrderingError('ORDERING_BAD_INPUT', 'consortium must be a lower-case slug', { consortium: String(consortium).slice(0, 80) });
  }
}

export function assertAppendInput(consortium: unknown, bytes: unknown, headers: unknown): void {
  assertConsortium(consortium);
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new OrderingError('ORDERING_BAD_INPUT', 'message must be non-empty bytes', { consortium });
  }
  if (bytes.length > MAX_ORDERING_MESSAGE_BYTES) {
    throw new OrderingError('ORDERING_BAD_INPUT', `message is ${bytes.length} bytes; the limit is ${MAX_ORDERING_MESSAGE_BYTES}`, {
      consortium,
      size: bytes.length,
      limit: MAX_ORDERING_MESSAGE_BYTES,
    });
  }
  if (headers === undefined) return;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new OrderingError('ORDERING_BAD_INPUT', 'headers must be an object of strings', { consortium });
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || /^nats-/i.test(name) || typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw new OrderingError('ORDERING_BAD_INPUT', `header ${JSON.stringify(name)} is not allowed`, { consortium, header: name.slice(0, 80) });
    }
  }
}

export function assertSubscribeInput(consortium: unknown, options: unknown): asserts options is SubscribeOptions {
  assertConsortium(consortium);
  const after = (options as SubscribeOptions | undefined)?.afterSequence;
  if (!Number.isSafeInteger(after) || (after as number) < 0) {
    throw new OrderingError('ORDERING_BAD_INPUT', 'afterSequence must be a non-negative integer', { consortium });
  }
}

/**
 * Hands on messages strictly in sequence: repeats of what was already passed are dropped (a
 * re-created consumer may resend them); anything past the next expected sequence is a gap.
 */
export class SequenceGuard {
  constructor(
    readonly consortium: string,
    private last: number,
  ) {}

  get lastSequence(): number {
    return this.last;
  }

  /** True to deliver, false to drop as a repeat; throws ORDERING_GAP on a skip. */
  admit(sequence: number): boolean {
    if (sequence <= this.last) return false;
    if (sequence !== this.last + 1) {
      throw new OrderingError('ORDERING_GAP', `the ${this.consortium} log skipped from ${this.last} to ${sequence}`, {
        consortium: this.consortium,
        expected: this.last + 1,
        actual: sequence,
      });
    }
    this.last = sequence;
    return true;
  }
}

/** RFC 3339 UTC with milliseconds, from milliseconds since the epoch. */
export function timestampOfMillis(ms: number): string {
  return new Date(ms).toISOString();
}
