/**
 * What lineage answers carry to prove they are complete (docs/completeness.md): the checkpoint an
 * answer is given at, per identifier its index entries and the map proof under the signed
 * indexRoot, later records of as-of answers, and the asOf argument.
 */
import type { LaterRecord } from '../../core/lineage/corrections.js';
import type { CheckpointView } from '../../services/lineage/answer-extras.js';
import type { IdentifierCompletenessView, IndexEntryView, IndexProofView } from '../../services/lineage/completeness-view.js';
import type { Builder } from './builder.js';

export function registerCompletenessTypes(builder: Builder) {
  const Status = builder.enumType('CompletenessStatus', {
    description: 'COMPLETE: the events listed are all there are up to the checkpoint; INCOMPLETE: an index row is missing, hidden or forged; UNPROVEN: no block commits to the index map yet.',
    values: ['COMPLETE', 'INCOMPLETE', 'UNPROVEN'] as const,
  });

  const Reason = builder.objectRef<{ code: string; message: string; details?: Record<string, unknown> }>('CompletenessFinding').implement({
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      details: t.field({ type: 'JSON', nullable: true, resolve: (r) => r.details ?? null }),
    }),
  });

  const Entry = builder.objectRef<IndexEntryView>('IndexEntry').implement({
    description: "One entry of an identifier's chain: a record that touches it, in a role, at a log index.",
    fields: (t) => ({
      eventId: t.string({ nullable: true, description: 'Null when the event is not yours to see (its record hash, role and position still count).', resolve: (e) => e.eventId }),
      recordHash: t.exposeString('recordHash'),
      role: t.exposeString('role'),
      logIndex: t.exposeInt('logIndex'),
    }),
  });

  const Leaf = builder.objectRef<{ key?: string; count: number; head: string }>('IndexLeaf').implement({
    fields: (t) => ({
      key: t.string({ nullable: true, resolve: (l) => l.key ?? null }),
      count: t.exposeInt('count'),
      head: t.exposeString('head'),
    }),
  });

  const Proof = builder.objectRef<IndexProofView>('IndexProof').implement({
    description: "The identifier's leaf in the index map under indexRoot, the root the header of block `height` commits to (docs/completeness.md, Map proofs).",
    fields: (t) => ({
      indexRoot: t.exposeString('indexRoot'),
      height: t.exposeInt('height'),
      logSize: t.exposeInt('logSize'),
      key: t.exposeString('key'),
      siblings: t.exposeStringList('siblings'),
      leaf: t.field({ type: Leaf, nullable: true, resolve: (p) => p.leaf }),
      other: t.field({ type: Leaf, nullable: true, resolve: (p) => p.other ?? null }),
    }),
  });

  const Completeness = builder.objectRef<IdentifierCompletenessView>('IdentifierCompleteness').implement({
    description: "Whether the events listed for an identifier are all there are, up to the answer's checkpoint.",
    fields: (t) => ({
      identifier: t.exposeString('identifier'),
      status: t.field({ type: Status, resolve: (c) => c.status }),
      count: t.int({ nullable: true, description: "Entries in the identifier's proven chain.", resolve: (c) => c.count }),
      entries: t.field({ type: [Entry], description: 'The chain, in log order, up to the log size of the proof (entries at or after the checkpoint are later).', resolve: (c) => c.entries }),
      reason: t.field({ type: Reason, nullable: true, resolve: (c) => c.reason }),
      proof: t.field({ type: Proof, nullable: true, resolve: (c) => c.proof() }),
    }),
  });

  const Checkpoint = builder.objectRef<CheckpointView>('LineageCheckpoint').implement({
    description: 'The block an answer is given at.',
    fields: (t) => ({
      height: t.exposeInt('height'),
      logSize: t.exposeInt('logSize'),
      blockHash: t.string({ nullable: true, resolve: (c) => c.blockHash }),
      timestamp: t.string({ nullable: true, resolve: (c) => c.timestamp }),
      indexRoot: t.string({ nullable: true, description: 'The map root the completeness proofs are checked against.', resolve: (c) => c.indexRoot }),
      indexHeight: t.int({ nullable: true, description: 'The block whose header commits to indexRoot.', resolve: (c) => c.indexHeight }),
      signed: t.exposeBoolean('signed'),
      asOf: t.exposeBoolean('asOf'),
      failures: t.field({ type: [Reason], resolve: (c) => c.failures }),
    }),
  });

  const Later = builder.objectRef<LaterRecord>('LaterRecord').implement({
    description: "As-of answers: a record after the checkpoint touching an identifier of the answer; CORRECTION when it declares one of the answer's events in error.",
    fields: (t) => ({
      identifier: t.exposeString('identifier'),
      eventId: t.exposeString('eventId'),
      recordHash: t.exposeString('recordHash'),
      logIndex: t.exposeInt('logIndex'),
      role: t.exposeString('role'),
      kind: t.exposeString('kind'),
      corrects: t.exposeStringList('corrects'),
    }),
  });

  const AsOf = builder.inputType('LineageAsOf', {
    description: 'Answer as the ledger stood after the last block at or before this log size or time (give one).',
    fields: (t) => ({
      logSize: t.int({ required: false }),
      time: t.string({ required: false, description: 'RFC 3339 UTC with milliseconds.' }),
    }),
  });

  return { Completeness, Checkpoint, Later, AsOf };
}

export type CompletenessTypes = ReturnType<typeof registerCompletenessTypes>;
