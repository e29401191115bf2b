/**
 * Query subscriptions of the EPCIS 2.0 REST binding (GS1 openapi.json,
 * /queries/{queryName}/subscriptions): webhook streams of an organisation's named query, and
 * Provenant's delivery log of each (/queries/{queryName}/subscriptions/{id}/deliveries).
 */
import express, { type Express } from 'express';
import type { QuerySubscriptions } from '../../services/query/query-subscriptions.js';
import type { ReadServices } from '../../services/read-services.js';
import { requestBodyFormat } from './epcis-headers.js';
import { binding, options, route } from './epcis-query-http.js';
import { ApiError } from './errors.js';
import { readContext } from './requests.js';

export function mountQuerySubscriptions(app: Express, reads: ReadServices, subscriptions: QuerySubscriptions): void {
  const json = express.json({ limit: '16kb', type: () => true });
  const base = '/queries/:queryName/subscriptions';
  const name = (params: Record<string, unknown>) => String(params['queryName']);

  app.options(base, options('OPTIONS, GET, POST'));
  app.post(
    base,
    binding(['json']),
    (req, _res, next) => {
      if (requestBodyFormat(req.header('content-type')) !== 'json') return next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'a subscription is application/json', { contentType: req.header('content-type') ?? null }));
      next();
    },
    json,
    route(async (req, res) => {
      const created = await subscriptions.subscribe(await readContext(reads, req), name(req.params), req.body);
      res.status(201).location(`/queries/${encodeURIComponent(name(req.params))}/subscriptions/${created.subscriptionID}`).json(created);
    }),
  );
  app.get(
    base,
    binding(['json']),
    route(async (req, res) => {
      res.json(await subscriptions.list(await readContext(reads, req), name(req.params)));
    }),
  );

  app.options(`${base}/:subscriptionID`, options('OPTIONS, GET, DELETE'));
  app.get(
    `${base}/:subscriptionID`,
    binding(['json']),
    route(async (req, res) => {
      res.json(await subscriptions.get(await readContext(reads, req), name(req.params), String(req.params['subscriptionID'])));
    }),
  );
  app.delete(
    `${base}/:subscriptionID`,
    binding(['json']),
    route(async (req, res) => {
      await subscriptions.unsubscribe(await readContext(reads, req), name(req.params), String(req.params['subscriptionID']));
      res.status(204).end();
    }),
  );

  app.get(
    `${base}/:subscriptionID/deliveries`,
    binding(['json']),
    route(async (req, res) => {
      res.json(await subscriptions.deliveries(await readContext(reads, req), name(req.params), String(req.params['subscriptionID'])));
    }),
  );
}
