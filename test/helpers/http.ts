/** Calls on a test node's HTTP API, and what every error answer must look like. */
import { mountDocuments, type Authorise } from '../../src/transport/http/document-routes.js';
import { mountPrivacy } from '../../src/transport/http/privacy-routes.js';
import type { MountRoutes, TestNode } from './test-node.js';
import { DEMO_CONSORTIUM_ID } from './consortia.js';

/** POST /epcis/capture; the body parsed as JSON when it is JSON. */
export async function post(url: string, body: unknown, query = '', headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/epcis/capture${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, body: json };
}

/** GET /epcis/events/:id with an API token (reads are for members only). */
export async function getEvent(url: string, token: string, eventId: string) {
  const res = await fetch(`${url}/epcis/events/${encodeURIComponent(eventId)}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
}

/** Rows in a table of the node's database. */
export async function count(node: Pick<TestNode, 'db'>, table: 'LedgerRecord' | 'EpcisEvent' | 'Custody' | 'EventIdentifier'): Promise<number> {
  const rows = await node.db.$queryRawUnsafe<{ n: bigint | number }[]>(`SELECT count(*) AS n FROM "${table}"`);
  return Number(rows[0]!.n);
}

/** A stand-in for API tokens: the bearer token is the org id, a member of `consortiumId` (the demo consortium by default). */
export function bearerIsOrg(consortiumId: string = DEMO_CONSORTIUM_ID): Authorise {
  return (req) => {
    const org = req.header('authorization')?.replace(/^Bearer /, '');
    return org ? { orgId: org, consortiumId } : null;
  };
}

/** The document and privacy routes as the node's app mounts them, with the given authorise hook (none: open access). */
export function documentRoutes(authorise?: Authorise): MountRoutes {
  return (app, ctx) => {
    mountDocuments(app, ctx, { authorise });
    mountPrivacy(app, ctx, { authorise });
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
