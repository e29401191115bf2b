/**
 * Off-chain documents: POST /documents (raw bytes, Content-Type kept, ≤ 20 MB) -> { sha256 };
 * GET /documents/:sha256 -> the bytes, re-hashed on every read (DOCUMENT_TAMPERED, never altered bytes).
 *
 * Who may do what is the document service's (services/documents.ts, docs/access.md): with an
 * `authorise` hook (production: API tokens) every request needs a member of one consortium, which
 * uploads only into its own consortium and reads what the read policy shows it (404 otherwise, so
 * existence is not confirmed). Without a hook (tests, local demo) all requests are allowed, and a
 * `Provenant-Org` header, if sent, is recorded as the uploader.
 */
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { AppContext } from './context.js';
import { MAX_DOCUMENT_BYTES, type DocumentService } from '../../services/documents.js';
import { callerOf, namedConsortium, readsOf, type AccessOptions } from './requests.js';

export type { AccessOptions, Authorise } from './requests.js';

const wrap =
  (handler: (req: Request, res: express.Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    handler(req, res).catch(next);
  };

export function mountDocuments(app: Express, ctx: AppContext, options: AccessOptions = {}): DocumentService {
  const reads = readsOf(ctx);
  const documents = reads.documents;
  const rawBody = express.raw({ type: () => true, limit: MAX_DOCUMENT_BYTES });

  app.post(
    '/documents',
    rawBody,
    wrap(async (req, res) => {
      const caller = await callerOf(req, options.authorise);
      const consortiumId = documents.consortiumFor(namedConsortium(req));
      const body: unknown = req.body;
      const bytes = Buffer.isBuffer(body) ? new Uint8Array(body) : undefined;
      const stored = await documents.upload(caller, consortiumId, bytes, req.header('content-type'));
      res.status(stored.created ? 201 : 200).json({ sha256: stored.sha256, size: stored.size, mediaType: stored.mediaType, consortium: stored.consortiumId });
    }),
  );

  app.get(
    '/documents/:sha256',
    wrap(async (req, res) => {
      const caller = await callerOf(req, options.authorise);
      const access = reads.accessLog.recorder(caller.kind === 'member' ? caller : null);
      const doc = await documents.read(caller, String(req.params.sha256), access);
      res.status(200);
      res.setHeader('content-type', doc.mediaType);
      res.setHeader('content-length', String(doc.bytes.length));
      res.setHeader('etag', `"${doc.sha256}"`);
      res.setHeader('cache-control', 'private, max-age=31536000, immutable');
      res.setHeader('x-content-type-options', 'nosniff');
      res.end(Buffer.from(doc.bytes));
    }),
  );
  return documents;
}
