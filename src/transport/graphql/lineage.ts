/**
 * Lineage domain: trace, productPassport, animalHistory, recall (Relay connection) and recallCsv,
 * cargoLineage, authenticityCheck. The lineage read service decides what each viewer sees;
 * expected failures are union members (NotFound, InvalidIdentifier, Forbidden/Unauthenticated by default).
 * Each answer names its checkpoint and proves every identifier it shows complete; `asOf` answers
 * as the ledger stood after an earlier block.
 */
import { resolveArrayConnection } from '@pothos/plugin-relay';
import type { RecallView } from '../../services/lineage/reads.js';
import type { Builder } from './builder.js';
import { InvalidIdentifierError, NotFoundError } from './errors.js';
import { registerLineageTypes } from './lineage-types.js';
import { serve } from './serve.js';

export type LineageRefs = ReturnType<typeof registerLineage>;

type AsOfArg = { logSize?: number | null; time?: string | null } | null | undefined;

export function registerLineage(builder: Builder) {
  const { Direction, HopStatus, Trace, Passport, History, RecallItem, RecallCsv, CargoView, Authenticity, completeness } = registerLineageTypes(builder);
  const options = (args: { maxDepth?: number | null; asOf?: AsOfArg }) => ({ maxDepth: args.maxDepth, asOf: args.asOf });

  builder.queryFields((t) => ({
    trace: t.field({
      type: Trace,
      description: 'Lineage of an item, every hop verified (signature, signer standing, inclusion, seal, hash link, completeness of both ends) and checked for anomalies. Shows the part you may see (docs/access.md).',
      args: {
        consortium: t.arg.id({ required: true }),
        id: t.arg.string({ required: true }),
        direction: t.arg({ type: Direction, required: true }),
        maxDepth: t.arg.int({ required: false }),
        asOf: t.arg({ type: completeness.AsOf, required: false }),
      },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.trace(ctx, String(args.consortium), args.id, args.direction, options(args))),
    }),

    productPassport: t.field({
      type: Passport,
      args: { consortium: t.arg.id({ required: true }), id: t.arg.string({ required: true }), asOf: t.arg({ type: completeness.AsOf, required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.productPassport(ctx, String(args.consortium), args.id, options(args))),
    }),

    animalHistory: t.field({
      type: History,
      args: { consortium: t.arg.id({ required: true }), earTag: t.arg.string({ required: true }), asOf: t.arg({ type: completeness.AsOf, required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.animalHistory(ctx, String(args.consortium), args.earTag, options(args))),
    }),

    recall: t.connection(
      {
        type: RecallItem,
        description: 'Every item downstream of the given one that you may see, nearest first, with its current custodian and last location.',
        args: {
          consortium: t.arg.id({ required: true }),
          from: t.arg.string({ required: true }),
          maxDepth: t.arg.int({ required: false }),
          asOf: t.arg({ type: completeness.AsOf, required: false }),
        },
        errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
        resolve: (_root, args, ctx) =>
          serve(async () => {
            const recall = await ctx.reads.lineage.recall(ctx, String(args.consortium), args.from, options(args));
            return Object.assign(resolveArrayConnection({ args }, recall.rows), { recall });
          }),
      },
      {
        fields: (c) => ({
          verdict: c.field({ type: HopStatus, description: 'The worst hop of the recall, or FAILED when an identifier is not proven complete.', resolve: (r) => recallOf(r).verdict }),
          checkpoint: c.field({ type: completeness.Checkpoint, nullable: true, resolve: (r) => recallOf(r).checkpoint }),
          completeness: c.field({ type: [completeness.Completeness], description: 'Every identifier the recall reached that you may see.', resolve: (r) => recallOf(r).completeness }),
          laterRecords: c.field({ type: [completeness.Later], resolve: (r) => recallOf(r).laterRecords }),
        }),
      },
    ),

    recallCsv: t.field({
      type: RecallCsv,
      description: 'The recall as RFC 4180 CSV: identifier,kind,last_custodian,last_location,last_event_time,path_length.',
      args: { consortium: t.arg.id({ required: true }), from: t.arg.string({ required: true }), maxDepth: t.arg.int({ required: false }), asOf: t.arg({ type: completeness.AsOf, required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.recallCsv(ctx, String(args.consortium), args.from, options(args))),
    }),

    cargoLineage: t.field({
      type: CargoView,
      args: { consortium: t.arg.id({ required: true }), containerId: t.arg.string({ required: true }), asOf: t.arg({ type: completeness.AsOf, required: false }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.lineage.cargoLineage(ctx, String(args.consortium), args.containerId, options(args))),
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

/** The whole recall answer kept beside its page of rows. */
function recallOf(connection: unknown): RecallView {
  return (connection as { recall: RecallView }).recall;
}
