/** Start-up options for the ordering log: the embedded log by default, JetStream with a node's own credentials, half a configuration refused. */
import { describe, expect, it } from 'vitest';
import { orderingInputFromEnv, resolveOrderingSettings } from '../../../src/platform/ordering/ordering-settings.js';

describe('ordering settings', () => {
  it('no ordering URL: the embedded log', () => {
    expect(resolveOrderingSettings({})).toBeUndefined();
  });

  it('an ordering URL with a user and password: JetStream on every server listed', () => {
    const settings = resolveOrderingSettings({ url: 'nats://h1:4222, nats://h2:4222,tls://h3:4222', user: 'fsa-node', password: 's3cret' });
    expect(settings).toEqual({ servers: ['nats://h1:4222', 'nats://h2:4222', 'tls://h3:4222'], credentials: { kind: 'password', user: 'fsa-node', password: 's3cret' }, name: 'fsa-node' });
  });

  it('TLS files are passed to the client', () => {
    const settings = resolveOrderingSettings({ url: 'tls://h1:4222', user: 'u', password: 'p', tlsCaFile: '/ca.pem', tlsCertFile: '/c.pem', tlsKeyFile: '/k.pem' });
    expect(settings?.tls).toEqual({ caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' });
  });

  it('refuses half a configuration with CONFIG_INVALID', () => {
    const refused = [
      { user: 'u', password: 'p' },
      { url: 'nats://h1:4222' },
      { url: 'nats://h1:4222', user: 'u' },
      { url: 'http://h1:4222', user: 'u', password: 'p' },
      { url: 'nats://h1:4222', user: 'a b', password: 'p' },
      { url: 'nats://h1:4222', user: 'u', password: 'p', credsFile: '/x.creds' },
      { url: ' , ', user: 'u', password: 'p' },
    ];
    for (const input of refused) expect(() => resolveOrderingSettings(input), JSON.stringify(input)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('reads the environment variables', () => {
    const env = { PROVENANT_ORDERING_URL: 'nats://h:1', PROVENANT_NATS_USER: 'u', PROVENANT_NATS_PASSWORD: 'p', PROVENANT_NATS_CREDS: '', PROVENANT_NATS_TLS_CA: '/ca' };
    expect(orderingInputFromEnv(env)).toEqual({ url: 'nats://h:1', user: 'u', password: 'p', credsFile: undefined, tlsCaFile: '/ca', tlsCertFile: undefined, tlsKeyFile: undefined });
  });
});
