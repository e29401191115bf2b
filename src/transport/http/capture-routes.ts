/**
 * EPCIS REST capture binding (docs/design/capture-submission.md): POST /epcis/capture and
 * GET /epcis/events/:eventID (members only, as visibility allows). Statuses come from src/api/errors.ts (statusForCode / next(err)).
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from './context.js';
import { ApiError, statusForCode } from './errors.js';
import { CaptureService } from '../../services/capture/capture-service.js';
import { CaptureRejectedError } from '../../core/capture/errors.js';
import { DEFAULT_BODY_LIMIT, DEFAULT_CAPTURE_LIMITS, parseCaptureEnvelope, type CaptureLimits } from '../../core/capture/envelope.js';
import { findEvent } from '../../store/event-index.js';
import { accessLogWriter } from '../../store/access-log.js';
import { VisibilityStore } from '../../store/visibility-store.js';
import { isShown, redactEvent } from '../../core/lineage/visibility.js';
import { authenticate } from '../../services/auth.js';

export interface CaptureRouteOptions {
  bodyLimit?: string | number;
  limits?: Partial<CaptureLimits>;
  signedAtWindowMs?: number;
}

export function mountCapture(app: Express, ctx: AppContext, options: CaptureRouteOptions = {}): CaptureService {
  const service = ctx.capture ?? new CaptureService({ node: ctx.node, db: ctx.db });
  const access = accessLogWriter(ctx.db);
  const limits: CaptureLimits = { ...DEFAULT_CAPTURE_LIMITS, ...options.limits };
  const json = express.json({ limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, type: ['application/json', 'application/ld+json', 'application/*+json'] });

  app.post('/epcis/capture', json, (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const mode = req.query['mode'] ?? 'atomic';
      if (mode !== 'atomic' && mode !== 'partial') throw new ApiError(400, 'BAD_REQUEST', 'mode must be "atomic" or "partial"', { actual: mode });
      const wait = req.query['wait'];
      if (wait !== undefined && wait !== 'seal') throw new ApiError(400, 'BAD_REQUEST', 'wait must be "seal" when given', { actual: wait });
      const envelope = parseCaptureEnvelope(req.body, req.headers, limits);
      const { results } = await service.capture(envelope, { mode, wait: wait === 'seal' ? 'seal' : 'none', signedAtWindowMs: options.signedAtWindowMs });
      res.status(200).json({ results });
    })().catch((err: unknown) => {
      if (err instanceof CaptureRejectedError) {
        res.status(statusForCode(err.code)).json({ error: { code: err.code, message: err.message, details: err.details }, results: err.results });
        return;
      }
      next(err);
    });
  });

  // Members only, and only what the caller may see (docs/access.md); reads of others' events are logged.
  app.get('/epcis/events/:eventID', (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const auth = await authenticate(ctx.db, ctx.node, req.headers.authorization);
      if (!auth.viewer) throw new ApiError(401, 'UNAUTHENTICATED', auth.problem ?? 'an API token is required (Authorization: Bearer pvn_...)');
      const viewer = auth.viewer;
      const eventId = String(req.params['eventID']);
      const notFound = new ApiError(404, 'NOT_FOUND', `no captured event with id ${eventId}`, { eventId });
      const stored = await findEvent(ctx.db, eventId, viewer.consortiumId);
      if (!stored) throw notFound;
      const record = JSON.parse(stored.recordBody) as { payload: { event: unknown }; signer: string; signedAt: string };
      const { decisions } = await new VisibilityStore(ctx.db, stored.consortiumId, ctx.node.state(stored.consortiumId)).decideEvents(
        { orgId: viewer.orgId, consortiumId: viewer.consortiumId, roles: viewer.roles },
        [{ eventId: stored.eventId, consortiumId: stored.consortiumId, signerOrg: stored.submitterOrg, event: record.payload.event }],
      );
      const decision = decisions.get(stored.eventId);
      // Hidden reads as absent, so event ids cannot be probed.
      if (!isShown(decision)) throw notFound;
      const redacted = decision!.visibility === 'REDACTED';
      if (stored.submitterOrg !== viewer.orgId) {
        access.add({
          consortiumId: viewer.consortiumId,
          viewerOrgId: viewer.orgId,
          ownerOrgId: stored.submitterOrg,
          subjectType: redacted ? 'EpcisEvent:redacted' : 'EpcisEvent',
          subjectId: stored.eventId,
          accessedAt: new Date().toISOString(),
        });
      }
      res.json({
        eventId: stored.eventId,
        consortium: stored.consortiumId,
        event: redacted ? redactEvent(record.payload.event).event : record.payload.event,
        redacted,
        recordHash: stored.recordHash,
        block: stored.block,
        signer: { keyId: record.signer, orgId: stored.submitterOrg },
        signedAt: record.signedAt,
      });
    })().catch(next);
  });
  return service;
}
