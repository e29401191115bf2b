/**
 * Subscriptions, streamed over server-sent events (Yoga's default transport):
 * recordsForIdentifier, coldChainBreaches, recallNotices and inspectionFindings.
 *
 * The feed (services/feeds) publishes one batch per sealed block and topic; each subscription
 * takes from it what the read policy shows its viewer. Expected failures (no token, wrong
 * consortium, bad identifier, a token revoked mid-stream) arrive as a typed member of the field's
 * result union, and the stream ends.
 */
import { BREACHES, EVENTS, INSPECTIONS, RECALLS } from '../../services/feeds/delivery.js';
import type { Builder } from './builder.js';
import type { ChainRefs } from './chain-types.js';
import type { LineageRefs } from './lineage.js';
import { deliver, opened } from './streams.js';
import { asUnionMember, registerSubscriptionTypes } from './subscription-types.js';

export function registerSubscriptions(builder: Builder, chain: ChainRefs | undefined, lineage: LineageRefs) {
  const { RecordsResult, BreachResult, RecallResult, InspectionResult } = registerSubscriptionTypes(builder, chain, lineage);

  builder.subscriptionFields((t) => ({
    recordsForIdentifier: t.field({
      type: RecordsResult,
      description: 'Each newly sealed EPCIS event touching the identifier (in any role) that you may see.',
      args: { consortium: t.arg.id({ required: true }), id: t.arg.string({ required: true }) },
      subscribe: (_root, args, ctx) =>
        opened(() => {
          const viewer = ctx.reads.feeds.open(ctx, String(args.consortium));
          const id = ctx.reads.feeds.identifier(args.id);
          return deliver(ctx, viewer, ctx.pubsub.subscribe('sealedEpcisEvents', viewer.consortiumId), { ...EVENTS, concerns: (n) => n.touched.has(id) });
        }),
      resolve: asUnionMember,
    }),

    coldChainBreaches: t.field({
      type: BreachResult,
      description: "Each sealed 'coldchain.breach' record you may see (regulators, the signer, whoever held the subject or its contents, and the owner of the device whose readings established it).",
      args: { consortium: t.arg.id({ required: true }) },
      subscribe: (_root, args, ctx) =>
        opened(() => {
          const viewer = ctx.reads.feeds.open(ctx, String(args.consortium));
          return deliver(ctx, viewer, ctx.pubsub.subscribe('coldChainBreaches', viewer.consortiumId), BREACHES);
        }),
      resolve: asUnionMember,
    }),

    recallNotices: t.field({
      type: RecallResult,
      description: "Each sealed EPCIS event with CBV disposition 'recalled', with the affected downstream items.",
      args: { consortium: t.arg.id({ required: true }) },
      subscribe: (_root, args, ctx) =>
        opened(() => {
          const viewer = ctx.reads.feeds.open(ctx, String(args.consortium));
          return deliver(ctx, viewer, ctx.pubsub.subscribe('recallNotices', viewer.consortiumId), RECALLS);
        }),
      resolve: asUnionMember,
    }),

    inspectionFindings: t.field({
      type: InspectionResult,
      description: 'Post-mortem findings and official inspections, delivered to the farms of origin of the animal, the poster and regulators.',
      args: { consortium: t.arg.id({ required: true }) },
      subscribe: (_root, args, ctx) =>
        opened(() => {
          const viewer = ctx.reads.feeds.open(ctx, String(args.consortium));
          return deliver(ctx, viewer, ctx.pubsub.subscribe('inspectionFindings', viewer.consortiumId), INSPECTIONS);
        }),
      resolve: asUnionMember,
    }),
  }));
}
