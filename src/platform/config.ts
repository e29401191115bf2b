/** Node configuration from the environment, with sensible embedded defaults. */
import path from 'node:path';
import { CodedError } from '../core/coded-error.js';
import { keyIdOf, parsePublicKey } from '../core/crypto/index.js';
import { parseVocabularyNamespaces, VocabularyNamespaceError } from '../core/epcis/vocabulary-namespaces.js';
import type { JetStreamOrderingOptions } from './ordering/jetstream-ordering.js';
import type { WebhookPolicy } from '../core/epcis/query/webhook-destination.js';

export interface NodeConfig {
  dataDir: string;
  databaseUrl: string;
  httpPort: number;
  httpHost: string;
  mqttPort: number;
  /** Bind address of the embedded MQTT broker: loopback by default, 0.0.0.0 in the container image. */
  mqttHost: string;
  mqttUrl?: string;
  /** How long an authority node with pending records waits before it publishes a cut marker. */
  sealIntervalMs: number;
  /** Request limits (each has a generous default; docs/limits.md). */
  limits: RequestLimits;
  /** The consortia's JetStream log (`provenant start --ordering`); absent: the embedded log in the data directory. */
  ordering?: JetStreamOrderingOptions;
  /** Catch-up over HTTP from peer nodes (docs/design/network.md "Catch-up over HTTP"). */
  peers: PeerSettings;
  /** Where query subscriptions may deliver (docs/epcis-query.md); absent: https to public addresses only. */
  webhooks?: WebhookPolicy;
  /**
   * Extension namespaces CBV fields may use besides the CBV (PROVENANT_VOCABULARY_NAMESPACES,
   * comma-separated; docs/limits.md). Absent: the registry is off and any http(s) or urn URI passes.
   */
  vocabularyNamespaces?: readonly string[];
  /**
   * Public keys (`<alg>:<base64url>`) of the witnesses this node expects to cosign its checkpoints
   * (PROVENANT_WITNESS_KEYS, comma-separated; docs/witness.md section 8): chainStatus lists them even
   * before their first cosignature. Absent: only the witnesses that have cosigned are listed.
   */
  witnessKeys?: readonly string[];
}

export interface PeerSettings {
  /** Fetch from peers registered with an http (loopback) URL too (PEER_ALLOW_HTTP; tests and local networks only). */
  allowHttp: boolean;
  /** How long a node keeps asking peers before it reports that none could serve (PEER_CATCH_UP_WAIT_MS). */
  waitMs: number;
  /** Longest pause between a running node's tries to catch up after a gap (PEER_CATCH_UP_RETRY_MAX_MS). */
  retryMaxMs: number;
}

/** Rates are per second; a bucket holds `burst` requests. A rate of 0 turns that limit off. */
export interface RequestLimits {
  /** Largest GraphQL request body from a caller without an API token. */
  graphqlAnonymousBodyBytes: number;
  /** Largest GraphQL request body from a caller with an API token. */
  graphqlBodyBytes: number;
  perAddressRate: number;
  perAddressBurst: number;
  perTokenRate: number;
  perTokenBurst: number;
  /** Unknown API tokens presented from one address, per minute (the bucket holds as many). */
  failedTokensPerMinute: number;
  /** How far an event's eventTime may lie ahead of the node's clock. */
  eventTimeMaxFutureMs: number;
  /** How long a capture document's schema validation may run in a worker before it is refused (VALIDATION_TOO_COSTLY). */
  captureValidationDeadlineMs: number;
}

export const DEFAULT_LIMITS: RequestLimits = {
  graphqlAnonymousBodyBytes: 64 * 1024,
  graphqlBodyBytes: 4 * 1024 * 1024,
  perAddressRate: 500,
  perAddressBurst: 2000,
  perTokenRate: 500,
  perTokenBurst: 2000,
  failedTokensPerMinute: 60,
  eventTimeMaxFutureMs: 15 * 60_000,
  captureValidationDeadlineMs: 2000,
};

/** A setting the node cannot run with; the CLI exits with code 2. */
export class ConfigError extends CodedError<'CONFIG_INVALID' | 'DATABASE_URL_UNSUPPORTED'> {
  override readonly name = 'ConfigError';
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError('CONFIG_INVALID', `${name} must be a non-negative integer, got "${raw}"`, { variable: name });
  return value;
}

/** The store engine a DATABASE_URL names: PostgreSQL for postgresql:// or postgres://, else SQLite. */
export function databaseEngine(url: string): 'sqlite' | 'postgres' {
  return /^postgres(ql)?:\/\//i.test(url) ? 'postgres' : 'sqlite';
}

/**
 * Accepts what the store can open: `postgresql://…` or `postgres://…` (PostgreSQL), `file:PATH`, a
 * plain path, or `:memory:` (SQLite). Any other URL scheme is refused here, so that `mysql://…`
 * can never become a SQLite file of that name.
 */
export function checkDatabaseUrl(url: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file' || url === ':memory:') return url;
  if (scheme.length === 1) return url; // a Windows drive letter, not a scheme
  if (databaseEngine(url) === 'postgres') return url;
  throw new ConfigError(
    'DATABASE_URL_UNSUPPORTED',
    `DATABASE_URL scheme "${scheme}:" is not supported; use file:PATH (SQLite) or postgresql://USER:PASSWORD@HOST:PORT/DATABASE`,
    { scheme },
  );
}

function flagFromEnv(name: string): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError('CONFIG_INVALID', `${name} must be true or false, got "${raw}"`, { variable: name });
}

function limitsFromEnv(overrides: Partial<RequestLimits> = {}): RequestLimits {
  const d = DEFAULT_LIMITS;
  return {
    graphqlAnonymousBodyBytes: overrides.graphqlAnonymousBodyBytes ?? intFromEnv('GRAPHQL_ANON_BODY_LIMIT', d.graphqlAnonymousBodyBytes),
    graphqlBodyBytes: overrides.graphqlBodyBytes ?? intFromEnv('GRAPHQL_BODY_LIMIT', d.graphqlBodyBytes),
    perAddressRate: overrides.perAddressRate ?? intFromEnv('RATE_LIMIT_ADDRESS_RPS', d.perAddressRate),
    perAddressBurst: overrides.perAddressBurst ?? intFromEnv('RATE_LIMIT_ADDRESS_BURST', d.perAddressBurst),
    perTokenRate: overrides.perTokenRate ?? intFromEnv('RATE_LIMIT_TOKEN_RPS', d.perTokenRate),
    perTokenBurst: overrides.perTokenBurst ?? intFromEnv('RATE_LIMIT_TOKEN_BURST', d.perTokenBurst),
    failedTokensPerMinute: overrides.failedTokensPerMinute ?? intFromEnv('RATE_LIMIT_FAILED_TOKENS_PER_MINUTE', d.failedTokensPerMinute),
    eventTimeMaxFutureMs: overrides.eventTimeMaxFutureMs ?? intFromEnv('EVENT_TIME_MAX_FUTURE_MS', d.eventTimeMaxFutureMs),
    captureValidationDeadlineMs: overrides.captureValidationDeadlineMs ?? intFromEnv('CAPTURE_VALIDATION_DEADLINE_MS', d.captureValidationDeadlineMs),
  };
}

export function loadConfig(overrides: Omit<Partial<NodeConfig>, 'limits'> & { limits?: Partial<RequestLimits> } = {}): NodeConfig {
  const dataDir = path.resolve(overrides.dataDir ?? process.env.PROVENANT_DATA_DIR ?? './data');
  const databaseUrl = overrides.databaseUrl ?? (process.env.DATABASE_URL || `file:${path.join(dataDir, 'provenant.db')}`);
  return {
    dataDir,
    databaseUrl: checkDatabaseUrl(databaseUrl),
    httpPort: overrides.httpPort ?? intFromEnv('PORT', 4000),
    httpHost: overrides.httpHost ?? process.env.HOST ?? '127.0.0.1',
    mqttPort: overrides.mqttPort ?? intFromEnv('MQTT_PORT', 1883),
    mqttHost: overrides.mqttHost ?? (process.env.MQTT_HOST || '127.0.0.1'),
    mqttUrl: overrides.mqttUrl ?? (process.env.MQTT_URL || undefined),
    sealIntervalMs: overrides.sealIntervalMs ?? intFromEnv('SEAL_INTERVAL_MS', 250),
    limits: limitsFromEnv(overrides.limits),
    peers: overrides.peers ?? { allowHttp: flagFromEnv('PEER_ALLOW_HTTP'), waitMs: intFromEnv('PEER_CATCH_UP_WAIT_MS', 120_000), retryMaxMs: intFromEnv('PEER_CATCH_UP_RETRY_MAX_MS', 60_000) },
    webhooks: overrides.webhooks ?? { allowHttp: flagFromEnv('WEBHOOK_ALLOW_HTTP'), allowPrivateAddresses: flagFromEnv('WEBHOOK_ALLOW_PRIVATE_ADDRESSES') },
    ...(overrides.ordering ? { ordering: overrides.ordering } : {}),
    ...vocabularyFromEnv(overrides.vocabularyNamespaces),
    ...witnessKeysFrom(overrides.witnessKeys),
  };
}

/** The expected witnesses' public keys, each checked to parse (a typo would hide a witness for good). */
function witnessKeysFrom(override: readonly string[] | undefined): { witnessKeys?: readonly string[] } {
  const keys = override ?? process.env.PROVENANT_WITNESS_KEYS?.split(',').map((k) => k.trim()).filter((k) => k !== '');
  if (!keys || keys.length === 0) return {};
  for (const key of keys) {
    try {
      keyIdOf(parsePublicKey(key));
    } catch (err) {
      throw new ConfigError('CONFIG_INVALID', `PROVENANT_WITNESS_KEYS: "${key.slice(0, 80)}" is not a public key (<alg>:<base64url>): ${(err as Error).message}`, { variable: 'PROVENANT_WITNESS_KEYS' });
    }
  }
  return { witnessKeys: [...new Set(keys)] };
}

function vocabularyFromEnv(override: readonly string[] | undefined): { vocabularyNamespaces?: readonly string[] } {
  if (override) return { vocabularyNamespaces: parseVocabularyNamespaces(override.join(',')) };
  const raw = process.env.PROVENANT_VOCABULARY_NAMESPACES;
  if (raw === undefined) return {};
  try {
    return { vocabularyNamespaces: parseVocabularyNamespaces(raw) };
  } catch (err) {
    if (!(err instanceof VocabularyNamespaceError)) throw err;
    throw new ConfigError('CONFIG_INVALID', `PROVENANT_VOCABULARY_NAMESPACES: ${err.message}`, { variable: 'PROVENANT_VOCABULARY_NAMESPACES' });
  }
}
