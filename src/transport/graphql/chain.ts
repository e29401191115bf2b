/** Chain domain: health, chain status, records, blocks, organisations, and the blockSealed subscription. */
import { resolveArrayConnection, resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import type { StoredBlock } from '../../services/chain-reads.js';
import type { SealedBlockEvent } from '../../services/node/ledger-node.js';
import type { Builder } from './builder.js';
import { registerChainTypes, type ChainRefs } from './chain-types.js';
import { ExpectedError, InvalidIdentifierError, NotFoundError } from './errors.js';
import { serve, serveNow } from './serve.js';
import { followBlocks } from './streams.js';

export type { ChainRefs } from './chain-types.js';

function parseHeightCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const height = Number(cursor);
  if (!Number.isSafeInteger(height) || height < 0) throw new InvalidIdentifierError(`bad cursor "${cursor}"`, { cursor });
  return height;
}

export function registerChain(builder: Builder): ChainRefs {
  const types = registerChainTypes(builder);
  const { Health, ChainStatus, LedgerRecord, Block, Organisation, BlockSealed } = types;

  builder.queryFields((t) => ({
    health: t.field({ type: Health, resolve: (_root, _args, ctx) => ({ status: 'ok', consortia: ctx.reads.consortiumCount() }) }),

    chainStatus: t.field({
      type: ChainStatus,
      args: { consortium: t.arg.id({ required: true }) },
      errors: { types: [NotFoundError], directResult: true },
      resolve: (_root, args, ctx) => serveNow(() => ctx.reads.chain.status(ctx, String(args.consortium))),
    }),

    record: t.field({
      type: LedgerRecord,
      args: { hash: t.arg.string({ required: true, description: 'Record hash, 64 lower-case hex characters.' }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.chain.record(ctx, args.hash)),
    }),

    block: t.field({
      type: Block,
      args: { consortium: t.arg.id({ required: true }), height: t.arg.int({ required: true }) },
      errors: { types: [NotFoundError], directResult: true },
      resolve: (_root, args, ctx) => serve(() => ctx.reads.chain.block(ctx, String(args.consortium), args.height)),
    }),

    blocks: t.connection({
      type: Block,
      description: 'Blocks, newest first.',
      args: { consortium: t.arg.id({ required: true }) },
      errors: { types: [NotFoundError, InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) =>
        serve(() => {
          const consortiumId = String(args.consortium);
          ctx.reads.chain.liveState(ctx, consortiumId);
          return resolveCursorConnection({ args, toCursor: (b: StoredBlock) => String(b.height) }, ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) =>
            ctx.reads.chain.blocks(ctx, consortiumId, { below: parseHeightCursor(after), above: parseHeightCursor(before), limit, newestFirst: !inverted }),
          );
        }),
    }),

    organisations: t.connection({
      type: Organisation,
      description: 'Member organisations in the live consortium state, by id.',
      args: { consortium: t.arg.id({ required: true }) },
      errors: { types: [NotFoundError], directResult: true },
      resolve: (_root, args, ctx) => serveNow(() => resolveArrayConnection({ args }, ctx.reads.chain.organisations(ctx, String(args.consortium)))),
    }),
  }));

  builder.subscriptionFields((t) => ({
    blockSealed: t.field({
      type: BlockSealed,
      description: 'Each block this node seals in the consortium.',
      args: { consortium: t.arg.id({ required: true }) },
      // No result union on this subscription: a refusal, or the token revoked mid-stream, goes out as an error with its code and ends the stream.
      subscribe: (_root, args, ctx) => {
        const viewer = serveNow(() => ctx.reads.feeds.open(ctx, String(args.consortium)));
        return followBlocks(ctx, viewer, ctx.pubsub.subscribe('blockSealed', String(args.consortium))) as AsyncIterable<SealedBlockEvent>;
      },
      resolve: (event: SealedBlockEvent | ExpectedError) => {
        if (event instanceof ExpectedError) throw event;
        return event;
      },
    }),
  }));

  return { LedgerRecord, Block, Organisation, ChainStatus };
}
