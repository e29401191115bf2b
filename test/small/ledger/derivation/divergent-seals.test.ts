/**
 * Divergent seals: two groups of honest authorities read the same submissions in different orders
 * (a broker showing them different logs), derive different blocks at one height and seal them.
 * No hash reaches a quorum, the chain stops there, and each deriver keeps one piece of evidence
 * naming the height, both hashes and who sealed each.
 */
import { describe, expect, it } from 'vitest';
import { blockHash, type BlockHeader } from '../../../../src/core/ledger/index.js';
import { isValidSignedHeader, type DerivationOutput, type Evidence } from '../../../../src/core/ledger/derivation/index.js';
import { AUTHORITIES, DemoChain, Stream, blocksOf, cut, deriverOf, event, feed, finalsOf, seal, submission } from './stream.js';

const evidenceOf = (outputs: readonly DerivationOutput[]): Evidence[] => outputs.flatMap((o) => (o.type === 'evidence' ? [o.evidence] : []));
const divergentOf = (outputs: readonly DerivationOutput[]) => evidenceOf(outputs).filter((e) => e.kind === 'divergent-seals');

/** Two derivers, one fed [a, b] and the other [b, a] before the same cut marker: two blocks at height 1. */
function twoViews() {
  const demo = new DemoChain();
  const [a, b] = [event(demo, 'green-farm', 'a'), event(demo, 'acme-abattoir', 'b')];
  const at = ['2026-03-01T09:00:00.000Z', '2026-03-01T09:00:01.000Z', '2026-03-01T09:00:02.000Z'] as const;
  const marker = cut(1, demo.key('fsa'));
  const views = [
    [a, b],
    [b, a],
  ].map((order) => {
    const deriver = deriverOf(demo);
    const stream = new Stream();
    const outputs = feed(deriver, [stream.push(submission([order[0]!]), at[0]), stream.push(submission([order[1]!]), at[1]), stream.push(marker, at[2])]);
    return { deriver, stream, block: blocksOf(outputs)[0]! };
  });
  return { demo, views };
}

describe('divergent seals: honest authorities that derived different blocks at one height', () => {
  it('stops the chain at that height on both sides and keeps one piece of evidence naming both hashes and their signers', () => {
    const { demo, views } = twoViews();
    const [x, y] = views;
    expect(x!.block.hash).not.toBe(y!.block.hash);
    expect(x!.block.header.height).toBe(1);
    const sides = { fsa: x!.block.header, hmrc: x!.block.header, 'green-farm': y!.block.header, 'big-retail': y!.block.header } as Record<string, BlockHeader>;
    for (const view of views) {
      // Every seal reaches both sides, in one log order.
      const outputs = feed(view.deriver, AUTHORITIES.map((org) => view.stream.push(seal(sides[org]!, demo.key(org)))));
      expect(finalsOf(outputs)).toEqual([]);
      expect(view.deriver.finalHeight).toBe(0);
      expect(outputs.filter((o) => o.type === 'stuck')).toEqual([expect.objectContaining({ height: 1 })]);
      const [evidence] = divergentOf(outputs);
      expect(divergentOf(outputs)).toHaveLength(1);
      if (evidence?.kind !== 'divergent-seals') throw new Error('no divergent-seals evidence');
      expect(evidence).toMatchObject({ height: 1, derivedHash: view.block.hash, consortium: view.block.header.consortium });
      // Reported at the seal that left the derived block short of 3 of 4: the fourth seal (or the third, on the side whose own seals came first).
      const signers = evidence.signedHeaders.map((s) => [s.orgId, blockHash(s.header)]);
      expect(new Set(signers.map(([, hash]) => hash))).toEqual(new Set([x!.block.hash, y!.block.hash]));
      for (const [org, hash] of signers) expect(hash).toBe(blockHash(sides[org!]!));
      expect(signers.filter(([, hash]) => hash !== view.block.hash).map(([org]) => org).sort()).toEqual(view === x ? ['big-retail', 'green-farm'] : ['fsa', 'hmrc']);
      // Self-contained: each signed header verifies under its authority's key.
      for (const s of evidence.signedHeaders) expect(isValidSignedHeader(s, demo.key(s.orgId).publicKey)).toBe(true);
      expect({ keyId: evidence.keyId, orgId: evidence.orgId, sequence: evidence.sequence }).toEqual({ keyId: demo.key(evidence.orgId).keyId, orgId: evidence.orgId, sequence: expect.any(Number) });
      // The seals on the other hash are conflicting seals too, one each.
      expect(evidenceOf(outputs).filter((e) => e.kind === 'conflicting-seal')).toHaveLength(2);
    }
  });

  it('reports the divergence once, and only when the seals name two hashes: later seals at that height add none', () => {
    const { demo, views } = twoViews();
    const [x, y] = views;
    const { deriver, stream } = x!;
    // Two authorities seal the other side's block: stuck, but the log shows only one hash so far.
    const first = feed(deriver, ['green-farm', 'big-retail'].map((org) => stream.push(seal(y!.block.header, demo.key(org)))));
    expect(first.map((o) => o.type)).toEqual(['evidence', 'evidence', 'stuck']);
    expect(divergentOf(first)).toEqual([]);
    const second = deriver.apply(stream.push(seal(x!.block.header, demo.key('fsa'))));
    expect(divergentOf(second)).toHaveLength(1);
    expect(divergentOf(second)[0]).toMatchObject({ orgId: 'fsa', signedHeaders: [{ orgId: 'green-farm' }, { orgId: 'big-retail' }, { orgId: 'fsa' }] });
    expect(evidenceOf(deriver.apply(stream.push(seal(x!.block.header, demo.key('hmrc')))))).toEqual([]);
    expect(deriver.finalHeight).toBe(0);
  });

  it('is not reported when the derived block can still be final: one seal elsewhere is a conflicting seal only', () => {
    const { demo, views } = twoViews();
    const [x, y] = views;
    const { deriver, stream } = x!;
    const outputs = feed(deriver, [
      stream.push(seal(y!.block.header, demo.key('big-retail'))),
      ...['fsa', 'hmrc', 'green-farm'].map((org) => stream.push(seal(x!.block.header, demo.key(org)))),
    ]);
    expect(evidenceOf(outputs).map((e) => e.kind)).toEqual(['conflicting-seal']);
    expect(finalsOf(outputs)).toEqual([expect.objectContaining({ height: 1, hash: x!.block.hash })]);
  });
});
