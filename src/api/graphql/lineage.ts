/**
 * Lineage domain (issue #4 §5): trace, productPassport, animalHistory, recall (Relay connection)
 * and recallCsv, cargoLineage, authenticityCheck. Expected failures are union members
 * (NotFound, InvalidIdentifier, Forbidden/Unauthenticated by default).
 */
import { resolveArrayConnection } from '@pothos/plugin-relay';
import { parseIdentifier } from '../../events/identifiers/index.js';
import { ANIMAL_URN_PREFIX, canonicalIdentifier } from '../../rules/authorisation.js';
import type { LineageEdge, TraceResult } from '../../lineage/graph.js';
import {
  animalHistory,
  authenticity,
  cargoLineage,
  productPassport,
  recall,
  recallCsv,
  trace,
  DEFAULT_MAX_DEPTH,
  type AnimalHistory,
  type AuthenticityResult,
  type CargoLineage,
  type CargoNode,
  type EventSummary,
  type LineageContext,
  type PartyAt,
  type ProductPassport,
  type RecallRow,
} from '../../lineage/queries.js';
import type { HopVerdict } from '../../lineage/verify-hop.js';
import type { HopReason } from '../../lineage/semantics.js';
import { LineageStore } from '../../store/lineage-store.js';
import { recordAccess } from './access-log.js';
import { requireMember, type Builder, type GraphqlContext } from './builder.js';
import { InvalidIdentifierError, NotFoundError } from './errors.js';

const MAX_DEPTH_LIMIT = 64;

interface TraceView {
  start: string;
  direction: 'UPSTREAM' | 'DOWNSTREAM';
  nodes: string[];
  hops: HopVerdict[];
  verdict: 'VERIFIED' | 'WARNING' | 'FAILED';
  contextEdges: LineageEdge[];
}

function lineageContext(ctx: GraphqlContext, consortiumId: string): LineageContext {
  requireMember(ctx, consortiumId);
  if (!ctx.app.node.consortia().includes(consortiumId)) throw new NotFoundError(`unknown consortium "${consortiumId}"`, { consortium: consortiumId });
  const store = new LineageStore(ctx.app.db, consortiumId);
  return { source: store, evidence: store, state: ctx.app.node.state(consortiumId) };
}

/** Canonical identifier, or InvalidIdentifier when it is not a known kind. */
function checkedIdentifier(text: string): string {
  const bare = text.startsWith(ANIMAL_URN_PREFIX) ? text.slice(ANIMAL_URN_PREFIX.length) : text;
  try {
    parseIdentifier(bare);
  } catch (err) {
    throw new InvalidIdentifierError(`"${text}" is not a recognised identifier: ${(err as Error).message}`, { identifier: text });
  }
  return canonicalIdentifier(text);
}

function checkedDepth(depth: number | null | undefined): number {
  const d = depth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isSafeInteger(d) || d < 0 || d > MAX_DEPTH_LIMIT) throw new InvalidIdentifierError(`maxDepth must be 0..${MAX_DEPTH_LIMIT}`, { maxDepth: depth });
  return d;
}

/** Every organisation whose events the viewer read is told (access log). */
function logAccess(ctx: GraphqlContext, events: Iterable<{ eventId: string; signerOrg: string }>): void {
  for (const e of events) recordAccess(ctx, { ownerOrgId: e.signerOrg, subjectType: 'EpcisEvent', subjectId: e.eventId });
}

function requireSeen(result: TraceResult, id: string): void {
  if (result.events.size === 0) throw new NotFoundError(`no events for ${id}`, { identifier: id });
}

/** `_chain` is accepted so schema.ts can call it like the other domains; lineage links no chain types yet. */
export function registerLineage(builder: Builder, _chain?: unknown) {
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

  const Hop = builder.objectRef<HopVerdict>('LineageHop').implement({
    description: 'One edge of a trace and the verification of the record behind it.',
    fields: (t) => ({
      edge: t.field({ type: Edge, resolve: (h) => h.edge }),
      recordHash: t.exposeString('recordHash'),
      status: t.field({ type: HopStatus, resolve: (h) => h.status }),
      failures: t.field({ type: [Finding], resolve: (h) => h.failures }),
      warnings: t.field({ type: [Finding], resolve: (h) => h.warnings }),
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
    }),
  });

  const Party = builder.objectRef<PartyAt>('PartyAt').implement({
    fields: (t) => ({ orgId: t.exposeString('orgId'), eventId: t.exposeString('eventId'), time: t.exposeString('time') }),
  });

  const Passport = builder.objectRef<ProductPassport>('ProductPassport').implement({
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
    }),
  });

  const Summary = builder.objectRef<EventSummary>('LineageEventSummary').implement({
    fields: (t) => ({
      eventId: t.exposeString('eventId'),
      time: t.exposeString('time'),
      orgId: t.exposeString('orgId'),
      bizStep: t.string({ nullable: true, resolve: (e) => e.bizStep }),
      eventType: t.string({ nullable: true, resolve: (e) => e.eventType }),
      readPoint: t.string({ nullable: true, resolve: (e) => e.readPoint }),
      bizLocation: t.string({ nullable: true, resolve: (e) => e.bizLocation }),
    }),
  });

  const FeedLot = builder.objectRef<{ lot: string; event: EventSummary }>('FeedLotUse').implement({
    fields: (t) => ({ lot: t.exposeString('lot'), event: t.field({ type: Summary, resolve: (f) => f.event }) }),
  });

  const History = builder.objectRef<AnimalHistory>('AnimalHistory').implement({
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
    }),
  });

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

  const RecallCsv = builder.objectRef<{ csv: string; rowCount: number }>('RecallCsv').implement({
    fields: (t) => ({ csv: t.exposeString('csv'), rowCount: t.exposeInt('rowCount') }),
  });

  const Cargo: ReturnType<typeof builder.objectRef<CargoNode>> = builder.objectRef<CargoNode>('CargoItem');
  Cargo.implement({
    fields: (t) => ({
      identifier: t.exposeString('identifier'),
      origins: t.exposeStringList('origins'),
      contents: t.field({ type: [Cargo], resolve: (n) => n.contents }),
    }),
  });

  const CargoView = builder.objectRef<CargoLineage>('CargoLineage').implement({
    fields: (t) => ({
      container: t.exposeString('container'),
      contents: t.field({ type: [Cargo], resolve: (c) => c.contents }),
      documents: t.field({ type: 'JSON', resolve: (c) => c.documents }),
      sealEvents: t.field({ type: [Summary], resolve: (c) => c.sealEvents }),
      temperatureExcursions: t.field({ type: 'JSON', resolve: (c) => c.temperatureExcursions }),
      parties: t.exposeStringList('parties'),
      verdict: t.field({ type: HopStatus, resolve: (c) => c.verification.verdict }),
      hops: t.field({ type: [Hop], resolve: (c) => c.verification.hops }),
    }),
  });

  const Reason = builder.objectRef<AuthenticityResult['reasons'][number]>('AuthenticityReason').implement({
    fields: (t) => ({
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      details: t.field({ type: 'JSON', nullable: true, resolve: (r) => r.details ?? null }),
    }),
  });

  const Authenticity = builder.objectRef<AuthenticityResult>('AuthenticityCheck').implement({
    fields: (t) => ({
      identifier: t.exposeString('identifier'),
      likelyCounterfeit: t.exposeBoolean('likelyCounterfeit'),
      reasons: t.field({ type: [Reason], resolve: (a) => a.reasons }),
      brandOwner: t.string({ nullable: true, resolve: (a) => a.brandOwner }),
      commissionedBy: t.exposeStringList('commissionedBy'),
    }),
  });

  builder.queryFields((t) => ({
    trace: t.field({
      type: Trace,
      description: 'Lineage of an item, every hop verified (signature, signer standing, inclusion, seal, hash link) and checked for anomalies.',
      args: {
        consortium: t.arg.id({ required: true }),
        id: t.arg.string({ required: true }),
        direction: t.arg({ type: Direction, required: true }),
        maxDepth: t.arg.int({ required: false }),
      },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const lc = lineageContext(ctx, String(args.consortium));
        const id = checkedIdentifier(args.id);
        const verified = await trace(lc, id, args.direction, checkedDepth(args.maxDepth));
        requireSeen(verified.trace, id);
        logAccess(ctx, verified.trace.events.values());
        const hopEdges = new Set(verified.verification.hops.map((h) => h.edge));
        return {
          start: verified.trace.start,
          direction: args.direction,
          nodes: verified.trace.nodes,
          hops: verified.verification.hops,
          verdict: verified.verification.verdict,
          contextEdges: verified.trace.edges.filter((e) => !hopEdges.has(e)),
        };
      },
    }),

    productPassport: t.field({
      type: Passport,
      args: { consortium: t.arg.id({ required: true }), id: t.arg.string({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const lc = lineageContext(ctx, String(args.consortium));
        const id = checkedIdentifier(args.id);
        const passport = await productPassport(lc, id);
        if (passport.verification.hops.length === 0 && passport.farmsOfBirth.length === 0 && passport.packing.length === 0) {
          const touching = await lc.source.eventsTouching([id]);
          if (touching.length === 0) throw new NotFoundError(`no events for ${id}`, { identifier: id });
        }
        return passport;
      },
    }),

    animalHistory: t.field({
      type: History,
      args: { consortium: t.arg.id({ required: true }), earTag: t.arg.string({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const lc = lineageContext(ctx, String(args.consortium));
        const id = checkedIdentifier(args.earTag);
        if (!id.startsWith(ANIMAL_URN_PREFIX)) throw new InvalidIdentifierError(`"${args.earTag}" is not a UK ear tag`, { identifier: args.earTag });
        const history = await animalHistory(lc, id);
        if (history.events.length === 0) throw new NotFoundError(`no events for ${id}`, { identifier: id });
        return history;
      },
    }),

    recall: t.connection({
      type: RecallItem,
      description: 'Every item downstream of the given one, nearest first, with its current custodian and last location.',
      args: { consortium: t.arg.id({ required: true }), from: t.arg.string({ required: true }), maxDepth: t.arg.int({ required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const lc = lineageContext(ctx, String(args.consortium));
        const id = checkedIdentifier(args.from);
        const { rows, trace: result } = await recall(lc, id, checkedDepth(args.maxDepth));
        requireSeen(result, id);
        logAccess(ctx, result.events.values());
        return resolveArrayConnection({ args }, rows);
      },
    }),

    recallCsv: t.field({
      type: RecallCsv,
      description: 'The recall as RFC 4180 CSV: identifier,kind,last_custodian,last_location,last_event_time,path_length.',
      args: { consortium: t.arg.id({ required: true }), from: t.arg.string({ required: true }), maxDepth: t.arg.int({ required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const lc = lineageContext(ctx, String(args.consortium));
        const id = checkedIdentifier(args.from);
        const { rows, trace: result } = await recall(lc, id, checkedDepth(args.maxDepth));
        requireSeen(result, id);
        logAccess(ctx, result.events.values());
        return { csv: recallCsv(rows), rowCount: rows.length };
      },
    }),

    cargoLineage: t.field({
      type: CargoView,
      args: { consortium: t.arg.id({ required: true }), containerId: t.arg.string({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const lc = lineageContext(ctx, String(args.consortium));
        const id = checkedIdentifier(args.containerId);
        const cargo = await cargoLineage(lc, id);
        if (cargo.contents.length === 0 && cargo.parties.length === 0) throw new NotFoundError(`no events for ${id}`, { identifier: id });
        return cargo;
      },
    }),

    authenticityCheck: t.field({
      type: Authenticity,
      args: { consortium: t.arg.id({ required: true }), id: t.arg.string({ required: true }) },
      errors: { types: [InvalidIdentifierError, NotFoundError], directResult: true },
      resolve: async (_root, args, ctx) => {
        const lc = lineageContext(ctx, String(args.consortium));
        return authenticity(lc, checkedIdentifier(args.id));
      },
    }),
  }));
}
