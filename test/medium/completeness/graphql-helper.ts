import { createPubSub, createYoga } from 'graphql-yoga';
import type { Role } from '../../../src/core/ledger/governance.js';
import { loadConfig } from '../../../src/platform/config.js';
import type { GraphqlContext } from '../../../src/transport/graphql/builder.js';
import { graphqlContext } from '../../../src/transport/graphql/context.js';
import { buildSchema } from '../../../src/transport/graphql/schema.js';
import type { TestNode } from '../../helpers/test-node.js';

/** Runs GraphQL queries on the node as a viewer (Yoga, so schema and executor share one graphql module). */
export function graphqlOn(temp: TestNode): (query: string, viewer: { orgId: string; roles: Role[] }, variables?: Record<string, unknown>) => Promise<any> {
  const schema = buildSchema();
  return async (query, viewer, variables = {}) => {
    const contextValue: GraphqlContext = graphqlContext({
      app: { node: temp.node, store: temp.store, db: temp.db, keystore: temp.keystore, config: loadConfig({ dataDir: temp.dataDir }) },
      viewer: { consortiumId: 'uk-red-meat', orgId: viewer.orgId, roles: new Set(viewer.roles), isRegulator: viewer.roles.includes('REGULATOR'), tokenHash: 'test' },
      pubsub: createPubSub() as GraphqlContext['pubsub'],
    });
    const yoga = createYoga({ schema, context: () => contextValue, logging: false, maskedErrors: false });
    const res = await yoga.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
}

export const FSA = { orgId: 'fsa', roles: ['REGULATOR'] as Role[] };
