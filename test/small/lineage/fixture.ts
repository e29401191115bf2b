/** In-memory lineage fixture: events signed by demo orgs, sealed into real blocks, served by an in-memory LineageSource. */
import type { JsonValue } from '../../../src/core/crypto/index.js';
import { blockHash, sealBlock } from '../../../src/core/ledger/block.js';
import { buildBlockHeader, closeBlock, ConsortiumState, createGenesisBlock } from '../../../src/core/ledger/consortium.js';
import { RecordKind, recordHash, signRecord } from '../../../src/core/ledger/record.js';
import { canonicalize } from '../../../src/core/crypto/index.js';
import { eventIdOfPayload, identifierRowsOf } from '../../../src/core/ledger/projections/event-rows.js';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import type { EventRow, LineageSource } from '../../../src/core/lineage/graph.js';
import { LineageMemo } from '../../../src/core/lineage/lineage-memo.js';
import type { BlockEvidence, BreachEvidence, RecordEvidence } from '../../../src/core/lineage/evidence.js';
import type { VerificationEvidence } from '../../../src/core/lineage/verify-hop.js';

export const time = (day: number) => `2026-03-${String(day).padStart(2, '0')}T08:00:00.000Z`;

/** The index rows a store holds for the event: the shared derivation capture writes them with. */
export function identifierRefs(event: Record<string, unknown>): { identifier: string; role: string }[] {
  return identifierRowsOf(event, '', '').map(({ identifier, role }) => ({ identifier, role }));
}

/** The event's hash ID, as capture computes it. */
function eventIdOf(event: Record<string, unknown>): string {
  return eventIdOfPayload({ event })!.eventId;
}

export class LineageFixture {
  readonly demo = buildDemoConsortium();
  readonly state: ConsortiumState;
  readonly rows: EventRow[] = [];
  readonly records = new Map<string, RecordEvidence>();
  readonly blocks = new Map<number, BlockEvidence>();
  readonly blockRecordHashes = new Map<number, string[]>();
  readonly breaches: BreachEvidence[] = [];
  readonly calls: string[][] = [];
  /** What traces over this fixture remember between queries, as a store keeps one. */
  readonly memo = new LineageMemo();
  #pending: string[] = [];

  constructor() {
    const genesis = createGenesisBlock(this.demo.spec, this.demo.authorityKeys, '2026-01-01T00:00:00.000Z');
    this.state = ConsortiumState.fromGenesis(genesis);
    const h = blockHash(genesis.header);
    this.blocks.set(0, { height: 0, hash: h, header: canonicalize(genesis.header as unknown as JsonValue), seals: JSON.stringify(genesis.seals) });
  }

  add(org: string, event: Record<string, unknown>): EventRow {
    const key = this.demo.orgKeys.get(org)!;
    const record = signRecord({ consortium: DEMO_CONSORTIUM_ID, kind: RecordKind.EPCIS_EVENT, payload: { event } as unknown as JsonValue, signedAt: '2026-11-21T08:00:00.000Z' }, key);
    const hash = recordHash(record);
    this.records.set(hash, { hash, consortiumId: DEMO_CONSORTIUM_ID, body: canonicalize(record as unknown as JsonValue), logIndex: this.state.logSize, blockHeight: null, indexInBlock: null });
    this.state.logSize += 1;
    this.#pending.push(hash);
    const row: EventRow = { eventId: eventIdOf(event), recordHash: hash, eventTime: String(event['eventTime']), event, signerOrg: org, identifiers: identifierRefs(event) };
    this.rows.push(row);
    return row;
  }

  seal(): void {
    const header = buildBlockHeader(this.state, { height: this.state.height, hash: this.state.headHash }, this.#pending, '2026-11-21T08:00:01.000Z');
    const hash = blockHash(header);
    const seals = this.demo.authorityKeys.map((k) => sealBlock(hash, k));
    this.#pending.forEach((h, i) => Object.assign(this.records.get(h)!, { blockHeight: header.height, indexInBlock: i }));
    this.blocks.set(header.height, { height: header.height, hash, header: canonicalize(header as unknown as JsonValue), seals: JSON.stringify(seals) });
    this.blockRecordHashes.set(header.height, [...this.#pending]);
    closeBlock(this.state, header, hash);
    this.#pending = [];
  }

  source(): LineageSource {
    return {
      memo: this.memo,
      eventsTouching: async (identifiers) => {
        this.calls.push([...identifiers]);
        const wanted = new Set(identifiers);
        return this.rows.filter((r) => r.identifiers.some((i) => wanted.has(i.identifier)));
      },
    };
  }

  evidence(): VerificationEvidence {
    return { state: this.state, records: this.records, blocks: this.blocks, blockRecordHashes: this.blockRecordHashes, breaches: this.breaches };
  }
}

export const obj = (day: number, f: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: time(day), eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...f });
export const transform = (day: number, f: Record<string, unknown>) => ({ type: 'TransformationEvent', eventTime: time(day), eventTimeZoneOffset: '+00:00', ...f });
export const aggregate = (day: number, action: 'ADD' | 'DELETE', parentID: string, childEPCs: string[], f: Record<string, unknown> = {}) => ({
  type: 'AggregationEvent',
  eventTime: time(day),
  eventTimeZoneOffset: '+00:00',
  action,
  bizStep: action === 'ADD' ? 'packing' : 'unpacking',
  parentID,
  childEPCs,
  ...f,
});
