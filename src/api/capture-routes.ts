/**
 * EPCIS REST capture binding (docs/design/capture-submission.md): POST /epcis/capture and
 * GET /epcis/events/:eventID. Statuses come from src/api/errors.ts (statusForCode / next(err)).
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from './context.js';
import { ApiError, statusForCode } from './errors.js';
import { CaptureService } from '../capture/capture-service.js';
import { CaptureRejectedError } from '../capture/errors.js';
import { DEFAULT_BODY_LIMIT, DEFAULT_CAPTURE_LIMITS, parseCaptureEnvelope, type CaptureLimits } from '../capture/envelope.js';
import { findEvent } from '../store/event-index.js';

export interface CaptureRouteOptions {
  bodyLimit?: string | number;
  limits?: Partial<CaptureLimits>;
  signedAtWindowMs?: number;
}

export function mountCapture(app: Express, ctx: AppContext, options: CaptureRouteOptions = {}): CaptureService {
  const service = ctx.capture ?? new CaptureService({ node: ctx.node, db: ctx.db });
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

  app.get('/epcis/events/:eventID', (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const eventId = String(req.params['eventID']);
      const consortium = typeof req.query['consortium'] === 'string' ? req.query['consortium'] : undefined;
      const stored = await findEvent(ctx.db, eventId, consortium);
      if (!stored) throw new ApiError(404, 'NOT_FOUND', `no captured event with id ${eventId}`, { eventId });
      const record = JSON.parse(stored.recordBody) as { payload: { event: unknown }; signer: string; signedAt: string };
      res.json({
        eventId: stored.eventId,
        consortium: stored.consortiumId,
        event: record.payload.event,
        recordHash: stored.recordHash,
        block: stored.block,
        signer: { keyId: record.signer, orgId: stored.submitterOrg },
        signedAt: record.signedAt,
      });
    })().catch(next);
  });
  return service;
}
