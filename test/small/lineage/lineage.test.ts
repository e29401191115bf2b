import { describe, expect, it } from 'vitest';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { edgesOfEvent, itemEdges, linkActiveAt, trace } from '../../../src/core/lineage/graph.js';
import { verifyTrace } from '../../../src/core/lineage/verify-hop.js';
import { authenticity, recallCsv, type LineageContext } from '../../../src/services/lineage/queries.js';
import type { EvidenceLoader } from '../../../src/core/lineage/evidence.js';
import { aggregate, LineageFixture, obj, time, transform } from './fixture.js';

const sg = (item: number, serial: number) => `urn:epc:id:sgtin:5098765.0${item}.${serial}`;
const lot = (item: number, l: string) => `urn:epc:class:lgtin:5098765.0${item}.${l}`;
const c = canonicalIdentifier;
const A = sg(11111, 1), B = sg(11111, 2), X = sg(22222, 1), Y = sg(22222, 2), P = sg(33333, 1);

function diamond(f = new LineageFixture()) {
  f.add('vale-processors', transform(2, { inputEPCList: [A], outputEPCList: [X] }));
  f.add('vale-processors', transform(3, { inputEPCList: [B], outputEPCList: [Y] }));
  f.add('vale-processors', transform(4, { inputEPCList: [X, Y], outputEPCList: [P] }));
  f.seal();
  return f;
}

const codes = (hops: ReturnType<typeof verifyTrace>['hops']) => hops.flatMap((h) => h.warnings.map((w) => w.code));

describe('trace', () => {
  it('walks upstream by frontier batches: one source call per depth level', async () => {
    const f = diamond();
    const r = await trace(f.source(), P, 'UPSTREAM', 10);
    expect(new Set(r.nodes)).toEqual(new Set([P, X, Y, A, B].map(c)));
    expect(f.calls.map((x) => new Set(x))).toEqual([new Set([c(P)]), new Set([c(X), c(Y)]), new Set([c(A), c(B)])]);
    expect(r.depth.get(c(A))).toBe(2);
    expect(itemEdges(r)).toHaveLength(4);
  });

  it('stops at maxDepth and walks downstream', async () => {
    const f = diamond();
    const shallow = await trace(f.source(), P, 'UPSTREAM', 1);
    expect(new Set(shallow.nodes)).toEqual(new Set([P, X, Y].map(c)));
    const down = await trace(f.source(), A, 'DOWNSTREAM', 10);
    expect(down.nodes).toEqual([A, X, P].map(c));
    expect(itemEdges(down).map((e) => [e.from, e.to])).toEqual([[c(A), c(X)], [c(X), c(P)]]);
  });

  it('aggregation links hold from packing until unpacking', async () => {
    const f = new LineageFixture();
    f.add('vale-processors', aggregate(2, 'ADD', P, [X, Y]));
    f.add('vale-processors', aggregate(5, 'DELETE', P, [X]));
    const r = await trace(f.source(), P, 'UPSTREAM', 5);
    const edgeX = itemEdges(r).find((e) => e.from === c(X))!;
    const edgeY = itemEdges(r).find((e) => e.from === c(Y))!;
    expect(edgeX).toMatchObject({ kind: 'AGGREGATION', validFrom: time(2), validTo: time(5) });
    expect(linkActiveAt(edgeX, time(3))).toBe(true);
    expect(linkActiveAt(edgeX, time(6))).toBe(false);
    expect(linkActiveAt(edgeY, time(6))).toBe(true);
  });

  it('derives feeding, dam, custody and location edges', () => {
    const f = new LineageFixture();
    const calf = 'urn:provenant:animal:UK123450600001';
    const feed = lot(44444, 'FEED1');
    const birth = f.add('highfield-farm', obj(1, { action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [calf], 'provenant:dam': 'UK123450700002' }));
    const feeding = f.add('highfield-farm', obj(2, { bizStep: 'urn:provenant:bizstep:feeding', epcList: [calf], quantityList: [{ epcClass: feed, quantity: 10, uom: 'KGM' }] }));
    const ship = f.add('vale-processors', obj(3, { bizStep: 'shipping', epcList: [P], destinationList: [{ type: 'owning_party', destination: 'urn:epc:id:pgln:5012345.00000' }], readPoint: { id: 'urn:epc:id:sgln:5098765.00000.0' } }));
    expect(edgesOfEvent(birth)).toEqual([expect.objectContaining({ kind: 'DAM', from: c('UK123450700002'), to: c(calf) })]);
    expect(edgesOfEvent(feeding)).toEqual([expect.objectContaining({ kind: 'FEEDING', from: c(feed), to: c(calf) })]);
    const kinds = edgesOfEvent(ship).map((e) => [e.kind, e.from, e.to]);
    expect(kinds).toContainEqual(['CUSTODY', 'vale-processors', 'urn:epc:id:pgln:5012345.00000']);
    expect(kinds.some(([k]) => k === 'LOCATION')).toBe(true);
  });
});

describe('verifyTrace', () => {
  it('a clean trace is VERIFIED hop by hop', async () => {
    const f = diamond();
    const v = verifyTrace(await trace(f.source(), P, 'UPSTREAM', 10), f.evidence());
    expect(v.hops.map((h) => h.status)).toEqual(['VERIFIED', 'VERIFIED', 'VERIFIED', 'VERIFIED']);
    expect(v.verdict).toBe('VERIFIED');
  });

  it('mass balance: outputs above inputs in the same unit is a WARNING', async () => {
    const f = new LineageFixture();
    f.add('vale-processors', transform(2, { inputQuantityList: [{ epcClass: lot(11111, 'L1'), quantity: 100, uom: 'KGM' }], outputQuantityList: [{ epcClass: lot(22222, 'L2'), quantity: 120, uom: 'KGM' }] }));
    f.seal();
    const v = verifyTrace(await trace(f.source(), lot(22222, 'L2'), 'UPSTREAM', 5), f.evidence());
    expect(v.verdict).toBe('WARNING');
    expect(v.hops[0]!.warnings).toEqual([expect.objectContaining({ code: 'MASS_BALANCE', details: { uom: 'KGM', inputs: 100, outputs: 120 } })]);
  });

  it('balanced quantities are not a warning', async () => {
    const f = new LineageFixture();
    f.add('vale-processors', transform(2, { inputQuantityList: [{ epcClass: lot(11111, 'L1'), quantity: 100, uom: 'KGM' }], outputQuantityList: [{ epcClass: lot(22222, 'L2'), quantity: 90, uom: 'KGM' }] }));
    f.seal();
    expect(verifyTrace(await trace(f.source(), lot(22222, 'L2'), 'UPSTREAM', 5), f.evidence()).verdict).toBe('VERIFIED');
  });

  it('custody: acting on an item another party holds is a WARNING', async () => {
    const f = new LineageFixture();
    f.add('northern-abattoir', obj(1, { bizStep: 'receiving', epcList: [A] }));
    f.add('vale-processors', transform(2, { inputEPCList: [A], outputEPCList: [X] }));
    f.seal();
    const v = verifyTrace(await trace(f.source(), X, 'UPSTREAM', 5), f.evidence());
    expect(v.hops[0]!.status).toBe('WARNING');
    expect(v.hops[0]!.warnings).toEqual([expect.objectContaining({ code: 'CUSTODY', details: { identifier: c(A), expected: 'vale-processors', computed: 'northern-abattoir' } })]);
  });

  it('time order: an input produced after it was used is a WARNING', async () => {
    const f = new LineageFixture();
    f.add('vale-processors', transform(6, { inputEPCList: [A], outputEPCList: [X] }));
    f.add('vale-processors', transform(3, { inputEPCList: [X], outputEPCList: [P] }));
    f.seal();
    const v = verifyTrace(await trace(f.source(), P, 'UPSTREAM', 5), f.evidence());
    const hop = v.hops.find((h) => h.edge.from === c(X))!;
    expect(hop.warnings).toEqual([expect.objectContaining({ code: 'TIME_ORDER', details: expect.objectContaining({ computed: time(6) }) })]);
    expect(v.hops.find((h) => h.edge.from === c(A))!.status).toBe('VERIFIED');
  });

  it('double use: an input consumed by two transformations is a WARNING', async () => {
    const f = new LineageFixture();
    f.add('vale-processors', transform(2, { inputEPCList: [A], outputEPCList: [X] }));
    f.add('vale-processors', transform(3, { inputEPCList: [A], outputEPCList: [Y] }));
    f.seal();
    const v = verifyTrace(await trace(f.source(), A, 'DOWNSTREAM', 5), f.evidence());
    expect(v.hops).toHaveLength(2);
    expect(codes(v.hops)).toEqual(['DOUBLE_USE', 'DOUBLE_USE']);
  });

  it('cold-chain breach records for an item are a WARNING', async () => {
    const f = diamond();
    f.breaches.push({ recordHash: 'b'.repeat(64), subject: 'urn:provenant:container:1', containedItems: [X], signedAt: time(5), finding: {} });
    const v = verifyTrace(await trace(f.source(), P, 'UPSTREAM', 10), f.evidence());
    expect(v.hops.filter((h) => h.status === 'WARNING').every((h) => h.warnings.some((w) => w.code === 'COLD_CHAIN_BREACH'))).toBe(true);
    expect(v.hops.filter((h) => h.status === 'WARNING')).toHaveLength(2);
  });

  it('a tampered body fails signature, record-hash and inclusion at that hop only', async () => {
    const f = diamond();
    const r = await trace(f.source(), P, 'UPSTREAM', 10);
    const target = f.rows[0]!.recordHash;
    const rec = f.records.get(target)!;
    rec.body = rec.body.replace(time(2), time(1));
    const v = verifyTrace(r, f.evidence());
    const failed = v.hops.filter((h) => h.status === 'FAILED');
    expect(failed.map((h) => h.recordHash)).toEqual([target]);
    expect(failed[0]!.failures.map((x) => x.code).sort()).toEqual(['inclusion', 'record-hash', 'signature']);
    expect(v.verdict).toBe('FAILED');
  });

  it('missing seals fail with NO_QUORUM; a broken chain fails with BROKEN_HASH_LINK', async () => {
    const f = diamond();
    const r = await trace(f.source(), P, 'UPSTREAM', 10);
    const block = f.blocks.get(1)!;
    const sealed = block.seals;
    block.seals = '[]';
    let v = verifyTrace(r, f.evidence());
    expect(v.hops.every((h) => h.failures.some((x) => x.code === 'NO_QUORUM' && x.details?.['computed'] === 0))).toBe(true);
    block.seals = sealed;
    f.state.headHash = 'e'.repeat(64);
    v = verifyTrace(r, f.evidence());
    expect(v.hops.every((h) => h.failures.map((x) => x.code).join() === 'BROKEN_HASH_LINK')).toBe(true);
  });

  it('a record signed by an org without the role fails the role check', async () => {
    const f = new LineageFixture();
    f.add('swift-haulage', transform(2, { inputEPCList: [A], outputEPCList: [X] }));
    f.seal();
    const v = verifyTrace(await trace(f.source(), X, 'UPSTREAM', 5), f.evidence());
    expect(v.hops[0]!.failures).toEqual([expect.objectContaining({ code: 'role' })]);
  });
});

describe('queries', () => {
  const ctxOf = (f: LineageFixture): LineageContext => ({ source: f.source(), evidence: {} as EvidenceLoader, state: f.state });

  it('authenticity: decommissioned and two custodies at once are flagged', async () => {
    const f = new LineageFixture();
    f.add('vale-processors', obj(1, { action: 'ADD', bizStep: 'commissioning', epcList: [P] }));
    f.add('riverside-retail', obj(2, { bizStep: 'receiving', epcList: [P] }));
    f.add('northern-abattoir', obj(3, { bizStep: 'receiving', epcList: [P] }));
    f.add('vale-processors', obj(4, { bizStep: 'decommissioning', epcList: [P] }));
    const res = await authenticity(ctxOf(f), P);
    expect(res.brandOwner).toBe('vale-processors');
    expect(res.reasons.map((r) => r.code).sort()).toEqual(['DECOMMISSIONED', 'DUPLICATE_CUSTODY']);
  });

  it('authenticity: commissioned by someone other than the brand owner', async () => {
    const f = new LineageFixture();
    f.add('northern-abattoir', obj(1, { action: 'ADD', bizStep: 'commissioning', epcList: [P] }));
    const res = await authenticity(ctxOf(f), P);
    expect(res).toMatchObject({ likelyCounterfeit: true, commissionedBy: ['northern-abattoir'] });
    expect(res.reasons[0]!.code).toBe('NOT_COMMISSIONED_BY_BRAND_OWNER');
  });

  it('recallCsv quotes per RFC 4180', () => {
    const csv = recallCsv([{ identifier: 'a,"b"', kind: 'sgtin', lastCustodian: null, lastLocation: 'x\ny', lastEventTime: time(1), pathLength: 2 }]);
    expect(csv).toBe(`identifier,kind,last_custodian,last_location,last_event_time,path_length\r\n"a,""b""",sgtin,,"x\ny",${time(1)},2\r\n`);
  });
});
