import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKET_COUNT, MapTop } from '../../../src/core/ledger/index-map/index.js';

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
/** Buckets at both ends and in the middle, so paths cross every band of tiles. */
const bucket = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: BUCKET_COUNT - 40, max: BUCKET_COUNT - 1 }), fc.integer({ min: 0, max: BUCKET_COUNT - 1 }));
const update = fc.array(fc.tuple(bucket, hash32), { minLength: 1, maxLength: 6 });

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('MapTop versions', () => {
  it('a clone and its source change independently, each as a top built from its own buckets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(update, fc.boolean(), fc.option(fc.tuple(bucket, hash32))), { minLength: 1, maxLength: 5 }), (steps) => {
        // Each step: update a clone of the latest (the source maybe written first), or the latest itself.
        const versions: { top: MapTop; buckets: Map<number, Uint8Array> }[] = [{ top: MapTop.empty(), buckets: new Map() }];
        for (const [roots, cloneFirst, sourceWrite] of steps) {
          const last = versions[versions.length - 1]!;
          const next = cloneFirst ? { top: last.top.clone(), buckets: new Map(last.buckets) } : last;
          if (cloneFirst && sourceWrite) {
            last.top.setBuckets([sourceWrite]);
            last.buckets.set(sourceWrite[0], sourceWrite[1]);
          }
          next.top.setBuckets(roots);
          for (const [b, r] of roots) next.buckets.set(b, r);
          if (cloneFirst) versions.push(next);
        }
        for (const v of versions) {
          const fresh = MapTop.fromBuckets(v.buckets);
          expect(v.top.rootHex()).toBe(fresh.rootHex());
          for (const b of v.buckets.keys()) {
            expect(hex(v.top.bucketRoot(b))).toBe(hex(fresh.bucketRoot(b)));
            expect(v.top.siblings(b).map(hex)).toEqual(fresh.siblings(b).map(hex));
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('writing to a clone leaves the empty top it came from empty', () => {
    const empty = MapTop.empty();
    const emptyRoot = empty.rootHex();
    const clone = empty.clone();
    clone.setBuckets([[7, new Uint8Array(32).fill(1)]]);
    expect(clone.rootHex()).not.toBe(emptyRoot);
    expect(empty.rootHex()).toBe(emptyRoot);
    expect(MapTop.empty().rootHex()).toBe(emptyRoot);
    expect(hex(MapTop.empty().bucketRoot(7))).toBe('0'.repeat(64));
  });
});
