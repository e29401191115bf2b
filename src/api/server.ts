/** The HTTP front door: health now; capture and GraphQL mount here. */
import express, { type Express } from 'express';
import type { AppContext } from './context.js';
import { ApiError, errorHandler } from './errors.js';
import { mountLog } from './log-routes.js';
import { mountRecords } from './record-routes.js';
import { mountCapture } from './capture-routes.js';

export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    const consortia = ctx.node.consortia().map((id) => {
      const state = ctx.node.state(id);
      const seal = ctx.node.sealStatus(id);
      return { id, height: state.height, head: state.headHash, logSize: state.logSize, pending: seal.pending, sealBlocked: seal.blockedReason ?? null };
    });
    res.json({ status: 'ok', consortia });
  });
  mountLog(app, ctx);
  mountRecords(app, ctx);
  mountCapture(app, ctx);
  // API modules mount here (capture, documents, GraphQL).
  app.use((req, _res, next) => next(new ApiError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler());
  return app;
}
