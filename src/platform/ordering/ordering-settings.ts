/**
 * Which ordering log a node reads and appends to, from its start-up options and environment:
 * none given, the embedded in-process log (a file in the data directory); an ordering URL, the
 * consortium's JetStream stream on those NATS servers with this node's own credentials
 * (docs/design/ordering.md, "Credentials and connection").
 */
import { readFileSync } from 'node:fs';
import { CodedError } from '../../core/coded-error.js';
import type { JetStreamOrderingOptions, NatsCredentials } from './jetstream-ordering.js';

export class OrderingSettingsError extends CodedError<'CONFIG_INVALID'> {
  override readonly name = 'OrderingSettingsError';
}

/** What an operator gives (CLI option or environment variable), all optional. */
export interface OrderingSettingsInput {
  /** Comma-separated `nats://` or `tls://` URLs (PROVENANT_ORDERING_URL). */
  url?: string;
  /** PROVENANT_NATS_USER: the node's NATS user; its inbox prefix is `_INBOX_<user>`. */
  user?: string;
  /** PROVENANT_NATS_PASSWORD. */
  password?: string;
  /** PROVENANT_NATS_CREDS: a file holding the node's NKey seed (`SU…`), bare or in a `.creds` seed block. */
  credsFile?: string;
  /** PROVENANT_NATS_TLS_CA, _CERT, _KEY: PEM files for TLS to the servers. */
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

export function orderingInputFromEnv(env: NodeJS.ProcessEnv = process.env): OrderingSettingsInput {
  const get = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  return {
    url: get('PROVENANT_ORDERING_URL'),
    user: get('PROVENANT_NATS_USER'),
    password: get('PROVENANT_NATS_PASSWORD'),
    credsFile: get('PROVENANT_NATS_CREDS'),
    tlsCaFile: get('PROVENANT_NATS_TLS_CA'),
    tlsCertFile: get('PROVENANT_NATS_TLS_CERT'),
    tlsKeyFile: get('PROVENANT_NATS_TLS_KEY'),
  };
}

const SERVER_URL = /^(nats|tls):\/\/[^\s,/]+$/;
const NKEY_SEED = /\bSU[A-Z2-7]{50,}\b/;

/** The NKey seed in a file: a bare seed, or the seed block of a NATS `.creds` file. */
export function readNkeySeed(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new OrderingSettingsError('CONFIG_INVALID', `cannot read the NATS credentials file ${file}: ${(err as Error).message}`, { file });
  }
  const seed = NKEY_SEED.exec(text)?.[0];
  if (!seed) throw new OrderingSettingsError('CONFIG_INVALID', `${file} holds no NKey user seed (SU…)`, { file });
  return seed;
}

/**
 * The JetStream connection options, or undefined for the embedded log. Refuses (CONFIG_INVALID)
 * half a configuration: credentials without a URL, a URL without a user, both a password and a
 * credentials file.
 */
export function resolveOrderingSettings(input: OrderingSettingsInput, nodeName?: string): JetStreamOrderingOptions | undefined {
  const bad = (message: string, details: Record<string, unknown> = {}): never => {
    throw new OrderingSettingsError('CONFIG_INVALID', message, details);
  };
  if (input.url === undefined) {
    if (input.user || input.password || input.credsFile) bad('NATS credentials were given without an ordering URL (--ordering or PROVENANT_ORDERING_URL)');
    return undefined;
  }
  const servers = input.url.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (servers.length === 0) bad('the ordering URL names no server');
  for (const server of servers) if (!SERVER_URL.test(server)) bad(`ordering URL ${JSON.stringify(server)} is not nats://host:port or tls://host:port`, { url: server });
  if (!input.user) bad('an ordering URL needs the node\'s NATS user (--nats-user or PROVENANT_NATS_USER)');
  const user = input.user!;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(user)) bad('NATS user names are letters, digits, "_" and "-"', { user: user.slice(0, 80) });
  if (input.password && input.credsFile) bad('give either a NATS password or a credentials file, not both');
  let credentials: NatsCredentials;
  if (input.credsFile) credentials = { kind: 'nkey', user, seed: readNkeySeed(input.credsFile) };
  else if (input.password) credentials = { kind: 'password', user, password: input.password };
  else return bad('an ordering URL needs the node\'s NATS password (--nats-password) or NKey seed file (--nats-creds)');
  const tlsFiles = [input.tlsCaFile, input.tlsCertFile, input.tlsKeyFile];
  const tls = tlsFiles.some((f) => f !== undefined) ? { caFile: input.tlsCaFile, certFile: input.tlsCertFile, keyFile: input.tlsKeyFile } : undefined;
  return { servers, credentials, name: nodeName ?? user, ...(tls ? { tls } : {}) };
}
