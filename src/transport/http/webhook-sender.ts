/** Outbound webhook deliveries of query subscriptions: one POST, bounded in time, never following redirects. */
import type { WebhookSender } from '../../services/query/query-subscriptions.js';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

export function fetchWebhookSender(timeoutMs = DEFAULT_WEBHOOK_TIMEOUT_MS): WebhookSender {
  return async (dest, body, headers) => {
    const res = await fetch(dest, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    // The receiver's answer is not read beyond its status.
    await res.body?.cancel();
    return { status: res.status };
  };
}
