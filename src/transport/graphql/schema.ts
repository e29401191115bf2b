/**
 * Assembles the schema. Extension point: add a domain by writing `src/transport/graphql/<domain>.ts`
 * exporting `register<Domain>(builder, refs)` and calling it below (chain refs let it return or
 * link LedgerRecord, Block and Organisation). Then run `npm run schema:print`.
 */
import type { GraphQLSchema } from 'graphql';
import { createBuilder } from './builder.js';
import { registerChain } from './chain.js';
import { registerAccessLog } from './access-log.js';
import { registerCapture } from './capture.js';
import { registerLineage } from './lineage.js';
import { registerSubscriptions } from './subscriptions.js';

export function buildSchema(): GraphQLSchema {
  const builder = createBuilder();
  const chain = registerChain(builder);
  registerAccessLog(builder);
  const lineage = registerLineage(builder);
  registerSubscriptions(builder, chain, lineage);
  registerCapture(builder);
  return builder.toSchema();
}

let cached: GraphQLSchema | undefined;
export function getSchema(): GraphQLSchema {
  return (cached ??= buildSchema());
}
