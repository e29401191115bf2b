import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { loadConfig } from '../../../src/platform/config.js';
import type { AppContext } from '../../../src/transport/http/context.js';
import { errorHandler, ApiError } from '../../../src/transport/http/errors.js';
import { mountDocuments, type Authorise } from '../../../src/transport/http/document-routes.js';
import { mountPrivacy } from '../../../src/transport/http/privacy-routes.js';
import { startTempNode, type TempNode } from '../../helpers/temp-node.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';

export interface TestApp {
  node: TempNode;
  ctx: AppContext;
  url: string;
  logged: unknown[];
  close(): Promise<void>;
}

/** A stand-in for API tokens: the bearer token is the org id, a member of `consortiumId` (the demo consortium by default). */
export function bearerIsOrg(consortiumId: string = DEMO_CONSORTIUM_ID): Authorise {
  return (req) => {
    const org = req.header('authorization')?.replace(/^Bearer /, '');
    return org ? { orgId: org, consortiumId } : null;
  };
}

/** A temp node with the document and privacy routes mounted as server.ts will mount them. */
export async function startTestApp(options: { authorise?: Authorise } = {}): Promise<TestApp> {
  const node = await startTempNode();
  const ctx: AppContext = { node: node.node, store: node.store, db: node.db, keystore: node.keystore, config: loadConfig({ dataDir: node.dataDir }) };
  const app = express();
  mountDocuments(app, ctx, { authorise: options.authorise });
  mountPrivacy(app, ctx, { authorise: options.authorise });
  app.use((req, _res, next) => next(new ApiError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  const logged: unknown[] = [];
  app.use(errorHandler((err) => logged.push(err)));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    node,
    ctx,
    url,
    logged,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await node.destroy();
    },
  };
}

/** Every error answer is JSON { error: { code, message } } with no stack trace. */
export async function expectJsonError(response: Response, status: number, code: string): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected HTTP ${status}, got ${response.status}: ${text}`);
  if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) throw new Error(`error is not JSON: ${text}`);
  if (/\n\s+at |node_modules|\.ts:\d+/.test(text)) throw new Error(`error leaks a stack trace: ${text}`);
  const body = JSON.parse(text) as { error: { code: string; message: string; details?: Record<string, unknown> } };
  if (body.error?.code !== code) throw new Error(`expected code ${code}, got ${text}`);
  if (typeof body.error.message !== 'string' || body.error.message === '') throw new Error(`error has no message: ${text}`);
  return body.error;
}
