/**
 * Off-chain documents: POST /documents (raw bytes, Content-Type kept, ≤ 20 MB) -> { sha256 };
 * GET /documents/:sha256 -> the bytes, re-hashed on every read (DOCUMENT_TAMPERED, never altered bytes).
 *
 * Access rule. With an `authorise` hook (production: API tokens), every request needs a viewer
 * organisation: uploads are recorded against it and must target a consortium it is an active
 * member of. A document is fetched by "anyone entitled" (docs/access.md): among the active members
 * of its consortium, a regulator, its uploader, or an organisation that may see in full an event
 * citing it. Others get 404, so existence is not confirmed. Reads of another organisation's
 * document are access-logged. Without a hook (tests, local demo) all requests are allowed, and a
 * `Provenant-Org` header, if sent, is recorded as the uploader.
 */
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';
import { DocumentStore, MAX_DOCUMENT_BYTES, isDocumentAddress } from '../../store/document-store.js';
import { accessLogWriter } from '../../store/access-log.js';
import { eventsCitingDocument, findEvent } from '../../store/event-index.js';
import { VisibilityStore } from '../../store/visibility-store.js';
import { isRegulator } from '../../core/lineage/visibility.js';

/** Resolves the requesting organisation (e.g. from an API token); null when unauthenticated. */
export type Authorise = (req: Request) => string | null | Promise<string | null>;

export interface AccessOptions {
  authorise?: Authorise;
}

/** Who is asking: `{ enforced: false }` when no hook is configured (everything allowed). */
export type RequestViewer = { enforced: true; orgId: string } | { enforced: false; orgId: string | null };

export async function viewerOf(req: Request, authorise?: Authorise): Promise<RequestViewer> {
  if (!authorise) {
    const header = req.header('provenant-org');
    return { enforced: false, orgId: header && header.trim() !== '' ? header.trim() : null };
  }
  const orgId = await authorise(req);
  if (!orgId) throw new ApiError(401, 'UNAUTHENTICATED', 'this request needs credentials identifying a member organisation');
  return { enforced: true, orgId };
}

/** The consortium a request targets: header, query, or the node's only consortium. */
export function requestConsortium(ctx: AppContext, req: Request, fromBody?: unknown): string {
  const header = req.header('provenant-consortium');
  const query = typeof req.query.consortium === 'string' ? req.query.consortium : undefined;
  const chosen = header ?? query ?? (typeof fromBody === 'string' ? fromBody : undefined);
  const known = ctx.node.consortia();
  if (chosen === undefined) {
    if (known.length === 1) return known[0]!;
    throw new ApiError(400, 'CONSORTIUM_REQUIRED', 'name the consortium (Provenant-Consortium header or ?consortium=)', { known });
  }
  if (!known.includes(chosen)) throw new ApiError(404, 'UNKNOWN_CONSORTIUM', `unknown consortium "${chosen}"`, { consortium: chosen });
  return chosen;
}

export function isActiveMember(ctx: AppContext, consortiumId: string, orgId: string): boolean {
  if (!ctx.node.consortia().includes(consortiumId)) return false;
  return ctx.node.state(consortiumId).orgs.get(orgId)?.status === 'active';
}

const wrap =
  (handler: (req: Request, res: express.Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    handler(req, res).catch(next);
  };

/** Citing events looked at before giving up (a document is cited by a handful of events). */
const MAX_CITING_EVENTS_CHECKED = 200;

/** Regulator, uploader, or a member who may see in full an event citing the document. */
async function mayReadDocument(ctx: AppContext, orgId: string, meta: { sha256: string; consortiumId: string; uploadedByOrg: string | null }): Promise<boolean> {
  if (!isActiveMember(ctx, meta.consortiumId, orgId)) return false;
  const state = ctx.node.state(meta.consortiumId);
  const roles = new Set(state.orgs.get(orgId)?.roles ?? []);
  if (isRegulator({ roles }) || meta.uploadedByOrg === orgId) return true;
  const citing = (await eventsCitingDocument(ctx.db, meta.consortiumId, meta.sha256)).slice(0, MAX_CITING_EVENTS_CHECKED);
  const events = [];
  for (const eventId of citing) {
    const stored = await findEvent(ctx.db, eventId, meta.consortiumId);
    if (!stored) continue;
    const record = JSON.parse(stored.recordBody) as { payload: { event: unknown } };
    events.push({ eventId, consortiumId: meta.consortiumId, signerOrg: stored.submitterOrg, event: record.payload.event });
  }
  if (events.length === 0) return false;
  const { decisions } = await new VisibilityStore(ctx.db, meta.consortiumId, state).decideEvents({ orgId, consortiumId: meta.consortiumId, roles }, events);
  // A redacted event withholds its provenant:* fields, documents included.
  return [...decisions.values()].some((d) => d.visibility === 'VISIBLE');
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;

export function mountDocuments(app: Express, ctx: AppContext, options: AccessOptions = {}): DocumentStore {
  const documents = new DocumentStore(ctx.db);
  const rawBody = express.raw({ type: () => true, limit: MAX_DOCUMENT_BYTES });

  app.post(
    '/documents',
    rawBody,
    wrap(async (req, res) => {
      const viewer = await viewerOf(req, options.authorise);
      const consortiumId = requestConsortium(ctx, req);
      if (viewer.enforced && !isActiveMember(ctx, consortiumId, viewer.orgId)) {
        throw new ApiError(403, 'NOT_AUTHORISED', `organisation "${viewer.orgId}" is not an active member of "${consortiumId}"`, { orgId: viewer.orgId, consortium: consortiumId });
      }
      const bytes: unknown = req.body;
      if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw new ApiError(400, 'EMPTY_DOCUMENT', 'send the document bytes as the request body');
      const mediaType = (req.header('content-type') ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
      if (!MEDIA_TYPE.test(mediaType)) throw new ApiError(400, 'MALFORMED_MEDIA_TYPE', 'Content-Type is not a media type', { actual: mediaType });
      const stored = await documents.put({ consortiumId, bytes: new Uint8Array(bytes), mediaType, uploadedByOrg: viewer.orgId });
      res.status(stored.created ? 201 : 200).json({ sha256: stored.sha256, size: stored.size, mediaType: stored.mediaType, consortium: stored.consortiumId });
    }),
  );

  app.get(
    '/documents/:sha256',
    wrap(async (req, res) => {
      const viewer = await viewerOf(req, options.authorise);
      const address = String(req.params.sha256);
      if (!isDocumentAddress(address)) {
        throw new ApiError(400, 'MALFORMED_DOCUMENT_ADDRESS', 'document address must be 64 lower-case hex characters', { field: 'sha256' });
      }
      const notFound = new ApiError(404, 'DOCUMENT_NOT_FOUND', `no document ${address}`, { sha256: address });
      const meta = await documents.meta(address);
      if (!meta) throw notFound;
      if (viewer.enforced && !(await mayReadDocument(ctx, viewer.orgId, meta))) throw notFound;
      const doc = await documents.get(address); // throws DOCUMENT_TAMPERED before a byte is sent
      if (!doc) throw notFound;
      if (viewer.enforced && meta.uploadedByOrg !== viewer.orgId) {
        accessLogWriter(ctx.db).add({
          consortiumId: meta.consortiumId,
          viewerOrgId: viewer.orgId,
          ownerOrgId: meta.uploadedByOrg ?? 'unknown',
          subjectType: 'Document',
          subjectId: address,
          accessedAt: new Date().toISOString(),
        });
      }
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
