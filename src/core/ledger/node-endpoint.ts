/**
 * An organisation's node on the chain: the URL its node serves the consortium's HTTP routes at, and
 * the identity it orders under (a NATS user name or NKey public key, never a secret). Registered by
 * the membership change `node.endpoint` (docs/record-kinds.md "Node endpoints"); nodes find their
 * peers from it.
 */
import { LedgerError } from './errors.js';

function invalidChange(message: string, details: Record<string, unknown> = {}): LedgerError {
  return new LedgerError('INVALID_CHANGE', message, details);
}

export type OrderingIdentity = { natsUser: string } | { nkey: string };

export interface NodeEndpoint {
  url: string;
  ordering: OrderingIdentity;
}

export const MAX_NODE_URL = 512;
const NATS_USER = /^[A-Za-z0-9_-]{1,64}$/;
/** A NATS user NKey public key: "U" and 55 more base32 characters. */
const NATS_USER_NKEY = /^U[A-Z2-7]{55}$/;

/** localhost, 127.0.0.0/8 or [::1]: the hosts a plain-http node URL may name. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Checks a node URL: https, or http for a loopback host; no user info, query or fragment; written
 * as the URL standard serialises its origin and path, without a trailing "/" (so one node has one
 * spelling). Returns it unchanged.
 */
export function parseNodeUrl(value: unknown, what = 'change.url'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NODE_URL) {
    throw invalidChange(`${what} must be a URL of at most ${MAX_NODE_URL} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidChange(`${what} is not an absolute URL`, { url: value.slice(0, 80) });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw invalidChange(`${what} must use https (http only for a loopback host)`, { url: value.slice(0, 80) });
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    throw invalidChange(`${what} must not carry user info, a query or a fragment`, { url: value.slice(0, 80) });
  }
  const canonical = url.origin + (url.pathname === '/' ? '' : url.pathname);
  if (value !== canonical || canonical.endsWith('/')) {
    throw invalidChange(`${what} must be written as "${canonical.replace(/\/+$/, '')}" (origin and path, no trailing "/")`, { url: value.slice(0, 80) });
  }
  return value;
}

export function parseOrderingIdentity(value: unknown, what = 'change.ordering'): OrderingIdentity {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidChange(`${what} must be an object`);
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (key !== 'natsUser' && key !== 'nkey') throw invalidChange(`${what} has unexpected field "${key}"`, { field: key });
  if ((o.natsUser === undefined) === (o.nkey === undefined)) throw invalidChange(`${what} must hold exactly one of "natsUser" and "nkey"`);
  if (o.natsUser !== undefined) {
    if (typeof o.natsUser !== 'string' || !NATS_USER.test(o.natsUser)) throw invalidChange(`${what}.natsUser must be 1 to 64 letters, digits, "_" or "-"`);
    return { natsUser: o.natsUser };
  }
  if (typeof o.nkey !== 'string' || !NATS_USER_NKEY.test(o.nkey)) throw invalidChange(`${what}.nkey must be a NATS user public key ("U" and 55 base32 characters)`);
  return { nkey: o.nkey };
}

/** The identity as one comparable text: "natsUser:NAME" or "nkey:KEY". */
export function orderingIdentityText(identity: OrderingIdentity): string {
  return 'natsUser' in identity ? `natsUser:${identity.natsUser}` : `nkey:${identity.nkey}`;
}
