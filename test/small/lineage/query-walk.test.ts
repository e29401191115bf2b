/**
 * The walk a bundle verifier re-runs (query-walk.ts): over random lineage graphs it visits exactly
 * what a plain breadth-first search over the graph's edges reaches, the same as the lineage
 * services' walk over a store, and an identifier the walk visits that an answer drops is caught.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trace, type EventRow, type LineageSource } from '../../../src/core/lineage/graph.js';
import { eventTouches } from '../../../src/core/ledger/index-map/entries.js';
import { visitedByRecords, walkGaps, walkOfQuery, type WalkRecord } from '../../../src/core/lineage/query-walk.js';

const item = (i: number) => `urn:test:item:${i}`;

type GraphEvent = { kind: 'transform'; inputs: number[]; outputs: number[] } | { kind: 'aggregate'; parent: number; children: number[] } | { kind: 'observe'; items: number[] };

const nodes = fc.array(fc.nat({ max: 11 }), { minLength: 1, maxLength: 4 });
const graphEvent: fc.Arbitrary<GraphEvent> = fc.oneof(
  fc.record({ kind: fc.constant('transform' as const), inputs: nodes, outputs: nodes }),
  fc.record({ kind: fc.constant('aggregate' as const), parent: fc.nat({ max: 11 }), children: nodes }),
  fc.record({ kind: fc.constant('observe' as const), items: nodes }),
);

function epcisEvent(e: GraphEvent, i: number): Record<string, unknown> {
  const base = { eventTime: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`, eventTimeZoneOffset: '+00:00' };
  if (e.kind === 'transform') return { ...base, type: 'TransformationEvent', inputEPCList: e.inputs.map(item), outputEPCList: e.outputs.map(item) };
  if (e.kind === 'aggregate') return { ...base, type: 'AggregationEvent', action: 'ADD', parentID: item(e.parent), childEPCs: e.children.map(item) };
  return { ...base, type: 'ObjectEvent', action: 'OBSERVE', epcList: e.items.map(item) };
}

const recordsOf = (events: GraphEvent[]): WalkRecord[] =>
  events.map((e, i) => ({ hash: i.toString(16).padStart(64, '0'), logIndex: i, record: { kind: 'epcis.event', payload: { event: epcisEvent(e, i) } } as WalkRecord['record'] }));

/** Plain breadth-first search over the graph's edges (input -> output, child -> parent), to a depth. */
function reference(events: GraphEvent[], start: number, downstream: boolean, maxDepth: number): string[] {
  const edges: [number, number][] = events.flatMap((e): [number, number][] =>
    e.kind === 'transform' ? e.inputs.flatMap((a) => e.outputs.map((b): [number, number] => [a, b])) : e.kind === 'aggregate' ? e.children.map((c): [number, number] => [c, e.parent]) : [],
  );
  const depth = new Map([[start, 0]]);
  let frontier = [start];
  for (let level = 0; level < maxDepth && frontier.length > 0; level++) {
    const next: number[] = [];
    for (const [from, to] of edges) {
      const [near, far] = downstream ? [from, to] : [to, from];
      if (frontier.includes(near) && !depth.has(far)) {
        depth.set(far, level + 1);
        next.push(far);
      }
    }
    frontier = next;
  }
  return [...depth.keys()].map(item).sort();
}

/** The same records as a store would serve them to the lineage services' walk. */
function storeSource(records: WalkRecord[]): LineageSource {
  const rows: EventRow[] = records.map((r) => {
    const event = (r.record.payload as { event: Record<string, unknown> }).event;
    return { eventId: r.hash, recordHash: r.hash, eventTime: String(event.eventTime), event, signerOrg: 'org', identifiers: eventTouches(event) };
  });
  return {
    eventsTouching: async (ids, _known, skipRoles) => rows.filter((r) => r.identifiers.some((t) => ids.includes(t.identifier) && !skipRoles?.includes(t.role))),
  };
}

const graphs = fc.record({ events: fc.array(graphEvent, { minLength: 1, maxLength: 14 }), start: fc.nat({ max: 11 }), downstream: fc.boolean(), maxDepth: fc.nat({ max: 6 }) });

describe('the walk a bundle verifier re-runs', () => {
  it('visits what a breadth-first search over the edges reaches, as the services\' walk over a store does', async () => {
    await fc.assert(
      fc.asyncProperty(graphs, async ({ events, start, downstream, maxDepth }) => {
        const records = recordsOf(events);
        const direction = downstream ? 'DOWNSTREAM' : 'UPSTREAM';
        const walk = walkOfQuery({ kind: 'trace', identifier: item(start), direction, maxDepth });
        if ('error' in walk) throw new Error(walk.error);
        const visited = visitedByRecords(walk, records).sort();
        expect(visited).toEqual(reference(events, start, downstream, maxDepth));
        expect((await trace(storeSource(records), item(start), direction, maxDepth)).nodes.sort()).toEqual(visited);
      }),
      { numRuns: 300 },
    );
  });

  it('catches any visited identifier an answer drops, from the list or from the proofs, and nothing when none is dropped', () => {
    fc.assert(
      fc.property(graphs, fc.nat(), fc.boolean(), ({ events, start, downstream, maxDepth }, pick, fromListToo) => {
        const records = recordsOf(events);
        const query = downstream ? { kind: 'recall', identifier: item(start), maxDepth } : { kind: 'cargo', identifier: item(start), maxDepth };
        const visited = reference(events, start, downstream, maxDepth);
        expect(walkGaps(query, records, new Set(visited), new Set(visited))).toEqual({ gaps: [] });
        const dropped = visited[pick % visited.length]!;
        const kept = new Set(visited.filter((v) => v !== dropped));
        const gaps = walkGaps(query, records, fromListToo ? kept : new Set(visited), kept);
        expect(gaps).toEqual({ gaps: [{ identifier: dropped, listed: !fromListToo }] });
      }),
      { numRuns: 300 },
    );
  });

  it('names the queries it cannot walk', () => {
    expect(walkOfQuery({ kind: 'trace', identifier: item(1) })).toEqual({ error: expect.stringContaining('direction') });
    expect(walkOfQuery({ kind: 'recall', identifier: item(1), direction: 'UPSTREAM' })).toEqual({ error: expect.stringContaining('no direction') });
    expect(walkOfQuery({ kind: 'passport', identifier: item(1) })).toEqual({ error: expect.stringContaining('kind') });
    expect(walkOfQuery({ kind: 'cargo', identifier: item(1), maxDepth: 65 })).toEqual({ error: expect.stringContaining('maxDepth') });
    expect(walkOfQuery({ kind: 'cargo', identifier: item(1) })).toEqual({ start: item(1), direction: 'UPSTREAM', maxDepth: 32 });
  });
});
