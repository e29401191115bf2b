/**
 * The explorer talks to its own node only: GraphQL at /graphql and a few JSON routes under
 * /explorer/api, with the organisation's API token as a bearer token. The token lives in the tab's
 * sessionStorage: closing the tab signs out.
 */
const TOKEN_KEY = 'provenant.explorer.token';

export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(token: string | null, json: boolean): Record<string, string> {
  return { accept: 'application/json', ...(json ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

async function failureOf(res: Response): Promise<ApiFailure> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ApiFailure(body.error?.code ?? `HTTP_${res.status}`, body.error?.message ?? res.statusText);
  } catch {
    return new ApiFailure(`HTTP_${res.status}`, res.statusText || 'request failed');
  }
}

export async function getJson<T>(path: string, token = storedToken()): Promise<T> {
  const res = await fetch(path, { headers: headers(token, false) });
  if (!res.ok) throw await failureOf(res);
  return (await res.json()) as T;
}

export async function postForBlob(path: string, body: unknown): Promise<{ blob: Blob; headers: Headers }> {
  const res = await fetch(path, { method: 'POST', headers: headers(storedToken(), true), body: JSON.stringify(body) });
  if (!res.ok) throw await failureOf(res);
  return { blob: await res.blob(), headers: res.headers };
}

/** A capture job of the EPCIS 2.0 binding, as GET /capture/{id} answers it. */
export interface CaptureJob {
  captureID: string;
  running: boolean;
  success: boolean;
  errors: { title: string; detail?: string; code?: string; index?: number }[];
  'provenant:results'?: { index: number; eventId: string; status: string; recordHash?: string }[];
}

/**
 * Captures an EPCIS document through POST /capture with the session's token: the node signs each
 * event with the organisation's key it hosts. Resolves once the capture job has ended.
 */
export async function captureDocument(document: Record<string, unknown>, timeoutMs = 30_000): Promise<CaptureJob> {
  const token = storedToken();
  const res = await fetch('/capture', { method: 'POST', headers: { ...headers(token, true), 'gs1-capture-error-behaviour': 'rollback' }, body: JSON.stringify(document) });
  if (res.status !== 202) {
    const problem = (await res.json().catch(() => ({}))) as { code?: string; detail?: string; title?: string };
    throw new ApiFailure(problem.code ?? `HTTP_${res.status}`, problem.detail ?? problem.title ?? res.statusText);
  }
  const location = res.headers.get('location') ?? '';
  const until = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJson<CaptureJob>(location, token);
    if (!job.running) return job;
    if (Date.now() > until) throw new ApiFailure('TIMEOUT', 'the capture is still running; look for the event again in a moment');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const ERROR_TYPES = new Set(['NotFound', 'Forbidden', 'Unauthenticated', 'InvalidIdentifier', 'CaptureRejected']);

/** Runs a query; a field whose result is one of the API's error types becomes an ApiFailure. */
export async function gql<T extends Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch('/graphql', { method: 'POST', headers: headers(storedToken(), true), body: JSON.stringify({ query, variables }) });
  const body = (await res.json().catch(() => ({}))) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new ApiFailure('GRAPHQL', body.errors.map((e) => e.message).join('; '));
  if (!body.data) throw new ApiFailure(`HTTP_${res.status}`, 'no answer from the node');
  for (const value of Object.values(body.data)) {
    const v = value as { __typename?: string; message?: string; code?: string } | null;
    if (v && v.__typename && ERROR_TYPES.has(v.__typename)) throw new ApiFailure(v.__typename, v.message ?? v.__typename);
  }
  return body.data;
}

export interface Session {
  consortium: string;
  consortiumName: string;
  orgId: string;
  orgName: string;
  roles: string[];
  isRegulator: boolean;
}

export interface DemoToken {
  orgId: string;
  name: string;
  roles: string[];
  token: string;
}
