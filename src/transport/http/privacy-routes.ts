/**
 * Personal data off-chain (UK GDPR).
 *   POST /persons { data: { name, role?, ... }, consortium? } -> 201 { personRef }   (the commitment)
 *   GET  /persons/:ref -> { personRef, orgId, data, createdAt }   (entitled only)
 *   POST /persons/:ref/erasure <signed privacy.erasure record> -> { recordHash, erasedAt }
 *
 * Events carry `"provenant:personRef": "<commitment>"`; the chain never holds the data. Who may do
 * what is the person service's (services/persons.ts, docs/access.md): a member registers people in
 * its own consortium; the registering organisation and the consortium's regulators read them; only
 * the registering organisation may erase, and the erasure record's signature is its credential (no
 * API token needed). Without an `authorise` hook the `Provenant-Org` header names the organisation
 * (tests, local demo), and reads without one are allowed.
 */
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';
import type { PersonService } from '../../services/persons.js';
import { callerOf, namedConsortium, readsOf, type AccessOptions } from './requests.js';

const wrap =
  (handler: (req: Request, res: express.Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    handler(req, res).catch(next);
  };

export function mountPrivacy(app: Express, ctx: AppContext, options: AccessOptions = {}): PersonService {
  const reads = readsOf(ctx);
  const persons = reads.persons;
  const json = express.json({ limit: '64kb' });

  app.post(
    '/persons',
    json,
    wrap(async (req, res) => {
      const caller = await callerOf(req, options.authorise);
      const body: unknown = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'MALFORMED_REQUEST', 'body must be { data: { name, ... } }');
      const { data, consortium } = body as { data?: unknown; consortium?: unknown };
      const consortiumId = reads.documents.consortiumFor(namedConsortium(req, consortium));
      res.status(201).json(await persons.register(caller, consortiumId, data));
    }),
  );

  app.get(
    '/persons/:ref',
    wrap(async (req, res) => {
      const caller = await callerOf(req, options.authorise);
      const access = reads.accessLog.recorder(caller.kind === 'member' ? caller : null);
      res.json(await persons.read(caller, String(req.params.ref), access));
    }),
  );

  app.post(
    '/persons/:ref/erasure',
    json,
    wrap(async (req, res) => {
      res.status(200).json(await persons.erase(String(req.params.ref), req.body));
    }),
  );
  return persons;
}
