/**
 * Query subscriptions of the EPCIS 2.0 REST binding (GS1 openapi.json, POST
 * /queries/{queryName}/subscriptions): the controls a client posts, the GS1-Signature each
 * delivery carries, and the back-off between failed deliveries.
 *
 * GS1-Signature: the binding leaves the scheme to the implementation and names HMAC-SHA256 as
 * an example. Provenant sends `sha256=<hex HMAC-SHA256(signatureToken, body bytes)>` when the
 * subscription has a signatureToken.
 */
import { createHmac } from 'node:crypto';
import { utcTimestamp } from '../../capture/corrections.js';
import { QueryError } from './query-errors.js';

export interface SubscriptionControls {
  dest: string;
  signatureToken?: string;
  /** RFC 3339 UTC: deliver events recorded from then on (default: from the subscription on). */
  initialRecordTime?: string;
}

const MAX_TOKEN_LENGTH = 1024;

const controlsError = (message: string, details: Record<string, unknown> = {}) => new QueryError('SUBSCRIPTION_CONTROLS', message, details);

/** A posted subscription, checked: a webhook stream (`stream: true`) to an http(s) URL. */
export function parseSubscriptionControls(body: unknown): SubscriptionControls {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw controlsError('the body must be a subscription: { "dest": ..., "stream": true }');
  const b = body as Record<string, unknown>;
  if (typeof b['dest'] !== 'string') throw controlsError('dest must be the URL to deliver to');
  let url: URL;
  try {
    url = new URL(b['dest']);
  } catch {
    throw controlsError('dest must be an absolute URL', { dest: b['dest'] });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new QueryError('QUERY_PARAMETER_UNSUPPORTED', 'only webhook (http or https) destinations are supported', { dest: b['dest'] });
  }
  if (b['schedule'] !== undefined && b['stream'] !== undefined) throw controlsError('a subscription has a schedule or a stream, not both');
  if (b['schedule'] !== undefined) throw new QueryError('QUERY_PARAMETER_UNSUPPORTED', 'scheduled subscriptions are not supported by this repository; subscribe with "stream": true', {});
  if (b['stream'] !== true) throw controlsError('set "stream": true (a subscription needs a stream or a schedule)');
  const token = b['signatureToken'];
  if (token !== undefined && (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)) throw controlsError(`signatureToken must be a string of 1 to ${MAX_TOKEN_LENGTH} characters`);
  let initialRecordTime: string | undefined;
  if (b['initialRecordTime'] !== undefined) {
    initialRecordTime = typeof b['initialRecordTime'] === 'string' ? utcTimestamp(b['initialRecordTime']) : undefined;
    if (!initialRecordTime) throw controlsError('initialRecordTime must be an RFC 3339 date-time with a time zone', { initialRecordTime: b['initialRecordTime'] });
  }
  return { dest: url.toString(), ...(typeof token === 'string' ? { signatureToken: token } : {}), ...(initialRecordTime ? { initialRecordTime } : {}) };
}

/** The GS1-Signature header value of a delivery body. */
export function gs1Signature(signatureToken: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', signatureToken).update(body).digest('hex')}`;
}

export interface BackOff {
  /** Wait after the first failure. */
  baseMs: number;
  /** Longest wait. */
  maxMs: number;
}

export const DEFAULT_BACK_OFF: BackOff = { baseMs: 1_000, maxMs: 10 * 60_000 };

/** The wait before the next attempt after `failures` failed deliveries in a row (doubling, capped). */
export function retryDelayMs(failures: number, backOff: BackOff = DEFAULT_BACK_OFF): number {
  if (failures <= 0) return 0;
  return Math.min(backOff.maxMs, backOff.baseMs * 2 ** Math.min(failures - 1, 30));
}
