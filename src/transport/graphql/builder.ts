/**
 * The one Pothos builder factory. Each domain (chain, lineage, subscriptions, access log, capture)
 * exports `registerX(builder, refs)` and is called from schema.ts; domains add root fields with
 * `builder.queryFields` / `builder.mutationFields` / `builder.subscriptionFields`. The builder knows
 * no domain: only the context type resolvers receive.
 */
import SchemaBuilder, { type InterfaceRef } from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import type { GraphqlContext } from './context.js';
import { ERROR_TYPES, ForbiddenError, UnauthenticatedError } from './errors.js';

export type { GraphqlContext } from './context.js';

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
