/**
 * Subscriptions, streamed over server-sent events (Yoga's default transport):
 * recordsForIdentifier, coldChainBreaches, recallNotices and inspectionFindings.
 *
 * The feed reads each sealed block once (only for topics someone listens to), works out what
 * every subscriber shares (visibility facts, recall rows, animals of origin) and publishes one
 * batch per block and topic. Each subscription filters the batch for its viewer with the same
 * visibility decision the queries use (src/lineage/visibility.ts). Expected failures (no token,
 * wrong consortium, bad identifier) arrive as the first and only item, a typed member of the
 * field's result union, and the stream ends.
 */
import { errorTypeMap, wrapErrorIfMatches } from '@pothos/plugin-errors';
import { Repeater } from 'graphql-yoga';
import { dispositionOf, eventType } from '../../core/epcis/epcis-model.js';
import { checkedIdentifier, type LineageRefs } from './lineage.js';
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { isBirthEvent, itemsOf, trace as walk, type EventIdentifierRef, type EventRow } from '../../core/lineage/graph.js';
import { DEFAULT_MAX_DEPTH, recall, type LineageContext, type RecallRow } from '../../services/lineage/queries.js';
import {
  decideVisibility,
  EMPTY_SCOPE,
  eventFacts,
  handledIdentifiers,
  isRegulator,
  redactEvent,
  type EventFacts,
  type VisibilityDecision,
  type VisibilityViewer,
} from '../../core/lineage/visibility.js';
import type { SealedBlockEvent } from '../../services/node/ledger-node.js';
import { canonicalIdentifier, isAnimalIdentifier, normaliseAuthBizStep, ruleFor } from '../../core/rules/authorisation.js';
import type { RuleSetRef } from '../../core/rules/ruleset.js';
import { LineageStore } from '../../store/lineage-store.js';
import { SubscriptionStore, type StoredBreachRecord } from '../../store/subscription-store.js';
import { isTokenLive } from '../../store/token-store.js';
import { VisibilityStore } from '../../store/visibility-store.js';
import type { Viewer } from '../../services/auth.js';
import type { AppContext } from '../http/context.js';
import { ACCESS_SUBJECT, recordAccess } from './access-log.js';
import { requireMember, type Builder, type GraphqlContext, type GraphqlPubSub } from './builder.js';
import type { ChainRefs } from './chain.js';
import { ERROR_TYPES, ExpectedError, ForbiddenError, InvalidIdentifierError, NotFoundError, UnauthenticatedError } from './errors.js';

// ---- what the feed publishes ----

export interface BlockRef {
  height: number;
  hash: string;
}

export interface SealedEventNotice {
  consortium: string;
  block: BlockRef;
  row: EventRow;
  /** Canonical identifiers the event touches, in any role. */
  touched: ReadonlySet<string>;
  /** What visibility is decided on (farms of origin included for inspection findings). */
  facts: EventFacts;
  /** Set on a viewer's copy when its inspection finding is withheld (row.event is then redacted). */
  redacted?: boolean;
}

export interface BreachNotice {
  consortium: string;
  block: BlockRef;
  recordHash: string;
  signerOrg: string | null;
  signedAt: string;
  subject: string;
  containedItems: string[];
  ruleSet: RuleSetRef;
  finding: unknown;
  /** Decided like an observation of the subject and contained items (as record reads decide it). */
  facts: EventFacts;
}

export interface RecallNotice {
  event: SealedEventNotice;
  /** What the event recalls. */
  items: string[];
  /** Everything downstream of them, nearest first (the recall query). */
  affected: RecallRow[];
}

export type InspectionKind = 'POST_MORTEM' | 'OFFICIAL_INSPECTION';

export interface AnimalOrigin {
  animal: string;
  /** The organisation that registered the animal's birth (its birth holding); null when none is on record. */
  birthFarm: string | null;
  /** Farms that held the animal (birth farm included), as the visibility rules count them. */
  farms: string[];
}

export interface InspectionNotice {
  event: SealedEventNotice;
  kind: InspectionKind;
  inspected: string[];
  origins: AnimalOrigin[];
}

// ---- visibility ----

/**
 * Decides each item for the viewer with the one visibility function (src/lineage/visibility.ts).
 * Regulators, signers and farms of origin need no facts about the viewer; the others' custody and
 * lineage scope is read once per batch, and only when `withScope` (it can only add CUSTODY, CARGO,
 * LINEAGE or a REDACTED finding).
 */
export async function canSee(ctx: GraphqlContext, viewer: VisibilityViewer, facts: readonly EventFacts[], withScope = true): Promise<VisibilityDecision[]> {
  const first = facts.map((f) => decideVisibility(viewer, f, EMPTY_SCOPE));
  const open = facts.filter((_f, i) => first[i]!.visibility === 'HIDDEN' && first[i]!.reason === 'NOT_ENTITLED');
  if (!withScope || open.length === 0) return first;
  const store = new VisibilityStore(ctx.app.db, viewer.consortiumId, ctx.app.node.state(viewer.consortiumId));
  const scope = await store.scope(viewer, new Set(open.flatMap((f) => f.items)));
  return facts.map((f, i) => (open.includes(f) ? decideVisibility(viewer, f, scope) : first[i]!));
}

/** The viewer's copy of an event: its finding withheld when the decision is REDACTED. */
function shownEvent(notice: SealedEventNotice, decision: VisibilityDecision): SealedEventNotice {
  if (decision.visibility !== 'REDACTED') return notice;
  return { ...notice, row: { ...notice.row, event: redactEvent(notice.row.event).event }, redacted: true };
}

/** Inspection findings go to the farms of origin, the poster and regulators; never redacted copies. */
export function inspectionFor(viewer: VisibilityViewer, notice: InspectionNotice, decision: VisibilityDecision): InspectionNotice | null {
  if (decision.visibility !== 'VISIBLE') return null;
  if (isRegulator(viewer) || viewer.orgId === notice.event.row.signerOrg) return notice;
  // A farm sees its own animals only, not which other farms supplied the same lot.
  return { ...notice, origins: notice.origins.filter((o) => o.farms.includes(viewer.orgId)) };
}

/** The poster and regulators see every affected item; others see the items they hold now, if they may see the notice at all. */
export function recallFor(viewer: VisibilityViewer, notice: RecallNotice, decision: VisibilityDecision): RecallNotice | null {
  if (isRegulator(viewer) || viewer.orgId === notice.event.row.signerOrg) return notice;
  const held = notice.affected.filter((r) => r.lastCustodian === viewer.orgId);
  // Holding an affected item entitles the holder to the notice even when the recalled item is outside its lineage.
  if (held.length === 0 && decision.visibility === 'HIDDEN') return null;
  return { ...notice, event: shownEvent(notice.event, decision.visibility === 'HIDDEN' ? { visibility: 'REDACTED', reason: 'FINDING_WITHHELD' } : decision), affected: held };
}

// ---- classification ----

export function isRecallEvent(row: EventRow): boolean {
  return dispositionOf(row.event) === 'recalled';
}

/** Identified by the authorisation table's rule, so "an inspection" means what the role table says it does. */
export function inspectionKindOf(row: EventRow): InspectionKind | null {
  const rule = ruleFor(row.event)?.id;
  if (rule === 'abattoir.post_mortem_inspection') return 'POST_MORTEM';
  if (rule === 'regulator.official_inspection') return 'OFFICIAL_INSPECTION';
  return null;
}

const PRODUCT_EDGES = new Set(['TRANSFORMATION', 'AGGREGATION', 'ASSOCIATION']);
const byTime = (a: EventRow, b: EventRow) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0);

/**
 * Animals the items were made from (upstream along transformation and aggregation, not through a
 * dam or feed), with the farm that registered each birth and every farm that held it.
 */
export async function originsOf(lc: LineageContext, items: readonly string[]): Promise<AnimalOrigin[]> {
  const origins = new Map<string, AnimalOrigin>();
  for (const item of items) {
    const result = await walk(lc.source, item, 'UPSTREAM', DEFAULT_MAX_DEPTH);
    const into = new Map<string, string[]>();
    for (const e of result.edges) if (PRODUCT_EDGES.has(e.kind)) into.set(e.to, [...(into.get(e.to) ?? []), e.from]);
    const reached = new Set([result.start]);
    const stack = [result.start];
    while (stack.length > 0) {
      for (const from of into.get(stack.pop()!) ?? []) {
        if (reached.has(from)) continue;
        reached.add(from);
        stack.push(from);
      }
    }
    const events = [...result.events.values()].sort(byTime);
    for (const animal of [...reached].filter(isAnimalIdentifier)) {
      if (origins.has(animal)) continue;
      const own = events.filter((r) => r.identifiers.some((i) => i.identifier === animal));
      const birth = own.find((r) => isBirthEvent(r) && r.identifiers.some((i) => i.role === 'epc' && i.identifier === animal));
      const farms = new Set<string>(birth ? [birth.signerOrg] : []);
      for (const r of own) if (lc.state.hasRole(r.signerOrg, 'FARM') && handledIdentifiers(r.event).includes(animal)) farms.add(r.signerOrg);
      origins.set(animal, { animal, birthFarm: birth?.signerOrg ?? null, farms: [...farms] });
    }
  }
  return [...origins.values()].sort((a, b) => (a.animal < b.animal ? -1 : 1));
}

function parseBreach(stored: StoredBreachRecord): Pick<BreachNotice, 'subject' | 'containedItems' | 'ruleSet' | 'finding'> | null {
  const p = stored.payload as Partial<Record<'subject' | 'containedItems' | 'ruleSet' | 'finding', unknown>> | null;
  if (!p || typeof p !== 'object' || typeof p.subject !== 'string') return null;
  const contained = Array.isArray(p.containedItems) ? p.containedItems.filter((x): x is string => typeof x === 'string') : [];
  const r = p.ruleSet as Partial<RuleSetRef> | undefined;
  if (!r || typeof r.id !== 'string' || typeof r.version !== 'number' || typeof r.hash !== 'string') return null;
  return { subject: p.subject, containedItems: contained, ruleSet: { id: r.id, version: r.version, hash: r.hash }, finding: p.finding ?? null };
}

// ---- pubsub with listener counts and a way to end every stream ----

export interface TrackedPubSub extends GraphqlPubSub {
  /** Whether a subscription is open on the topic for this routing key (the feed skips work nobody receives). */
  listening(topic: string, id: string): boolean;
  /** Subscriptions open now, on one topic or all. */
  openCount(topic?: string): number;
  /** Ends every open subscription: each stream completes and its connection closes. */
  closeAll(): void;
}

export function trackPubSub(inner: GraphqlPubSub): TrackedPubSub {
  const open = new Map<string, Set<() => void>>();
  const innerSubscribe = inner.subscribe as (topic: string, id?: string) => Repeater<unknown>;
  const subscribe = (topic: string, id?: string): Repeater<unknown> => {
    const key = id === undefined ? topic : `${topic}:${id}`;
    return new Repeater<unknown>(async (push, stop) => {
      const source = innerSubscribe(topic, id);
      const stops = open.get(key) ?? new Set<() => void>();
      open.set(key, stops);
      const end = () => stop();
      stops.add(end);
      // Returning the source settles its pending next(), so the loop below ends at once.
      void stop.then(() => {
        stops.delete(end);
        if (stops.size === 0) open.delete(key);
        void source.return();
      });
      for await (const value of source) await push(value);
      stop();
    });
  };
  return {
    publish: inner.publish.bind(inner),
    subscribe: subscribe as GraphqlPubSub['subscribe'],
    listening: (topic, id) => (open.get(`${topic}:${id}`)?.size ?? 0) > 0,
    openCount: (topic) => [...open].reduce((n, [key, stops]) => (topic === undefined || key.startsWith(`${topic}:`) || key === topic ? n + stops.size : n), 0),
    closeAll() {
      for (const stops of [...open.values()]) for (const end of [...stops]) end();
    },
  };
}

// ---- the feed: sealed blocks to per-topic batches ----

export interface SubscriptionFeed {
  /** Stops listening and waits for the block being processed. */
  close(): Promise<void>;
  /** Resolves once every block sealed so far has been published. */
  idle(): Promise<void>;
}

function lineageContext(app: AppContext, consortium: string): LineageContext {
  const store = new LineageStore(app.db, consortium);
  return { source: store, evidence: store, state: app.node.state(consortium) };
}

function orgOfKey(state: ConsortiumState, keyId: string): string | null {
  return state.orgOfKey(keyId)?.id ?? null;
}

export function startSubscriptionFeed(app: AppContext, pubsub: TrackedPubSub, onError: (err: unknown) => void = () => undefined): SubscriptionFeed {
  let queue: Promise<void> = Promise.resolve();

  const publishBlock = async (sealed: SealedBlockEvent): Promise<void> => {
    const c = sealed.consortium;
    const want = {
      events: pubsub.listening('sealedEpcisEvents', c),
      breaches: pubsub.listening('coldChainBreaches', c),
      recalls: pubsub.listening('recallNotices', c),
      inspections: pubsub.listening('inspectionFindings', c),
    };
    if (!want.events && !want.breaches && !want.recalls && !want.inspections) return;
    const store = new SubscriptionStore(app.db, c);
    const state = app.node.state(c);
    const block: BlockRef = { height: sealed.header.height, hash: sealed.hash };
    const rows = want.events || want.recalls || want.inspections ? await store.epcisEventsOf(sealed.recordHashes) : [];
    const recalls = want.recalls ? rows.filter(isRecallEvent) : [];
    const inspections = want.inspections ? rows.flatMap((row) => (inspectionKindOf(row) ? [{ row, kind: inspectionKindOf(row)! }] : [])) : [];
    const breaches = want.breaches ? (await store.breachRecordsOf(sealed.recordHashes)).flatMap((stored) => (parseBreach(stored) ? [{ stored, ...parseBreach(stored)! }] : [])) : [];
    const noticed = want.events ? rows : [...new Set([...recalls, ...inspections.map((i) => i.row)])];
    if (noticed.length === 0 && breaches.length === 0) return;

    // Facts once per block, shared by every subscriber (farms of origin are the costly part).
    const facts = await new VisibilityStore(app.db, c, state).facts(noticed.map((r) => ({ eventId: r.eventId, consortiumId: c, signerOrg: r.signerOrg, event: r.event })));
    const notices = new Map<string, SealedEventNotice>(
      noticed.map((row) => [
        row.eventId,
        { consortium: c, block, row, touched: new Set(row.identifiers.map((i) => i.identifier)), facts: facts.get(row.eventId) ?? eventFacts({ eventId: row.eventId, consortiumId: c, signerOrg: row.signerOrg, event: row.event }) },
      ]),
    );
    const noticeOf = (row: EventRow) => notices.get(row.eventId)!;

    if (want.events && rows.length > 0) pubsub.publish('sealedEpcisEvents', c, rows.map(noticeOf));
    if (breaches.length > 0) {
      pubsub.publish(
        'coldChainBreaches',
        c,
        breaches.map((b) => {
          const signerOrg = orgOfKey(state, b.stored.signer);
          const items = [b.subject, ...b.containedItems].map(canonicalIdentifier);
          const event = { type: 'ObjectEvent', action: 'OBSERVE', epcList: items };
          return {
            consortium: c,
            block,
            recordHash: b.stored.recordHash,
            signerOrg,
            signedAt: b.stored.signedAt,
            subject: b.subject,
            containedItems: b.containedItems,
            ruleSet: b.ruleSet,
            finding: b.finding,
            facts: eventFacts({ eventId: b.stored.recordHash, consortiumId: c, signerOrg: signerOrg ?? '', event }),
          };
        }),
      );
    }
    if (recalls.length > 0) {
      const lc = lineageContext(app, c);
      const batch: RecallNotice[] = [];
      for (const row of recalls) {
        const items = itemsOf(row);
        const merged = new Map<string, RecallRow>();
        for (const item of items) {
          for (const r of (await recall(lc, item)).rows) {
            const seen = merged.get(r.identifier);
            if (!items.includes(r.identifier) && (!seen || r.pathLength < seen.pathLength)) merged.set(r.identifier, r);
          }
        }
        const affected = [...merged.values()].sort((a, b) => a.pathLength - b.pathLength || (a.identifier < b.identifier ? -1 : 1));
        batch.push({ event: noticeOf(row), items, affected });
      }
      pubsub.publish('recallNotices', c, batch);
    }
    if (inspections.length > 0) {
      const lc = lineageContext(app, c);
      const batch: InspectionNotice[] = [];
      for (const { row, kind } of inspections) {
        const inspected = itemsOf(row);
        batch.push({ event: noticeOf(row), kind, inspected, origins: await originsOf(lc, inspected) });
      }
      pubsub.publish('inspectionFindings', c, batch);
    }
  };

  // One block at a time, in sealing order, so every subscriber sees notices in chain order.
  const onSealed = (sealed: SealedBlockEvent) => {
    queue = queue.then(() => publishBlock(sealed)).catch(onError);
  };
  app.node.on('sealed', onSealed);
  return {
    async close() {
      app.node.off('sealed', onSealed);
      await queue;
    },
    idle: () => queue,
  };
}

// ---- per-subscription delivery ----

/**
 * The viewer as it stands now: its token still unrevoked, and its organisation still active, with
 * the roles the live consortium state gives it. Else why not.
 */
async function liveViewer(ctx: GraphqlContext, viewer: Viewer): Promise<Viewer | string> {
  if (!(await isTokenLive(ctx.app.db, viewer.tokenHash))) return 'the API token was revoked';
  if (!ctx.app.node.consortia().includes(viewer.consortiumId)) return `consortium "${viewer.consortiumId}" is no longer hosted here`;
  const org = ctx.app.node.state(viewer.consortiumId).orgs.get(viewer.orgId);
  if (!org || org.status !== 'active') return `organisation "${viewer.orgId}" is no longer an active member`;
  const roles = new Set(org.roles);
  // Same reading as authenticate() in api/auth.ts.
  return { ...viewer, roles, isRegulator: roles.has('REGULATOR') || roles.has('CUSTOMS') };
}

/** A stream of one expected error: the typed answer a query would give, then the end. */
function failed(error: ExpectedError): Repeater<ExpectedError> {
  return new Repeater<ExpectedError>(async (push, stop) => {
    await push(error);
    stop();
  });
}

interface Delivery<N, Out> {
  /** Cheap test before any visibility work (e.g. does the event touch the identifier). */
  concerns?: (notice: N) => boolean;
  facts: (notice: N) => EventFacts;
  /** Whether custody/lineage scope can entitle the viewer here (no for inspection findings). */
  withScope: boolean;
  select: (notice: N, viewer: Viewer, decision: VisibilityDecision) => Out | null;
  access: (out: Out) => { ownerOrgId: string | null; subjectType: string; subjectId: string };
}

/**
 * Filters each published batch for the viewer. Items it may have are pushed one at a time (push
 * waits for the client), and every delivered item of another organisation is access-logged.
 */
function deliver<N, Out>(ctx: GraphqlContext, viewer: Viewer, source: AsyncIterable<N[]>, how: Delivery<N, Out>): Repeater<Out | ExpectedError> {
  return new Repeater<Out | ExpectedError>(async (push, stop) => {
    const iterator = source[Symbol.asyncIterator]();
    void stop.then(() => iterator.return?.());
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      const batch = how.concerns ? next.value.filter(how.concerns) : next.value;
      if (batch.length === 0) continue;
      let now: Viewer | string;
      let decisions: VisibilityDecision[];
      try {
        now = await liveViewer(ctx, viewer);
        if (typeof now === 'string') {
          await push(new UnauthenticatedError(now, { orgId: viewer.orgId }));
          break;
        }
        decisions = await canSee(ctx, now, batch.map(how.facts), how.withScope);
      } catch {
        // The database went away (closing): nothing more can be decided.
        break;
      }
      for (const [i, notice] of batch.entries()) {
        const out = how.select(notice, now, decisions[i]!);
        if (out === null) continue;
        const access = how.access(out);
        if (access.ownerOrgId) recordAccess(ctx, { ownerOrgId: access.ownerOrgId, subjectType: access.subjectType, subjectId: access.subjectId });
        await push(out);
      }
    }
    stop();
  });
}

/** Checks the caller and the consortium; typed failures become a one-item stream. */
function open<T>(ctx: GraphqlContext, consortium: string, start: (viewer: Viewer) => Repeater<T | ExpectedError>): Repeater<T | ExpectedError> {
  try {
    const viewer = requireMember(ctx, consortium);
    if (!ctx.app.node.consortia().includes(consortium)) throw new NotFoundError(`unknown consortium "${consortium}"`, { consortium });
    return start(viewer);
  } catch (err) {
    if (err instanceof ExpectedError) return failed(err);
    throw err;
  }
}

const eventAccess = (n: SealedEventNotice) => ({ ownerOrgId: n.row.signerOrg, subjectType: n.redacted ? ACCESS_SUBJECT.REDACTED_EVENT : ACCESS_SUBJECT.EVENT, subjectId: n.row.eventId });

const ERROR_CLASSES = ERROR_TYPES.map(([cls]) => cls);

/**
 * graphql-js treats an Error returned by a resolver as thrown; plugin-errors' wrapper (the one
 * query fields get from their `errors` option) makes it a union member instead.
 */
function asUnionMember<T>(item: T): T {
  return wrapErrorIfMatches(item, ERROR_CLASSES, undefined) as T;
}

function errorTypeName(value: unknown): string | undefined {
  // A wrapped error hides its prototype until its type's isTypeOf unwraps it; the map says which it is.
  const cls = typeof value === 'object' && value !== null ? errorTypeMap.get(value) : undefined;
  return ERROR_TYPES.find(([c]) => c === cls || value instanceof c)?.[1];
}

function locationOf(row: EventRow, key: 'readPoint' | 'bizLocation'): string | null {
  const v = row.event[key];
  return v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null;
}

/** `chain` (from registerChain) links each notice to its LedgerRecord (inclusion proof and all). */
export function registerSubscriptions(builder: Builder, chain: ChainRefs | undefined, lineage: LineageRefs) {
  const Identifier = builder.objectRef<EventIdentifierRef>('SealedEventIdentifier').implement({
    fields: (t) => ({ identifier: t.exposeString('identifier'), role: t.exposeString('role') }),
  });

  const loadRecord = async (ctx: GraphqlContext, consortium: string, hash: string) => {
    const row = await new SubscriptionStore(ctx.app.db, consortium).record(hash);
    if (!row) throw new NotFoundError(`record ${hash} not found`, { recordHash: hash });
    return row;
  };

  const SealedEvent = builder.objectRef<SealedEventNotice>('SealedEpcisEvent').implement({
    description: 'An EPCIS event, accepted and sealed into a block.',
    fields: (t) => ({
      consortium: t.exposeString('consortium'),
      eventId: t.string({ resolve: (n) => n.row.eventId }),
      recordHash: t.string({ resolve: (n) => n.row.recordHash }),
      blockHeight: t.int({ resolve: (n) => n.block.height }),
      blockHash: t.string({ resolve: (n) => n.block.hash }),
      eventTime: t.string({ resolve: (n) => n.row.eventTime }),
      orgId: t.string({ description: 'The organisation that signed it.', resolve: (n) => n.row.signerOrg }),
      eventType: t.string({ nullable: true, resolve: (n) => eventType(n.row.event) }),
      bizStep: t.string({ nullable: true, resolve: (n) => normaliseAuthBizStep(n.row.event) ?? null }),
      disposition: t.string({ nullable: true, resolve: (n) => (n.redacted ? null : (dispositionOf(n.row.event) ?? null)) }),
      readPoint: t.string({ nullable: true, resolve: (n) => locationOf(n.row, 'readPoint') }),
      bizLocation: t.string({ nullable: true, resolve: (n) => locationOf(n.row, 'bizLocation') }),
      identifiers: t.field({ type: [Identifier], resolve: (n) => n.row.identifiers }),
      event: t.field({ type: 'JSON', description: 'The event as signed, or without its inspection finding when redacted.', resolve: (n) => n.row.event }),
      redacted: t.boolean({
        description: 'The inspection finding (disposition, extensions) is withheld: you are not its farm of origin, the inspector or a regulator.',
        resolve: (n) => n.redacted === true,
      }),
      ...(chain
        ? { record: t.field({ type: chain.LedgerRecord, description: 'The signed record, with its inclusion proof.', resolve: (n, _a, ctx) => loadRecord(ctx, n.consortium, n.row.recordHash) }) }
        : {}),
    }),
  });

  const RuleSet = builder.objectRef<RuleSetRef>('BreachRuleSet').implement({
    fields: (t) => ({ id: t.exposeString('id'), version: t.exposeInt('version'), hash: t.exposeString('hash') }),
  });

  const Breach = builder.objectRef<BreachNotice>('ColdChainBreachNotice').implement({
    description: "A sealed 'coldchain.breach' record: a rule verdict on a container's or lot's readings.",
    fields: (t) => ({
      consortium: t.exposeString('consortium'),
      recordHash: t.exposeString('recordHash'),
      blockHeight: t.int({ resolve: (n) => n.block.height }),
      blockHash: t.string({ resolve: (n) => n.block.hash }),
      signerOrg: t.string({ nullable: true, resolve: (n) => n.signerOrg }),
      signedAt: t.exposeString('signedAt'),
      subject: t.exposeString('subject'),
      containedItems: t.exposeStringList('containedItems'),
      ruleSet: t.field({ type: RuleSet, resolve: (n) => n.ruleSet }),
      finding: t.field({ type: 'JSON', resolve: (n) => n.finding }),
      ...(chain
        ? { record: t.field({ type: chain.LedgerRecord, description: 'The signed record, with its inclusion proof.', resolve: (n, _a, ctx) => loadRecord(ctx, n.consortium, n.recordHash) }) }
        : {}),
    }),
  });


  const Recall = builder.objectRef<RecallNotice>('RecallNotice').implement({
    description: "A sealed event with disposition 'recalled', and the items downstream of what it recalls.",
    fields: (t) => ({
      event: t.field({ type: SealedEvent, resolve: (n) => n.event }),
      items: t.exposeStringList('items', { description: 'What the event recalls.' }),
      affected: t.field({
        type: [lineage.RecallItem],
        description: 'Downstream items, nearest first: all of them for the poster and regulators, otherwise those you hold now.',
        resolve: (n) => n.affected,
      }),
    }),
  });

  const Kind = builder.enumType('InspectionKind', { values: ['POST_MORTEM', 'OFFICIAL_INSPECTION'] as const });

  const Origin = builder.objectRef<AnimalOrigin>('AnimalOrigin').implement({
    fields: (t) => ({
      animal: t.exposeString('animal'),
      birthFarm: t.string({ nullable: true, description: 'The organisation that registered its birth.', resolve: (o) => o.birthFarm }),
      farms: t.exposeStringList('farms', { description: 'Farms that held it, the birth farm included.' }),
    }),
  });

  const Inspection = builder.objectRef<InspectionNotice>('InspectionFindingNotice').implement({
    description: 'A post-mortem finding (abattoir) or official inspection (regulator), with the animals it traces back to.',
    fields: (t) => ({
      kind: t.field({ type: Kind, resolve: (n) => n.kind }),
      event: t.field({ type: SealedEvent, resolve: (n) => n.event }),
      inspected: t.exposeStringList('inspected'),
      origins: t.field({ type: [Origin], description: 'Farms see only their own animals here.', resolve: (n) => n.origins }),
    }),
  });

  const ErrorMembers = [UnauthenticatedError, ForbiddenError, NotFoundError] as const;
  const resolveType = (name: string) => (value: unknown) => errorTypeName(value) ?? name;
  const RecordsResult = builder.unionType('SubscriptionRecordsForIdentifierResult', {
    types: [SealedEvent, ...ErrorMembers, InvalidIdentifierError],
    resolveType: resolveType('SealedEpcisEvent'),
  });
  const BreachResult = builder.unionType('SubscriptionColdChainBreachesResult', { types: [Breach, ...ErrorMembers], resolveType: resolveType('ColdChainBreachNotice') });
  const RecallResult = builder.unionType('SubscriptionRecallNoticesResult', { types: [Recall, ...ErrorMembers], resolveType: resolveType('RecallNotice') });
  const InspectionResult = builder.unionType('SubscriptionInspectionFindingsResult', { types: [Inspection, ...ErrorMembers], resolveType: resolveType('InspectionFindingNotice') });

  builder.subscriptionFields((t) => ({
    recordsForIdentifier: t.field({
      type: RecordsResult,
      description: 'Each newly sealed EPCIS event touching the identifier (in any role) that you may see.',
      args: { consortium: t.arg.id({ required: true }), id: t.arg.string({ required: true }) },
      subscribe: (_root, args, ctx) =>
        open(ctx, String(args.consortium), (viewer) => {
          const id = checkedIdentifier(args.id);
          return deliver(ctx, viewer, ctx.pubsub.subscribe('sealedEpcisEvents', viewer.consortiumId), {
            concerns: (n) => n.touched.has(id),
            facts: (n) => n.facts,
            withScope: true,
            select: (n, _v, d) => (d.visibility === 'HIDDEN' ? null : shownEvent(n, d)),
            access: eventAccess,
          });
        }),
      resolve: asUnionMember,
    }),

    coldChainBreaches: t.field({
      type: BreachResult,
      description: "Each sealed 'coldchain.breach' record you may see (regulators, the signer, and whoever held the subject or its contents).",
      args: { consortium: t.arg.id({ required: true }) },
      subscribe: (_root, args, ctx) =>
        open(ctx, String(args.consortium), (viewer) =>
          deliver(ctx, viewer, ctx.pubsub.subscribe('coldChainBreaches', viewer.consortiumId), {
            facts: (n) => n.facts,
            withScope: true,
            select: (n, _v, d) => (d.visibility === 'HIDDEN' ? null : n),
            access: (n) => ({ ownerOrgId: n.signerOrg, subjectType: ACCESS_SUBJECT.RECORD, subjectId: n.recordHash }),
          }),
        ),
      resolve: asUnionMember,
    }),

    recallNotices: t.field({
      type: RecallResult,
      description: "Each sealed EPCIS event with CBV disposition 'recalled', with the affected downstream items.",
      args: { consortium: t.arg.id({ required: true }) },
      subscribe: (_root, args, ctx) =>
        open(ctx, String(args.consortium), (viewer) =>
          deliver(ctx, viewer, ctx.pubsub.subscribe('recallNotices', viewer.consortiumId), {
            facts: (n) => n.event.facts,
            withScope: true,
            select: (n, v, d) => recallFor(v, n, d),
            access: (n) => eventAccess(n.event),
          }),
        ),
      resolve: asUnionMember,
    }),

    inspectionFindings: t.field({
      type: InspectionResult,
      description: 'Post-mortem findings and official inspections, delivered to the farms of origin of the animal, the poster and regulators.',
      args: { consortium: t.arg.id({ required: true }) },
      subscribe: (_root, args, ctx) =>
        open(ctx, String(args.consortium), (viewer) =>
          deliver(ctx, viewer, ctx.pubsub.subscribe('inspectionFindings', viewer.consortiumId), {
            facts: (n) => n.event.facts,
            // Custody or lineage only ever earns a redacted finding, which this feed does not send.
            withScope: false,
            select: (n, v, d) => inspectionFor(v, n, d),
            access: (n) => eventAccess(n.event),
          }),
        ),
      resolve: asUnionMember,
    }),
  }));
}
