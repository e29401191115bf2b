/** Subscription notice types, and the result unions each subscription streams (a notice, or the typed error that ends it). */
import { errorTypeMap, wrapErrorIfMatches } from '@pothos/plugin-errors';
import { dispositionOf, eventType } from '../../core/epcis/epcis-model.js';
import type { EventIdentifierRef, EventRow } from '../../core/lineage/graph.js';
import { normaliseAuthBizStep } from '../../core/rules/authorisation.js';
import type { RuleSetRef } from '../../core/rules/ruleset.js';
import type { AnimalOrigin, BreachNotice, InspectionNotice, RecallNotice, SealedEventNotice } from '../../services/feeds/notices.js';
import type { Builder, GraphqlContext } from './builder.js';
import type { ChainRefs } from './chain-types.js';
import { ERROR_TYPES, ForbiddenError, InvalidIdentifierError, NotFoundError, UnauthenticatedError } from './errors.js';
import type { LineageRefs } from './lineage.js';
import { serve } from './serve.js';

const ERROR_CLASSES = ERROR_TYPES.map(([cls]) => cls);

/**
 * graphql-js treats an Error returned by a resolver as thrown; plugin-errors' wrapper (the one
 * query fields get from their `errors` option) makes it a union member instead.
 */
export function asUnionMember<T>(item: T): T {
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

function registerEventTypes(builder: Builder, chain: ChainRefs | undefined) {
  const Identifier = builder.objectRef<EventIdentifierRef>('SealedEventIdentifier').implement({
    fields: (t) => ({ identifier: t.exposeString('identifier'), role: t.exposeString('role') }),
  });
  const record = (consortium: string, hash: string, ctx: GraphqlContext) => serve(() => ctx.reads.chain.recordRow(consortium, hash));

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
      ...(chain ? { record: t.field({ type: chain.LedgerRecord, description: 'The signed record, with its inclusion proof.', resolve: (n, _a, ctx) => record(n.consortium, n.row.recordHash, ctx) }) } : {}),
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
      ...(chain ? { record: t.field({ type: chain.LedgerRecord, description: 'The signed record, with its inclusion proof.', resolve: (n, _a, ctx) => record(n.consortium, n.recordHash, ctx) }) } : {}),
    }),
  });
  return { SealedEvent, Breach };
}

function registerNoticeTypes(builder: Builder, SealedEvent: ReturnType<typeof registerEventTypes>['SealedEvent'], lineage: LineageRefs) {
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
  return { Recall, Inspection };
}

/** `chain` (from registerChain) links each notice to its LedgerRecord (inclusion proof and all). */
export function registerSubscriptionTypes(builder: Builder, chain: ChainRefs | undefined, lineage: LineageRefs) {
  const { SealedEvent, Breach } = registerEventTypes(builder, chain);
  const { Recall, Inspection } = registerNoticeTypes(builder, SealedEvent, lineage);
  const ErrorMembers = [UnauthenticatedError, ForbiddenError, NotFoundError] as const;
  const resolveType = (name: string) => (value: unknown) => errorTypeName(value) ?? name;
  return {
    RecordsResult: builder.unionType('SubscriptionRecordsForIdentifierResult', { types: [SealedEvent, ...ErrorMembers, InvalidIdentifierError], resolveType: resolveType('SealedEpcisEvent') }),
    BreachResult: builder.unionType('SubscriptionColdChainBreachesResult', { types: [Breach, ...ErrorMembers], resolveType: resolveType('ColdChainBreachNotice') }),
    RecallResult: builder.unionType('SubscriptionRecallNoticesResult', { types: [Recall, ...ErrorMembers], resolveType: resolveType('RecallNotice') }),
    InspectionResult: builder.unionType('SubscriptionInspectionFindingsResult', { types: [Inspection, ...ErrorMembers], resolveType: resolveType('InspectionFindingNotice') }),
  };
}
