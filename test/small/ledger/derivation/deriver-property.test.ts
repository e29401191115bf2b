/** Properties of block derivation over generated logs: determinism, and no fork under a broker that reorders. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../../../src/core/crypto/index.js';
import { RecordKind, type SignedRecord } from '../../../../src/core/ledger/index.js';
import type { DerivationEntry, Deriver } from '../../../../src/core/ledger/derivation/index.js';
import type { OrderingMessage } from '../../../../src/core/ledger/ordering-message.js';
import { AUTHORITIES, DemoChain, Stream, canonicalOutputs, cut, deriverOf, feed, finalsOf, seal, submission } from './stream.js';

const MEMBERS = ['fsa', 'hmrc', 'green-farm', 'big-retail', 'acme-abattoir', 'swift-haulage'];

type Op =
  | { t: 'sub'; orgs: number[]; bad: boolean; repeat: boolean }
  | { t: 'cut'; by: number; delta: -1 | 0 | 1 }
  | { t: 'seal'; by: number; forged: boolean }
  | { t: 'clock'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('sub' as const), orgs: fc.array(fc.nat(MEMBERS.length - 1), { minLength: 1, maxLength: 3 }), bad: fc.boolean(), repeat: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('cut' as const), by: fc.nat(AUTHORITIES.length - 1), delta: fc.constantFrom(-1 as const, 0 as const, 0 as const, 1 as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('seal' as const), by: fc.nat(AUTHORITIES.length - 1), forged: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clock' as const), ms: fc.integer({ min: -5000, max: 5000 }) }) },
);

/** Turns generated operations into a log, using a deriver to know the open height and the blocks to seal. */
function logOf(demo: DemoChain, ops: readonly Op[]): DerivationEntry[] {
  const reference = deriverOf(demo);
  const stream = new Stream();
  const stranger = generateKeyPair();
  const sent: SignedRecord[] = [];
  let clock = Date.parse('2026-04-01T00:00:00.000Z');
  const push = (message: OrderingMessage) => {
    clock += 700;
    reference.apply(stream.push(message, new Date(clock).toISOString()));
  };
  ops.forEach((o, n) => {
    if (o.t === 'clock') clock += o.ms;
    else if (o.t === 'sub') {
      const records = o.orgs.map((i) => demo.sign(MEMBERS[i]!, RecordKind.EPCIS_EVENT, { n, org: i }));
      if (o.bad) records.push(demo.sign(stranger, RecordKind.EPCIS_EVENT, { n }));
      if (o.repeat && sent.length > 0) records.push(sent[n % sent.length]!);
      sent.push(...records);
      push(submission(records));
    } else if (o.t === 'cut') push(cut(Math.max(1, reference.derivedHeight + 1 + o.delta), demo.key(AUTHORITIES[o.by]!)));
    else {
      const block = reference.unfinalBlocks()[0];
      if (!block) return;
      const header = o.forged ? { ...block.header, merkleRoot: 'ab'.repeat(32) } : block.header;
      push(seal(header, demo.key(AUTHORITIES[o.by]!)));
    }
  });
  return stream.entries;
}

describe('block derivation properties', () => {
  it('two derivers fed the same entries derive byte-identical outputs: decisions, blocks, seals, evidence', () => {
    const demo = new DemoChain();
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const entries = logOf(demo, ops);
        const [a, b] = [deriverOf(demo), deriverOf(demo)];
        expect(canonicalOutputs(feed(b, entries))).toBe(canonicalOutputs(feed(a, entries)));
        expect(a.state.logSize).toBe(b.state.logSize);
        expect(a.state.headHash).toBe(b.state.headHash);
      }),
      { numRuns: 25 },
    );
  });

  it('a broker showing nodes different orders never makes two hashes final at one height: honest authorities stop instead', () => {
    const demo = new DemoChain();
    const keys: KeyPair[] = AUTHORITIES.map((a) => demo.key(a));
    const records = Array.from({ length: 6 }, (_, i) => demo.sign(MEMBERS[i % MEMBERS.length]!, RecordKind.EPCIS_EVENT, { i }));
    // The honest log: three blocks of two records, each cut by some authority.
    const base: OrderingMessage[] = [];
    for (let h = 1; h <= 3; h++) base.push(submission([records[2 * h - 2]!]), submission([records[2 * h - 1]!]), cut(h, keys[h % keys.length]!));
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.array(fc.nat(), { minLength: base.length, maxLength: base.length }),
        fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
        (reordered, sortKeys, deliveryOrder) => {
          const permuted = base.map((m, i) => ({ m, k: sortKeys[i]! })).sort((x, y) => x.k - y.k).map((x) => x.m);
          const nodes = keys.map((key) => ({ key, deriver: deriverOf(demo), stream: new Stream(), finals: new Map<number, string>() }));
          nodes.forEach((node, i) => {
            for (const m of reordered[i] ? permuted : base) recordFinals(node, node.deriver.apply(node.stream.push(m)));
          });
          // Rounds: each authority seals the block above its final head (if it derived one); every seal reaches every node.
          for (let round = 0; round < 4; round++) {
            const seals = nodes.flatMap((node) => {
              const block = node.deriver.unfinalBlocks()[0];
              return block && block.header.height === node.deriver.finalHeight + 1 ? [seal(block.header, node.key)] : [];
            });
            nodes.forEach((node, i) => {
              const order = seals.map((s, j) => ({ s, k: deliveryOrder[(round * 16 + i * 4 + j) % 64]! })).sort((x, y) => x.k - y.k);
              for (const { s } of order) recordFinals(node, node.deriver.apply(node.stream.push(s)));
            });
          }
          for (let h = 1; h <= 3; h++) {
            const hashes = new Set(nodes.flatMap((n) => (n.finals.has(h) ? [n.finals.get(h)!] : [])));
            expect(hashes.size, `height ${h}`).toBeLessThanOrEqual(1);
          }
          // With every node on one order the chain moves: every block they derive becomes final, the same everywhere.
          if (reordered.every((r) => r === reordered[0])) {
            for (const n of nodes) expect(n.deriver.finalHeight).toBe(n.deriver.derivedHeight);
            expect(new Set(nodes.map((n) => n.deriver.state.headHash)).size).toBe(1);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

function recordFinals(node: { finals: Map<number, string>; deriver: Deriver }, outputs: ReturnType<Deriver['apply']>): void {
  for (const f of finalsOf(outputs)) {
    // Finality never reverses: a height is final once, with one hash.
    expect(node.finals.has(f.height)).toBe(false);
    node.finals.set(f.height, f.hash);
  }
}
