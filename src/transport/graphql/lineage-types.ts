/** Lineage domain types: traces and their verified hops, passports, animal histories, recall rows, cargo and authenticity. */
import type { AuthenticityResult, CargoNode, PartyAt, RecallRow } from '../../core/lineage/answers.js';
import type { LineageEdge } from '../../core/lineage/graph.js';
import type { HopReason } from '../../core/lineage/semantics.js';
import type { HopView } from '../../services/lineage/completeness-view.js';
import type { AuthenticityView, EventSummaryView } from '../../core/lineage/visible-views.js';
import type { CargoView, Extras, HistoryView, PassportView, TraceView } from '../../services/lineage/reads.js';
import type { HopCorrection } from '../../core/lineage/hop-corrections.js';
import type { Builder } from './builder.js';
import { withheldFieldType } from './withheld-types.js';
import { serve } from './serve.js';
import { registerCompletenessTypes, type CompletenessTypes } from './completeness-types.js';

/** The checkpoint, completeness and later records every answer carries. */
function extrasFields<T extends Extras>(t: PothosSchemaTypes.ObjectFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<import('./builder.js').BuilderTypes>, T>, c: CompletenessTypes) {
  return {
    checkpoint: t.field({ type: c.Checkpoint, nullable: true, description: 'The block the answer is given at.', resolve: (v: T) => v.checkpoint }),
    completeness: t.field({ type: [c.Completeness], description: 'For every identifier of the answer: its events are all there are, up to the checkpoint.', resolve: (v: T) => v.completeness }),
    laterRecords: t.field({ type: [c.Later], description: 'As-of answers: records after the checkpoint touching these identifiers.', resolve: (v: T) => v.laterRecords }),
  };
}

function registerTraceTypes(builder: Builder, c: CompletenessTypes) {
  const Direction = builder.enumType('LineageDirection', { values: ['UPSTREAM', 'DOWNSTREAM'] as const });
  const HopStatus = builder.enumType('HopStatus', { values: ['VERIFIED', 'WARNING', 'FAILED'] as const });
  const EdgeKind = builder.enumType('LineageEdgeKind', { values: ['TRANSFORMATION', 'AGGREGATION', 'CUSTODY', 'LOCATION', 'FEEDING', 'DAM', 'ASSOCIATION'] as const });

  const Finding = builder.objectRef<HopReason>('HopFinding').implement({
    description: 'Why a hop failed or carries a warning (details name expected vs computed values).',
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      details: t.field({ type: 'JSON', nullable: true, resolve: (r) => r.details ?? null }),
    }),
  });

  const Edge = builder.objectRef<LineageEdge>('LineageEdge').implement({
    fields: (t) => ({
      from: t.exposeString('from'),
      to: t.exposeString('to'),
      kind: t.field({ type: EdgeKind, resolve: (e) => e.kind }),
      eventId: t.exposeString('eventId'),
      time: t.exposeString('time'),
      item: t.string({ nullable: true, resolve: (e) => e.item ?? null }),
      validFrom: t.string({ nullable: true, resolve: (e) => e.validFrom ?? null }),
      validTo: t.string({ nullable: true, resolve: (e) => e.validTo ?? null }),
    }),
  });

  const CorrectionStatus = builder.enumType('HopCorrectionStatus', {
    description: 'CORRECTED: corrective events replace the event. RETRACTED: it did not happen as stated (no corrective events).',
    values: ['CORRECTED', 'RETRACTED'] as const,
  });
  const Correction = builder.objectRef<HopCorrection>('HopCorrection').implement({
    description: "The hop's event was declared in error (EPCIS 2.0 errorDeclaration) by the organisation that captured it; the latest declaration.",
    fields: (t) => ({
      status: t.field({ type: CorrectionStatus, resolve: (c) => c.status }),
      reason: t.string({ nullable: true, description: 'CBV error reason (incorrect_data, did_not_occur) or the URI declared.', resolve: (c) => c.reason }),
      declarationTime: t.exposeString('declarationTime'),
      correctiveEventIds: t.exposeStringList('correctiveEventIds'),
      recordHash: t.exposeString('recordHash', { description: 'The signed record carrying the declaration.' }),
    }),
  });

  const Hop = builder.objectRef<HopView>('LineageHop').implement({
    description: 'One edge of a trace and the verification of the record behind it.',
    fields: (t) => ({
      edge: t.field({ type: Edge, resolve: (h) => h.edge }),
      recordHash: t.exposeString('recordHash'),
      status: t.field({ type: HopStatus, resolve: (h) => h.status }),
      failures: t.field({ type: [Finding], resolve: (h) => h.failures }),
      warnings: t.field({ type: [Finding], resolve: (h) => h.warnings }),
      completeness: t.field({ type: [c.Completeness], description: "Both ends of the hop: the events listed for each are all there are, up to the answer's checkpoint.", resolve: (h) => h.completeness }),
      correction: t.field({ type: Correction, nullable: true, description: 'Set when the event was declared in error.', resolve: (h) => h.correction ?? null }),
      withheld: t.field({
        type: [withheldFieldType(builder)],
        description: "The hop event's withheld fields (docs/redaction.md): value and salt when you see the event in full, else the commitment only.",
        resolve: (h, _args, ctx) => serve(() => ctx.reads.chain.withheldOfHash(ctx, h.recordHash)),
      }),
    }),
  });

  const Trace = builder.objectRef<TraceView>('LineageTrace').implement({
    fields: (t) => ({
      start: t.exposeString('start'),
      direction: t.field({ type: Direction, resolve: (v) => v.direction }),
      nodes: t.exposeStringList('nodes'),
      verdict: t.field({ type: HopStatus, description: 'The worst hop.', resolve: (v) => v.verdict }),
      hops: t.field({ type: [Hop], resolve: (v) => v.hops }),
      contextEdges: t.field({ type: [Edge], description: 'Custody and location edges of the traced items.', resolve: (v) => v.contextEdges }),
      ...extrasFields(t, c),
    }),
  });

  return { Direction, HopStatus, Hop, Trace };
}

function registerAnswerTypes(builder: Builder, HopStatus: ReturnType<typeof registerTraceTypes>['HopStatus'], Hop: ReturnType<typeof registerTraceTypes>['Hop'], c: CompletenessTypes) {
  const Party = builder.objectRef<PartyAt>('PartyAt').implement({
    fields: (t) => ({ orgId: t.exposeString('orgId'), eventId: t.exposeString('eventId'), time: t.exposeString('time') }),
  });

  const Passport = builder.objectRef<PassportView>('ProductPassport').implement({
    fields: (t) => ({
      identifier: t.exposeString('identifier'),
      animals: t.exposeStringList('animals'),
      farmsOfBirth: t.field({ type: [Party], resolve: (p) => p.farmsOfBirth }),
      rearingFarms: t.exposeStringList('rearingFarms'),
      slaughter: t.field({ type: [Party], resolve: (p) => p.slaughter }),
      processing: t.field({ type: [Party], resolve: (p) => p.processing }),
      packing: t.field({ type: [Party], resolve: (p) => p.packing }),
      coldChainCompliant: t.exposeBoolean('coldChainCompliant'),
      coldChainBreaches: t.field({ type: 'JSON', resolve: (p) => p.coldChainBreaches }),
      verdict: t.field({ type: HopStatus, resolve: (p) => p.verdict }),
      hops: t.field({ type: [Hop], resolve: (p) => p.verification.hops }),
      ...extrasFields(t, c),
    }),
  });

  const Summary = builder.objectRef<EventSummaryView>('LineageEventSummary').implement({
    fields: (t) => ({
      redacted: t.exposeBoolean('redacted', { description: 'The event is shown but its inspection finding is withheld from you (docs/access.md).' }),
      finding: t.field({
        type: 'JSON',
        nullable: true,
        description: 'Inspection events you may read in full: the disposition and finding fields. Null otherwise.',
        resolve: (e) => e.finding,
      }),
      eventId: t.exposeString('eventId'),
      time: t.exposeString('time'),
      orgId: t.exposeString('orgId'),
      bizStep: t.string({ nullable: true, resolve: (e) => e.bizStep }),
      eventType: t.string({ nullable: true, resolve: (e) => e.eventType }),
      readPoint: t.string({ nullable: true, resolve: (e) => e.readPoint }),
      bizLocation: t.string({ nullable: true, resolve: (e) => e.bizLocation }),
    }),
  });

  const FeedLot = builder.objectRef<{ lot: string; event: EventSummaryView }>('FeedLotUse').implement({
    fields: (t) => ({ lot: t.exposeString('lot'), event: t.field({ type: Summary, resolve: (f) => f.event }) }),
  });

  const History = builder.objectRef<HistoryView>('AnimalHistory').implement({
    fields: (t) => ({
      animal: t.exposeString('animal'),
      birth: t.field({ type: Summary, nullable: true, resolve: (h) => h.birth }),
      birthHolding: t.string({ nullable: true, resolve: (h) => h.birth?.holding ?? null }),
      dam: t.string({ nullable: true, resolve: (h) => h.dam }),
      movements: t.field({ type: [Summary], resolve: (h) => h.movements }),
      feedLots: t.field({ type: [FeedLot], resolve: (h) => h.feedLots }),
      treatments: t.field({ type: [Summary], resolve: (h) => h.treatments }),
      slaughter: t.field({ type: Summary, nullable: true, resolve: (h) => h.slaughter }),
      carcasses: t.stringList({ resolve: (h) => h.slaughter?.outputs ?? [] }),
      postMortem: t.field({ type: [Summary], resolve: (h) => h.postMortem }),
      verdict: t.field({ type: HopStatus, description: 'FAILED when the animal or a carcass is not proven complete.', resolve: (h) => h.verdict }),
      ...extrasFields(t, c),
    }),
  });

  return { Passport, Summary, History };
}

function registerQueryAnswerTypes(
  builder: Builder,
  HopStatus: ReturnType<typeof registerTraceTypes>['HopStatus'],
  Hop: ReturnType<typeof registerTraceTypes>['Hop'],
  Summary: ReturnType<typeof registerAnswerTypes>['Summary'],
  completeness: CompletenessTypes,
) {
  const RecallItem = builder.objectRef<RecallRow>('RecallItem').implement({
    fields: (t) => ({
      identifier: t.exposeString('identifier'),
      kind: t.exposeString('kind'),
      lastCustodian: t.string({ nullable: true, resolve: (r) => r.lastCustodian }),
      lastLocation: t.string({ nullable: true, resolve: (r) => r.lastLocation }),
      lastEventTime: t.string({ nullable: true, resolve: (r) => r.lastEventTime }),
      pathLength: t.exposeInt('pathLength'),
    }),
  });

  const RecallCsv = builder.objectRef<{ csv: string; rowCount: number; verdict: 'VERIFIED' | 'WARNING' | 'FAILED' }>('RecallCsv').implement({
    fields: (t) => ({ csv: t.exposeString('csv'), rowCount: t.exposeInt('rowCount'), verdict: t.field({ type: HopStatus, resolve: (r) => r.verdict }) }),
  });

  const Cargo: ReturnType<typeof builder.objectRef<CargoNode>> = builder.objectRef<CargoNode>('CargoItem');
  Cargo.implement({
    fields: (t) => ({
      identifier: t.exposeString('identifier'),
      origins: t.exposeStringList('origins'),
      contents: t.field({ type: [Cargo], resolve: (n) => n.contents }),
    }),
  });

  const CargoLineageType = builder.objectRef<CargoView>('CargoLineage').implement({
    fields: (t) => ({
      container: t.exposeString('container'),
      contents: t.field({ type: [Cargo], resolve: (c) => c.contents }),
      documents: t.field({ type: 'JSON', resolve: (c) => c.documents }),
      sealEvents: t.field({ type: [Summary], resolve: (c) => c.sealEvents }),
      temperatureExcursions: t.field({ type: 'JSON', resolve: (c) => c.temperatureExcursions }),
      parties: t.exposeStringList('parties'),
      verdict: t.field({ type: HopStatus, resolve: (c) => c.verification.verdict }),
      hops: t.field({ type: [Hop], resolve: (c) => c.verification.hops }),
      ...extrasFields(t, completeness),
    }),
  });

  const Reason = builder.objectRef<AuthenticityResult['reasons'][number]>('AuthenticityReason').implement({
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      details: t.field({ type: 'JSON', nullable: true, resolve: (r) => r.details ?? null }),
    }),
  });

  const Authenticity = builder.objectRef<AuthenticityView>('AuthenticityCheck').implement({
    fields: (t) => ({
      detailsWithheld: t.exposeBoolean('detailsWithheld', {
        description: 'Some parties or events behind the verdict are not yours to see; the verdict itself is complete.',
      }),
      identifier: t.exposeString('identifier'),
      likelyCounterfeit: t.exposeBoolean('likelyCounterfeit'),
      reasons: t.field({ type: [Reason], resolve: (a) => a.reasons }),
      brandOwner: t.string({ nullable: true, resolve: (a) => a.brandOwner }),
      commissionedBy: t.exposeStringList('commissionedBy'),
    }),
  });

  return { RecallItem, RecallCsv, CargoView: CargoLineageType, Authenticity };
}

export function registerLineageTypes(builder: Builder) {
  const completeness = registerCompletenessTypes(builder);
  const { Direction, HopStatus, Hop, Trace } = registerTraceTypes(builder, completeness);
  const { Passport, Summary, History } = registerAnswerTypes(builder, HopStatus, Hop, completeness);
  return { Direction, HopStatus, Trace, Passport, History, completeness, ...registerQueryAnswerTypes(builder, HopStatus, Hop, Summary, completeness) };
}

export type LineageTypes = ReturnType<typeof registerLineageTypes>;
