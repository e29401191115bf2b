/**
 * The JetStream ordering adapter against a real 3-server nats-server cluster on loopback: total
 * order, exactly-once appends, resume, a server killed with SIGKILL, credentials and per-consortium
 * permissions, and gaps surfaced rather than skipped.
 */
import { connect, nkeys } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JetStreamOrdering, type NatsCredentials } from '../../../src/platform/ordering/jetstream-ordering.js';
import { OrderingError, type OrderedMessage, type OrderingSubscription } from '../../../src/platform/ordering/ordering.js';
import { NatsCluster, OPERATOR } from '../../helpers/nats-cluster.js';
import { describeWithNatsServer } from '../../helpers/nats-server-binary.js';

const ALPHA = 'alpha-foods';
const BETA = 'beta-ports';
const GAMMA = 'gamma-short';
const enc = new TextEncoder();
const dec = new TextDecoder();
const MB = 1024 * 1024;

const nkeyUser = nkeys.createUser();
const nkeySeed = dec.decode(nkeyUser.getSeed());
const password = (user: string, pw = `${user}-secret`): NatsCredentials => ({ kind: 'password', user, password: pw });

async function codeOf(work: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (!(error instanceof OrderingError)) throw error;
    return error.code;
  }
  return undefined;
}

/** Reads until `last` (inclusive) or fails after timeoutMs; the subscription is closed either way. */
async function readThrough(subscription: OrderingSubscription, last: number, timeoutMs: number): Promise<OrderedMessage[]> {
  const out: OrderedMessage[] = [];
  const timer = setTimeout(() => void subscription.close(), timeoutMs);
  try {
    for await (const m of subscription) {
      out.push(m);
      if (m.sequence >= last) break;
    }
  } finally {
    clearTimeout(timer);
    await subscription.close();
  }
  if (out.at(-1)?.sequence !== last) throw new Error(`read ${out.length} messages, up to ${out.at(-1)?.sequence ?? 'none'}; expected through ${last}`);
  return out;
}

const view = (m: OrderedMessage) => `${m.sequence}|${m.timestamp}|${dec.decode(m.bytes)}`;

describeWithNatsServer('JetStream ordering on a 3-server nats-server cluster', () => {
  let cluster: NatsCluster;
  const opened: JetStreamOrdering[] = [];
  async function open(credentials: NatsCredentials): Promise<JetStreamOrdering> {
    const ordering = await JetStreamOrdering.connect({ servers: cluster.urls, credentials, name: credentials.user, requestTimeoutMs: 3000 });
    opened.push(ordering);
    return ordering;
  }

  beforeAll(async () => {
    cluster = await NatsCluster.start({
      users: [
        { user: 'alpha1', password: 'alpha1-secret', consortia: [ALPHA, GAMMA] },
        { user: 'alpha2', password: 'alpha2-secret', consortia: [ALPHA] },
        { user: 'alpha3', nkey: nkeyUser.getPublicKey(), consortia: [ALPHA] },
        { user: 'alpha4', password: 'alpha4-secret', consortia: [ALPHA] },
        { user: 'beta1', password: 'beta1-secret', consortia: [BETA] },
      ],
    });
    const operator = await open(password(OPERATOR.user, OPERATOR.password));
    await operator.provision(ALPHA, { maxBytes: 64 * MB });
    await operator.provision(BETA, { maxBytes: 64 * MB });
    await operator.provision(GAMMA, { maxBytes: 64 * MB, maxAgeMs: 1000, duplicateWindowMs: 1000 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(opened.map((o) => o.close()));
    await cluster?.stop();
  }, 30_000);

  it('shows four subscribers on four connections the same total order while three clients append concurrently', async () => {
    const writers = await Promise.all([open(password('alpha1')), open(password('alpha2')), open({ kind: 'nkey', user: 'alpha3', seed: nkeySeed })]);
    const readers = [...writers, await open(password('alpha4'))];
    const start = (await readers[0]!.info(ALPHA)).lastSequence;
    const subscriptions = readers.map((r) => r.subscribe(ALPHA, { afterSequence: start }));
    const perWriter = 60;
    const reads = subscriptions.map((s) => readThrough(s, start + writers.length * perWriter, 30_000));
    const acks = await Promise.all(
      writers.map(async (w, wi) => {
        const out: { sequence: number; text: string }[] = [];
        for (let i = 0; i < perWriter; i++) {
          const text = `w${wi}-${i}`;
          const { sequence, duplicate } = await w.append(ALPHA, enc.encode(text));
          expect(duplicate).toBe(false);
          out.push({ sequence, text });
        }
        return out;
      }),
    );
    const seen = await Promise.all(reads);
    const first = seen[0]!.map(view);
    expect(first).toHaveLength(writers.length * perWriter);
    for (const other of seen.slice(1)) expect(other.map(view)).toEqual(first);

    // Exactly once: every acknowledged append is in the log once, at the sequence its ack named,
    // and each writer's appends keep that writer's order.
    const acked = acks.flat();
    const atSequence = new Map(seen[0]!.map((m) => [m.sequence, dec.decode(m.bytes)]));
    expect(new Set(acked.map((a) => a.sequence)).size).toBe(acked.length);
    for (const a of acked) expect(atSequence.get(a.sequence)).toBe(a.text);
    for (const list of acks) expect(list.map((a) => a.sequence)).toEqual([...list.map((a) => a.sequence)].sort((x, y) => x - y));
    expect(seen[0]!.map((m) => m.sequence)).toEqual(first.map((_, i) => start + i + 1));
  }, 60_000);

  it('resumes a subscriber after the sequence it handled, and stores a retried append once', async () => {
    const node = await open(password('alpha2'));
    const first = await node.append(ALPHA, enc.encode(`resume-${Date.now()}-a`), { 'x-kind': 'test' });
    const bytes = enc.encode(`resume-${Date.now()}-b`);
    const second = await node.append(ALPHA, bytes);
    const retried = await node.append(ALPHA, bytes);
    expect(retried).toEqual({ sequence: second.sequence, duplicate: true });
    const resumed = await readThrough(node.subscribe(ALPHA, { afterSequence: first.sequence - 1 }), second.sequence, 10_000);
    expect(resumed.map((m) => m.sequence)).toEqual([first.sequence, second.sequence]);
    expect(resumed[0]!.headers).toEqual({ 'x-kind': 'test' });
    const afterFirst = await readThrough(node.subscribe(ALPHA, { afterSequence: first.sequence }), second.sequence, 10_000);
    expect(afterFirst.map((m) => m.sequence)).toEqual([second.sequence]);
    expect(await codeOf(readThrough(node.subscribe(ALPHA, { afterSequence: second.sequence + 100 }), 0, 10_000))).toBe('ORDERING_LOG_SHORTER');
  }, 30_000);

  it('keeps appending and delivering, in order and without gaps, when the stream leader is killed with SIGKILL', async () => {
    const writer = await open(password('alpha1'));
    const reader = await open(password('alpha4'));
    const before = await writer.info(ALPHA);
    const leader = cluster.servers.findIndex((s) => s.name === before.cluster.leader);
    expect(leader).toBeGreaterThanOrEqual(0);
    const start = before.lastSequence;
    const total = 150;
    // A second reader stays connected to a surviving server, so it does not reconnect: its
    // consumer, if the dead server held it, must be noticed as stalled and re-created.
    const survivor = cluster.servers.find((_, i) => i !== leader)!;
    const pinned = await JetStreamOrdering.connect({ servers: [survivor.url], credentials: password('alpha2'), requestTimeoutMs: 3000 });
    opened.push(pinned);
    const reading = readThrough(reader.subscribe(ALPHA, { afterSequence: start }), start + total, 60_000);
    const pinnedReading = readThrough(pinned.subscribe(ALPHA, { afterSequence: start }), start + total, 60_000);
    const acked: number[] = [];
    for (let i = 0; i < total; i++) {
      if (i === 50) await cluster.kill(leader);
      acked.push((await writer.append(ALPHA, enc.encode(`kill-${i}`))).sequence);
    }
    expect(acked).toEqual(acked.map((_, i) => start + i + 1));
    const seen = await reading;
    expect(seen.map((m) => dec.decode(m.bytes))).toEqual(acked.map((_, i) => `kill-${i}`));
    expect((await pinnedReading).map(view)).toEqual(seen.map(view));

    const during = await writer.info(ALPHA);
    expect(during.cluster.leader).not.toBe(before.cluster.leader);
    await cluster.restart(leader);
    const deadline = Date.now() + 30_000;
    let info = await writer.info(ALPHA);
    while (!(info.cluster.peers.length === 3 && info.cluster.peers.every((p) => p.current && !p.offline))) {
      if (Date.now() > deadline) throw new Error(`the restarted server did not catch up: ${JSON.stringify(info.cluster)}`);
      await new Promise((r) => setTimeout(r, 250));
      info = await writer.info(ALPHA);
    }
    expect(info.lastSequence).toBe(start + total);
  }, 120_000);

  it('refuses a client with wrong credentials', async () => {
    expect(await codeOf(open(password('alpha1', 'not-the-password')))).toBe('ORDERING_AUTH_FAILED');
    expect(await codeOf(open(password('nobody')))).toBe('ORDERING_AUTH_FAILED');
    const stranger = dec.decode(nkeys.createUser().getSeed());
    expect(await codeOf(open({ kind: 'nkey', user: 'alpha3', seed: stranger }))).toBe('ORDERING_AUTH_FAILED');
  }, 30_000);

  it("keeps a node of one consortium out of another consortium's stream", async () => {
    const alpha = await open(password('alpha1'));
    const beta = await open(password('beta1'));
    await alpha.append(ALPHA, enc.encode('alpha only'));
    expect(await codeOf(beta.append(ALPHA, enc.encode('intruder')))).toBe('ORDERING_FORBIDDEN');
    expect(await codeOf(beta.info(ALPHA))).toBe('ORDERING_FORBIDDEN');
    expect(await codeOf(readThrough(beta.subscribe(ALPHA, { afterSequence: 0 }), 1, 10_000))).toBe('ORDERING_FORBIDDEN');
    expect(await codeOf(alpha.provision(BETA))).toBe('ORDERING_FORBIDDEN');
    expect((await beta.append(BETA, enc.encode('beta own'))).sequence).toBeGreaterThan(0);

    // Nor around JetStream: no core subscription to alpha's subjects or to an alpha node's inbox.
    const raw = await connect({ servers: cluster.urls, user: 'beta1', pass: 'beta1-secret', inboxPrefix: '_INBOX_beta1' });
    try {
      for (const subject of [`provenant.${ALPHA}.>`, '_INBOX_alpha1.>', '>']) {
        const sub = raw.subscribe(subject);
        const ended = await Promise.race([sub.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 3000))]);
        expect([subject, ended === 'closed' || ended instanceof Error]).toEqual([subject, true]);
      }
    } finally {
      await raw.close();
    }
  }, 30_000);

  it('reports a gap left by retention instead of skipping it', async () => {
    const node = await open(password('alpha1'));
    for (const s of ['g1', 'g2', 'g3']) await node.append(GAMMA, enc.encode(s));
    const deadline = Date.now() + 15_000;
    while ((await node.info(GAMMA)).messages > 0) {
      if (Date.now() > deadline) throw new Error('retention did not drop the messages');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await codeOf(readThrough(node.subscribe(GAMMA, { afterSequence: 0 }), 3, 10_000))).toBe('ORDERING_GAP');
    const fourth = await node.append(GAMMA, enc.encode('g4'));
    expect(fourth.sequence).toBe(4);
    expect(await codeOf(readThrough(node.subscribe(GAMMA, { afterSequence: 1 }), 4, 10_000))).toBe('ORDERING_GAP');
    const tail = await readThrough(node.subscribe(GAMMA, { afterSequence: 3 }), 4, 10_000);
    expect(tail.map((m) => dec.decode(m.bytes))).toEqual(['g4']);
  }, 30_000);

  it('provisions idempotently and refuses a stream whose settings differ', async () => {
    const operator = await open(password(OPERATOR.user, OPERATOR.password));
    const info = await operator.provision(ALPHA, { maxBytes: 64 * MB });
    expect(info).toMatchObject({ consortium: ALPHA, replicas: 3, cluster: { name: 'provenant-test' } });
    expect(await codeOf(operator.provision(ALPHA, { maxBytes: 64 * MB, replicas: 1 }))).toBe('ORDERING_STREAM_MISMATCH');
    expect(await codeOf(operator.info('never-provisioned'))).toBe('ORDERING_UNKNOWN_CONSORTIUM');
    const started = Date.now();
    expect(await codeOf(operator.append('never-provisioned', enc.encode('x')))).toBe('ORDERING_UNKNOWN_CONSORTIUM');
    expect(Date.now() - started).toBeLessThan(5000); // told at once, not after the append deadline
  }, 30_000);
});
