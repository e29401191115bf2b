/**
 * The one Pothos builder factory. Each domain (chain.ts now; capture.ts, lineage.ts later) exports
 * `registerX(builder, refs)` and is called from schema.ts; domains add root fields with
 * `builder.queryFields` / `builder.mutationFields` / `builder.subscriptionFields`.
 */
import SchemaBuilder, { type InterfaceRef } from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import type { PubSub } from 'graphql-yoga';
import type { Viewer } from '../../services/auth.js';
import type { AppContext } from '../http/context.js';
import type { SealedBlockEvent } from '../../services/node/ledger-node.js';
import type { AccessLogWriter } from '../../store/access-log.js';
import type { BreachNotice, InspectionNotice, RecallNotice, SealedEventNotice } from './subscriptions.js';
import { ERROR_TYPES, ForbiddenError, UnauthenticatedError } from './errors.js';

/** Topics for subscriptions; add yours here. Each is [routing key, payload]. */
export type GraphqlPubSub = PubSub<{
  blockSealed: [consortium: string, event: SealedBlockEvent];
  // One batch per sealed block (never one publish per record: a slow subscriber's queue stays short).
  sealedEpcisEvents: [consortium: string, batch: SealedEventNotice[]];
  coldChainBreaches: [consortium: string, batch: BreachNotice[]];
  recallNotices: [consortium: string, batch: RecallNotice[]];
  inspectionFindings: [consortium: string, batch: InspectionNotice[]];
}>;

export interface GraphqlContext {
  app: AppContext;
  viewer: Viewer | null;
  /** Why a presented token was refused (unknown, revoked, org removed), for the Unauthenticated message. */
  authProblem?: string;
  pubsub: GraphqlPubSub;
  access: AccessLogWriter;
  /** Access entries already recorded by this request (one entry per subject per request). */
  accessSeen: Set<string>;
}

export interface BuilderTypes {
  Context: GraphqlContext;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
  Scalars: {
    JSON: { Input: unknown; Output: unknown };
  };
}

export function createBuilder() {
  const builder = new SchemaBuilder<BuilderTypes>({
    plugins: [ErrorsPlugin, RelayPlugin],
    defaultFieldNullability: false,
    relay: {
      edgesFieldOptions: { nullable: { list: false, items: false } },
      nodeFieldOptions: { nullable: false },
      clientMutationId: 'omit',
      cursorType: 'String',
      // A global `node(id)` field would bypass the per-field auth checks.
      nodeQueryOptions: false,
      nodesQueryOptions: false,
    },
    errors: {
      // Every field with an `errors` option can answer these two.
      defaultTypes: [UnauthenticatedError, ForbiddenError],
    },
  });

  builder.scalarType('JSON', {
    description: 'Any JSON value (signed payloads are returned exactly as signed).',
    serialize: (value) => value,
    parseValue: (value) => value,
  });

  const ErrorInterface = builder.interfaceRef<{ message: string; code: string }>('Error').implement({
    description: 'An expected failure, returned as a member of a result union.',
    fields: (t) => ({
      message: t.exposeString('message'),
      code: t.exposeString('code'),
    }),
  });
  for (const [cls, name] of ERROR_TYPES) {
    builder.objectType(cls, { name, interfaces: [ErrorInterface], isTypeOf: (value) => value instanceof cls, fields: () => ({}) });
  }

  builder.queryType({});
  builder.mutationType({});
  builder.subscriptionType({});
  errorInterfaces.set(builder, ErrorInterface as unknown as ErrorInterfaceRef);
  return builder;
}

export type Builder = ReturnType<typeof createBuilder>;

type ErrorInterfaceRef = InterfaceRef<BuilderTypesOf, { message: string; code: string }>;
type BuilderTypesOf = PothosSchemaTypes.ExtendDefaultTypes<BuilderTypes>;
const errorInterfaces = new WeakMap<object, ErrorInterfaceRef>();

/** The `Error` interface, for domain error types with fields of their own (e.g. CaptureRejected). */
export function errorInterfaceOf(builder: Builder): ErrorInterfaceRef {
  const ref = errorInterfaces.get(builder);
  if (!ref) throw new Error('builder was not made by createBuilder');
  return ref;
}

/** The calling organisation, or an Unauthenticated error (caught into the field's result union). */
export function requireViewer(ctx: GraphqlContext): Viewer {
  if (!ctx.viewer) throw new UnauthenticatedError(ctx.authProblem ? `${ctx.authProblem}; an active API token is required` : undefined);
  return ctx.viewer;
}

/** The viewer, who must belong to the consortium asked about. */
export function requireMember(ctx: GraphqlContext, consortiumId: string): Viewer {
  const viewer = requireViewer(ctx);
  if (viewer.consortiumId !== consortiumId) {
    throw new ForbiddenError(`your token is for consortium "${viewer.consortiumId}", not "${consortiumId}"`, { consortium: consortiumId });
  }
  return viewer;
}
