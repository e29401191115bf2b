import { describe, expect, it } from 'vitest';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { trace } from '../../../src/core/lineage/graph.js';
import { verifyTrace } from '../../../src/core/lineage/verify-hop.js';
import { aggregate, LineageFixture, transform } from './fixture.js';

const sg = (item: number, serial: number) => `urn:epc:id:sgtin:5098765.0${item}.${serial}`;
const A = sg(11111, 1), X = sg(22222, 1), P = sg(33333, 1), FAKE = sg(99999, 9), CASE = 'urn:epc:id:sscc:5098765.0000000001';
const c = canonicalIdentifier;

describe('a hop is only as good as its signed event', () => {
  it('an index row the signed event does not state makes that hop FAILED (index), and no other', async () => {
    const f = new LineageFixture();
    f.add('vale-processors', transform(2, { inputEPCList: [A], outputEPCList: [X] }));
    const mince = f.add('vale-processors', transform(3, { inputEPCList: [X], outputEPCList: [P] }));
    f.seal();
    const clean = verifyTrace(await trace(f.source(), P, 'UPSTREAM', 5), f.evidence());
    expect(clean.verdict).toBe('VERIFIED');
    // Someone with the database adds an input to the indexed transformation: the record is untouched.
    f.rows[f.rows.indexOf(mince)] = { ...mince, identifiers: [...mince.identifiers, { identifier: c(FAKE), role: 'input' }] };
    const v = verifyTrace(await trace(f.source(), P, 'UPSTREAM', 5), f.evidence());
    const failed = v.hops.filter((h) => h.status === 'FAILED');
    expect(failed.map((h) => [h.edge.from, h.edge.to])).toEqual([[c(FAKE), c(P)]]);
    expect(failed[0]!.failures).toEqual([expect.objectContaining({ code: 'index', details: expect.objectContaining({ kind: 'TRANSFORMATION', from: c(FAKE) }) })]);
    expect(v.hops.filter((h) => h.status === 'VERIFIED')).toHaveLength(2);
  });

  it('a child moved into another parent in the index fails the aggregation hop', async () => {
    const f = new LineageFixture();
    const pack = f.add('vale-processors', aggregate(2, 'ADD', CASE, [P]));
    f.seal();
    expect(verifyTrace(await trace(f.source(), CASE, 'UPSTREAM', 5), f.evidence()).verdict).toBe('VERIFIED');
    f.rows[f.rows.indexOf(pack)] = { ...pack, identifiers: [...pack.identifiers, { identifier: c(X), role: 'child' }] };
    const v = verifyTrace(await trace(f.source(), CASE, 'UPSTREAM', 5), f.evidence());
    expect(v.hops.map((h) => [h.edge.from, h.status])).toEqual([
      [c(P), 'VERIFIED'],
      [c(X), 'FAILED'],
    ]);
  });
});
