/**
 * The webhook destination check of query subscriptions (core/epcis/query/webhook-destination.ts)
 * against the live network: the host is resolved and every address it resolves to must be allowed,
 * at subscribe time and again before each delivery (DNS may have changed); the delivery then
 * connects only to the addresses just checked.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { STRICT_WEBHOOK_POLICY, checkWebhookAddress, checkWebhookUrl, webhookRefused, type WebhookPolicy } from '../../core/epcis/query/webhook-destination.js';

/** A host name's addresses (every family). */
export type ResolveHost = (host: string) => Promise<string[]>;

const systemResolve: ResolveHost = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Every address of this machine's interfaces (loopback included), lower case. */
export function ownAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address.replace(/%.*$/, '').toLowerCase());
  return out;
}

export class WebhookGuard {
  constructor(
    readonly policy: WebhookPolicy = STRICT_WEBHOOK_POLICY,
    private readonly resolve: ResolveHost = systemResolve,
    private readonly own: () => ReadonlySet<string> = ownAddresses,
  ) {}

  /** The addresses a delivery to `dest` may connect to now; a coded WEBHOOK_DESTINATION error when it may not be sent. */
  async check(dest: string): Promise<string[]> {
    let url: URL;
    try {
      url = new URL(dest);
    } catch {
      throw webhookRefused('scheme', 'dest must be an absolute URL');
    }
    const { host } = checkWebhookUrl(url, this.policy);
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await this.resolve(host);
    } catch (err) {
      throw webhookRefused('unresolved', `dest host ${host} does not resolve`, { host, cause: (err as { code?: string }).code ?? null });
    }
    if (addresses.length === 0) throw webhookRefused('unresolved', `dest host ${host} does not resolve`, { host });
    const own = this.own();
    for (const address of addresses) checkWebhookAddress(address, this.policy, own);
    return addresses;
  }
}
