import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseQueryDefinition } from '../../../src/core/epcis/query/named-query.js';
import { QueryError } from '../../../src/core/epcis/query/query-errors.js';
import { gs1Signature, parseSubscriptionControls, retryDelayMs } from '../../../src/core/epcis/query/subscription.js';

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
    expect(codeOf(() => parseSubscriptionControls({ dest: 'https://x/', schedule: { hour: '1' } }))).toBe('QUERY_PARAMETER_UNSUPPORTED');
    expect(codeOf(() => parseSubscriptionControls({ dest: 'mailto:a@b.c', stream: true }))).toBe('QUERY_PARAMETER_UNSUPPORTED');
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
