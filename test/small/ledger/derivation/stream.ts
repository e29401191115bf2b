/** Test helper: an ordering log built by hand for a demo consortium, and derivers to feed it to. */
import { canonicalize, type KeyPair } from '../../../../src/core/crypto/index.js';
import { ConsortiumState, RecordKind, type BlockHeader, type SignedRecord } from '../../../../src/core/ledger/index.js';
import { Deriver, sealMessageOf, signCutMarker, type DerivationEntry, type DerivationOutput, type DerivedBlock } from '../../../../src/core/ledger/derivation/index.js';
import type { OrderingMessage } from '../../../../src/core/ledger/ordering-message.js';
import { CONSORTIUM, DemoChain } from '../demo-consortium.js';

export { CONSORTIUM, DemoChain };

export const AUTHORITIES = ['fsa', 'hmrc', 'green-farm', 'big-retail'] as const;

/** An ordering log: entries get the next sequence and, unless given, a timestamp one second later. */
export class Stream {
  readonly entries: DerivationEntry[] = [];
  #clock = Date.parse('2026-01-01T00:00:00.000Z');

  push(message: OrderingMessage | null, timestamp?: string): DerivationEntry {
    this.#clock += 1000;
    const entry = { sequence: this.entries.length + 1, timestamp: timestamp ?? new Date(this.#clock).toISOString(), message };
    this.entries.push(entry);
    return entry;
  }
}

export function submission(records: readonly SignedRecord[]): OrderingMessage {
  return { v: 1, consortium: CONSORTIUM, kind: 'submission', records };
}

export function cut(height: number, key: KeyPair): OrderingMessage {
  return signCutMarker(CONSORTIUM, height, key);
}

export function seal(header: BlockHeader, key: KeyPair): OrderingMessage {
  return sealMessageOf(header, key);
}

/** A fresh signed event by the organisation. */
export function event(demo: DemoChain, org: string, note: string): SignedRecord {
  return demo.sign(org, RecordKind.EPCIS_EVENT, { event: { type: 'ObjectEvent', note } });
}

export function deriverOf(demo: DemoChain): Deriver {
  return new Deriver({ state: ConsortiumState.fromGenesis(demo.genesis), afterSequence: 0 });
}

/** Feeds the entries and returns every output. */
export function feed(deriver: Deriver, entries: readonly DerivationEntry[]): DerivationOutput[] {
  return entries.flatMap((e) => deriver.apply(e));
}

export function blocksOf(outputs: readonly DerivationOutput[]): DerivedBlock[] {
  return outputs.flatMap((o) => (o.type === 'block' ? [o.block] : []));
}

export function finalsOf(outputs: readonly DerivationOutput[]): { height: number; hash: string; keyIds: string[] }[] {
  return outputs.flatMap((o) => (o.type === 'final' ? [{ height: o.final.block.header.height, hash: o.final.block.hash, keyIds: o.final.seals.map((s) => s.keyId) }] : []));
}

/** The canonical bytes of what a deriver decided: two equal derivations give equal text. */
export function canonicalOutputs(outputs: readonly DerivationOutput[]): string {
  return canonicalize(
    outputs.map((o) => {
      if (o.type === 'block') return { type: o.type, header: o.block.header, hash: o.block.hash, recordHashes: o.block.recordHashes, cutSequence: o.block.cutSequence };
      if (o.type === 'final') return { type: o.type, header: o.final.block.header, seals: o.final.seals, finalSequence: o.final.finalSequence };
      if (o.type === 'submission') return { type: o.type, sequence: o.sequence, decision: o.decision.admitted ? o.decision.records.map((r) => [r.hash, r.logIndex]) : o.decision.outcomes };
      return o;
    }),
  );
}
