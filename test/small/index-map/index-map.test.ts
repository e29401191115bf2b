import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_HEX,
  MEMBERSHIP_KEY_HEX,
  MEMBERSHIP_SUBJECT,
  MemoryIndexMap,
  bucketOfKey,
  buildMapProof,
  eventTouches,
  indexKeyHex,
  recordAdditions,
  verifyMapProof,
  type IndexAddition,
} from '../../../src/core/ledger/index-map/index.js';
import { refChain, refMembershipKey, refRoot, refTouches, refVerifyProof, type RefEntry } from './reference-checker.js';

const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const roles = fc.constantFrom('epc', 'parent', 'child', 'input', 'output', 'quantity', 'readPoint');

/**
 * Identifiers that crowd a few buckets (found among 100,000 candidates), so the compact subtrees
 * below depth 16 get deep, plus a few that land anywhere.
 */
const ALPHABET: string[] = (() => {
  const byBucket = new Map<number, string[]>();
  for (let n = 0; n < 100_000; n++) {
    const id = `urn:test:item:${n}`;
    const b = bucketOfKey(indexKeyHex(id));
    byBucket.set(b, [...(byBucket.get(b) ?? []), id]);
  }
  const crowded = [...byBucket.values()].sort((a, b) => b.length - a.length).slice(0, 4).flat();
  return [...crowded, ...Array.from({ length: 12 }, (_, i) => `urn:test:elsewhere:${i}`)];
})();

/** Random blocks of additions over the alphabet (so chains grow and buckets fill). */
const blocks = fc.array(
  fc.array(fc.record({ id: fc.integer({ min: 0, max: ALPHABET.length - 1 }), role: roles, recordHash: hex64 }), { minLength: 0, maxLength: 16 }),
  { minLength: 1, maxLength: 6 },
);

function play(input: { id: number; role: string; recordHash: string }[][]): { map: MemoryIndexMap; entries: Map<string, RefEntry[]>; roots: string[] } {
  const map = new MemoryIndexMap();
  const entries = new Map<string, RefEntry[]>();
  const roots: string[] = [];
  let logIndex = 0;
  for (const block of input) {
    const additions: IndexAddition[] = [];
    for (const a of block) {
      const identifier = ALPHABET[a.id]!;
      const seen = entries.get(identifier) ?? [];
      // One (identifier, role) per record: give each addition its own record.
      const entry = { recordHash: a.recordHash, role: a.role, logIndex: logIndex++ };
      additions.push({ identifier, entry });
      entries.set(identifier, [...seen, entry]);
    }
    map.apply(additions);
    roots.push(map.rootHex());
  }
  return { map, entries, roots };
}

describe('identifier index map', () => {
  it('the empty map has the EMPTY root', () => {
    expect(new MemoryIndexMap().rootHex()).toBe(EMPTY_HEX);
    expect(refRoot(new Map())).toBe(EMPTY_HEX);
  });

  it('property: after every block the root is the reference checker\'s root, and every leaf its chain', () => {
    fc.assert(
      fc.property(blocks, (input) => {
        const { map, entries, roots } = play(input);
        expect(roots[roots.length - 1]).toBe(refRoot(entries));
        for (const [id, list] of entries) {
          const leaf = map.leafOf(id)!;
          expect({ count: leaf.count, head: leaf.head }).toEqual(refChain(list));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('property: proofs of present and absent identifiers verify in both checkers; a changed proof verifies in neither', () => {
    fc.assert(
      fc.property(blocks, fc.integer({ min: 0, max: ALPHABET.length + 5 }), fc.integer({ min: 0, max: 1000 }), (input, asked, flip) => {
        const { map, entries } = play(input);
        const root = map.rootHex();
        const identifier = ALPHABET[asked] ?? `urn:test:absent:${asked}`;
        const key = indexKeyHex(identifier);
        const proof = buildMapProof(map.top, map.bucket(bucketOfKey(key)), key);
        const expected = entries.has(identifier) ? refChain(entries.get(identifier)!) : { count: 0, head: EMPTY_HEX };
        expect(verifyMapProof(root, identifier, proof)).toEqual({ ok: true, value: expected });
        expect(refVerifyProof(root, identifier, JSON.parse(JSON.stringify(proof)))).toEqual(expected);
        // One sibling changed, or a different count: both refuse.
        const changed = structuredClone(proof);
        if (changed.siblings.length > 0 && flip % 2 === 0) {
          const i = flip % changed.siblings.length;
          changed.siblings[i] = changed.siblings[i]![0] === 'a' ? `b${changed.siblings[i]!.slice(1)}` : `a${changed.siblings[i]!.slice(1)}`;
        } else if (changed.leaf) changed.leaf = { ...changed.leaf, count: changed.leaf.count + 1 };
        else changed.leaf = { count: 1, head: 'ab'.repeat(32) };
        expect(verifyMapProof(root, identifier, changed).ok).toBe(false);
        expect(typeof refVerifyProof(root, identifier, changed)).toBe('string');
        // The proof of one identifier never passes for another.
        expect(verifyMapProof(root, `${identifier}x`, proof).ok).toBe(false);
      }),
      { numRuns: 80 },
    );
  });

  it('a record adds its touches in chain order: log index, then role', () => {
    const record = {
      kind: 'epcis.event',
      payload: { event: { type: 'TransformationEvent', inputEPCList: ['urn:epc:id:sgtin:5098765.011111.1'], outputEPCList: ['urn:epc:id:sgtin:5098765.011111.1'], readPoint: { id: 'urn:epc:id:sgln:5012345.00001.0' } } },
    };
    const additions = recordAdditions(record as never, 'ab'.repeat(32), 7);
    expect(additions.map((a) => a.entry.role)).toEqual(['input', 'output', 'readPoint']);
    expect(recordAdditions({ kind: 'sensor.window', payload: { event: { epcList: ['x'] } } } as never, 'ab'.repeat(32), 1)).toEqual([]);
  });

  it('membership records join the membership chain, under a key no identifier can have', () => {
    const map = new MemoryIndexMap();
    const proposal = { kind: 'governance.proposal', payload: { change: { type: 'org.add' } } };
    const additions = [...recordAdditions(proposal as never, 'cd'.repeat(32), 3), ...recordAdditions({ kind: 'epcis.event', payload: { event: { epcList: ['urn:provenant:membership'] } } } as never, 'ef'.repeat(32), 4)];
    expect(additions[0]).toMatchObject({ identifier: MEMBERSHIP_SUBJECT, key: MEMBERSHIP_KEY_HEX, entry: { role: 'governance.proposal', logIndex: 3 } });
    map.apply(additions);
    expect(map.rootHex()).toBe(refRoot(new Map([['urn:provenant:membership', [{ recordHash: 'ef'.repeat(32), role: 'epc', logIndex: 4 }]]]), [{ recordHash: 'cd'.repeat(32), role: 'governance.proposal', logIndex: 3 }]));
    expect(MEMBERSHIP_KEY_HEX).toBe(refMembershipKey().toString('hex'));
  });

  it('what an event touches is what the reference checker derives from the page', () => {
    const events = [
      { type: 'ObjectEvent', action: 'ADD', epcList: ['urn:epc:id:sgtin:0614141.107346.2017', 'UK123450600001'], readPoint: { id: 'urn:epc:id:sgln:5012345.00001.0' }, bizLocation: { id: 'urn:epc:id:sgln:5012345.00002.0' } },
      { type: 'AggregationEvent', action: 'ADD', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:epc:id:sgtin:0614141.107346.2018'], childQuantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.998877', quantity: 3 }] },
      { type: 'TransformationEvent', inputQuantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.1' }], outputEPCList: ['urn:epc:id:sgtin:0614141.107346.9'], sourceList: [{ type: 'owning_party', source: 'urn:epc:id:pgln:0614141.00001' }], destinationList: [{ type: 'owning_party', destination: 'urn:epc:id:pgln:0614141.00002' }] },
      { type: 'ObjectEvent', action: 'ADD', epcList: ['urn:provenant:animal:UK123450700002'], 'provenant:dam': 'UK123450600001', quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.1' }, { epcClass: 'urn:epc:class:lgtin:4012345.012345.1' }] },
      { type: 'ObjectEvent', parentID: '', epcList: [42, 'not an id'], readPoint: 'nope' },
    ];
    for (const e of events) expect(eventTouches(e)).toEqual(refTouches(e));
  });
});
