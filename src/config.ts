/** Node configuration from the environment, with sensible embedded defaults. */
import path from 'node:path';

export interface NodeConfig {
  dataDir: string;
  databaseUrl: string;
  httpPort: number;
  httpHost: string;
  mqttPort: number;
  mqttUrl?: string;
  sealIntervalMs: number;
  sealMaxRecords: number;
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

export function loadConfig(overrides: Partial<NodeConfig> = {}): NodeConfig {
  const dataDir = path.resolve(overrides.dataDir ?? process.env.PROVENANT_DATA_DIR ?? './data');
  return {
    dataDir,
    databaseUrl: overrides.databaseUrl ?? process.env.DATABASE_URL ?? `file:${path.join(dataDir, 'provenant.db')}`,
    httpPort: overrides.httpPort ?? intFromEnv('PORT', 4000),
    httpHost: overrides.httpHost ?? process.env.HOST ?? '127.0.0.1',
    mqttPort: overrides.mqttPort ?? intFromEnv('MQTT_PORT', 1883),
    mqttUrl: overrides.mqttUrl ?? process.env.MQTT_URL,
    sealIntervalMs: overrides.sealIntervalMs ?? intFromEnv('SEAL_INTERVAL_MS', 250),
    sealMaxRecords: overrides.sealMaxRecords ?? intFromEnv('SEAL_MAX_RECORDS', 2000),
  };
}
