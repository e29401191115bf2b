/**
 * Lineage domain: trace, productPassport, animalHistory, recall (Relay connection) and recallCsv,
 * cargoLineage, authenticityCheck. The lineage read service decides what each viewer sees;
 * expected failures are union members (NotFound, InvalidIdentifier, Forbidden/Unauthenticated by default).
 */
import { resolveArrayConnection } from '@pothos/plugin-relay';
import type { Builder } from './builder.js';
import { InvalidIdentifierError, NotFoundError } from './errors.js';
import { registerLineageTypes } from './lineage-types.js';
import { serve } from './serve.js';

export type LineageRefs = ReturnType<typeof registerLineage>;


export function registerLineage(builder: Builder) {
  const { Direction, Trace, Passport, History, RecallItem, RecallCsv, CargoView, Authenticity } = registerLineageTypes(builder);

  builder.queryFields((t) => ({
    trace: t.field({
      type: Trace,
      description: 'Lineage of an item, every hop verified (signature, signer standing, inclusion, seal, hash link) and checked for anomalies. Shows the part you may see (docs/access.md).',
      args: { consortium: t.arg.id({ required: true }), id: t.arg.string({ required: true }), direction: t.arg({ type: Direction, required: true }), maxDepth: t.arg.int({ required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.trace(ctx, String(args.consortium), args.id, args.direction, args.maxDepth)),
    }),

    productPassport: t.field({
      type: Passport,
      args: { consortium: t.arg.id({ required: true }), id: t.arg.string({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.productPassport(ctx, String(args.consortium), args.id)),
    }),

    animalHistory: t.field({
      type: History,
      args: { consortium: t.arg.id({ required: true }), earTag: t.arg.string({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.animalHistory(ctx, String(args.consortium), args.earTag)),
    }),

    recall: t.connection({
      type: RecallItem,
      description: 'Every item downstream of the given one that you may see, nearest first, with its current custodian and last location.',
      args: { consortium: t.arg.id({ required: true }), from: t.arg.string({ required: true }), maxDepth: t.arg.int({ required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(async () => resolveArrayConnection({ args }, await ctx.reads.lineage.recall(ctx, String(args.consortium), args.from, args.maxDepth))),
    }),

    recallCsv: t.field({
      type: RecallCsv,
      description: 'The recall as RFC 4180 CSV: identifier,kind,last_custodian,last_location,last_event_time,path_length.',
      args: { consortium: t.arg.id({ required: true }), from: t.arg.string({ required: true }), maxDepth: t.arg.int({ required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.recallCsv(ctx, String(args.consortium), args.from, args.maxDepth)),
    }),

    cargoLineage: t.field({
      type: CargoView,
      args: { consortium: t.arg.id({ required: true }), containerId: t.arg.string({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.cargoLineage(ctx, String(args.consortium), args.containerId)),
    }),

    authenticityCheck: t.field({
      type: Authenticity,
      description: 'Likely counterfeit or clone? Open to every member; parties and events behind the verdict only as far as you may see them.',
      args: { consortium: t.arg.id({ required: true }), id: t.arg.string({ required: true }) },
      errors: { types: [InvalidIdentifierError, NotFoundError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.authenticity(ctx, String(args.consortium), args.id)),
    }),
  }));
  return { RecallItem };
}
