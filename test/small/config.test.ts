import { afterEach, describe, expect, it } from 'vitest';
import { checkDatabaseUrl, ConfigError, databaseEngine, loadConfig } from '../../src/platform/config.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('loadConfig', () => {
  it('defaults to SQLite in the data dir and loopback for HTTP and MQTT', () => {
    delete process.env.DATABASE_URL;
    delete process.env.MQTT_HOST;
    delete process.env.HOST;
    const config = loadConfig({ dataDir: '/srv/provenant' });
    expect(config).toMatchObject({ databaseUrl: 'file:/srv/provenant/provenant.db', httpHost: '127.0.0.1', mqttHost: '127.0.0.1' });
  });

  it('takes MQTT_HOST as the embedded broker bind address', () => {
    process.env.MQTT_HOST = '0.0.0.0';
    expect(loadConfig().mqttHost).toBe('0.0.0.0');
  });

  it('refuses a non-integer port with a configuration error', () => {
    process.env.PORT = 'eighty';
    expect(() => loadConfig()).toThrow(ConfigError);
  });
});

describe('checkDatabaseUrl', () => {
  it.each(['file:./data/provenant.db', 'file:/abs/x.db', './data/x.db', '/abs/x.db', ':memory:'])('accepts %s', (url) => {
    expect(checkDatabaseUrl(url)).toBe(url);
    expect(databaseEngine(url)).toBe('sqlite');
  });

  it.each(['postgresql://u:p@localhost/db', 'postgres://localhost:5433/db?sslmode=disable', 'POSTGRESQL://h/db'])('accepts %s as PostgreSQL', (url) => {
    expect(checkDatabaseUrl(url)).toBe(url);
    expect(databaseEngine(url)).toBe('postgres');
  });

  it.each(['mysql://localhost/db', 'sqlserver://x', 'postgresx://h/db', 'pg://h/db'])('refuses %s by its scheme', (url) => {
    try {
      checkDatabaseUrl(url);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('DATABASE_URL_UNSUPPORTED');
    }
  });
});
