/** The master-data location hierarchy (EPCIS 2.0 sections 6.5, 8.2.7.1): links read from a header, and WD_ closures. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { descendantScope, inScope, locationLinksOf } from '../../../src/core/epcis/query/location-hierarchy.js';
import { parseEventQuery } from '../../../src/core/epcis/query/event-query.js';

const BL = 'urn:epcglobal:epcis:vtype:BusinessLocation';
const RP = 'urn:epcglobal:epcis:vtype:ReadPoint';
const link = (orgId: string, parentId: string, childId: string) => ({ orgId, parentId, childId });

describe('locationLinksOf', () => {
  it('reads the children of ReadPoint and BusinessLocation elements, for the signing organisation', () => {
    const header = {
      epcisMasterData: {
        vocabularyList: [
          { type: BL, vocabularyElementList: [{ id: 'a', children: ['b', 'c', 'b', 'a'] }, { id: 'b' }] },
          { type: RP, vocabularyElementList: [{ id: 'r', children: ['s'] }] },
          { type: 'urn:epcglobal:epcis:vtype:EPCClass', vocabularyElementList: [{ id: 'x', children: ['y'] }] },
          { type: BL, vocabularyElementList: [{ id: 7, children: ['z'] }, { id: 'q', children: [1, ''] }] },
        ],
      },
    };
    expect(locationLinksOf(header, 'omni')).toEqual([
      { vocabulary: 'bizLocation', orgId: 'omni', parentId: 'a', childId: 'b' },
      { vocabulary: 'bizLocation', orgId: 'omni', parentId: 'a', childId: 'c' },
      { vocabulary: 'readPoint', orgId: 'omni', parentId: 'r', childId: 's' },
    ]);
  });

  it('nothing from a header without master data, or from what is not a header', () => {
    for (const header of [undefined, null, 'x', [], {}, { epcisMasterData: [] }, { epcisMasterData: { vocabularyList: {} } }]) expect(locationLinksOf(header, 'omni')).toEqual([]);
  });
});

describe('descendantScope', () => {
  it('is the transitive closure per organisation; the values match for everyone', () => {
    const scope = descendantScope(['site'], [link('o', 'site', 'wh'), link('o', 'wh', 'dock'), link('p', 'dock', 'bay'), link('p', 'site', 'yard')])!;
    expect(scope.values).toEqual(['site']);
    expect(Object.fromEntries(scope.byOrg)).toEqual({ o: ['dock', 'wh'], p: ['yard'] });
    expect(inScope(scope, 'o', 'dock')).toBe(true);
    expect(inScope(scope, 'p', 'dock')).toBe(false); // p's link below dock does not hang off o's dock
    expect(inScope(scope, 'x', 'site')).toBe(true);
    expect(inScope(scope, 'x', null)).toBe(false);
  });

  it('ends on cycles, including ones through the values', () => {
    const scope = descendantScope(['a'], [link('o', 'a', 'b'), link('o', 'b', 'c'), link('o', 'c', 'a'), link('o', 'c', 'b')])!;
    expect(Object.fromEntries(scope.byOrg)).toEqual({ o: ['b', 'c'] });
  });

  it('is null past the size or depth bound, never a partial scope', () => {
    const wide = Array.from({ length: 11 }, (_, i) => link('o', 'root', `c${i}`));
    expect(descendantScope(['root'], wide, { depth: 32, size: 10 })).toBeNull();
    expect(descendantScope(['root'], wide.slice(0, 10), { depth: 32, size: 10 })).not.toBeNull();
    const chain = Array.from({ length: 5 }, (_, i) => link('o', `n${i}`, `n${i + 1}`));
    expect(descendantScope(['n0'], chain, { depth: 4, size: 100 })).toBeNull();
    expect(descendantScope(['n0'], chain, { depth: 5, size: 100 })).not.toBeNull();
  });

  it('agrees with a plain reachability search on random graphs (fast-check)', () => {
    const node = fc.integer({ min: 0, max: 8 }).map((n) => `l${n}`);
    const org = fc.constantFrom('o', 'p');
    fc.assert(
      fc.property(fc.array(fc.record({ orgId: org, parentId: node, childId: node }), { maxLength: 30 }), node, (links, root) => {
        const scope = descendantScope([root], links)!;
        for (const o of ['o', 'p']) {
          const reach = new Set<string>();
          const stack = [root];
          while (stack.length > 0) {
            const at = stack.pop()!;
            for (const l of links) {
              if (l.orgId !== o || l.parentId !== at || l.childId === root || reach.has(l.childId)) continue;
              reach.add(l.childId);
              stack.push(l.childId);
            }
          }
          expect(new Set(scope.byOrg.get(o) ?? [])).toEqual(reach);
        }
      }),
    );
  });
});

describe('WD_ parameters', () => {
  it('are kept apart from EQ_, so both may be given', () => {
    const { query } = parseEventQuery([['EQ_readPoint', 'a'], ['WD_readPoint', 'b|c'], ['WD_bizLocation', 'd']]);
    expect(query.readPoints).toEqual(['a']);
    expect(query.readPointsWithin).toEqual(['b', 'c']);
    expect(query.bizLocationsWithin).toEqual(['d']);
    expect(query.bizLocations).toBeUndefined();
  });
});
