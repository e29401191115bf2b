/**
 * What traces reuse across queries (shared work once): derived data is reused only for
 * the very row objects a source handed out before (a store does that only for byte-identical
 * stored text); every query still reads every frontier. And the restructured semantic checks give
 * exactly what the per-hop definition (custodianBefore, inputUses, per edge) gives.
 */
import { describe, expect, it } from 'vitest';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { itemEdges, trace, type EventRow, type LineageEdge } from '../../../src/core/lineage/graph.js';
import type { EvidenceLoader } from '../../../src/core/lineage/evidence.js';
import { cargoLineage, type CargoNode, type LineageContext } from '../../../src/services/lineage/queries.js';
import { custodianBefore, inputUses, massBalanceProblems, semanticReasons, type HopReason } from '../../../src/core/lineage/semantics.js';
import { ruleFor } from '../../../src/core/rules/authorisation.js';
import { identifiersOf } from '../../../src/core/epcis/epcis-model.js';
import { aggregate, LineageFixture, obj, time, transform } from './fixture.js';
import { LineageMemo } from '../../../src/core/lineage/lineage-memo.js';

const sg = (item: number, serial: number) => `urn:epc:id:sgtin:5098765.0${item}.${serial}`;
const lot = (item: number, l: string) => `urn:epc:class:lgtin:5098765.0${item}.${l}`;
const c = canonicalIdentifier;
const A = sg(11111, 1), B = sg(11111, 2), X = sg(22222, 1), Y = sg(22222, 2), P = sg(33333, 1), Q = sg(33333, 2);
const CASE = 'urn:epc:id:sscc:5098765.0000000001';
const CONTAINER = 'urn:provenant:container:CSQU3054383';
const ANIMAL = 'urn:provenant:animal:UK123450600001';
const FEED = lot(66666, 'FEED1');

/** An EvidenceLoader over the fixture's maps. */
function contextOf(f: LineageFixture, now: string): LineageContext {
  const evidence: EvidenceLoader = {
    records: async (hashes) => hashes.flatMap((h) => (f.records.has(h) ? [f.records.get(h)!] : [])),
    blocks: async (heights) => heights.flatMap((h) => (f.blocks.has(h) ? [f.blocks.get(h)!] : [])),
    blockRange: async (from, to) => [...f.blocks.values()].filter((b) => b.height >= from && b.height <= to).sort((a, b) => a.height - b.height),
    recordHashesOfBlocks: async (heights) => new Map(heights.map((h) => [h, f.blockRecordHashes.get(h) ?? []])),
    coldChainBreaches: async () => f.breaches,
    custody: async () => new Map(),
  };
  return { source: f.source(), evidence, state: f.state, now: () => now };
}

/** The per-hop definition of the semantic checks, written plainly (one edge at a time). */
function referenceReasons(events: Map<string, EventRow>, edges: LineageEdge[]): HopReason[][] {
  const uses = inputUses(events.values());
  const canonicalAll = (xs: string[]) => xs.map(canonicalIdentifier);
  return edges.map((edge) => {
    const reasons: HopReason[] = [];
    for (const before of edges.filter((e) => e.to === edge.from)) {
      if (before.time > edge.time) reasons.push({ code: 'TIME_ORDER', message: `${edge.from} was produced at ${before.time}, after it was used at ${edge.time}`, details: { expected: `<= ${edge.time}`, computed: before.time, eventId: before.eventId } });
    }
    const row = events.get(edge.eventId)!;
    const rule = ruleFor(row.event);
    const ids = identifiersOf(row.event);
    const parts = { epc: canonicalAll(ids.epcs), parent: canonicalAll(ids.parentID !== undefined ? [ids.parentID] : []), child: canonicalAll(ids.childEPCs), input: canonicalAll(ids.inputEPCs), output: canonicalAll(ids.outputEPCs) };
    const held = new Set((rule?.custody.check ?? []).flatMap((p) => parts[p]));
    for (const id of [edge.from, edge.to]) {
      if (!held.has(id)) continue;
      const holder = custodianBefore(events.values(), id, row);
      if (holder !== undefined && holder !== null && holder !== row.signerOrg) reasons.push({ code: 'CUSTODY', message: `${row.signerOrg} acted on ${id}, held by ${holder}`, details: { identifier: id, expected: row.signerOrg, computed: holder } });
    }
    reasons.push(...massBalanceProblems(row.event));
    if (edge.kind === 'TRANSFORMATION') {
      const used = uses.get(edge.from);
      if (used && used.length > 1) reasons.push({ code: 'DOUBLE_USE', message: `${edge.from} was consumed by ${used.length} transformations`, details: { identifier: edge.from, eventIds: used } });
    }
    return reasons;
  });
}

/** Events with every kind of warning: custody, time order, double use, mass balance, and runs of one event. */
function troubled(): LineageFixture {
  const f = new LineageFixture();
  f.add('northern-abattoir', obj(1, { bizStep: 'receiving', epcList: [A, B] }));
  f.add('vale-processors', transform(2, { inputEPCList: [A, B], outputEPCList: [X, Y] }));
  f.add('vale-processors', transform(8, { inputEPCList: [A], outputEPCList: [Q] }));
  f.add('vale-processors', transform(5, { inputEPCList: [X, Y], outputEPCList: [P, Q], inputQuantityList: [{ epcClass: lot(44444, 'L1'), quantity: 10, uom: 'KGM' }], outputQuantityList: [{ epcClass: lot(55555, 'L2'), quantity: 12, uom: 'KGM' }] }));
  f.add('vale-processors', aggregate(6, 'ADD', CASE, [P, Q]));
  // A farm feeds an animal the abattoir holds: the custody check is on the edge's animal end.
  f.add('northern-abattoir', obj(1, { bizStep: 'receiving', epcList: [ANIMAL] }));
  f.add('highfield-farm', obj(2, { bizStep: 'urn:provenant:bizstep:feeding', epcList: [ANIMAL], quantityList: [{ epcClass: FEED, quantity: 30, uom: 'KGM' }] }));
  f.seal();
  return f;
}

describe('semantic checks over runs of hops', () => {
  it('give exactly the per-hop definition, reason by reason, in both directions', async () => {
    const f = troubled();
    const expected = { UPSTREAM: ['CUSTODY', 'TIME_ORDER', 'DOUBLE_USE', 'MASS_BALANCE'], DOWNSTREAM: ['CUSTODY', 'DOUBLE_USE', 'MASS_BALANCE'] };
    for (const [start, direction] of [[CASE, 'UPSTREAM'], [A, 'DOWNSTREAM'], [X, 'DOWNSTREAM'], [FEED, 'DOWNSTREAM']] as const) {
      const r = await trace(f.source(), start, direction, 10);
      const edges = itemEdges(r);
      const got = semanticReasons(r);
      const want = referenceReasons(r.events, edges);
      expect(edges.map((e) => got.get(e) ?? [])).toEqual(want);
      if (start === CASE || start === A) expect(want.flat().map((w) => w.code)).toEqual(expect.arrayContaining(expected[direction]));
      if (start === FEED) expect(want).toEqual([[expect.objectContaining({ code: 'CUSTODY', details: { identifier: c(ANIMAL), expected: 'highfield-farm', computed: 'northern-abattoir' } })]]);
    }
  });

  it('are reused for the same rows and computed afresh when a row object changes', async () => {
    const f = troubled();
    const first = await trace(f.source(), CASE, 'UPSTREAM', 10);
    const again = await trace(f.source(), CASE, 'UPSTREAM', 10);
    expect(semanticReasons(again)).toEqual(semanticReasons(first));
    // The mass-balanced version of the mixing event, as a store would hand back for changed text.
    const mix = f.rows[3]!;
    f.rows[3] = { ...mix, event: { ...mix.event, outputQuantityList: [{ epcClass: lot(55555, 'L2'), quantity: 9, uom: 'KGM' }] } };
    const changed = await trace(f.source(), CASE, 'UPSTREAM', 10);
    const codes = (r: typeof first) => [...semanticReasons(r).values()].flat().map((w) => w.code);
    expect(codes(first)).toContain('MASS_BALANCE');
    expect(codes(changed)).not.toContain('MASS_BALANCE');
  });
});

describe('walks reused only for the same rows', () => {
  it('read every frontier again each time, and give the same result while the rows are the same objects', async () => {
    const f = troubled();
    const first = await trace(f.source(), CASE, 'UPSTREAM', 10);
    // One read per depth level: the start, then each frontier until one adds nothing.
    const levels = Math.max(...first.depth.values()) + 1;
    for (let i = 0; i < 2; i++) {
      const calls = f.calls.length;
      const again = await trace(f.source(), CASE, 'UPSTREAM', 10);
      expect(f.calls.length - calls).toBe(levels);
      expect(again).toBe(first);
    }
    const shallower = await trace(f.source(), CASE, 'UPSTREAM', 1);
    expect(shallower).not.toBe(first);
    expect(shallower.nodes).toEqual([c(CASE), c(P), c(Q)]);
  });

  it('walk afresh once a source hands back a different row', async () => {
    const f = troubled();
    const first = await trace(f.source(), CASE, 'UPSTREAM', 10);
    const packing = f.rows[4]!;
    f.rows[4] = { ...packing, identifiers: packing.identifiers.filter((i) => i.identifier !== c(Q)) };
    const changed = await trace(f.source(), CASE, 'UPSTREAM', 10);
    expect(changed).not.toBe(first);
    expect(changed.nodes).not.toContain(c(Q));
    expect(itemEdges(changed).filter((e) => e.to === c(CASE)).map((e) => e.from)).toEqual([c(P)]);
    expect(itemEdges(first).filter((e) => e.to === c(CASE)).map((e) => e.from)).toEqual([c(P), c(Q)]);
  });
});

describe('cargo nesting kept per trace, by time', () => {
  const ids = (nodes: CargoNode[]): string[] => nodes.flatMap((n) => [n.identifier, ...ids(n.contents)]);

  it('follows the links active at each query time, before and after an unpacking', async () => {
    const f = new LineageFixture();
    f.add('vale-processors', transform(1, { inputEPCList: [A], outputEPCList: [P, Q] }));
    f.add('vale-processors', aggregate(2, 'ADD', CASE, [P, Q]));
    f.add('vale-processors', aggregate(3, 'ADD', CONTAINER, [CASE]));
    f.add('vale-processors', aggregate(5, 'DELETE', CASE, [Q]));
    f.seal();
    const before = await cargoLineage(contextOf(f, time(4)), CONTAINER);
    const after = await cargoLineage(contextOf(f, time(6)), CONTAINER);
    const beforeAgain = await cargoLineage(contextOf(f, time(4)), CONTAINER);
    const atStart = await cargoLineage(contextOf(f, time(2)), CONTAINER);
    expect(ids(before.contents)).toEqual([c(CASE), c(P), c(Q)]);
    expect(ids(after.contents)).toEqual([c(CASE), c(P)]);
    expect(ids(beforeAgain.contents)).toEqual([c(CASE), c(P), c(Q)]);
    expect(ids(atStart.contents)).toEqual([]);
    expect(before.contents[0]!.contents[0]!.origins).toEqual([c(A)]);
    for (const v of [before, after, beforeAgain, atStart]) expect(v.verification.verdict).toBe('VERIFIED');
  });
});

describe('what lineage remembers lives in the memo its source carries', () => {
  it('a source without a memo, or with another memo, walks afresh; the memo that walked hands its result back', async () => {
    const f = troubled();
    const first = await trace(f.source(), CASE, 'UPSTREAM', 10);
    expect(first.memo).toBe(f.memo);
    expect(Object.keys(first)).not.toContain('memo');
    const bare = { eventsTouching: f.source().eventsTouching };
    const plain = await trace(bare, CASE, 'UPSTREAM', 10);
    expect(plain).not.toBe(first);
    expect(plain.memo).toBeUndefined();
    expect(plain.nodes).toEqual(first.nodes);
    const other = await trace({ ...f.source(), memo: new LineageMemo() }, CASE, 'UPSTREAM', 10);
    expect(other).not.toBe(first);
    expect(await trace(f.source(), CASE, 'UPSTREAM', 10)).toBe(first);
    // Semantic reasons are the same with or without a memo.
    expect(semanticReasons(plain)).toEqual(semanticReasons(first));
  });
});
