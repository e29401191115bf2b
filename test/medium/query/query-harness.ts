/**
 * A test node with the capture tests' consortium behind the EPCIS binding's capture and query
 * routes (startTestNode with these routes only), so events captured through POST /capture can be
 * queried, and subscriptions delivered on the timings a test gives.
 */
import { expect } from 'vitest';
import { mountCapture } from '../../../src/transport/http/capture-routes.js';
import { mountEpcisQuery, type MountedQueries, type QueryRouteOptions } from '../../../src/transport/http/epcis-query-routes.js';
import { binding, finishedJob, hostOrganisation, type BindingResponse } from '../../helpers/capture-binding.js';
import { captureTestNodeOptions } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

export interface QueryNode {
  t: TestNode;
  url: string;
  /** API token of 'omni' (every role), whose key the node hosts: it captures. */
  omni: string;
  /** API token of the regulator 'auth', who may read every event. */
  auth: string;
  query: MountedQueries;
  close(): Promise<void>;
}

export async function startQueryNode(options: QueryRouteOptions = {}): Promise<QueryNode> {
  let query: MountedQueries | undefined;
  const t = await startTestNode({
    ...captureTestNodeOptions(),
    http: {
      routes: (app, ctx) => {
        mountCapture(app, ctx);
        // The webhook receivers of these tests listen on loopback over http: the node is told to allow it.
        const mounted = mountEpcisQuery(app, ctx, { webhooks: { allowHttp: true, allowPrivateAddresses: true }, ...options });
        query = mounted;
        return { close: () => mounted.close() };
      },
    },
  });
  const omni = await hostOrganisation(t, 'omni');
  return { t, url: t.url, omni, auth: t.tokens['auth']!, query: query!, close: () => t.destroy() };
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
