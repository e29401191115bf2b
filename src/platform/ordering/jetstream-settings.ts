/**
 * Names, stream settings and server-side permissions for consortium logs on NATS JetStream, in one
 * place, so the adapter, the operator's provisioning and the server configuration agree
 * (docs/design/ordering.md).
 */
import { OrderingError, assertConsortium } from './ordering.js';

export const SUBJECT_ROOT = 'provenant';
const STREAM_PREFIX = 'PROVENANT_';
/** Stream max_msg_size: NATS's default max_payload; payload and headers count. */
export const STREAM_MAX_MESSAGE_BYTES = 1024 * 1024;

/** The consortium's stream: its name is derived from the consortium id, one stream per consortium. */
export function streamName(consortium: string): string {
  assertConsortium(consortium);
  return `${STREAM_PREFIX}${consortium}`;
}

/** Every subject the stream captures; the adapter appends on logSubject. */
export function streamSubjects(consortium: string): string[] {
  assertConsortium(consortium);
  return [`${SUBJECT_ROOT}.${consortium}.>`];
}

export function logSubject(consortium: string): string {
  assertConsortium(consortium);
  return `${SUBJECT_ROOT}.${consortium}.log`;
}

export interface ConsortiumStreamSettings {
  /** Servers holding a copy; an append is acknowledged once a majority stored it. */
  readonly replicas: number;
  /** Messages older than this are dropped (0: never); nodes fetch older blocks from peers. */
  readonly maxAgeMs: number;
  /** Bytes kept per replica before the oldest are dropped (-1: no limit). */
  readonly maxBytes: number;
  /** Identical bytes appended again within this window are stored once (append retries). */
  readonly duplicateWindowMs: number;
}

export const DEFAULT_STREAM_SETTINGS: ConsortiumStreamSettings = {
  replicas: 3,
  maxAgeMs: 30 * 24 * 3600 * 1000,
  maxBytes: 8 * 1024 ** 3,
  duplicateWindowMs: 2 * 60 * 1000,
};

export function assertStreamSettings(settings: ConsortiumStreamSettings): void {
  const bad = (field: string): never => {
    throw new OrderingError('ORDERING_BAD_INPUT', `stream setting ${field} is out of range`, { field });
  };
  if (![1, 3, 5].includes(settings.replicas)) bad('replicas (1, 3 or 5)');
  if (!Number.isSafeInteger(settings.maxAgeMs) || settings.maxAgeMs < 0) bad('maxAgeMs');
  if (!Number.isSafeInteger(settings.maxBytes) || (settings.maxBytes < 1 && settings.maxBytes !== -1)) bad('maxBytes');
  if (!Number.isSafeInteger(settings.duplicateWindowMs) || settings.duplicateWindowMs < 1000) bad('duplicateWindowMs');
  if (settings.maxAgeMs > 0 && settings.duplicateWindowMs > settings.maxAgeMs) bad('duplicateWindowMs (at most maxAgeMs)');
}

const NANOS_PER_MS = 1_000_000;

/**
 * The JetStream stream configuration (server field names). File storage; limits retention with
 * the oldest dropped first; deleting or purging messages is refused, so the only gaps a reader can
 * meet are at the old end, from retention, and the adapter reports those.
 */
export function streamConfig(consortium: string, settings: ConsortiumStreamSettings) {
  assertStreamSettings(settings);
  return {
    name: streamName(consortium),
    subjects: streamSubjects(consortium),
    description: `Provenant ordering log of consortium ${consortium}`,
    storage: 'file' as const,
    retention: 'limits' as const,
    discard: 'old' as const,
    num_replicas: settings.replicas,
    max_age: settings.maxAgeMs * NANOS_PER_MS,
    max_bytes: settings.maxBytes,
    max_msgs: -1,
    max_msgs_per_subject: -1,
    max_msg_size: STREAM_MAX_MESSAGE_BYTES,
    max_consumers: -1,
    duplicate_window: settings.duplicateWindowMs * NANOS_PER_MS,
    deny_delete: true,
    deny_purge: true,
    allow_rollup_hdrs: false,
    allow_direct: false,
    sealed: false,
  };
}

/** A node's inbox prefix: replies to its requests (acks, consumer deliveries) come only there. */
export function inboxPrefixOf(user: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(user)) throw new OrderingError('ORDERING_BAD_INPUT', 'NATS user names are letters, digits, "_" and "-"', {});
  return `_INBOX_${user}`;
}

/**
 * Server-side permissions for a node of the given consortia (nats-server `permissions` block):
 * append to and read each consortium's stream through JetStream, and receive replies on its own
 * inbox prefix only. No core subscription to log subjects (that would bypass the stream) and no
 * stream management: an operator provisions streams.
 */
export function nodePermissions(consortia: readonly string[], inboxPrefix: string) {
  const publish: string[] = [];
  for (const consortium of consortia) {
    const stream = streamName(consortium);
    publish.push(
      logSubject(consortium),
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
      `$JS.API.CONSUMER.INFO.${stream}.>`,
      `$JS.API.CONSUMER.DELETE.${stream}.>`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    );
  }
  return { publish: { allow: publish }, subscribe: { allow: [`${inboxPrefix}.>`] } };
}
