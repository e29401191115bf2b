/**
 * Outbound webhook deliveries of query subscriptions: one POST, bounded in time, never following
 * redirects, connecting only to the addresses the destination check has just allowed (so a DNS
 * answer that changes between the check and the connection cannot redirect it).
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIPv6 } from 'node:net';
import type { WebhookSender } from '../../services/query/query-subscriptions.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

type LookupCallback = (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void;

/** A `lookup` that answers the pinned addresses instead of asking DNS again. */
function pinnedLookup(addresses: readonly string[]): NonNullable<RequestOptions['lookup']> {
  const entries = addresses.map((address) => ({ address, family: isIPv6(address) ? 6 : 4 }));
  return ((_host: string, options: { all?: boolean }, callback: LookupCallback) => {
    if (options?.all) callback(null, entries);
    else callback(null, entries[0]!.address, entries[0]!.family);
  }) as unknown as NonNullable<RequestOptions['lookup']>;
}

export function fetchWebhookSender(timeoutMs = DEFAULT_WEBHOOK_TIMEOUT_MS): WebhookSender {
  return (dest, body, headers, addresses) =>
    new Promise((resolve, reject) => {
      const url = new URL(dest);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs, ...(addresses && addresses.length > 0 ? { lookup: pinnedLookup(addresses) } : {}) }, (res) => {
        // The receiver's answer is not read beyond its status.
        res.resume();
        resolve({ status: res.statusCode ?? 0 });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
}
