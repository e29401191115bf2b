/**
 * A node with the capture tests' consortium behind the EPCIS binding's capture and query routes,
 * so events captured through POST /capture can be queried (and subscriptions delivered).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { expect } from 'vitest';
import { loadConfig } from '../../../src/platform/config.js';
import { mountCapture } from '../../../src/transport/http/capture-routes.js';
import { mountEpcisQuery, type MountedQueries, type QueryRouteOptions } from '../../../src/transport/http/epcis-query-routes.js';
import { ApiError, errorHandler } from '../../../src/transport/http/errors.js';
import { binding, finishedJob, hostOrganisation, startHarness, type BindingResponse, type Harness } from '../capture/harness.js';

export interface QueryNode {
  h: Harness;
  url: string;
  /** API token of 'omni' (every role), whose key the node hosts: it captures. */
  omni: string;
  query: MountedQueries;
  close(): Promise<void>;
}

export async function startQueryNode(options: QueryRouteOptions = {}): Promise<QueryNode> {
  const h = await startHarness();
  const omni = await hostOrganisation(h, 'omni');
  const ctx = { node: h.temp.node, store: h.temp.store, db: h.temp.db, keystore: h.temp.keystore, config: loadConfig({ dataDir: h.temp.dataDir }) };
  const app = express();
  const capture = mountCapture(app, ctx);
  const query = mountEpcisQuery(app, ctx, options);
  app.use((req, _res, next) => next(new ApiError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(() => undefined));
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    h,
    url,
    omni,
    query,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await query.close();
      await capture.close();
      await h.close();
    },
  };
}

/** Captures a document through POST /capture as 'omni' (or the given token) and waits for its job; returns the job. */
export async function captureDocument(node: QueryNode, body: unknown, contentType = 'application/json', token = node.omni): Promise<any> {
  const res = await binding(node.url, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { authorization: `Bearer ${token}`, 'content-type': contentType } });
  expect(res.status, res.text).toBe(202);
  return finishedJob(node.url, res.headers.get('location')!, token);
}

export function getAs(node: QueryNode, path: string, token: string | null, headers: Record<string, string> = {}): Promise<BindingResponse> {
  return binding(node.url, { method: 'GET', path, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
}

export function eventsOf(res: BindingResponse): Record<string, any>[] {
  return res.json.epcisBody.queryResults.resultsBody.eventList;
}
