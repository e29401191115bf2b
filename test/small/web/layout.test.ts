import { describe, expect, it } from 'vitest';
import { crossings, layoutLayers } from '../../../web/src/graph/layout.js';

describe('lineage graph layout', () => {
  it('puts each node one layer right of its furthest source (farm → abattoir → processor)', () => {
    const edges = [
      { from: 'dam', to: 'calf' },
      { from: 'feed', to: 'calf' },
      { from: 'calf', to: 'carcass' },
      { from: 'carcass', to: 'pack' },
      { from: 'dam', to: 'pack' },
    ];
    const layout = layoutLayers(['pack', 'dam', 'feed', 'calf', 'carcass'], edges);
    expect(layout.layers).toEqual([['dam', 'feed'], ['calf'], ['carcass'], ['pack']]);
  });

  it('orders a layer by its neighbours, removing avoidable crossings', () => {
    // a→z and b→y cross when both layers are sorted alphabetically.
    const edges = [
      { from: 'a', to: 'z' },
      { from: 'b', to: 'y' },
      { from: 'c', to: 'x' },
    ];
    const layout = layoutLayers(['a', 'b', 'c', 'x', 'y', 'z'], edges);
    expect(crossings(layout, edges)).toBe(0);
    expect(layout.layers[1]).toEqual(['z', 'y', 'x']);
  });

  it('ends on a cycle and keeps every node once', () => {
    const layout = layoutLayers(['a', 'b', 'c'], [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'a' },
    ]);
    expect(layout.layers.flat().sort()).toEqual(['a', 'b', 'c']);
    expect(layout.position.size).toBe(3);
  });

  it('is deterministic whatever the input order', () => {
    const edges = [
      { from: 'p', to: 'q' },
      { from: 'r', to: 'q' },
      { from: 'q', to: 's' },
    ];
    const one = layoutLayers(['p', 'q', 'r', 's'], edges);
    const two = layoutLayers(['s', 'r', 'q', 'p'], [...edges].reverse());
    expect(two.layers).toEqual(one.layers);
  });
});
