/** What every GraphQL resolver receives: the read services, who is reading, and the pub/sub. */
import type { Viewer } from '../../services/auth.js';
import type { ReadContext } from '../../services/read-context.js';
import { ReadServices } from '../../services/read-services.js';
import type { AppContext } from '../http/context.js';
import type { GraphqlPubSub } from './pubsub.js';

export interface GraphqlContext extends ReadContext {
  app: AppContext;
  reads: ReadServices;
  pubsub: GraphqlPubSub;
}

/** A context for one viewer (tests and tools that execute the schema directly). */
export function graphqlContext(options: { app: AppContext; viewer: Viewer | null; pubsub: GraphqlPubSub; reads?: ReadServices }): GraphqlContext {
  const reads = options.reads ?? new ReadServices(options.app);
  return { app: options.app, reads, pubsub: options.pubsub, viewer: options.viewer, access: reads.accessLog.recorder(options.viewer) };
}
