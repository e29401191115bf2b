/**
 * The web explorer: its built files (web/dist) at `/`, served by the node itself so it works offline,
 * the few JSON routes it needs beside GraphQL under /explorer/api, and the GS1 Digital Link resolver.
 * Demo sign-in tokens are listed only when the node was started with --demo (enableDemoSignIn).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Express, type Request } from 'express';
import { issueDemoTokens, type DemoToken } from '../../services/explorer.js';
import type { ReadContext } from '../../services/read-context.js';
import type { ReadServices } from '../../services/read-services.js';
import type { AppContext } from './context.js';
import { mountDigitalLink } from './digital-link-routes.js';
import { ApiError } from './errors.js';
import { readContext, readsOf } from './requests.js';

export const WEB_DIST_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));
const DEMO_SIGN_IN = 'provenantDemoSignIn';

/** Marks the app as a demo node: the explorer's sign-in page then lists demo tokens. */
export function enableDemoSignIn(app: Express): void {
  app.locals[DEMO_SIGN_IN] = true;
}

/** The request's read context; every explorer route but the demo tokens is for signed-in members. */
async function signedIn(reads: ReadServices, req: Request): Promise<ReadContext> {
  const rc = await readContext(reads, req);
  if (!rc.viewer) throw new ApiError(401, 'UNAUTHENTICATED', rc.authProblem ?? 'sign in with an API token (Authorization: Bearer <token>)');
  return rc;
}

function requiredString(req: Request, name: string): string {
  const v = req.query[name];
  if (typeof v !== 'string' || v.trim() === '') throw new ApiError(400, 'BAD_REQUEST', `query parameter ${name} is required`);
  return v.trim();
}

function mountApi(app: Express, ctx: AppContext): void {
  const api = express.Router();
  const reads = readsOf(ctx);
  let demoTokens: Promise<DemoToken[]> | undefined;
  api.get('/demo-tokens', async (_req, res) => {
    if (app.locals[DEMO_SIGN_IN] !== true) return void res.json({ demo: false, tokens: [] });
    // Issued once per node run, when the page first asks.
    demoTokens ??= issueDemoTokens(ctx.node, ctx.db).catch((err: unknown) => ((demoTokens = undefined), Promise.reject(err)));
    res.set('Cache-Control', 'no-store').json({ demo: true, tokens: await demoTokens });
  });
  api.get('/session', async (req, res) => void res.json(reads.explorer.session(await signedIn(reads, req))));
  api.get('/roles-at', async (req, res) => {
    const rc = await signedIn(reads, req);
    res.json(reads.explorer.rolesAt(rc, requiredString(req, 'org'), Number(requiredString(req, 'logIndex'))));
  });
  api.get('/temperature-legs', async (req, res) => {
    const rc = await signedIn(reads, req);
    res.json({ legs: await reads.explorer.temperatureLegs(rc, requiredString(req, 'subject')) });
  });
  api.post('/bundle', express.json({ limit: '1mb' }), async (req, res) => {
    const rc = await signedIn(reads, req);
    const body = req.body as { records?: unknown[]; query?: unknown; identifiers?: unknown } | undefined;
    // With a query: the answer's v2 bundle, identifiers derived by the node; else the records' v1 bundle.
    const { bundle, omitted } = body?.query !== undefined ? await reads.explorer.answerBundle(rc, body as { query: unknown }) : await reads.explorer.proofBundle(rc, body?.records ?? []);
    // The body is the bundle exactly as `provenant verify-bundle` reads it; what was left out goes in headers.
    res.set('X-Provenant-Omitted-Records', String(omitted.length));
    if (omitted.length > 0) res.set('X-Provenant-Omitted', omitted.slice(0, 50).map((o) => o.recordHash).join(','));
    res.set('Content-Disposition', `attachment; filename="provenant-proof-bundle-${bundle.checkpoint.logSize}.json"`);
    res.json(bundle);
  });
  app.use('/explorer/api', api);
}

/** The page and its assets: public files with no member data (the data comes from GraphQL, with a token). */
function mountStatic(app: Express): void {
  const index = `${WEB_DIST_DIR}index.html`;
  // Hashed file names under /assets never change content.
  app.use('/assets', express.static(`${WEB_DIST_DIR}assets`, { immutable: true, maxAge: '365d', index: false, fallthrough: true }));
  app.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path !== '/') return next();
    if (!existsSync(index)) {
      res.status(503).type('text').send('The explorer is not built: run `npm ci` (it builds web/dist), or `npm run web:build`.\n');
      return;
    }
    res.set('Cache-Control', 'no-cache').sendFile(index);
  });
}

export function mountExplorer(app: Express, ctx: AppContext): void {
  mountApi(app, ctx);
  mountDigitalLink(app, ctx);
  mountStatic(app);
}
