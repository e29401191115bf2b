import { describe, expect, it } from 'vitest';
import { nextRun, parseSocketControls } from '../../../src/core/epcis/query/schedule.js';
import { QueryError } from '../../../src/core/epcis/query/query-errors.js';

const controls = (query: string) => parseSocketControls(new URLSearchParams(query).entries());

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof QueryError) return err.code;
    throw err;
  }
  return undefined;
}

describe('WebSocket subscription controls and schedules', () => {
  it('minute=5&hour=1 runs once a day at 01:05:00 UTC (finer fields left out match only their least value)', () => {
    const { schedule } = controls('minute=5&hour=1');
    expect(nextRun(schedule!, new Date('2026-12-07T00:00:00Z'))!.toISOString()).toBe('2026-12-07T01:05:00.000Z');
    expect(nextRun(schedule!, new Date('2026-12-07T01:05:00Z'))!.toISOString()).toBe('2026-12-08T01:05:00.000Z');
  });

  it('lists and ranges; day of week 1 is Monday; months and days of month', () => {
    const { schedule } = controls('second=0,30&minute=[10-11]&dayOfWeek=1');
    // 2026-12-07 is a Monday.
    expect(nextRun(schedule!, new Date('2026-12-07T10:11:30Z'))!.toISOString()).toBe('2026-12-07T11:10:00.000Z');
    expect(nextRun(schedule!, new Date('2026-12-07T23:11:30Z'))!.toISOString()).toBe('2026-12-14T00:10:00.000Z');
    const yearly = controls('month=2&dayOfMonth=29').schedule!;
    expect(nextRun(yearly, new Date('2026-12-07T00:00:00Z'))!.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(nextRun(controls('month=2&dayOfMonth=31').schedule!, new Date('2026-12-07T00:00:00Z'))).toBeNull();
  });

  it('stream, reportIfEmpty and initialRecordTime', () => {
    expect(controls('stream=true&initialRecordTime=2026-12-07T08:00:00%2B01:00')).toEqual({ reportIfEmpty: false, initialRecordTime: '2026-12-07T07:00:00.000Z' });
    expect(controls('hour=3&reportIfEmpty=true').reportIfEmpty).toBe(true);
  });

  it('refuses what makes no subscription (SUBSCRIPTION_CONTROLS)', () => {
    for (const q of ['', 'stream=true&hour=1', 'stream=false', 'minute=60', 'hour=[5-2]', 'second=a', 'dayOfWeek=0', 'reportIfEmpty=yes&stream=true', 'initialRecordTime=today&stream=true', 'stream=true&EQ_bizStep=x', 'hour=1&hour=2']) {
      expect(codeOf(() => controls(q)), q).toBe('SUBSCRIPTION_CONTROLS');
    }
  });
});
