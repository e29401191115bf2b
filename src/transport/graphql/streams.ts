/**
 * Subscription streams: the feed's batches filtered for one viewer by the read services, pushed one
 * item at a time (a push waits for the client). When the viewer no longer stands (token revoked,
 * organisation removed) the stream's last item is Unauthenticated, and the stream ends.
 */
import { Repeater } from 'graphql-yoga';
import type { Viewer } from '../../services/auth.js';
import type { Delivery } from '../../services/feeds/delivery.js';
import type { SealedBlockEvent } from '../../services/node/ledger-node.js';
import type { GraphqlContext } from './context.js';
import { ExpectedError } from './errors.js';
import { asExpectedError } from './serve.js';

/** A stream of one expected error: the typed answer a query would give, then the end. */
export function failed(error: ExpectedError): Repeater<ExpectedError> {
  return new Repeater<ExpectedError>(async (push, stop) => {
    await push(error);
    stop();
  });
}

/** Runs `start` for a subscriber the services accept; a refusal becomes a one-item stream. */
export function opened<T>(start: () => Repeater<T | ExpectedError>): Repeater<T | ExpectedError> {
  try {
    return start();
  } catch (err) {
    const expected = asExpectedError(err);
    if (expected instanceof ExpectedError) return failed(expected);
    throw err;
  }
}

/**
 * Counts the stream against its token's limit (FeedReads.admit) while it is open. Past the limit the
 * stream fails with TOO_MANY_SUBSCRIPTIONS as a GraphQL error (not a result union member: the
 * unions answer who may read, this is how much one token may hold open).
 */
function admitted(ctx: GraphqlContext, viewer: Viewer, stop: Promise<unknown> & ((err?: unknown) => void)): boolean {
  let release: () => void;
  try {
    release = ctx.reads.feeds.admit(viewer);
  } catch (err) {
    stop(asExpectedError(err));
    return false;
  }
  void stop.then(release, release);
  return true;
}

/** Filters each published batch for the viewer; every item delivered is access-logged by the services. */
export function deliver<N, Out>(ctx: GraphqlContext, viewer: Viewer, source: AsyncIterable<N[]>, how: Delivery<N, Out>): Repeater<Out | ExpectedError> {
  return new Repeater<Out | ExpectedError>(async (push, stop) => {
    if (!admitted(ctx, viewer, stop)) return;
    const iterator = source[Symbol.asyncIterator]();
    void stop.then(() => iterator.return?.());
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      let outcome;
      try {
        outcome = await ctx.reads.feeds.batch(ctx, viewer, next.value, how);
      } catch {
        // The database went away (closing): nothing more can be decided.
        break;
      }
      if ('end' in outcome) {
        await push(asExpectedError(outcome.end) as ExpectedError);
        break;
      }
      for (const item of outcome.items) await push(item);
    }
    stop();
  });
}

/** Sealed-block notices for the viewer, ending with Unauthenticated once it no longer stands. */
export function followBlocks(ctx: GraphqlContext, viewer: Viewer, source: AsyncIterable<SealedBlockEvent>): Repeater<SealedBlockEvent | ExpectedError> {
  return new Repeater<SealedBlockEvent | ExpectedError>(async (push, stop) => {
    if (!admitted(ctx, viewer, stop)) return;
    const iterator = source[Symbol.asyncIterator]();
    void stop.then(() => iterator.return?.());
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      let outcome;
      try {
        outcome = await ctx.reads.feeds.block(viewer, next.value);
      } catch {
        break;
      }
      if ('end' in outcome) {
        await push(asExpectedError(outcome.end) as ExpectedError);
        break;
      }
      if (outcome.item) await push(outcome.item);
    }
    stop();
  });
}
