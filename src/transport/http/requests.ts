/** Who a REST request comes from: the read context of its API token, and the caller of the document and person routes. */
import type { Request } from 'express';
import type { Caller } from '../../services/callers.js';
import type { ReadContext } from '../../services/read-context.js';
import { ReadServices } from '../../services/read-services.js';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';

/** The services of the app (createApp shares one; a route mounted alone makes its own). */
export function readsOf(ctx: AppContext): ReadServices {
  return ctx.reads ?? new ReadServices(ctx);
}

export async function readContext(reads: ReadServices, req: Request): Promise<ReadContext> {
  return reads.context(req.headers.authorization);
}

/** Names the calling organisation and its consortium (e.g. from an API token); null when unauthenticated. */
export type Authorise = (req: Request) => { orgId: string; consortiumId: string } | null | Promise<{ orgId: string; consortiumId: string } | null>;

export interface AccessOptions {
  authorise?: Authorise;
}

/** The caller: a member named by the hook (401 without credentials), or, with no hook configured, the organisation a Provenant-Org header names. */
export async function callerOf(req: Request, authorise?: Authorise): Promise<Caller> {
  if (!authorise) {
    const header = req.header('provenant-org');
    return { kind: 'open', orgId: header && header.trim() !== '' ? header.trim() : null };
  }
  const who = await authorise(req);
  if (!who) throw new ApiError(401, 'UNAUTHENTICATED', 'this request needs credentials identifying a member organisation');
  return { kind: 'member', orgId: who.orgId, consortiumId: who.consortiumId };
}

/** The consortium a request names: header, query, or (for JSON bodies) the body's field. */
export function namedConsortium(req: Request, fromBody?: unknown): string | undefined {
  const header = req.header('provenant-consortium');
  const query = typeof req.query.consortium === 'string' ? req.query.consortium : undefined;
  return header ?? query ?? (typeof fromBody === 'string' ? fromBody : undefined);
}
