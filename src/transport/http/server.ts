/** The HTTP front door: health, metrics, the EPCIS capture binding, documents, privacy, the log and GraphQL. */
import type { Server } from 'node:http';
import express, { type Express, type Request } from 'express';
import type { AppContext } from './context.js';
import { ApiError, errorHandler } from './errors.js';
import { ReadServices } from '../../services/read-services.js';
import { mountLog } from './log-routes.js';
import { mountRecords } from './record-routes.js';
import { mountCapture } from './capture-routes.js';
import { CaptureService } from '../../services/capture/capture-service.js';
import { mountDocuments } from './document-routes.js';
import { mountPrivacy } from './privacy-routes.js';
import { mountGraphql, type GraphqlServer } from '../graphql/yoga.js';
import { mountMetrics } from './metrics-routes.js';
import { mountExplorer } from './explorer-routes.js';
import { mountEpcisQuery } from './epcis-query-routes.js';
import { mountOpenApi } from './openapi-routes.js';
import { requestContext } from './request-context.js';
import { processLogger, type Logger } from '../../platform/logger.js';
import { watchNode } from '../../services/operations-metrics.js';
import { mountHealth } from './health-routes.js';
import { rateLimits } from './rate-limit.js';
import type { ReadinessCheck } from '../../services/health.js';

export type ProvenantApp = Express & {
  /** The GraphQL server (its pub/sub counts open subscriptions). */
  graphql: GraphqlServer;
  closeApi(): Promise<void>;
  /** Starts the signature-verification workers now rather than on the first large capture (a long-running node wants this). */
  warmUp(): void;
  /** Adds a named check to GET /ready (the database is always checked), e.g. the MQTT broker once it runs. */
  addReadinessCheck(name: string, check: ReadinessCheck): void;
};

/**
 * An idle keep-alive connection is closed by the client first (clients and proxies keep theirs for
 * 4 to 60 s): were the server to close it while a request is on its way, the client would see a
 * reset instead of an answer. Headers must still arrive within a bounded time.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

function withIdleConnectionsKept(server: Server): Server {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  return server;
}

export function createApp(base: AppContext, options: { logger?: Logger } = {}): ProvenantApp {
  const ctx: AppContext = {
    ...base,
    capture:
      base.capture ??
      new CaptureService({
        node: base.node,
        db: base.db,
        keystore: base.keystore,
        eventTimeMaxFutureMs: base.config?.limits?.eventTimeMaxFutureMs,
        validationDeadlineMs: base.config?.limits?.captureValidationDeadlineMs,
        vocabularyNamespaces: base.config?.vocabularyNamespaces,
      }),
  };
  const reads = (ctx.reads ??= new ReadServices(ctx));
  const app = express();
  app.disable('x-powered-by');
  const listen = app.listen.bind(app) as (...args: unknown[]) => Server;
  app.listen = ((...args: unknown[]) => withIdleConnectionsKept(listen(...args))) as typeof app.listen;
  app.use(requestContext(options.logger ?? processLogger()));
  const unwatch = watchNode(ctx.node);
  app.use(rateLimits(reads, ctx.config?.limits));
  const health = mountHealth(app, ctx, reads);
  // GraphQL first: Yoga parses its own bodies.
  const graphql = mountGraphql(app, ctx, reads);
  // Documents and personal data are for members only: an API token names the organisation and its consortium.
  const authorise = async (req: Request) => (await reads.authenticate(req.headers.authorization)).viewer;
  const metrics = mountMetrics(app, ctx);
  mountLog(app, ctx);
  mountRecords(app, ctx);
  const capture = mountCapture(app, ctx);
  mountDocuments(app, ctx, { authorise });
  mountPrivacy(app, ctx, { authorise });
  mountExplorer(app, ctx);
  const query = mountEpcisQuery(app, ctx);
  mountOpenApi(app);
  app.use((req, _res, next) => next(new ApiError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler());
  return Object.assign(app, {
    graphql,
    warmUp: () => capture.warmUp(),
    addReadinessCheck: (name: string, check: ReadinessCheck) => health.addCheck(name, check),
    async closeApi() {
      unwatch();
      metrics.close();
      await graphql.close();
      await capture.close();
      await query.close();
    },
  });
}
