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
import { SCHEDULE_FIELDS, nextRun, parseSchedule, type ScheduleField } from './schedule.js';

export interface SubscriptionControls {
  dest: string;
  signatureToken?: string;
  /** RFC 3339 UTC: deliver events recorded from then on (default: from the subscription on). */
  initialRecordTime?: string;
  /** A scheduled subscription (absent for a stream): the schedule fields as posted, and reportIfEmpty. */
  schedule?: Partial<Record<ScheduleField, string>>;
  reportIfEmpty?: boolean;
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
  const schedule = b['schedule'] !== undefined ? scheduleOf(b['schedule']) : undefined;
  if (!schedule && b['stream'] !== true) throw controlsError('set "stream": true or a "schedule" (a subscription needs one of them)');
  const reportIfEmpty = b['reportIfEmpty'];
  if (reportIfEmpty !== undefined && typeof reportIfEmpty !== 'boolean') throw controlsError('reportIfEmpty must be true or false', { reportIfEmpty });
  const token = b['signatureToken'];
  if (token !== undefined && (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH)) throw controlsError(`signatureToken must be a string of 1 to ${MAX_TOKEN_LENGTH} characters`);
  let initialRecordTime: string | undefined;
  if (b['initialRecordTime'] !== undefined) {
    initialRecordTime = typeof b['initialRecordTime'] === 'string' ? utcTimestamp(b['initialRecordTime']) : undefined;
    if (!initialRecordTime) throw controlsError('initialRecordTime must be an RFC 3339 date-time with a time zone', { initialRecordTime: b['initialRecordTime'] });
  }
  return {
    dest: url.toString(),
    ...(typeof token === 'string' ? { signatureToken: token } : {}),
    ...(initialRecordTime ? { initialRecordTime } : {}),
    ...(schedule ? { schedule, reportIfEmpty: reportIfEmpty === true } : {}),
  };
}

/**
 * A posted `schedule` (GS1 openapi.json, QueryScheduleSubscription): an object of one or more of
 * second, minute, hour, dayOfMonth, month, dayOfWeek, each a string of numbers and ranges `[a-b]`
 * (a whole number is taken as its decimal text, as GS1's examples write `0`). Returns the fields
 * as texts.
 */
function scheduleOf(value: unknown): Partial<Record<ScheduleField, string>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw controlsError('schedule must be an object of second, minute, hour, dayOfMonth, month, dayOfWeek', { schedule: value });
  const texts: Partial<Record<ScheduleField, string>> = {};
  for (const [name, field] of Object.entries(value)) {
    if (!(SCHEDULE_FIELDS as readonly string[]).includes(name)) throw controlsError(`unknown schedule field ${name}`, { parameter: name });
    const text = typeof field === 'string' ? field : Number.isSafeInteger(field) ? String(field) : undefined;
    if (text === undefined) throw controlsError(`schedule ${name} must be a string of numbers and ranges [a-b]`, { parameter: name, value: field });
    texts[name as ScheduleField] = text;
  }
  parseSchedule(new Map(Object.entries(texts) as [ScheduleField, string][]));
  return texts;
}

/**
 * The next run of a schedule (as parseSubscriptionControls returns it) strictly after `after`;
 * null when none within eight years (a subscription is refused then: SUBSCRIPTION_CONTROLS).
 */
export function nextScheduledRun(texts: Partial<Record<ScheduleField, string>>, after: Date): Date | null {
  return nextRun(parseSchedule(new Map(Object.entries(texts) as [ScheduleField, string][])), after);
}

/** The first run of a new scheduled subscription after `now`; SUBSCRIPTION_CONTROLS when the schedule never runs. */
export function firstScheduledRun(texts: Partial<Record<ScheduleField, string>>, now: Date): Date {
  const at = nextScheduledRun(texts, now);
  if (!at) throw controlsError('the schedule matches no time within eight years (a day of month the months given do not have?)', { schedule: texts });
  return at;
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
