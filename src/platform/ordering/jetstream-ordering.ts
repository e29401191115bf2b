/**
 * Ordering on NATS JetStream: one replicated, file-backed stream per consortium. An append is a
 * JetStream publish, acknowledged once a majority of the stream's replicas stored it; a
 * subscription is an ordered consumer the node starts from its last applied sequence and that is
 * re-created from there after a reconnect or a lost server. Publishes never use the expected-last-
 * sequence headers (not safe on nats-server 2.9); order is whatever the stream stored, read back.
 *
 * Settings, credentials and permissions: jetstream-settings.ts and docs/design/ordering.md.
 */
import { createHash } from 'node:crypto';
import {
  connect,
  headers as natsHeaders,
  nkeyAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import {
  OrderingError,
  assertAppendInput,
  assertConsortium,
  assertSubscribeInput,
  type Appended,
  type Ordering,
  type OrderingInfo,
  type OrderingSubscription,
  type SubscribeOptions,
} from './ordering.js';
import {
  DEFAULT_STREAM_SETTINGS,
  inboxPrefixOf,
  logSubject,
  streamConfig,
  streamName,
  type ConsortiumStreamSettings,
} from './jetstream-settings.js';
import { JetStreamSubscription, type ConsumeSettings } from './jetstream-subscription.js';
import { isMissingStream, toOrderingError } from './jetstream-errors.js';

export type NatsCredentials =
  | { readonly kind: 'password'; readonly user: string; readonly password: string }
  /** An NKey user: the seed ("SU…") stays with the node; the server holds only the public key. */
  | { readonly kind: 'nkey'; readonly user: string; readonly seed: string };

export interface JetStreamOrderingOptions {
  /** Client URLs of the cluster's servers (all of them, so the client fails over). */
  readonly servers: readonly string[];
  readonly credentials: NatsCredentials;
  /** Connection name shown in the servers' monitoring (the node's id). */
  readonly name?: string;
  /** TLS to the servers (CA, client certificate and key): passed to the NATS client as is. */
  readonly tls?: NodeConnectionOptions['tls'];
  /** One JetStream API request or publish attempt (default 5 s). */
  readonly requestTimeoutMs?: number;
  /** How long append keeps retrying through a leader election or reconnect (default 30 s). */
  readonly appendDeadlineMs?: number;
  /** Reconnect wait between attempts (default 250 ms); the client reconnects for ever. */
  readonly reconnectWaitMs?: number;
  readonly consume?: Partial<ConsumeSettings>;
}

const DEFAULT_CONSUME: ConsumeSettings = { batch: 256, heartbeatMs: 1000, expiresMs: 5000, retryMs: 250 };

export class JetStreamOrdering implements Ordering {
  readonly #subscriptions = new Set<JetStreamSubscription>();
  #closed = false;

  private constructor(
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: Required<Pick<JetStreamOrderingOptions, 'requestTimeoutMs' | 'appendDeadlineMs'>> & { consume: ConsumeSettings },
  ) {}

  /** Connects with the node's own credentials; refuses with ORDERING_AUTH_FAILED or ORDERING_UNAVAILABLE. */
  static async connect(options: JetStreamOrderingOptions): Promise<JetStreamOrdering> {
    if (!Array.isArray(options.servers) || options.servers.length === 0) {
      throw new OrderingError('ORDERING_BAD_INPUT', 'at least one NATS server URL is needed');
    }
    const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: [...options.servers],
        name: options.name,
        ...credentialOptions(options.credentials),
        inboxPrefix: inboxPrefixOf(options.credentials.user),
        tls: options.tls,
        timeout: requestTimeoutMs,
        maxReconnectAttempts: -1,
        reconnectTimeWait: options.reconnectWaitMs ?? 250,
        reconnectJitter: 100,
        pingInterval: 10_000,
      });
    } catch (error) {
      throw toOrderingError(error, { servers: options.servers, user: options.credentials.user });
    }
    const js = jetstream(nc, { timeout: requestTimeoutMs });
    const jsm = await jetstreamManager(nc, { timeout: requestTimeoutMs, checkAPI: false });
    return new JetStreamOrdering(nc, js, jsm, {
      requestTimeoutMs,
      appendDeadlineMs: options.appendDeadlineMs ?? 30_000,
      consume: { ...DEFAULT_CONSUME, ...options.consume },
    });
  }

  /**
   * Creates the consortium's stream if it does not exist, or checks that the existing one has the
   * settings safety depends on. An operator's credentials are needed; node users may not.
   */
  async provision(consortium: string, settings: Partial<ConsortiumStreamSettings> = {}): Promise<OrderingInfo> {
    assertConsortium(consortium);
    this.#assertOpen();
    const config = streamConfig(consortium, { ...DEFAULT_STREAM_SETTINGS, ...settings });
    let info: StreamInfo;
    try {
      info = await this.jsm.streams.info(config.name);
    } catch (error) {
      if (!isMissingStream(error)) throw toOrderingError(error, { consortium });
      try {
        info = await this.jsm.streams.add(config);
      } catch (addError) {
        throw toOrderingError(addError, { consortium });
      }
    }
    assertSafeStream(consortium, info, config);
    return infoOf(consortium, info);
  }

  async append(consortium: string, bytes: Uint8Array, headers?: Readonly<Record<string, string>>): Promise<Appended> {
    assertAppendInput(consortium, bytes, headers);
    this.#assertOpen();
    // Retries carry the same message id, so the stream stores the bytes once (duplicate window).
    const msgID = createHash('sha256').update(bytes).digest('hex');
    const h = natsHeaders();
    for (const [name, value] of Object.entries(headers ?? {})) h.set(name, value);
    const deadline = Date.now() + this.options.appendDeadlineMs;
    let lastError: unknown;
    for (let attempt = 0; Date.now() < deadline && !this.#closed; attempt++) {
      try {
        const timeout = Math.max(500, Math.min(this.options.requestTimeoutMs, deadline - Date.now()));
        const ack = await this.js.publish(logSubject(consortium), bytes, { msgID, headers: h, timeout });
        if (ack.stream !== streamName(consortium)) {
          throw new OrderingError('ORDERING_STREAM_MISMATCH', `the append was stored by stream ${ack.stream}`, { consortium, stream: ack.stream });
        }
        return { sequence: ack.seq, duplicate: ack.duplicate };
      } catch (error) {
        const mapped = toOrderingError(error, { consortium });
        if (mapped.code !== 'ORDERING_UNAVAILABLE') throw mapped;
        // No stream answers for a consortium never provisioned either: say so at once.
        if (attempt === 0) await this.#refuseMissingStream(consortium);
        lastError = mapped;
        await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
      }
    }
    if (this.#closed) throw new OrderingError('ORDERING_CLOSED', 'the ordering adapter closed during an append', { consortium });
    throw new OrderingError('ORDERING_UNAVAILABLE', `no JetStream acknowledgement for ${consortium} within ${this.options.appendDeadlineMs} ms`, {
      consortium,
      cause: lastError instanceof Error ? lastError.message : String(lastError),
    });
  }

  async #refuseMissingStream(consortium: string): Promise<void> {
    try {
      await this.jsm.streams.info(streamName(consortium));
    } catch (error) {
      const mapped = toOrderingError(error, { consortium });
      if (mapped.code !== 'ORDERING_UNAVAILABLE') throw mapped;
    }
  }

  subscribe(consortium: string, options: SubscribeOptions): OrderingSubscription {
    assertSubscribeInput(consortium, options);
    this.#assertOpen();
    const subscription = new JetStreamSubscription(
      { js: this.js, jsm: this.jsm, consortium, stream: streamName(consortium), settings: this.options.consume },
      options.afterSequence,
      () => this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async info(consortium: string): Promise<OrderingInfo> {
    assertConsortium(consortium);
    this.#assertOpen();
    try {
      return infoOf(consortium, await this.jsm.streams.info(streamName(consortium)));
    } catch (error) {
      throw toOrderingError(error, { consortium });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await this.connection.close().catch(() => undefined);
  }

  #assertOpen(): void {
    if (this.#closed || this.connection.isClosed()) throw new OrderingError('ORDERING_CLOSED', 'the ordering adapter is closed');
  }
}

function credentialOptions(credentials: NatsCredentials): Partial<NodeConnectionOptions> {
  if (credentials?.kind === 'password') return { user: credentials.user, pass: credentials.password };
  if (credentials?.kind === 'nkey') return { authenticator: nkeyAuthenticator(new TextEncoder().encode(credentials.seed)) };
  throw new OrderingError('ORDERING_BAD_INPUT', 'credentials must be a user/password or an NKey seed');
}

/** Settings safety rests on: the right subjects, file storage, and no deletion inside the log. */
function assertSafeStream(consortium: string, info: StreamInfo, expected: ReturnType<typeof streamConfig>): void {
  const c = info.config;
  const problems: string[] = [];
  if (JSON.stringify(c.subjects ?? []) !== JSON.stringify(expected.subjects)) problems.push('subjects');
  if (c.storage !== expected.storage) problems.push('storage');
  if (c.num_replicas !== expected.num_replicas) problems.push('replicas');
  if (c.deny_delete !== true) problems.push('deny_delete');
  if (c.deny_purge !== true) problems.push('deny_purge');
  if (c.allow_rollup_hdrs === true) problems.push('allow_rollup_hdrs');
  if (c.retention !== expected.retention) problems.push('retention');
  if (problems.length > 0) {
    throw new OrderingError('ORDERING_STREAM_MISMATCH', `stream ${expected.name} exists with other settings: ${problems.join(', ')}`, {
      consortium,
      settings: problems,
    });
  }
}

function infoOf(consortium: string, info: StreamInfo): OrderingInfo {
  const state = info.state;
  const cluster = info.cluster;
  const peers = cluster
    ? [
        ...(cluster.leader ? [{ name: cluster.leader, current: true, offline: false, lag: 0 }] : []),
        ...(cluster.replicas ?? []).map((r) => ({ name: r.name, current: r.current, offline: r.offline === true, lag: r.lag ?? 0 })),
      ]
    : [];
  return {
    consortium,
    lastSequence: state.last_seq,
    firstSequence: state.messages === 0 ? state.last_seq + 1 : state.first_seq,
    messages: state.messages,
    bytes: state.bytes,
    lastTimestamp: state.messages === 0 ? null : new Date(state.last_ts).toISOString(),
    replicas: info.config.num_replicas,
    cluster: { name: cluster?.name ?? null, leader: cluster?.leader ?? null, peers },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

