/**
 * The index commitment is a genesis setting: the genesis record says whether blocks commit to the
 * identifier index map, and `provenant verify` holds every header after genesis to it.
 */
import { describe, expect, it } from 'vitest';
import { ConsortiumState, LedgerError, createGenesisBlock, headerVersionRule, verifyChain, type BlockHeader, type GenesisSpec } from '../../../src/core/ledger/index.js';
import { MemoryIndexMap, recordAdditions } from '../../../src/core/ledger/index-map/index.js';
import { RecordKind } from '../../../src/core/ledger/record.js';
import { DemoChain, nextTimestamp } from './demo-consortium.js';

/** Seals one block of two events with the header version given (2: committing to the replayed map). */
function sealVersion(demo: DemoChain, map: MemoryIndexMap, v: 1 | 2): void {
  for (let i = 0; i < 2; i++) {
    demo.submit(demo.sign('green-farm', RecordKind.EPCIS_EVENT, { event: { type: 'ObjectEvent', action: 'OBSERVE', epcList: [`urn:epc:id:sgtin:5012345.000001.${demo.blocks.length}-${i}`] } }));
  }
  map.apply(demo.pending.flatMap((p) => recordAdditions(p.record, p.hash, p.logIndex)));
  const root = map.rootHex();
  demo.seal(undefined, (h): BlockHeader => (v === 2 ? { ...h, v: 2, indexRoot: root } : h));
}

async function failuresOf(setting: boolean | undefined, versions: (1 | 2)[]): Promise<[string, number | undefined][]> {
  const demo = new DemoChain(setting === undefined ? {} : { indexCommitment: setting });
  const map = new MemoryIndexMap();
  map.apply(demo.blocks[0]!.records.flatMap((r) => recordAdditions(r.record, r.storedHash, r.logIndex)));
  for (const v of versions) sealVersion(demo, map, v);
  return (await verifyChain(demo.blocks)).failures.map((f) => [f.code, f.height]);
}

describe('the index commitment genesis setting', () => {
  it('is signed in the genesis record and read into the state; absent when the spec does not say', () => {
    const on = new DemoChain({ indexCommitment: true });
    expect((on.genesis.records[0]!.payload as { indexCommitment?: boolean }).indexCommitment).toBe(true);
    expect(on.state.indexCommitment).toBe(true);
    expect(on.state.clone().indexCommitment).toBe(true);
    expect(new DemoChain({ indexCommitment: false }).state.indexCommitment).toBe(false);
    const before = new DemoChain();
    expect('indexCommitment' in (before.genesis.records[0]!.payload as object)).toBe(false);
    expect(before.state.indexCommitment).toBeUndefined();
  });

  it('must be true or false (INVALID_GENESIS)', () => {
    const demo = new DemoChain();
    const payload = demo.genesis.records[0]!.payload as unknown as Pick<GenesisSpec, 'members' | 'authorities'>;
    const keys = payload.authorities.map((a) => demo.key(a.orgId));
    const spec: GenesisSpec = { consortiumId: 'test-chain', name: 'Test', members: payload.members, authorities: payload.authorities };
    expect(ConsortiumState.fromGenesis(createGenesisBlock({ ...spec, indexCommitment: false }, keys, nextTimestamp())).indexCommitment).toBe(false);
    let err: unknown;
    try {
      createGenesisBlock({ ...spec, indexCommitment: 'yes' as never }, keys, nextTimestamp());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LedgerError);
    expect([(err as LedgerError).code, (err as LedgerError).message]).toEqual(['INVALID_GENESIS', expect.stringMatching(/indexCommitment must be true or false/)]);
  });

  it('the rule: on cuts and accepts version 2, off version 1; unsaid cuts 2 and accepts 1 only before the first 2', () => {
    expect(headerVersionRule(true, 1)).toEqual({ cut: 2, accepted: [2] });
    expect(headerVersionRule(false, 2)).toEqual({ cut: 1, accepted: [1] });
    expect(headerVersionRule(undefined, 1)).toEqual({ cut: 2, accepted: [1, 2] });
    expect(headerVersionRule(undefined, 2)).toEqual({ cut: 2, accepted: [2] });
  });

  it('provenant verify holds each header after genesis to the setting (HEADER_VERSION at the height)', async () => {
    expect(await failuresOf(true, [2, 2])).toEqual([]);
    expect(await failuresOf(false, [1, 1])).toEqual([]);
    expect(await failuresOf(true, [2, 1])).toEqual([['HEADER_VERSION', 2]]);
    expect(await failuresOf(false, [2, 1])).toEqual([['HEADER_VERSION', 1]]);
    // A consortium from before the setting: version 1 until the first version-2 block, never after it.
    expect(await failuresOf(undefined, [1, 1, 2, 2])).toEqual([]);
    expect(await failuresOf(undefined, [1, 2, 1])).toEqual([['HEADER_VERSION', 3]]);
  });
});
