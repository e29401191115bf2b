/**
 * Named queries of the EPCIS 2.0 REST binding (GS1 openapi.json, /queries): POST a definition
 * (201 with its Location), list, read and delete them, and run one with GET /queries/{name}/events,
 * paged like GET /events. Each organisation sees and runs only its own.
 */
import express, { type Express, type Request } from 'express';
import { parseEventQuery } from '../../core/epcis/query/event-query.js';
import { queryParameterError } from '../../core/epcis/query/query-errors.js';
import type { EventQueries } from '../../services/query/event-queries.js';
import { NamedQueries } from '../../services/query/named-queries.js';
import type { AppContext } from './context.js';
import { requestBodyFormat } from './epcis-headers.js';
import { binding, nextLink, options, queryParameters, route, sendPage } from './epcis-query-http.js';
import { ApiError } from './errors.js';
import { readContext, readsOf } from './requests.js';
import { requireViewer } from '../../services/read-context.js';

/** perPage and nextPageToken: the only parameters a named query's run and the list of queries take. */
function paging(req: Request): { perPage: number; nextPageToken?: string } {
  const params = queryParameters(req);
  const other = params.find(([name]) => name !== 'perPage' && name !== 'nextPageToken');
  if (other) throw queryParameterError(`unknown query parameter ${other[0]} (a named query's parameters are its definition's)`, { parameter: other[0] });
  const { perPage, nextPageToken } = parseEventQuery(params);
  return { perPage, ...(nextPageToken !== undefined ? { nextPageToken } : {}) };
}

export function mountNamedQueries(app: Express, ctx: AppContext, events: EventQueries): NamedQueries {
  const reads = readsOf(ctx);
  const queries = new NamedQueries(reads.handles, events);
  const json = express.json({ limit: '64kb', type: () => true });
  const member = async (req: Request) => {
    const rc = await readContext(reads, req);
    requireViewer(rc);
    return rc;
  };

  app.options('/queries', options('OPTIONS, GET, POST'));
  app.post(
    '/queries',
    binding(['json']),
    (req, _res, next) => {
      if (requestBodyFormat(req.header('content-type')) !== 'json') return next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'a query definition is application/json', { contentType: req.header('content-type') ?? null }));
      next();
    },
    json,
    route(async (req, res) => {
      const created = await queries.create(await readContext(reads, req), req.body);
      res.status(201).location(`/queries/${encodeURIComponent(created.name)}`).end();
    }),
  );
  app.get(
    '/queries',
    binding(['json']),
    route(async (req, res) => {
      const rc = await member(req);
      const { perPage, nextPageToken } = paging(req);
      const list = await queries.list(rc, perPage, nextPageToken);
      if (list.nextPageToken !== null) res.setHeader('Link', nextLink(req, list.nextPageToken));
      res.json(list.queries);
    }),
  );

  app.options('/queries/:queryName', options('OPTIONS, GET, DELETE'));
  app.get(
    '/queries/:queryName',
    binding(['json']),
    route(async (req, res) => {
      res.json(await queries.get(await readContext(reads, req), String(req.params['queryName'])));
    }),
  );
  app.delete(
    '/queries/:queryName',
    binding(['json']),
    route(async (req, res) => {
      await queries.delete(await readContext(reads, req), String(req.params['queryName']));
      res.status(204).end();
    }),
  );

  app.options('/queries/:queryName/events', options('OPTIONS, GET'));
  app.get(
    '/queries/:queryName/events',
    binding(['json', 'xml']),
    route(async (req, res) => {
      const rc = await member(req);
      const { perPage, nextPageToken } = paging(req);
      sendPage(req, res, await queries.page(rc, String(req.params['queryName']), perPage, nextPageToken));
    }),
  );
  return queries;
}
