/**
 * What the query routes of the EPCIS 2.0 REST binding share: query errors as problem details with
 * the binding's exception types, version headers and content negotiation, the query string as
 * sent, and pages of events with their `Link: <...>; rel="next"` header.
 */
import type { NextFunction, Request, Response } from 'express';
import { QueryError, type QueryErrorCode } from '../../core/epcis/query/query-errors.js';
import { epcisDocumentToXml } from '../../core/epcis/xml/index.js';
import type { QueryPage } from '../../services/query/event-queries.js';
import { bindingRoute, setDiscoveryHeaders, type BodyFormat } from './epcis-headers.js';
import { sendProblem } from './errors.js';

/** The binding's exception type and status of each query error. */
const QUERY_PROBLEMS: Record<QueryErrorCode, { status: number; type: string; title: string }> = {
  QUERY_PARAMETER: { status: 400, type: 'epcisException:QueryParameterException', title: 'Invalid query parameter' },
  QUERY_PARAMETER_UNSUPPORTED: { status: 501, type: 'epcisException:ImplementationException', title: 'Query parameter not supported by this repository' },
  QUERY_TOO_LARGE: { status: 413, type: 'epcisException:QueryTooLargeException', title: 'Query result is too large' },
  QUERY_TOO_COMPLEX: { status: 413, type: 'epcisException:QueryTooComplexException', title: 'Query is too complex' },
  NO_SUCH_QUERY: { status: 404, type: 'epcisException:NoSuchNameException', title: 'No such named query' },
  QUERY_EXISTS: { status: 409, type: 'epcisException:ResourceAlreadyExistsException', title: 'A named query of that name exists already' },
  QUERY_VALIDATION: { status: 400, type: 'epcisException:QueryValidationException', title: 'Invalid query definition' },
  SUBSCRIPTION_CONTROLS: { status: 400, type: 'epcisException:SubscriptionControlsException', title: 'Invalid subscription controls' },
  WEBHOOK_DESTINATION: { status: 400, type: 'epcisException:SubscriptionControlsException', title: 'Webhook destination refused' },
  TOO_MANY_SUBSCRIPTIONS: { status: 400, type: 'epcisException:SubscriptionControlsException', title: 'Too many subscriptions' },
  NO_SUCH_SUBSCRIPTION: { status: 404, type: 'epcisException:NoSuchSubscriptionException', title: 'No such subscription' },
};

type Handler = (req: Request, res: Response) => Promise<void>;

export function route(handler: Handler) {
  return (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch((err: unknown) => {
      if (err instanceof QueryError) {
        const problem = QUERY_PROBLEMS[err.code];
        sendProblem(res, { type: problem.type, title: problem.title, status: problem.status, detail: err.message, code: err.code, details: err.details });
        return;
      }
      next(err);
    });
  };
}

/** Query-interface routes answer JSON-LD (or XML): see bindingRoute. */
export function binding(offers: readonly BodyFormat[]) {
  return bindingRoute(offers, 'application/ld+json');
}

/** The request's query-string parameters in order, as sent (repeats kept, so they can be refused). */
export function queryParameters(req: Request): [string, string][] {
  return [...new URL(req.originalUrl, 'http://localhost').searchParams.entries()];
}

/** Link to the next page: the same path and parameters, with the new token. */
export function nextLink(req: Request, token: string): string {
  const params = new URLSearchParams(queryParameters(req).filter(([name]) => name !== 'nextPageToken'));
  params.set('nextPageToken', token);
  return `<${req.path}?${params.toString()}>; rel="next"`;
}

export function sendPage(req: Request, res: Response, page: QueryPage): void {
  if (page.nextPageToken !== null) res.setHeader('Link', nextLink(req, page.nextPageToken));
  if (res.locals['format'] === 'xml') res.type('application/xml').send(epcisDocumentToXml(page.document as never));
  else res.type(jsonMediaType(req)).send(JSON.stringify(page.document));
}

/**
 * JSON-LD is JSON: a client that accepts application/json and not application/ld+json (GS1's
 * openapi.json declares application/json) gets the same document labelled as it asked.
 */
export function jsonMediaType(req: Request): string {
  return req.accepts(['application/ld+json', 'application/json']) === 'application/json' ? 'application/json' : 'application/ld+json';
}

export function options(allow: string) {
  return (_req: Request, res: Response) => {
    setDiscoveryHeaders(res, allow);
    res.status(204).end();
  };
}

