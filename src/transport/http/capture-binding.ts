/**
 * The capture interface of the EPCIS 2.0 REST binding (EPCIS 2.0 section 12; GS1 openapi.json):
 * POST /capture answers 202 with Location: /capture/{captureID}, and GET /capture/{captureID}
 * reports the job. JSON and XML bodies (XML checked against GS1's XSDs); errors are RFC 9457
 * problem details (errors.ts). Two ways to be allowed in (docs/design/capture-submission.md):
 * Provenant's signed capture (an envelope, or the Provenant-* signature headers), or an API token
 * of an organisation this node hosts, whose key then signs each event.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { checkCaptureDocument, parseCaptureEnvelope, type CaptureEnvelope, type CaptureLimits, type JsonObject, HEADER_SIGNATURES, HEADER_CONSORTIUM, HEADER_BATCH_SIGNATURE, envelopeEventCount } from '../../core/capture/envelope.js';
import { CaptureError } from '../../core/capture/errors.js';
import { readEpcisXml, type XsdValidateFn } from '../../core/epcis/xml/index.js';
import { requireActiveSigner } from '../../core/ledger/consortium.js';
import { RecordKind } from '../../core/ledger/record.js';
import { loadEpcisXsdValidator } from '../../platform/epcis-xsd.js';
import type { CaptureService } from '../../services/capture/capture-service.js';
import type { CaptureJobRow, ErrorBehaviour, JobOwner } from '../../services/capture/capture-jobs.js';
import type { ReadServices } from '../../services/read-services.js';
import type { AppContext } from './context.js';
import { ApiError, problemOfCoded } from './errors.js';
import { bindingRoute, requestBodyFormat, setCaptureLimitHeaders, setDiscoveryHeaders, type BodyFormat } from './epcis-headers.js';
import { captureJobXml, type CaptureJobDocument } from './problem-xml.js';

export interface CaptureBindingOptions {
  /** Largest request body, in octets (GS1-EPCIS-Capture-File-Size-Limit). */
  maxBytes: number;
  limits: CaptureLimits;
  /** The XSD validator for XML bodies (default: GS1's XSDs, compiled on first use). */
  xsd?: () => Promise<XsdValidateFn>;
}

type Handler = (req: Request, res: Response) => Promise<void>;

function route(handler: Handler) {
  return (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };
}

/** Capture routes answer plain JSON (or XML): see bindingRoute. */
function binding(offers: readonly BodyFormat[]) {
  return bindingRoute(offers, 'application/json');
}

function errorBehaviourOf(req: Request): ErrorBehaviour {
  const value = req.header('gs1-capture-error-behaviour');
  if (value === undefined || value.trim() === '') return 'rollback';
  const v = value.trim().toLowerCase();
  if (v === 'rollback' || v === 'proceed') return v;
  throw new ApiError(400, 'BAD_REQUEST', 'GS1-Capture-Error-Behaviour must be "rollback" or "proceed"', { actual: value });
}

/** The capture job as GS1's CaptureJob schema has it, with the per-event results as a Provenant extension. */
export function captureJobDocument(job: CaptureJobRow): CaptureJobDocument & { 'provenant:results'?: unknown[] } {
  return {
    captureID: job.captureId,
    createdAt: job.createdAt,
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    running: job.running,
    success: job.success,
    captureErrorBehaviour: job.errorBehaviour,
    errors: job.errors.map((e) => problemOfCoded(e, { ...(e.index !== undefined ? { index: e.index } : {}), ...(e.eventId !== undefined ? { eventId: e.eventId } : {}) })),
    ...(job.results ? { 'provenant:results': job.results } : {}),
  };
}

/** An EPCISQueryDocument's events, as the EPCISDocument capture takes (the binding captures both). */
function asEpcisDocument(doc: JsonObject): JsonObject {
  if (doc['type'] !== 'EPCISQueryDocument') return doc;
  const body = doc['epcisBody'] as { queryResults?: { resultsBody?: { eventList?: unknown } } } | undefined;
  const eventList = body?.queryResults?.resultsBody?.eventList ?? [];
  const { epcisBody: _body, type: _type, ...rest } = doc;
  return { ...rest, type: 'EPCISDocument', epcisBody: { eventList } };
}

export function mountCaptureBinding(app: Express, ctx: AppContext, service: CaptureService, reads: ReadServices, options: CaptureBindingOptions): void {
  let xsd: Promise<XsdValidateFn> | undefined;
  const validator = () => (xsd ??= (options.xsd ?? (() => loadEpcisXsdValidator()))());
  const raw = express.raw({ type: () => true, limit: options.maxBytes });

  /** The job's owner named by the caller's API token (401 without one). */
  const owner = async (req: Request): Promise<JobOwner> => {
    const auth = await reads.authenticate(req.headers.authorization);
    if (!auth.viewer) throw new ApiError(401, 'UNAUTHENTICATED', auth.problem ?? 'an API token is required (Authorization: Bearer pvn_...)');
    return { consortiumId: auth.viewer.consortiumId, orgId: auth.viewer.orgId };
  };

  const documentOf = async (req: Request, format: BodyFormat): Promise<JsonObject> => {
    const bytes = Buffer.isBuffer(req.body) ? (req.body as Buffer) : Buffer.alloc(0);
    // In the capture workers for large bodies, unless the caller injected its own XSD validator.
    if (format === 'xml') return options.xsd ? readEpcisXml(new Uint8Array(bytes), { validate: await validator(), limits: { maxBytes: options.maxBytes } }) : service.readXml(new Uint8Array(bytes), options.maxBytes);
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new ApiError(400, 'MALFORMED_JSON', 'request body is not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CaptureError('MALFORMED_ENVELOPE', 'request body must be an EPCISDocument (a JSON object)');
    return value as JsonObject;
  };

  /** Signed capture when the request carries signatures; token capture (the node signs) otherwise. */
  const envelopeOf = async (req: Request, body: JsonObject): Promise<{ envelope: CaptureEnvelope; owner: JobOwner; events: number }> => {
    if (typeof body['document'] === 'object' || req.header(HEADER_SIGNATURES) !== undefined || req.header(HEADER_BATCH_SIGNATURE) !== undefined) {
      const envelope = parseCaptureEnvelope(body, req.headers, options.limits);
      const state = ctx.node.state(envelope.consortium);
      const signer = requireActiveSigner(state, envelope.signer, RecordKind.EPCIS_EVENT);
      if (signer.type !== 'org') throw new CaptureError('NOT_AUTHORISED', 'EPCIS events must be signed by an organisation key');
      return { envelope, owner: { consortiumId: envelope.consortium, orgId: signer.org.id }, events: envelopeEventCount(envelope) };
    }
    const who = await owner(req);
    const named = req.header(HEADER_CONSORTIUM);
    if (named !== undefined && named !== who.consortiumId) throw new ApiError(403, 'FORBIDDEN', `your token is for consortium "${who.consortiumId}", not "${named}"`, { consortium: named });
    const document = asEpcisDocument(body);
    const events = checkCaptureDocument(document, options.limits).length;
    return { envelope: service.signAsOrganisation(document, who.consortiumId, who.orgId), owner: who, events };
  };

  const sendJob = (res: Response, job: CaptureJobRow) => {
    const doc = captureJobDocument(job);
    if (res.locals['format'] === 'xml') res.type('application/xml').send(captureJobXml(doc));
    else res.json(doc);
  };

  app.options('/capture', (_req, res) => {
    setDiscoveryHeaders(res, 'OPTIONS, POST, GET');
    setCaptureLimitHeaders(res, options.limits.maxEvents, options.maxBytes);
    res.setHeader('GS1-Capture-Error-Behaviour', 'all');
    res.status(204).end();
  });

  app.post(
    '/capture',
    binding(['json', 'xml']),
    (req, res, next) => {
      setCaptureLimitHeaders(res, options.limits.maxEvents, options.maxBytes);
      const format = requestBodyFormat(req.header('content-type'));
      if (!format) return next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'capture takes application/json (or application/ld+json) and application/xml EPCIS documents', { contentType: req.header('content-type') ?? null }));
      res.locals['bodyFormat'] = format;
      next();
    },
    raw,
    route(async (req, res) => {
      const behaviour = errorBehaviourOf(req);
      const body = await documentOf(req, res.locals['bodyFormat'] as BodyFormat);
      const { envelope, owner: who, events } = await envelopeOf(req, body);
      const job = await service.jobs.start(envelope, who, behaviour, events, { xsdChecked: res.locals['bodyFormat'] === 'xml' });
      res.status(202).location(`/capture/${encodeURIComponent(job.captureId)}`).end();
    }),
  );

  app.get(
    '/capture',
    binding(['json']),
    route(async (req, res) => {
      const perPage = Number(req.query['perPage'] ?? 100);
      if (!Number.isSafeInteger(perPage) || perPage < 1) throw new ApiError(400, 'BAD_REQUEST', 'perPage must be a positive integer', { actual: req.query['perPage'] });
      const jobs = await service.jobs.list(await owner(req), perPage);
      res.json(jobs.map(captureJobDocument));
    }),
  );

  app.options('/capture/:captureID', (_req, res) => {
    setDiscoveryHeaders(res, 'OPTIONS, GET');
    res.status(204).end();
  });

  app.get(
    '/capture/:captureID',
    binding(['json', 'xml']),
    route(async (req, res) => {
      sendJob(res, await service.jobs.get(await owner(req), String(req.params['captureID'])));
    }),
  );
}
