/**
 * The deriver commits each block to the identifier index map (docs/completeness.md): the root is a
 * function of the map before the block and the block's records, so two derivers fed the same log
 * cut byte-identical version-2 headers, whose indexRoot is the root a replay of the records gives.
 */
import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../src/core/ledger/index.js';
import { ConsortiumState } from '../../../src/core/ledger/consortium.js';
import { indexRootOf } from '../../../src/core/ledger/block.js';
import { Deriver, checkDerivedBlock, type DerivedBlock } from '../../../src/core/ledger/derivation/index.js';
import { DerivingIndexMap, MapTop, MemoryIndexMap, recordAdditions, bucketOfKey, indexKeyHex, type MapLeaf } from '../../../src/core/ledger/index-map/index.js';
import { AUTHORITIES, DemoChain, Stream, cut, feed, submission } from '../ledger/derivation/stream.js';

const event = (epc: string) => ({ event: { type: 'ObjectEvent', action: 'OBSERVE', epcList: [epc], readPoint: { id: 'urn:epc:id:sgln:5012345.00001.0' } } });

/** A deriving map holding every bucket (empty): the service loads them from the store instead. */
function indexed(demo: DemoChain): Deriver {
  const index = new DerivingIndexMap(MapTop.empty());
  const all = new Map<number, MapLeaf[]>();
  for (const b of [...Array(1 << 16).keys()]) all.set(b, []);
  index.hold(all);
  return new Deriver({ state: ConsortiumState.fromGenesis(demo.genesis), afterSequence: 0, index });
}

describe('the deriver and the index root', () => {
  it('two derivers cut identical version-2 headers whose indexRoot a replay of the records gives', () => {
    const demo = new DemoChain();
    const stream = new Stream();
    const records = [1, 2, 3].map((n) => demo.sign('green-farm', RecordKind.EPCIS_EVENT, event(`urn:epc:id:sgtin:5098765.011111.${n}`)));
    stream.push(submission(records.slice(0, 2)), '2026-04-01T00:00:01.000Z');
    stream.push(cut(1, demo.key(AUTHORITIES[0]!)), '2026-04-01T00:00:02.000Z');
    stream.push(submission(records.slice(2)), '2026-04-01T00:00:03.000Z');
    stream.push(cut(2, demo.key(AUTHORITIES[0]!)), '2026-04-01T00:00:04.000Z');
    const blocksOf = (d: Deriver) => feed(d, stream.entries).flatMap((o) => (o.type === 'block' ? [o.block] : []));
    const a = blocksOf(indexed(demo));
    const b = blocksOf(indexed(demo));
    expect(a.map((x) => x.header)).toEqual(b.map((x) => x.header));
    expect(a).toHaveLength(2);
    const replay = new MemoryIndexMap();
    for (const block of a as DerivedBlock[]) {
      expect(block.header.v).toBe(2);
      expect(checkDerivedBlock(block)).toEqual([]);
      const first = block.header.logSize - block.records.length;
      replay.apply(block.records.flatMap((r, i) => recordAdditions(r, block.recordHashes[i]!, first + i)));
      expect(indexRootOf(block.header)).toBe(replay.rootHex());
    }
    // Without a map the same log gives version-1 headers.
    const plain = feed(new Deriver({ state: ConsortiumState.fromGenesis(demo.genesis), afterSequence: 0 }), stream.entries).flatMap((o) => (o.type === 'block' ? [o.block] : []));
    expect(plain.map((x) => x.header.v)).toEqual([1, 1]);
  });

  it('a stored bucket that does not give the map root is refused', () => {
    const index = new DerivingIndexMap(MapTop.empty());
    const key = indexKeyHex('urn:epc:id:sgtin:5098765.011111.1');
    expect(index.hold(new Map([[bucketOfKey(key), [{ key, count: 1, head: 'ab'.repeat(32) }]]]))).toEqual([bucketOfKey(key)]);
  });
});
