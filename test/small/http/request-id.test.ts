import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { requestIdOf } from '../../../src/transport/http/request-context.js';

const fresh = () => 'fresh-id';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('requestIdOf', () => {
  it('keeps a sane X-Request-Id', () => {
    expect(requestIdOf({ 'x-request-id': 'req-42.a:b@c' }, fresh)).toBe('req-42.a:b@c');
    expect(requestIdOf({ 'x-request-id': ['first', 'second'] }, fresh)).toBe('first');
  });

  it('makes a new id for an X-Request-Id that could forge log lines or is too long', () => {
    expect(requestIdOf({ 'x-request-id': 'a b' }, fresh)).toBe('fresh-id');
    expect(requestIdOf({ 'x-request-id': 'a"}\n{"level":"fatal' }, fresh)).toBe('fresh-id');
    expect(requestIdOf({ 'x-request-id': 'x'.repeat(129) }, fresh)).toBe('fresh-id');
    expect(requestIdOf({ 'x-request-id': '' }, fresh)).toBe('fresh-id');
  });

  it('takes the trace id of a valid W3C traceparent when no X-Request-Id is given', () => {
    expect(requestIdOf({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }, fresh)).toBe(TRACE_ID);
    expect(requestIdOf({ traceparent: `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01` }, fresh)).toBe(TRACE_ID);
    expect(requestIdOf({ 'x-request-id': 'mine', traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }, fresh)).toBe('mine');
  });

  it('ignores an invalid traceparent (version ff, all-zero ids, wrong lengths)', () => {
    for (const bad of [`ff-${TRACE_ID}-00f067aa0ba902b7-01`, `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, `00-${TRACE_ID}-${'0'.repeat(16)}-01`, `00-${TRACE_ID.slice(1)}-00f067aa0ba902b7-01`, 'nonsense']) {
      expect(requestIdOf({ traceparent: bad }, fresh), bad).toBe('fresh-id');
    }
  });

  it('never returns anything but a short token of safe characters', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 200 })), fc.option(fc.string({ maxLength: 80 })), (id, trace) => {
        const headers: Record<string, string | undefined> = { 'x-request-id': id ?? undefined, traceparent: trace ?? undefined };
        expect(requestIdOf(headers, fresh)).toMatch(/^[A-Za-z0-9._:@-]{1,128}$/);
      }),
    );
  });
});
