import { describe, expect, it } from 'vitest';
import { InProcessOrdering, type LogEntry, type OrderingDurability } from '../../../src/platform/ordering/in-process-ordering.js';
import { OrderingError, type OrderedMessage, type OrderingSubscription } from '../../../src/platform/ordering/ordering.js';

const C = 'uk-red-meat';
const enc = new TextEncoder();
const dec = new TextDecoder();
const msg = (s: string) => enc.encode(s);

async function take(subscription: OrderingSubscription, n: number, timeoutMs = 2000): Promise<OrderedMessage[]> {
  const out: OrderedMessage[] = [];
  const iterator = subscription[Symbol.asyncIterator]();
  const deadline = setTimeout(() => void subscription.close(), timeoutMs);
  try {
    while (out.length < n) {
      const next = await iterator.next();
      if (next.done) break;
      out.push(next.value);
    }
  } finally {
    clearTimeout(deadline);
  }
  return out;
}

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(OrderingError);
    return (error as OrderingError).code;
  }
  return undefined;
}

/** A durability callback the test releases by hand, recording every batch. */
function manualDurability() {
  const batches: LogEntry[][] = [];
  const waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const durability: OrderingDurability = {
    persist(entries) {
      batches.push([...entries]);
      return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    close: async () => undefined,
  };
  return { durability, batches, waiting };
}

describe('InProcessOrdering', () => {
  it('numbers each consortium log 1, 2, 3 … in the order of the append calls', async () => {
    const ordering = new InProcessOrdering();
    const results = await Promise.all([ordering.append(C, msg('a')), ordering.append('other-one', msg('x')), ordering.append(C, msg('b'))]);
    expect(results.map((r) => r.sequence)).toEqual([1, 1, 2]);
    expect((await ordering.append(C, msg('c'))).sequence).toBe(3);
    const info = await ordering.info(C);
    expect(info).toMatchObject({ consortium: C, lastSequence: 3, firstSequence: 1, messages: 3, bytes: 3, replicas: 1 });
    await ordering.close();
  });

  it('shows four subscribers the same total order, live, while several writers append concurrently', async () => {
    const ordering = new InProcessOrdering();
    const subscribers = [0, 1, 2, 3].map(() => take(ordering.subscribe(C, { afterSequence: 0 }), 200));
    const writers = [0, 1, 2, 3].map(async (w) => {
      const seqs: number[] = [];
      for (let i = 0; i < 50; i++) seqs.push((await ordering.append(C, msg(`w${w}-${i}`))).sequence);
      return seqs;
    });
    const written = (await Promise.all(writers)).flat().sort((a, b) => a - b);
    expect(written).toEqual(Array.from({ length: 200 }, (_, i) => i + 1)); // every append once
    const seen = await Promise.all(subscribers);
    const first = seen[0]!.map((m) => `${m.sequence}:${dec.decode(m.bytes)}:${m.timestamp}`);
    expect(first).toHaveLength(200);
    for (const other of seen) expect(other.map((m) => `${m.sequence}:${dec.decode(m.bytes)}:${m.timestamp}`)).toEqual(first);
    await ordering.close();
  });

  it('resumes a subscriber after the sequence it last handled', async () => {
    const ordering = new InProcessOrdering();
    for (let i = 1; i <= 5; i++) await ordering.append(C, msg(`m${i}`), { 'content-type': 'text/plain' });
    const resumed = await take(ordering.subscribe(C, { afterSequence: 3 }), 2);
    expect(resumed.map((m) => [m.sequence, dec.decode(m.bytes)])).toEqual([
      [4, 'm4'],
      [5, 'm5'],
    ]);
    expect(resumed[0]!.headers).toEqual({ 'content-type': 'text/plain' });
    expect(await codeOf(() => ordering.subscribe(C, { afterSequence: 6 }))).toBe('ORDERING_LOG_SHORTER');
    await ordering.close();
  });

  it('acknowledges and delivers a message only once the durability callback has it', async () => {
    const { durability, batches, waiting } = manualDurability();
    const ordering = new InProcessOrdering({ durability });
    const delivered: number[] = [];
    const reader = (async () => {
      for await (const m of ordering.subscribe(C, { afterSequence: 0 })) delivered.push(m.sequence);
    })();
    let acked = false;
    const first = ordering.append(C, msg('a')).then((r) => ((acked = true), r));
    const second = ordering.append(C, msg('b'));
    const third = ordering.append(C, msg('c'));
    await new Promise((r) => setTimeout(r, 20));
    expect(acked).toBe(false);
    expect(delivered).toEqual([]);
    expect(batches.map((b) => b.map((e) => e.sequence))).toEqual([[1]]); // one batch in flight at a time
    waiting.shift()!.resolve();
    expect((await first).sequence).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(batches.map((b) => b.map((e) => e.sequence))).toEqual([[1], [2, 3]]); // the rest, grouped
    expect(delivered).toEqual([1]);
    waiting.shift()!.resolve();
    expect([(await second).sequence, (await third).sequence]).toEqual([2, 3]);
    for (let i = 0; i < 100 && delivered.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(delivered).toEqual([1, 2, 3]);
    await ordering.close();
    await reader;
  });

  it('refuses all appends once the durability callback failed, and delivers none of the failed ones', async () => {
    const { durability, waiting } = manualDurability();
    const ordering = new InProcessOrdering({ durability });
    const failed = ordering.append(C, msg('a'));
    await new Promise((r) => setTimeout(r, 5));
    waiting.shift()!.reject(new Error('disk full'));
    expect(await codeOf(failed)).toBe('ORDERING_UNAVAILABLE');
    expect(await codeOf(ordering.append(C, msg('b')))).toBe('ORDERING_UNAVAILABLE');
    await ordering.close();
  });

  it('stamps messages with the log clock, never going backwards', async () => {
    const times = [Date.parse('2026-11-21T08:00:00.000Z'), Date.parse('2026-11-21T07:59:00.000Z'), Date.parse('2026-11-21T08:00:05.000Z')];
    const ordering = new InProcessOrdering({ clock: () => times.shift()! });
    for (const s of ['a', 'b', 'c']) await ordering.append(C, msg(s));
    const seen = await take(ordering.subscribe(C, { afterSequence: 0 }), 3);
    expect(seen.map((m) => m.timestamp)).toEqual(['2026-11-21T08:00:00.000Z', '2026-11-21T08:00:00.000Z', '2026-11-21T08:00:05.000Z']);
    await ordering.close();
  });

  it('keeps its own copy of the bytes', async () => {
    const ordering = new InProcessOrdering();
    const bytes = msg('original');
    await ordering.append(C, bytes);
    bytes.fill(0);
    const [m] = await take(ordering.subscribe(C, { afterSequence: 0 }), 1);
    expect(dec.decode(m!.bytes)).toBe('original');
    m!.bytes.fill(0);
    const [again] = await take(ordering.subscribe(C, { afterSequence: 0 }), 1);
    expect(dec.decode(again!.bytes)).toBe('original');
    await ordering.close();
  });

  it('restores a log persisted earlier and continues its sequence; a restored log with a gap is corrupt', async () => {
    const entry = (sequence: number): LogEntry => ({ consortium: C, sequence, timestamp: '2026-11-21T08:00:00.000Z', bytes: msg(`r${sequence}`), headers: {} });
    const ordering = new InProcessOrdering({ restore: [entry(1), entry(2)], clock: () => Date.parse('2026-11-21T07:00:00.000Z') });
    const appended = await ordering.append(C, msg('new'));
    expect(appended.sequence).toBe(3);
    const seen = await take(ordering.subscribe(C, { afterSequence: 0 }), 3);
    expect(seen.map((m) => dec.decode(m.bytes))).toEqual(['r1', 'r2', 'new']);
    expect(seen[2]!.timestamp).toBe('2026-11-21T08:00:00.000Z'); // not before the restored entries
    await ordering.close();
    expect(await codeOf(() => new InProcessOrdering({ restore: [entry(1), entry(3)] }))).toBe('ORDERING_LOG_CORRUPT');
  });

  it('ends open subscriptions on close and refuses work afterwards', async () => {
    const ordering = new InProcessOrdering();
    const subscription = ordering.subscribe(C, { afterSequence: 0 });
    const pending = subscription[Symbol.asyncIterator]().next();
    await ordering.close();
    expect((await pending).done).toBe(true);
    expect(await codeOf(ordering.append(C, msg('late')))).toBe('ORDERING_CLOSED');
    expect(await codeOf(() => ordering.subscribe(C, { afterSequence: 0 }))).toBe('ORDERING_CLOSED');
  });

  it('refuses bad input with ORDERING_BAD_INPUT', async () => {
    const ordering = new InProcessOrdering();
    expect(await codeOf(ordering.append('Not A Slug', msg('x')))).toBe('ORDERING_BAD_INPUT');
    expect(await codeOf(ordering.append(C, new Uint8Array()))).toBe('ORDERING_BAD_INPUT');
    expect(await codeOf(ordering.append(C, 'text' as unknown as Uint8Array))).toBe('ORDERING_BAD_INPUT');
    expect(await codeOf(ordering.append(C, msg('x'), { 'Nats-Msg-Id': 'forged' }))).toBe('ORDERING_BAD_INPUT');
    expect(await codeOf(ordering.append(C, msg('x'), { 'x-a': 'line\r\nx-b: injected' }))).toBe('ORDERING_BAD_INPUT');
    expect(await codeOf(ordering.append(C, new Uint8Array(2 * 1024 * 1024)))).toBe('ORDERING_BAD_INPUT');
    expect(await codeOf(() => ordering.subscribe(C, { afterSequence: -1 }))).toBe('ORDERING_BAD_INPUT');
    expect(await codeOf(() => ordering.subscribe(C, {} as never))).toBe('ORDERING_BAD_INPUT');
    expect((await ordering.info(C)).lastSequence).toBe(0);
    await ordering.close();
  });
});
