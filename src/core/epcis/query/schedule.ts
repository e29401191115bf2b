/**
 * Query subscription schedules, for webhooks (the `schedule` object of POST
 * /queries/{queryName}/subscriptions) and WebSocket (GS1 openapi.json, GET
 * /queries/{queryName}/events with `Upgrade: websocket`): `stream=true`, or a schedule (`second`, `minute`, `hour`, `dayOfMonth`,
 * `month`, `dayOfWeek`; EPCIS 2.0 section 8.2.5.3, QuerySchedule), the two mutually exclusive,
 * with `initialRecordTime` and `reportIfEmpty`.
 *
 * A schedule field is a comma-separated list of numbers and ranges `[a-b]`. Times are UTC. A field
 * left out matches any value when it is coarser than the finest field given, and only its least
 * value when finer (`minute=5&hour=1` runs once a day at 01:05:00, as the binding's example says).
 */
import { utcTimestamp } from '../../capture/corrections.js';
import { QueryError } from './query-errors.js';

export type ScheduleField = 'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek';

/** Finest first; the range of each. */
const FIELDS: readonly { name: ScheduleField; min: number; max: number }[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'dayOfMonth', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'dayOfWeek', min: 1, max: 7 },
];

export type Schedule = Record<ScheduleField, ReadonlySet<number>>;

export interface SocketSubscriptionControls {
  /** Absent for a stream. */
  schedule?: Schedule;
  reportIfEmpty: boolean;
  /** RFC 3339 UTC: deliver events recorded from then on (default: from the subscription on). */
  initialRecordTime?: string;
}

const controlsError = (message: string, details: Record<string, unknown> = {}) => new QueryError('SUBSCRIPTION_CONTROLS', message, details);

function parseField(name: ScheduleField, min: number, max: number, text: string): Set<number> {
  const out = new Set<number>();
  for (const element of text.split(',')) {
    const m = /^(?:(\d{1,2})|\[(\d{1,2})-(\d{1,2})\])$/.exec(element.trim());
    const [from, to] = m ? (m[1] !== undefined ? [Number(m[1]), Number(m[1])] : [Number(m[2]), Number(m[3])]) : [NaN, NaN];
    if (!(from >= min && to <= max && from <= to)) throw controlsError(`${name} must be numbers from ${min} to ${max} or ranges [a-b], comma-separated`, { parameter: name, value: text });
    for (let v = from; v <= to; v++) out.add(v);
  }
  return out;
}

function range(min: number, max: number): Set<number> {
  return new Set(Array.from({ length: max - min + 1 }, (_, i) => min + i));
}

/** The schedule fields, finest first. */
export const SCHEDULE_FIELDS: readonly ScheduleField[] = FIELDS.map((f) => f.name);

/** A schedule from the texts of the fields given (at least one); SUBSCRIPTION_CONTROLS when a field is malformed. */
export function parseSchedule(given: ReadonlyMap<ScheduleField, string>): Schedule {
  const finest = FIELDS.findIndex((f) => given.has(f.name));
  if (finest < 0) throw controlsError('a schedule needs at least one of second, minute, hour, dayOfMonth, month, dayOfWeek');
  return Object.fromEntries(
    FIELDS.map((f, i) => {
      const text = given.get(f.name);
      // Finer than the finest field given: only the least value; coarser: any.
      return [f.name, text !== undefined ? parseField(f.name, f.min, f.max, text) : i < finest ? new Set([f.min]) : range(f.min, f.max)];
    }),
  ) as unknown as Schedule;
}

/** The subscription controls of a WebSocket handshake's query string; SUBSCRIPTION_CONTROLS when they do not make one. */
export function parseSocketControls(params: Iterable<readonly [string, string]>): SocketSubscriptionControls {
  const given = new Map<string, string>();
  for (const [name, value] of params) {
    if (given.has(name)) throw controlsError(`${name} is given more than once`, { parameter: name });
    given.set(name, value);
  }
  for (const name of given.keys()) {
    if (!['stream', 'reportIfEmpty', 'initialRecordTime', ...FIELDS.map((f) => f.name)].includes(name)) throw controlsError(`unknown subscription parameter ${name}`, { parameter: name });
  }
  const scheduled = FIELDS.filter((f) => given.has(f.name));
  const stream = given.get('stream');
  if (stream !== undefined && stream !== 'true') throw controlsError('stream must be true (or left out for a schedule)', { parameter: 'stream', value: stream });
  if (stream !== undefined && scheduled.length > 0) throw controlsError('a subscription has a schedule or a stream, not both');
  if (stream === undefined && scheduled.length === 0) throw controlsError('set stream=true or a schedule (second, minute, hour, dayOfMonth, month, dayOfWeek)');
  const reportIfEmpty = given.get('reportIfEmpty');
  if (reportIfEmpty !== undefined && reportIfEmpty !== 'true' && reportIfEmpty !== 'false') throw controlsError('reportIfEmpty must be true or false', { parameter: 'reportIfEmpty', value: reportIfEmpty });
  const initial = given.get('initialRecordTime');
  const initialRecordTime = initial !== undefined ? utcTimestamp(initial.replace(/ (\d{2}:\d{2})$/, '+$1')) : undefined;
  if (initial !== undefined && !initialRecordTime) throw controlsError('initialRecordTime must be an RFC 3339 date-time with a time zone', { parameter: 'initialRecordTime', value: initial });
  const schedule = scheduled.length > 0 ? parseSchedule(new Map(scheduled.map((f) => [f.name, given.get(f.name)!]))) : undefined;
  return { ...(schedule ? { schedule } : {}), reportIfEmpty: reportIfEmpty === 'true', ...(initialRecordTime ? { initialRecordTime } : {}) };
}

const sorted = (s: ReadonlySet<number>) => [...s].sort((a, b) => a - b);

/** The first time strictly after `after` the schedule matches (UTC, whole seconds); null when none within eight years. */
export function nextRun(schedule: Schedule, after: Date): Date | null {
  const [hours, minutes, seconds] = [sorted(schedule.hour), sorted(schedule.minute), sorted(schedule.second)];
  const start = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate());
  for (let day = 0; day < 8 * 366; day++) {
    const date = new Date(start + day * 86_400_000);
    const dayOfWeek = ((date.getUTCDay() + 6) % 7) + 1;
    if (!schedule.month.has(date.getUTCMonth() + 1) || !schedule.dayOfMonth.has(date.getUTCDate()) || !schedule.dayOfWeek.has(dayOfWeek)) continue;
    for (const h of hours) {
      for (const m of minutes) {
        for (const s of seconds) {
          const t = date.getTime() + ((h * 60 + m) * 60 + s) * 1000;
          if (t > after.getTime()) return new Date(t);
        }
      }
    }
  }
  return null;
}
