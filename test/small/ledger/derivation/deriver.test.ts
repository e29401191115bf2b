import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../../src/core/crypto/index.js';
import { ConsortiumState, RecordKind, blockHash, createGenesisBlock, recordHash, type GenesisPayload } from '../../../../src/core/ledger/index.js';
import { Deriver, checkDerivedBlock, type DerivationOutput } from '../../../../src/core/ledger/derivation/index.js';
import { fingerprint } from '../demo-consortium.js';
import { AUTHORITIES, CONSORTIUM, DemoChain, Stream, blocksOf, cut, deriverOf, event, feed, finalsOf, seal, submission } from './stream.js';

const ignoredReasons = (outputs: readonly DerivationOutput[]) => outputs.flatMap((o) => (o.type === 'ignored' ? [o.reason] : []));

/** A deriver over a genesis like the demo's but with another block size. */
function deriverWithBlockSize(demo: DemoChain, sealMaxRecords: number): Deriver {
  const payload = demo.genesis.records[0]!.payload as unknown as GenesisPayload;
  const spec = { consortiumId: CONSORTIUM, name: payload.consortium.name, members: payload.members, authorities: payload.authorities, sealMaxRecords };
  const genesis = createGenesisBlock(spec, AUTHORITIES.map((a) => demo.key(a)), '2025-12-31T00:00:00.000Z');
  return new Deriver({ state: ConsortiumState.fromGenesis(genesis), afterSequence: 0 });
}

describe('the block deriver: submissions', () => {
  it('admits a submission whole, at consecutive log indexes, into the open block', () => {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const records = [event(demo, 'green-farm', 'a'), event(demo, 'acme-abattoir', 'b')];
    const [out] = deriver.apply(new Stream().push(submission(records)));
    expect(out).toEqual({ type: 'submission', sequence: 1, decision: { admitted: true, height: 1, records: records.map((record, i) => ({ record, hash: recordHash(record), logIndex: 1 + i })) } });
    expect(deriver.openRecordCount).toBe(2);
    expect(deriver.state.logSize).toBe(3);
  });

  it('refuses the whole submission when one record fails admission, with admission codes, and leaves the state as it was', () => {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const good = event(demo, 'green-farm', 'good');
    const stranger = demo.sign(generateKeyPair(), RecordKind.EPCIS_EVENT, { n: 1 });
    const forged = { ...event(demo, 'hmrc', 'forged'), payload: { tampered: true } };
    const before = fingerprint(deriver.state);
    const stream = new Stream();
    const [out] = deriver.apply(stream.push(submission([good, stranger, forged])));
    expect(out!.type === 'submission' && out!.decision).toEqual({
      admitted: false,
      outcomes: [
        { status: 'not_stored', recordHash: recordHash(good), reason: 'another record of the submission was rejected' },
        { status: 'rejected', recordHash: recordHash(stranger), error: expect.objectContaining({ code: 'UNKNOWN_SIGNER' }) },
        { status: 'rejected', recordHash: recordHash(forged), error: expect.objectContaining({ code: 'BAD_SIGNATURE' }) },
      ],
    });
    expect(fingerprint(deriver.state)).toBe(before);
    const [again] = deriver.apply(stream.push(submission([good])));
    expect(again!.type === 'submission' && again!.decision.admitted && again!.decision.records[0]!.logIndex).toBe(1);
  });

  it('rolls a refused governance submission back too (its first record had changed the state)', () => {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const proposal = demo.sign('fsa', RecordKind.PROPOSAL, { change: { type: 'role.grant', orgId: 'swift-haulage', role: 'PORT' } });
    const before = fingerprint(deriver.state);
    const [out] = deriver.apply(new Stream().push(submission([proposal, demo.sign(generateKeyPair(), RecordKind.EPCIS_EVENT, {})])));
    expect(out!.type === 'submission' && out!.decision.admitted).toBe(false);
    expect(fingerprint(deriver.state)).toBe(before);
    expect(deriver.state.proposals.size).toBe(0);
  });

  it('refuses a record already in the log, or already stored in a final block, as DUPLICATE_RECORD', () => {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const stream = new Stream();
    const a = event(demo, 'green-farm', 'a');
    const b = event(demo, 'green-farm', 'b');
    deriver.apply(stream.push(submission([a])));
    const codes = (out: DerivationOutput[]) => (out[0]!.type === 'submission' && !out[0]!.decision.admitted ? out[0]!.decision.outcomes.map((o) => (o.status === 'rejected' ? o.error.code : o.status)) : []);
    expect(codes(deriver.apply(stream.push(submission([a]))))).toEqual(['DUPLICATE_RECORD']);
    expect(codes(deriver.apply(stream.push(submission([b, b]))))).toEqual(['not_stored', 'DUPLICATE_RECORD']);
    const stored = new Set([recordHash(b)]);
    expect(codes(deriver.apply(stream.push(submission([b])), { isStoredRecord: (h) => stored.has(h) }))).toEqual(['DUPLICATE_RECORD']);
  });

  it('ignores what is not a well-formed message of this consortium, and refuses entries out of order', () => {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const stream = new Stream();
    expect(ignoredReasons(deriver.apply(stream.push(null)))).toEqual(['MALFORMED_MESSAGE']);
    expect(ignoredReasons(deriver.apply(stream.push({ ...submission([event(demo, 'fsa', 'x')]), consortium: 'other-chain' })))).toEqual(['OTHER_CONSORTIUM']);
    expect(() => deriver.apply({ sequence: 9, timestamp: '2026-01-01T00:00:00.000Z', message: null })).toThrow(expect.objectContaining({ code: 'DERIVATION_OUT_OF_ORDER' }));
  });
});

describe('the block deriver: cut points', () => {
  it('cuts the open block at the first valid cut marker for its height, at the log time of the marker', () => {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const stream = new Stream();
    const records = [event(demo, 'green-farm', 'a'), event(demo, 'swift-haulage', 'b')];
    deriver.apply(stream.push(submission(records)));
    const marker = stream.push(cut(1, demo.key('hmrc')));
    const [block] = blocksOf(deriver.apply(marker));
    expect(block!.header).toMatchObject({ height: 1, recordCount: 2, logSize: 3, timestamp: marker.timestamp, previousHash: blockHash(demo.genesis.header) });
    expect(block!.recordHashes).toEqual(records.map((r) => recordHash(r)));
    expect(block!.records).toEqual(records);
    expect(block!.cutSequence).toBe(2);
    expect(checkDerivedBlock(block!)).toEqual([]);
    expect(deriver.derivedHeight).toBe(1);
  });

  it('ignores stale, early, unsigned, non-authority and empty-block cut markers', () => {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const stream = new Stream();
    expect(ignoredReasons(deriver.apply(stream.push(cut(1, demo.key('fsa')))))).toEqual(['CUT_EMPTY_BLOCK']);
    deriver.apply(stream.push(submission([event(demo, 'green-farm', 'a')])));
    expect(ignoredReasons(deriver.apply(stream.push(cut(2, demo.key('fsa')))))).toEqual(['CUT_EARLY']);
    expect(ignoredReasons(deriver.apply(stream.push(cut(1, demo.key('acme-abattoir')))))).toEqual(['CUT_NOT_BY_AUTHORITY']);
    const forged = { ...(cut(1, demo.key('fsa')) as { signature: string }), signature: (cut(1, demo.key('hmrc')) as { signature: string }).signature };
    expect(ignoredReasons(deriver.apply(stream.push(forged as never)))).toEqual(['CUT_BAD_SIGNATURE']);
    expect(blocksOf(deriver.apply(stream.push(cut(1, demo.key('fsa')))))).toHaveLength(1);
    expect(ignoredReasons(deriver.apply(stream.push(cut(1, demo.key('hmrc')))))).toEqual(['CUT_STALE']);
  });

  it('cuts without a marker at the submission that brings the block to sealMaxRecords, never splitting a submission', () => {
    const demo = new DemoChain();
    const deriver = deriverWithBlockSize(demo, 3);
    const stream = new Stream();
    expect(blocksOf(deriver.apply(stream.push(submission([event(demo, 'green-farm', '1'), event(demo, 'green-farm', '2')]))))).toEqual([]);
    const [block] = blocksOf(deriver.apply(stream.push(submission([event(demo, 'green-farm', '3'), event(demo, 'green-farm', '4')]))));
    expect(block!.header).toMatchObject({ height: 1, recordCount: 4 });
    expect(block!.cutSequence).toBe(2);
  });

  it('takes a block size set by governance from the next submission on', () => {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const stream = new Stream();
    const zero = demo.sign('fsa', RecordKind.PROPOSAL, { change: { type: 'seal.maxRecords', maxRecords: 0 } });
    const [refused] = deriver.apply(stream.push(submission([zero])));
    expect(refused!.type === 'submission' && !refused!.decision.admitted && refused!.decision.outcomes[0]).toMatchObject({ error: { code: 'INVALID_CHANGE' } });
    const proposal = demo.sign('fsa', RecordKind.PROPOSAL, { change: { type: 'seal.maxRecords', maxRecords: 4 } });
    deriver.apply(stream.push(submission([proposal])));
    const approvals = ['hmrc', 'green-farm'].map((org) => demo.sign(org, RecordKind.APPROVAL, { proposal: recordHash(proposal) }));
    // Three records in the block now, fewer than 4.
    expect(blocksOf(deriver.apply(stream.push(submission(approvals))))).toEqual([]);
    expect(deriver.state.sealMaxRecords).toBe(4);
    const [block] = blocksOf(deriver.apply(stream.push(submission([event(demo, 'green-farm', 'x')]))));
    expect(block!.header.recordCount).toBe(4);
    expect(block!.membershipChanged).toBe(true);
    expect(block!.stateAfter?.sealMaxRecords).toBe(4);
  });

  it('keeps block time monotonic with the running maximum of the log timestamps', () => {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const stream = new Stream();
    deriver.apply(stream.push(submission([event(demo, 'green-farm', 'a')]), '2026-02-01T10:00:05.000Z'));
    // A new log leader whose clock lags: the cut's own timestamp is earlier than the submission's.
    const [first] = blocksOf(deriver.apply(stream.push(cut(1, demo.key('fsa')), '2026-02-01T10:00:03.000Z')));
    expect(first!.header.timestamp).toBe('2026-02-01T10:00:05.000Z');
    deriver.apply(stream.push(submission([event(demo, 'green-farm', 'b')]), '2026-02-01T10:00:04.000Z'));
    const [second] = blocksOf(deriver.apply(stream.push(cut(2, demo.key('fsa')), '2026-02-01T10:00:09.000Z')));
    expect(second!.header.timestamp).toBe('2026-02-01T10:00:09.000Z');
  });

  it('brings an approved authority into force from the next block: its cut marker counts only then', () => {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const stream = new Stream();
    const change = { type: 'authority.add', orgId: 'acme-abattoir', keyId: demo.key('acme-abattoir').keyId };
    const proposal = demo.sign('fsa', RecordKind.PROPOSAL, { change });
    const approvals = ['hmrc', 'green-farm'].map((org) => demo.sign(org, RecordKind.APPROVAL, { proposal: recordHash(proposal) }));
    deriver.apply(stream.push(submission([proposal, ...approvals])));
    expect(ignoredReasons(deriver.apply(stream.push(cut(1, demo.key('acme-abattoir')))))).toEqual(['CUT_NOT_BY_AUTHORITY']);
    expect(blocksOf(deriver.apply(stream.push(cut(1, demo.key('fsa')))))).toHaveLength(1);
    deriver.apply(stream.push(submission([event(demo, 'green-farm', 'x')])));
    const [block] = blocksOf(deriver.apply(stream.push(cut(2, demo.key('acme-abattoir')))));
    expect(block!.authorities.authorities.map((a) => a.orgId)).toContain('acme-abattoir');
  });
});

describe('the block deriver: seals and finality', () => {
  /** A deriver with block 1 cut (one record), and its block. */
  function withBlock() {
    const demo = new DemoChain();
    const deriver = deriverOf(demo);
    const stream = new Stream();
    deriver.apply(stream.push(submission([event(demo, 'green-farm', 'a')])));
    const [block] = blocksOf(deriver.apply(stream.push(cut(1, demo.key('fsa')))));
    return { demo, deriver, stream, block: block! };
  }

  it('makes a block final at the seal that gives it more than two thirds of the authorities, keeping those seals in log order', () => {
    const { demo, deriver, stream, block } = withBlock();
    expect(finalsOf(feed(deriver, [stream.push(seal(block.header, demo.key('hmrc'))), stream.push(seal(block.header, demo.key('big-retail')))]))).toEqual([]);
    const third = stream.push(seal(block.header, demo.key('fsa')));
    const out = deriver.apply(third);
    expect(finalsOf(out)).toEqual([{ height: 1, hash: block.hash, keyIds: ['hmrc', 'big-retail', 'fsa'].map((o) => demo.key(o).keyId) }]);
    expect(out.find((o) => o.type === 'final')).toMatchObject({ final: { finalSequence: third.sequence } });
    expect(deriver.finalHeight).toBe(1);
    // The fourth authority's seal joins the block afterwards.
    const late = deriver.apply(stream.push(seal(block.header, demo.key('green-farm'))));
    expect(late).toEqual([{ type: 'late-seal', height: 1, hash: block.hash, seal: expect.objectContaining({ keyId: demo.key('green-farm').keyId }) }]);
  });

  it('does not count a bad signature, a non-authority, or a second seal of one key', () => {
    const { demo, deriver, stream, block } = withBlock();
    const bySomeoneElse = seal(block.header, demo.key('hmrc')) as { seal: { keyId: string; signature: string } };
    const forged = { ...bySomeoneElse, seal: { keyId: demo.key('fsa').keyId, signature: bySomeoneElse.seal.signature } };
    const out = feed(deriver, [
      stream.push(forged as never),
      stream.push(seal(block.header, demo.key('acme-abattoir'))),
      stream.push(seal(block.header, demo.key('hmrc'))),
      stream.push(seal(block.header, demo.key('hmrc'))),
      stream.push(seal(block.header, demo.key('fsa'))),
    ]);
    expect(ignoredReasons(out)).toEqual(['SEAL_BAD_SIGNATURE', 'SEAL_NOT_BY_AUTHORITY', 'SEAL_REPEATED']);
    expect(finalsOf(out)).toEqual([]);
  });

  it('holds seals published before the cut, and counts them once the block is cut', () => {
    const demo = new DemoChain();
    const leader = deriverOf(demo);
    const stream = new Stream();
    const record = event(demo, 'green-farm', 'a');
    const [t1, t2] = ['2026-03-01T09:00:00.000Z', '2026-03-01T09:00:01.000Z'];
    const marker = cut(1, demo.key('fsa'));
    const [block] = blocksOf(feed(leader, [stream.push(submission([record]), t1), stream.push(marker, t2)]));
    // Another copy of the log where three seals come before the cut marker (same times, so the same block).
    const follower = deriverOf(demo);
    const other = new Stream();
    other.push(submission([record]), t1);
    for (const o of ['hmrc', 'big-retail', 'green-farm']) other.push(seal(block!.header, demo.key(o)), t1);
    other.push(marker, t2);
    const out = feed(follower, other.entries);
    expect(finalsOf(out)).toEqual([{ height: 1, hash: block!.hash, keyIds: ['hmrc', 'big-retail', 'green-farm'].map((o) => demo.key(o).keyId) }]);
  });

  it('makes a block final only once the block below it is final, and then in height order', () => {
    const { demo, deriver, stream, block } = withBlock();
    deriver.apply(stream.push(submission([event(demo, 'green-farm', 'b')])));
    const [second] = blocksOf(deriver.apply(stream.push(cut(2, demo.key('fsa')))));
    expect(finalsOf(feed(deriver, ['fsa', 'hmrc', 'big-retail'].map((o) => stream.push(seal(second!.header, demo.key(o))))))).toEqual([]);
    const out = feed(deriver, ['fsa', 'hmrc', 'big-retail'].map((o) => stream.push(seal(block.header, demo.key(o)))));
    expect(finalsOf(out).map((f) => f.height)).toEqual([1, 2]);
  });

  it('keeps equivocation as evidence: one key, one height, two signed headers', () => {
    const { demo, deriver, stream, block } = withBlock();
    const other = { ...block.header, merkleRoot: 'ab'.repeat(32) };
    const out = feed(deriver, [stream.push(seal(block.header, demo.key('hmrc'))), stream.push(seal(other, demo.key('hmrc')))]);
    const evidence = out.flatMap((o) => (o.type === 'evidence' ? [o.evidence] : []));
    expect(evidence).toEqual([
      {
        kind: 'equivocation',
        consortium: CONSORTIUM,
        height: 1,
        keyId: demo.key('hmrc').keyId,
        orgId: 'hmrc',
        first: { header: block.header, seal: expect.objectContaining({ keyId: demo.key('hmrc').keyId }) },
        second: { header: other, seal: expect.objectContaining({ keyId: demo.key('hmrc').keyId }) },
        sequence: 4,
      },
    ]);
  });

  it('keeps a seal on another block than the derived one as evidence; the chain is stuck once too many seal elsewhere', () => {
    const { demo, deriver, stream, block } = withBlock();
    const other = { ...block.header, merkleRoot: 'cd'.repeat(32) };
    const first = deriver.apply(stream.push(seal(other, demo.key('hmrc'))));
    expect(first).toEqual([expect.objectContaining({ type: 'evidence', evidence: expect.objectContaining({ kind: 'conflicting-seal', height: 1, orgId: 'hmrc', derivedHash: block.hash }) })]);
    const second = deriver.apply(stream.push(seal(other, demo.key('green-farm'))));
    expect(second.map((o) => o.type)).toEqual(['evidence', 'stuck']);
    expect(finalsOf(feed(deriver, ['fsa', 'big-retail'].map((o) => stream.push(seal(block.header, demo.key(o))))))).toEqual([]);
    expect(deriver.finalHeight).toBe(0);
  });

  it('stops deriving, without reversing any finality, when a quorum seals another block than the derived one', () => {
    const { demo, deriver, stream, block } = withBlock();
    feed(deriver, ['fsa', 'hmrc', 'big-retail'].map((o) => stream.push(seal(block.header, demo.key(o)))));
    deriver.apply(stream.push(submission([event(demo, 'green-farm', 'b')])));
    const [second] = blocksOf(deriver.apply(stream.push(cut(2, demo.key('fsa')))));
    const other = { ...second!.header, merkleRoot: 'ef'.repeat(32) };
    const out = feed(deriver, ['hmrc', 'green-farm', 'big-retail'].map((o) => stream.push(seal(other, demo.key(o)))));
    expect(out.find((o) => o.type === 'halted')).toMatchObject({ height: 2 });
    expect(deriver.halted?.height).toBe(2);
    expect(deriver.finalHeight).toBe(1);
    expect(ignoredReasons(deriver.apply(stream.push(submission([event(demo, 'green-farm', 'c')]))))).toEqual(['HALTED']);
  });
});
