/**
 * EPCIS REST capture (docs/design/capture-submission.md): Provenant's synchronous POST /epcis/capture
 * and GET /epcis/events/:eventID (members only, as the read policy allows; by hash ID or by the
 * client's own eventID), and the EPCIS 2.0 binding's capture jobs (capture-binding.ts: POST /capture,
 * GET /capture/{captureID}). Statuses come from errors.ts (statusForCode / next(err)).
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from './context.js';
import { ApiError, statusForCode } from './errors.js';
import { CaptureService } from '../../services/capture/capture-service.js';
import { CaptureRejectedError } from '../../core/capture/errors.js';
import { DEFAULT_BODY_LIMIT, DEFAULT_CAPTURE_LIMITS, parseCaptureEnvelope, type CaptureLimits } from '../../core/capture/envelope.js';
import { readContext, readsOf } from './requests.js';
import { mountCaptureBinding } from './capture-binding.js';
import type { XsdValidateFn } from '../../core/epcis/xml/index.js';

/** The binding's largest body in octets (GS1-EPCIS-Capture-File-Size-Limit); DEFAULT_BODY_LIMIT for /epcis/capture. */
const DEFAULT_BINDING_MAX_BYTES = 5 * 1024 * 1024;

export interface CaptureRouteOptions {
  bodyLimit?: string | number;
  /** POST /capture's largest body, in octets (default 5 MiB). */
  bindingMaxBytes?: number;
  /** The XSD validator of XML capture (default: GS1's XSDs, compiled on first use). */
  xsd?: () => Promise<XsdValidateFn>;
  limits?: Partial<CaptureLimits>;
  signedAtWindowMs?: number;
}

export function mountCapture(app: Express, ctx: AppContext, options: CaptureRouteOptions = {}): CaptureService {
  const service = ctx.capture ?? new CaptureService({ node: ctx.node, db: ctx.db, keystore: ctx.keystore });
  const reads = readsOf(ctx);
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
      const rc = await readContext(reads, req);
      if (!rc.viewer) throw new ApiError(401, 'UNAUTHENTICATED', rc.authProblem ?? 'an API token is required (Authorization: Bearer pvn_...)');
      res.json(await reads.events.event(rc, String(req.params['eventID'])));
    })().catch(next);
  });
  mountCaptureBinding(app, ctx, service, reads, { maxBytes: options.bindingMaxBytes ?? DEFAULT_BINDING_MAX_BYTES, limits, xsd: options.xsd });
  return service;
}
