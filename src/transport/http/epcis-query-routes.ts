/**
 * The query interface of the EPCIS 2.0 REST binding (EPCIS 2.0 section 12; GS1 openapi.json):
 * GET /events with the SimpleEventQuery parameters, GET /events/{eventID}, and the top-level
 * resources' /{x}/events (each one a query parameter set from the path). Pages follow
 * `perPage`/`nextPageToken` with a `Link: <...>; rel="next"` header. Answers are
 * EPCISQueryDocuments in JSON-LD, or XML by content negotiation; errors are RFC 9457 problem
 * details with the binding's query exception types.
 */
import type { Express, NextFunction, Request, Response } from 'express';
import { EPCIS_EVENT_TYPES } from '../../core/epcis/epcis-model.js';
import { parseEventQuery, type PagedEventQuery } from '../../core/epcis/query/event-query.js';
import { QueryError, type QueryErrorCode } from '../../core/epcis/query/query-errors.js';
import { epcisDocumentToXml } from '../../core/epcis/xml/index.js';
import { EventQueries, type QueryPage } from '../../services/query/event-queries.js';
import type { AppContext } from './context.js';
import { acceptedFormat, checkVersionHeaders, setDiscoveryHeaders, setVersionHeaders, type BodyFormat } from './epcis-headers.js';
import { ApiError, sendProblem, useProblemDetails } from './errors.js';
import { readContext, readsOf } from './requests.js';

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
  NO_SUCH_SUBSCRIPTION: { status: 404, type: 'epcisException:NoSuchSubscriptionException', title: 'No such subscription' },
};

/** Top-level resources whose members each name one query parameter (GS1 openapi.json, /{resource}/{member}/events). */
const RESOURCE_PARAMETER: Record<string, string> = {
  eventTypes: 'eventType',
  epcs: 'MATCH_anyEPC',
  bizSteps: 'EQ_bizStep',
  bizLocations: 'EQ_bizLocation',
  readPoints: 'EQ_readPoint',
  dispositions: 'EQ_disposition',
};

const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

type Handler = (req: Request, res: Response) => Promise<void>;

function route(handler: Handler) {
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

/** Version headers sent and checked, the answer's format negotiated, errors as problem details. */
function binding(offers: readonly BodyFormat[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    setVersionHeaders(res);
    const format = acceptedFormat(req.header('accept'), offers);
    useProblemDetails(res, format ?? 'json');
    if (!format) return next(new ApiError(406, 'NOT_ACCEPTABLE', `this resource answers in ${offers.map((f) => (f === 'json' ? 'application/ld+json' : 'application/xml')).join(' or ')}`, { accept: req.header('accept') }));
    res.locals['format'] = format;
    try {
      checkVersionHeaders(req);
    } catch (err) {
      return next(err);
    }
    next();
  };
}

/** The request's query-string parameters in order, as sent (repeats kept, so they can be refused). */
function queryParameters(req: Request): [string, string][] {
  return [...new URL(req.originalUrl, 'http://localhost').searchParams.entries()];
}

/** Link to the next page: the same path and parameters, with the new token. */
function nextLink(req: Request, token: string): string {
  const params = new URLSearchParams(queryParameters(req).filter(([name]) => name !== 'nextPageToken'));
  params.set('nextPageToken', token);
  return `<${req.path}?${params.toString()}>; rel="next"`;
}

function sendPage(req: Request, res: Response, page: QueryPage): void {
  if (page.nextPageToken !== null) res.setHeader('Link', nextLink(req, page.nextPageToken));
  if (res.locals['format'] === 'xml') res.type('application/xml').send(epcisDocumentToXml(page.document as never));
  else res.type('application/ld+json').send(JSON.stringify(page.document));
}

function options(allow: string) {
  return (_req: Request, res: Response) => {
    setDiscoveryHeaders(res, allow);
    res.status(204).end();
  };
}

export function mountEpcisQuery(app: Express, ctx: AppContext): EventQueries {
  const reads = readsOf(ctx);
  const queries = new EventQueries(reads.handles);
  const answer = async (req: Request, res: Response, paged: PagedEventQuery) => {
    const rc = await readContext(reads, req);
    sendPage(req, res, await queries.page(rc, paged));
  };

  app.options('/events', options('OPTIONS, GET'));
  app.get(
    '/events',
    binding(['json', 'xml']),
    route(async (req, res) => answer(req, res, parseEventQuery(queryParameters(req)))),
  );

  app.options('/events/:eventID', options('OPTIONS, GET'));
  app.get(
    '/events/:eventID',
    binding(['json', 'xml']),
    route(async (req, res) => {
      const eventId = String(req.params['eventID']);
      const rc = await readContext(reads, req);
      const page = await queries.page(rc, { query: parseEventQuery([['EQ_eventID', eventId]]).query, perPage: 1 });
      const events = (page.document['epcisBody'] as { queryResults: { resultsBody: { eventList: unknown[] } } }).queryResults.resultsBody.eventList;
      // Hidden reads as absent, so event IDs cannot be probed.
      if (events.length === 0) throw new ApiError(404, 'NOT_FOUND', `no captured event with id ${eventId}`, { eventId });
      sendPage(req, res, { ...page, nextPageToken: null });
    }),
  );

  app.options('/eventTypes', options('OPTIONS, GET'));
  app.get(
    '/eventTypes',
    binding(['json']),
    route(async (_req, res) => {
      res.json({ '@context': EPCIS_CONTEXT, type: 'Collection', member: [...EPCIS_EVENT_TYPES] });
    }),
  );

  for (const [resource, parameter] of Object.entries(RESOURCE_PARAMETER)) {
    app.options(`/${resource}/:member`, options('OPTIONS, GET'));
    app.get(
      `/${resource}/:member`,
      binding(['json']),
      route(async (_req, res) => {
        res.json({ '@context': EPCIS_CONTEXT, type: 'Collection', member: ['events'] });
      }),
    );
    app.options(`/${resource}/:member/events`, options('OPTIONS, GET'));
    app.get(
      `/${resource}/:member/events`,
      binding(['json', 'xml']),
      route(async (req, res) => answer(req, res, parseEventQuery([[parameter, String(req.params['member'])], ...queryParameters(req)]))),
    );
  }
  return queries;
}
