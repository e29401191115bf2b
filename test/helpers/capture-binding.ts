import type { TestNode } from './test-node.js';

export interface BindingResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** A request to the EPCIS 2.0 binding (POST /capture by default); `body` as text, or JSON-encoded. */
export async function binding(url: string, init: { method?: string; path?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<BindingResponse> {
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  const res = await fetch(`${url}${init.path ?? '/capture'}`, {
    method: init.method ?? 'POST',
    headers: { ...(body !== undefined && typeof init.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body,
  });
  const text = await res.text();
  let json: any;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Polls the job at `location` until it stops running (bounded). */
export async function finishedJob(url: string, location: string, token: string, timeoutMs = 30_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await binding(url, { method: 'GET', path: location, headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`GET ${location}: ${res.status} ${res.text}`);
    if (res.json.running === false) return res.json;
    if (Date.now() > until) throw new Error(`capture job ${location} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Puts the organisation's key in the node's keystore (the node then hosts it) and issues it an API token. */
export async function hostOrganisation(node: TestNode, orgId: string): Promise<string> {
  node.keystore.save(`test-${orgId}`, node.key(orgId));
  return node.issueToken(orgId, { label: 'binding tests' });
}
