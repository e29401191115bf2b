import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseQueryDefinition } from '../../../src/core/epcis/query/named-query.js';
import { QueryError } from '../../../src/core/epcis/query/query-errors.js';
import { nextRun, parseSocketControls } from '../../../src/core/epcis/query/schedule.js';
import { firstScheduledRun, gs1Signature, nextScheduledRun, parseSubscriptionControls, retryDelayMs } from '../../../src/core/epcis/query/subscription.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof QueryError) return err.code;
    throw err;
  }
  return undefined;
}

describe('subscription controls', () => {
  it('takes a webhook stream, with an optional signatureToken and initialRecordTime (as UTC)', () => {
    expect(parseSubscriptionControls({ dest: 'https://client.example.com/cb', signatureToken: 's3cret', stream: true, initialRecordTime: '2026-11-21T10:00:00+02:00' })).toEqual({
      dest: 'https://client.example.com/cb',
      signatureToken: 's3cret',
      initialRecordTime: '2026-11-21T08:00:00.000Z',
    });
  });

  it('refuses what is not a stream to an http(s) URL', () => {
    for (const body of [null, [], {}, { dest: 'https://x/' }, { dest: 'https://x/', stream: false }, { dest: 'nowhere', stream: true }, { dest: 'https://x/', stream: true, schedule: {} }, { dest: 'https://x/', stream: true, signatureToken: '' }, { dest: 'https://x/', stream: true, initialRecordTime: 'yesterday' }]) {
      expect(codeOf(() => parseSubscriptionControls(body)), JSON.stringify(body)).toBe('SUBSCRIPTION_CONTROLS');
    }
    expect(codeOf(() => parseSubscriptionControls({ dest: 'mailto:a@b.c', stream: true }))).toBe('QUERY_PARAMETER_UNSUPPORTED');
  });

  it('takes a scheduled webhook (GS1 QueryScheduleSubscription): the field texts as posted, reportIfEmpty', () => {
    expect(parseSubscriptionControls({ dest: 'https://x/', signatureToken: 't', reportIfEmpty: true, schedule: { hour: '1', minute: '5' } })).toEqual({
      dest: 'https://x/',
      signatureToken: 't',
      schedule: { hour: '1', minute: '5' },
      reportIfEmpty: true,
    });
    // A whole number is its decimal text (GS1's examples write 0); reportIfEmpty defaults to false.
    expect(parseSubscriptionControls({ dest: 'https://x/', schedule: { second: 0 } })).toMatchObject({ schedule: { second: '0' }, reportIfEmpty: false });
    for (const schedule of [{}, 'daily', [], null, { minute: '60' }, { hour: 1.5 }, { week: '1' }, { dayOfWeek: '[3-1]' }]) {
      expect(codeOf(() => parseSubscriptionControls({ dest: 'https://x/', schedule })), JSON.stringify(schedule)).toBe('SUBSCRIPTION_CONTROLS');
    }
    for (const body of [{ dest: 'https://x/', schedule: { hour: '1' }, stream: true }, { dest: 'https://x/', schedule: { hour: '1' }, reportIfEmpty: 'yes' }, { dest: 'https://x/', reportIfEmpty: true }]) {
      expect(codeOf(() => parseSubscriptionControls(body)), JSON.stringify(body)).toBe('SUBSCRIPTION_CONTROLS');
    }
  });

  it('the next run of a webhook schedule is the WebSocket schedule computation (same fields, same times)', () => {
    const after = new Date('2026-12-07T10:11:30Z');
    for (const [texts, query] of [
      [{ hour: '1', minute: '5' }, 'hour=1&minute=5'],
      [{ second: '0,30', minute: '[10-11]', dayOfWeek: '1' }, 'second=0,30&minute=[10-11]&dayOfWeek=1'],
      [{ month: '2', dayOfMonth: '29' }, 'month=2&dayOfMonth=29'],
    ] as const) {
      const expected = nextRun(parseSocketControls(new URLSearchParams(query).entries()).schedule!, after);
      expect(nextScheduledRun(texts, after)).toEqual(expected);
      expect(firstScheduledRun(texts, after)).toEqual(expected);
    }
    expect(nextScheduledRun({ hour: '1', minute: '5' }, new Date('2026-12-07T01:05:00Z'))!.toISOString()).toBe('2026-12-08T01:05:00.000Z');
    // A schedule that never runs is refused when subscribing.
    expect(nextScheduledRun({ month: '2', dayOfMonth: '30' }, after)).toBeNull();
    expect(codeOf(() => firstScheduledRun({ month: '2', dayOfMonth: '30' }, after))).toBe('SUBSCRIPTION_CONTROLS');
  });

  it('GS1-Signature is the HMAC-SHA256 of the body with the signatureToken', () => {
    const body = '{"type":"EPCISQueryDocument"}';
    expect(gs1Signature('k', body)).toBe(`sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
    expect(gs1Signature('k', body)).not.toBe(gs1Signature('k2', body));
  });

  it('back-off doubles from the base and stops at the cap', () => {
    const backOff = { baseMs: 100, maxMs: 1_000 };
    expect([0, 1, 2, 3, 4, 5, 60].map((n) => retryDelayMs(n, backOff))).toEqual([0, 100, 200, 400, 800, 1_000, 1_000]);
  });
});

describe('named query definitions', () => {
  it('takes a name and the parameters GET /events takes, lists as arrays', () => {
    const def = { name: 'my.query-1', query: { eventType: ['ObjectEvent'], EQ_bizStep: ['shipping', 'receiving'], eventCountLimit: 5, EXISTS_errorDeclaration: true } };
    expect(parseQueryDefinition(def)).toEqual(def);
  });

  it('refuses bad names, paging parameters, bad values (QUERY_VALIDATION); unsupported ones stay 501', () => {
    for (const body of [{ query: {} }, { name: '', query: {} }, { name: 'a b', query: {} }, { name: 'x', query: [] }, { name: 'x', query: { perPage: 2 } }, { name: 'x', query: { eventType: ['Nope'] } }, { name: 'x', query: { EQ_bizStep: ['a|b'] } }, { name: 'x', query: { EQ_bizStep: { a: 1 } } }, { name: 'x', query: { nope: '1' } }]) {
      expect(codeOf(() => parseQueryDefinition(body)), JSON.stringify(body)).toBe('QUERY_VALIDATION');
    }
    expect(codeOf(() => parseQueryDefinition({ name: 'x', query: { HASATTR_bizLocation: ['d'] } }))).toBe('QUERY_PARAMETER_UNSUPPORTED');
  });
});
