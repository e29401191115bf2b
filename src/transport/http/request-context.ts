/**
 * Every request gets an id: the caller's `X-Request-Id` when it is a sane token, else the trace id
 * of a W3C `traceparent` header, else a fresh UUID. The id is echoed in `X-Request-Id`, put in
 * every log line of the request and in error bodies. Each answered request is logged once and
 * counted in the HTTP metrics by its route pattern.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../platform/logger.js';
import { recordHttpRequest } from '../../services/operations-metrics.js';

const REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
/** W3C Trace Context, section 3.2: version-traceid-parentid-flags; an all-zero trace id is invalid. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The request's id from its headers, or a new one. */
export function requestIdOf(headers: Record<string, string | string[] | undefined>, fresh: () => string = randomUUID): string {
  const given = header(headers['x-request-id'])?.trim();
  if (given && REQUEST_ID.test(given)) return given;
  const trace = TRACEPARENT.exec(header(headers['traceparent'])?.trim().toLowerCase() ?? '');
  if (trace && trace[1] !== 'ff' && !/^0+$/.test(trace[2]!) && !/^0+$/.test(trace[3]!)) return trace[2]!;
  return fresh();
}

/** The request's id (set by requestContext). */
export function requestIdFor(res: Response): string | undefined {
  const id = res.locals['requestId'];
  return typeof id === 'string' ? id : undefined;
}

/** The route pattern that answered (bounded label values: never a raw path with identifiers in it). */
export function routeLabel(req: Request, status: number): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') return `${req.baseUrl}${pattern}`;
  if (req.baseUrl) return req.baseUrl;
  if (req.path.startsWith('/graphql')) return '/graphql';
  return status === 404 ? 'unmatched' : 'other';
}

export function requestContext(logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req.headers);
    res.locals['requestId'] = requestId;
    res.locals['log'] = logger.child({ requestId });
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req, res.statusCode);
      recordHttpRequest(req.method, route, res.statusCode, seconds);
      const entry = { requestId, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 };
      if (res.statusCode >= 500) logger.error(entry, 'request failed');
      else logger.info(entry, 'request');
    });
    next();
  };
}

/** The request's logger (falls back to `logger` outside requestContext). */
export function logOf(res: Response, logger: Logger): Logger {
  const log = res.locals['log'] as Logger | undefined;
  return log ?? logger;
}
