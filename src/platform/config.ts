/** Node configuration from the environment, with sensible embedded defaults. */
import path from 'node:path';
import { CodedError } from '../core/coded-error.js';

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
}

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

/**
 * Accepts what the store can open: `file:PATH`, a plain path, or `:memory:`. Any other URL scheme
 * is refused here, so that `postgresql://…` can never become a SQLite file of that name.
 */
export function checkDatabaseUrl(url: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file' || url === ':memory:') return url;
  if (scheme.length === 1) return url; // a Windows drive letter, not a scheme
  throw new ConfigError(
    'DATABASE_URL_UNSUPPORTED',
    `DATABASE_URL scheme "${scheme}:" is not supported; use file:PATH for the embedded SQLite store`,
    { scheme },
  );
}

export function loadConfig(overrides: Partial<NodeConfig> = {}): NodeConfig {
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
  };
}
