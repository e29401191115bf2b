/**
 * The query interface of the EPCIS 2.0 REST binding (EPCIS 2.0 section 12; GS1 openapi.json):
 * GET /events with the SimpleEventQuery parameters, GET /events/{eventID}, the top-level lists
 * (GET /bizSteps etc.: value-lists.ts), and the top-level resources' /{x}/events (each one a query parameter set from the path), and the named queries
 * (epcis-named-query-routes.ts). Pages follow
 * `perPage`/`nextPageToken` with a `Link: <...>; rel="next"` header. Answers are
 * EPCISQueryDocuments in JSON-LD, or XML by content negotiation; errors are RFC 9457 problem
 * details with the binding's query exception types.
 */
import type { Express, Request, Response } from 'express';
import { EPCIS_EVENT_TYPES } from '../../core/epcis/epcis-model.js';
import { parseEventQuery, type PagedEventQuery } from '../../core/epcis/query/event-query.js';
import { parseValueListRequest, VALUE_RESOURCES, type ValueResource } from '../../core/epcis/query/value-list.js';
import { EventQueries } from '../../services/query/event-queries.js';
import { ValueLists } from '../../services/query/value-lists.js';
import { DEFAULT_SOCKET_OPTIONS, SocketSubscriptions, type SocketSubscriptionOptions } from '../../services/query/socket-subscriptions.js';
import { mountQuerySockets } from './epcis-websocket-routes.js';
import type { AppContext } from './context.js';
import { binding, nextLink, options, queryParameters, route, sendPage } from './epcis-query-http.js';
import { mountNamedQueries } from './epcis-named-query-routes.js';
import { mountQuerySubscriptions } from './epcis-subscription-routes.js';
import { fetchWebhookSender } from './webhook-sender.js';
import { STRICT_WEBHOOK_POLICY, type WebhookPolicy } from '../../core/epcis/query/webhook-destination.js';
import { WebhookGuard, type ResolveHost } from '../../services/query/webhook-guard.js';
import { DEFAULT_SUBSCRIPTION_OPTIONS, QuerySubscriptions, type SubscriptionOptions, type WebhookSender } from '../../services/query/query-subscriptions.js';
import { ApiError } from './errors.js';
import { readContext, readsOf } from './requests.js';
import { requireViewer } from '../../services/read-context.js';

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

export interface QueryRouteOptions {
  subscriptions?: Partial<SubscriptionOptions>;
  /** How webhook deliveries are sent (default: fetch). */
  sender?: WebhookSender;
  /** WebSocket subscriptions: how often a stream looks for new events, events per message. */
  sockets?: Partial<SocketSubscriptionOptions>;
  /** Where webhooks may deliver (default: the node's configuration, else https to public addresses only). */
  webhooks?: WebhookPolicy;
  /** How webhook host names are resolved (default: the system resolver). */
  resolveHost?: ResolveHost;
  /** Deliver due subscriptions in the background (default true; tests may drive deliverDue themselves). */
  deliver?: boolean;
}

export interface MountedQueries {
  events: EventQueries;
  subscriptions: QuerySubscriptions;
  /** Stops delivering subscriptions. */
  close(): Promise<void>;
}

export function mountEpcisQuery(app: Express, ctx: AppContext, routeOptions: QueryRouteOptions = {}): MountedQueries {
  const reads = readsOf(ctx);
  const queries = new EventQueries(reads.handles);
  /** Members only, before anything else is looked at (an anonymous caller learns nothing from a 400). */
  const member = async (req: Request) => {
    const rc = await readContext(reads, req);
    requireViewer(rc);
    return rc;
  };
  const answer = async (req: Request, res: Response, paged: () => PagedEventQuery) => {
    const rc = await member(req);
    sendPage(req, res, await queries.page(rc, paged()));
  };

  app.options('/events', options('OPTIONS, GET'));
  app.get(
    '/events',
    binding(['json', 'xml']),
    route(async (req, res) => answer(req, res, () => parseEventQuery(queryParameters(req)))),
  );

  app.options('/events/:eventID', options('OPTIONS, GET'));
  app.get(
    '/events/:eventID',
    binding(['json', 'xml']),
    route(async (req, res) => {
      const eventId = String(req.params['eventID']);
      const rc = await member(req);
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
    route(async (req, res) => {
      await member(req);
      res.json({ '@context': EPCIS_CONTEXT, type: 'Collection', member: [...EPCIS_EVENT_TYPES] });
    }),
  );

  const lists = new ValueLists(reads.handles, queries);
  for (const resource of Object.keys(VALUE_RESOURCES) as ValueResource[]) {
    app.options(`/${resource}`, options('OPTIONS, GET'));
    app.get(
      `/${resource}`,
      binding(['json']),
      route(async (req, res) => {
        const rc = await member(req);
        const page = await lists.page(rc, resource, parseValueListRequest(resource, queryParameters(req)));
        if (page.nextPageToken !== null) res.setHeader('Link', nextLink(req, page.nextPageToken));
        res.json({ '@context': EPCIS_CONTEXT, type: 'Collection', member: page.values });
      }),
    );
  }

  for (const [resource, parameter] of Object.entries(RESOURCE_PARAMETER)) {
    app.options(`/${resource}/:member`, options('OPTIONS, GET'));
    app.get(
      `/${resource}/:member`,
      binding(['json']),
      route(async (req, res) => {
        await member(req);
        res.json({ '@context': EPCIS_CONTEXT, type: 'Collection', member: ['events'] });
      }),
    );
    app.options(`/${resource}/:member/events`, options('OPTIONS, GET'));
    app.get(
      `/${resource}/:member/events`,
      binding(['json', 'xml']),
      route(async (req, res) => answer(req, res, () => parseEventQuery([[parameter, String(req.params['member'])], ...queryParameters(req)]))),
    );
  }
  // Before the named queries' GET /queries/{name}/events, which answers every request without an upgrade.
  const socketRoutes = mountQuerySockets(app, reads, () => sockets);
  const named = mountNamedQueries(app, ctx, queries);
  const sockets = new SocketSubscriptions(reads.handles, named, queries, { ...DEFAULT_SOCKET_OPTIONS, ...routeOptions.sockets });
  const guard = new WebhookGuard(routeOptions.webhooks ?? ctx.config?.webhooks ?? STRICT_WEBHOOK_POLICY, ...(routeOptions.resolveHost ? [routeOptions.resolveHost] : []));
  const subscriptions = new QuerySubscriptions(reads.handles, named, queries, routeOptions.sender ?? fetchWebhookSender(), { ...DEFAULT_SUBSCRIPTION_OPTIONS, ...routeOptions.subscriptions }, guard);
  mountQuerySubscriptions(app, reads, subscriptions);
  const delivery = routeOptions.deliver === false ? null : subscriptions.start();
  return {
    events: queries,
    subscriptions,
    close: async () => {
      socketRoutes.close();
      await delivery?.close();
    },
  };
}
