/** GET /health (liveness) and GET /ready (readiness: 503 until the database and broker answer). */
import type { Express } from 'express';
import { NodeHealth } from '../../services/health.js';
import type { ReadServices } from '../../services/read-services.js';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';

export function mountHealth(app: Express, ctx: AppContext, reads: ReadServices): NodeHealth {
  const health = new NodeHealth(ctx);
  app.get('/health', async (req, res, next) => {
    try {
      if (!req.headers.authorization) {
        res.json(health.liveness(null));
        return;
      }
      const auth = await reads.authenticate(req.headers.authorization);
      if (!auth.viewer) throw new ApiError(401, 'UNAUTHENTICATED', auth.problem ?? 'an API token is required');
      res.json(health.liveness(auth.viewer));
    } catch (err) {
      next(err);
    }
  });
  app.get('/ready', async (_req, res, next) => {
    try {
      const readiness = await health.readiness();
      res.status(readiness.ready ? 200 : 503).json({ status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks });
    } catch (err) {
      next(err);
    }
  });
  return health;
}
