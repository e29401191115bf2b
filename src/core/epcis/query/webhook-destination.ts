/**
 * Where a query subscription may deliver (its `dest` webhook): https, or http only when the node
 * allows it; no user name or password in the URL; and no address in a special-purpose range
 * (loopback, private, link-local, shared, multicast, reserved: RFC 6890 and the IANA registries),
 * nor one of the node's own, unless the node allows private destinations. The caller resolves the
 * host name; this decides on the URL and on each address it resolves to.
 */
import { QueryError } from './query-errors.js';

export interface WebhookPolicy {
  /** Accept http:// destinations (default false: https only). */
  allowHttp: boolean;
  /** Accept destinations resolving to loopback, private, link-local or the node's own addresses (default false). */
  allowPrivateAddresses: boolean;
}

export const STRICT_WEBHOOK_POLICY: WebhookPolicy = { allowHttp: false, allowPrivateAddresses: false };

export type WebhookRefusal = 'scheme' | 'credentials' | 'address' | 'unresolved';

export function webhookRefused(reason: WebhookRefusal, message: string, details: Record<string, unknown> = {}): QueryError {
  return new QueryError('WEBHOOK_DESTINATION', message, { reason, ...details });
}

/** The URL's scheme and credentials checked; its host without IPv6 brackets. */
export function checkWebhookUrl(url: URL, policy: WebhookPolicy): { host: string } {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw webhookRefused('scheme', policy.allowHttp ? 'dest must be an http or https URL' : 'dest must be an https URL (this node does not deliver over plain http)', { scheme: url.protocol.replace(/:$/, '') });
  }
  if (url.username !== '' || url.password !== '') throw webhookRefused('credentials', 'dest must not carry a user name or password; use signatureToken to authenticate deliveries');
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1') };
}

function ipv4(text: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail and a zone are accepted). */
function ipv6(text: string): number[] | null {
  const bare = text.replace(/%.*$/, '');
  if (!bare.includes(':')) return null;
  let tail: number[] = [];
  let head = bare;
  const v4 = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (v4) {
    const parts = ipv4(v4[1]!);
    if (!parts) return null;
    tail = [(parts[0]! << 8) | parts[1]!, (parts[2]! << 8) | parts[3]!];
    head = bare.slice(0, v4.index + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const fixed = left.length + right.length + tail.length;
  if (halves.length === 1 ? fixed !== 8 : fixed > 7) return null;
  const zeros = Array.from({ length: 8 - fixed }, () => 0);
  return [...left.map((g) => parseInt(g, 16)), ...(halves.length === 2 ? zeros : []), ...right.map((g) => parseInt(g, 16)), ...tail];
}

const V4_RANGES: [number[], number, string][] = [
  [[0, 0, 0, 0], 8, 'this network'],
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'shared address space'],
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'IETF protocol assignments'],
  [[192, 0, 2, 0], 24, 'documentation'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'benchmarking'],
  [[198, 51, 100, 0], 24, 'documentation'],
  [[203, 0, 113, 0], 24, 'documentation'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'],
];

function v4Range(parts: number[]): string | null {
  const value = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  for (const [base, bits, name] of V4_RANGES) {
    const b = ((base[0]! << 24) | (base[1]! << 16) | (base[2]! << 8) | base[3]!) >>> 0;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((value & mask) === (b & mask)) return name;
  }
  return null;
}

/**
 * The special-purpose range an IP address lies in ('loopback', 'private', 'link-local', ...), or
 * null for a global address. IPv4-mapped and IPv4-compatible IPv6 addresses are judged as IPv4.
 * Text that is not an IP address is 'not an IP address'.
 */
export function specialAddressRange(address: string): string | null {
  const v4 = ipv4(address);
  if (v4) return v4Range(v4);
  const g = ipv6(address);
  if (!g) return 'not an IP address';
  const embedded = [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff];
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    if (g[5] === 0 && g[6] === 0 && g[7]! <= 1) return g[7] === 1 ? 'loopback' : 'unspecified';
    return v4Range(embedded) ?? (g[5] === 0 ? 'IPv4-compatible' : null);
  }
  if (g[0] === 0x64 && g[1] === 0xff9b) return v4Range(embedded);
  if ((g[0]! & 0xfe00) === 0xfc00) return 'unique local';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0]! & 0xffc0) === 0xfec0) return 'site-local';
  if ((g[0]! & 0xff00) === 0xff00) return 'multicast';
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'documentation';
  if (g[0] === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'discard';
  return null;
}

/** Refuses an address the policy does not allow; `own` are the node's own addresses. */
export function checkWebhookAddress(address: string, policy: WebhookPolicy, own: ReadonlySet<string>): void {
  if (policy.allowPrivateAddresses) return;
  const range = specialAddressRange(address) ?? (own.has(address.replace(/%.*$/, '').toLowerCase()) ? "this node's own address" : null);
  if (range !== null) throw webhookRefused('address', `dest resolves to ${address} (${range}); this node delivers only to public addresses`, { address, range });
}
