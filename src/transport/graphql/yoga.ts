/**
 * GraphQL over HTTP at /graphql (GraphiQL in browsers, SSE for subscriptions), with
 * graphql-armor limits on depth, aliases, cost, tokens and directives. Unexpected errors are
 * masked; expected ones are typed result-union members (see errors.ts).
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLError } from 'graphql';
import { DEFAULT_LIMITS } from '../../platform/config.js';
import { statusForCode } from '../http/errors.js';
import { requestGuard } from './request-guard.js';
import type { Express, RequestHandler } from 'express';
import { createGraphQLError, createPubSub, createYoga, maskError, type YogaServerInstance } from 'graphql-yoga';
import type { SubscriptionFeed } from '../../services/feeds/feed.js';
import type { SealedBlockEvent } from '../../services/node/ledger-node.js';
import { ReadServices } from '../../services/read-services.js';
import type { AppContext } from '../http/context.js';
import type { GraphqlContext } from './context.js';
import { ExpectedError } from './errors.js';
import { getSchema } from './schema.js';
import { mountGraphiqlAssets, renderLocalGraphiql } from './graphiql-page.js';
import { feedPublisher, trackPubSub, type TrackedPubSub } from './pubsub.js';

export const GRAPHQL_PATH = '/graphql';

export const GRAPHQL_LIMITS = {
  maxDepth: 12,
  maxAliases: 15,
  maxCost: 5000,
  maxTokens: 2000,
  maxDirectives: 20,
} as const;

const DEFAULT_QUERY = `# Send an API token: {"Authorization": "Bearer pvn_..."} in the Headers tab.
query ChainStatus {
  health { status consortia }
  chainStatus(consortium: "uk-red-meat") {
    __typename
    ... on ChainStatus {
      height headHash logSize pending
      lastCheckpoint { logSize logRoot blockHeight signatureCount }
      quorum { authoritiesInForce requiredQuorum authorityKeysHeld sealBlockedReason }
    }
    ... on Error { code message }
  }
}
`;

/**
 * graphql-armor reports a limit as a "Syntax Error:"; it is a limit, so the request is refused
 * with GRAPHQL_LIMIT_EXCEEDED, the limit's name and value, and HTTP 400.
 */
function limitExceeded(limit: keyof typeof GRAPHQL_LIMITS, value: number) {
  return (_context: unknown, error: GraphQLError): never => {
    const message = error.message.replace(/^Syntax Error: /, '');
    // Yoga's own error class: a GraphQLError of another module instance would be masked as a 500.
    throw createGraphQLError(`GraphQL limit exceeded: ${message}`, {
      extensions: { code: 'GRAPHQL_LIMIT_EXCEEDED', details: { limit, max: value }, http: { status: statusForCode('GRAPHQL_LIMIT_EXCEEDED') } },
    });
  };
}

/**
 * graphql-js refuses bad variables (missing, or of the wrong type) with errors that carry no code;
 * every refusal names its reason, so these get BAD_USER_INPUT.
 */
const codeEveryRefusal = {
  onResultProcess: ({ result, setResult }: { result: unknown; setResult: (r: never) => void }) => {
    const errors = (result as { errors?: readonly GraphQLError[] } | null)?.errors;
    if (!Array.isArray(errors) || !errors.some(uncoded)) return;
    const coded = errors.map((e) => (uncoded(e) ? createGraphQLError(e.message, { nodes: e.nodes, path: e.path, extensions: { ...e.extensions, code: 'BAD_USER_INPUT' } }) : e));
    setResult({ ...(result as object), errors: coded } as never);
  },
};

function uncoded(error: GraphQLError): boolean {
  return error.extensions?.['code'] === undefined;
}

function isExpected(error: unknown): boolean {
  for (let e: unknown = error, hops = 0; e instanceof Error && hops < 5; e = (e as { originalError?: unknown }).originalError, hops++) {
    if (e instanceof ExpectedError) return true;
  }
  return false;
}

export interface GraphqlServer {
  yoga: YogaServerInstance<Record<string, unknown>, GraphqlContext>;
  pubsub: TrackedPubSub;
  /** Turns sealed blocks into subscription notices. */
  feed: SubscriptionFeed;
  /** Stops feeding subscriptions, ends every open stream and writes buffered access-log entries. */
  close(): Promise<void>;
}

export function createGraphqlServer(app: AppContext, options: { logging?: boolean; reads?: ReadServices } = {}): GraphqlServer {
  const reads = options.reads ?? new ReadServices(app);
  const pubsub = trackPubSub(createPubSub());
  const onSealed = (event: SealedBlockEvent) => pubsub.publish('blockSealed', event.consortium, event);
  app.node.on('sealed', onSealed);

  const yoga = createYoga<Record<string, unknown>, GraphqlContext>({
    schema: getSchema(),
    graphqlEndpoint: GRAPHQL_PATH,
    maskedErrors: {
      // Expected errors thrown outside a result union (subscriptions) keep their message and code.
      maskError: (error, message, isDev) => (isExpected(error) ? (error as Error) : maskError(error, message, isDev)),
    },
    logging: options.logging ?? true,
    landingPage: false,
    graphiql: { defaultQuery: DEFAULT_QUERY, title: 'Provenant GraphQL' },
    renderGraphiQL: renderLocalGraphiql,
    plugins: [
      codeEveryRefusal,
      requestGuard(reads, app.config?.limits ?? DEFAULT_LIMITS),
      EnvelopArmorPlugin({
        maxDepth: { n: GRAPHQL_LIMITS.maxDepth, onReject: [limitExceeded('maxDepth', GRAPHQL_LIMITS.maxDepth)] },
        maxAliases: { n: GRAPHQL_LIMITS.maxAliases, onReject: [limitExceeded('maxAliases', GRAPHQL_LIMITS.maxAliases)] },
        costLimit: { maxCost: GRAPHQL_LIMITS.maxCost, onReject: [limitExceeded('maxCost', GRAPHQL_LIMITS.maxCost)] },
        maxTokens: { n: GRAPHQL_LIMITS.maxTokens, onReject: [limitExceeded('maxTokens', GRAPHQL_LIMITS.maxTokens)] },
        maxDirectives: { n: GRAPHQL_LIMITS.maxDirectives, onReject: [limitExceeded('maxDirectives', GRAPHQL_LIMITS.maxDirectives)] },
        blockFieldSuggestion: { enabled: true },
      }),
    ],
    context: async ({ request }): Promise<GraphqlContext> => ({ app, reads, pubsub, ...(await reads.context(request.headers.get('authorization'))) }),
  });

  const feed = reads.startFeed(feedPublisher(pubsub), (err) => yoga.logger.error('subscription feed failed on a sealed block', err));

  return {
    yoga,
    pubsub,
    feed,
    async close() {
      app.node.off('sealed', onSealed);
      await feed.close();
      pubsub.closeAll();
      await reads.accessLog.flush();
    },
  };
}

/** Mounts GraphQL at /graphql. Mount before any body parser and before the 404 handler. */
export function mountGraphql(app: Express, ctx: AppContext, reads?: ReadServices): GraphqlServer {
  const server = createGraphqlServer(ctx, { reads });
  mountGraphiqlAssets(app);
  // Yoga is a Node request listener; express accepts it as middleware.
  app.use(server.yoga.graphqlEndpoint, server.yoga as unknown as RequestHandler);
  return server;
}
