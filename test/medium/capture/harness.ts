import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { encodePublicKey, generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import { ROLES, type Role } from '../../../src/core/ledger/governance.js';
import { RecordKind, formatTimestamp, signRecord } from '../../../src/core/ledger/record.js';
import { loadConfig } from '../../../src/platform/config.js';
import { errorHandler, ApiError } from '../../../src/transport/http/errors.js';
import { mountCapture, type CaptureRouteOptions } from '../../../src/transport/http/capture-routes.js';
import type { CaptureService } from '../../../src/services/capture/capture-service.js';
import { startTempNode, type TempNode } from '../../helpers/temp-node.js';
import { issueToken } from '../../../src/store/token-store.js';

export const TEST_CONSORTIUM = 'capture-test';

/** Test orgs: 'auth' (sole authority, REGULATOR), 'omni' (every role, FSA approved), and one per role. */
export interface Harness {
  temp: TempNode;
  url: string;
  keys: Map<string, KeyPair>;
  service: CaptureService;
  /** API token of the regulator 'auth', who may read every event. */
  readToken: string;
  close(): Promise<void>;
}

export async function startHarness(options: CaptureRouteOptions = {}): Promise<Harness> {
  const temp = await startTempNode({ autoSeal: true });
  const keys = new Map<string, KeyPair>();
  const key = (id: string) => {
    const k = generateKeyPair('ed25519');
    keys.set(id, k);
    return k;
  };
  const authKey = key('auth');
  const members = [
    { id: 'auth', name: 'Authority', roles: ['REGULATOR'] as Role[], keys: [encodePublicKey(authKey.publicKey)], identifiers: {} },
    { id: 'omni', name: 'Omni', roles: [...ROLES] as Role[], keys: [encodePublicKey(key('omni').publicKey)], identifiers: { fsaApproval: ['9999'] } },
    // Two keys, so one can be revoked.
    { id: 'victim', name: 'Victim', roles: ['PROCESSOR'] as Role[], keys: [encodePublicKey(key('victim').publicKey), encodePublicKey(key('victim-2').publicKey)], identifiers: {} },
    ...(['FARM', 'ABATTOIR', 'PROCESSOR', 'HAULIER', 'RETAILER', 'CUSTOMS'] as Role[]).map((role) => ({
      id: role.toLowerCase(),
      name: role,
      roles: [role],
      keys: [encodePublicKey(key(role.toLowerCase()).publicKey)],
      identifiers: role === 'ABATTOIR' ? { fsaApproval: ['4321'] } : {},
    })),
  ];
  await temp.node.createConsortium({ consortiumId: TEST_CONSORTIUM, name: 'Capture tests', members, authorities: [{ orgId: 'auth', keyId: authKey.keyId }] }, [authKey]);
  const app = express();
  const service = mountCapture(app, { ...temp, config: loadConfig({ dataDir: temp.dataDir }) }, options);
  app.use((req, _res, next) => next(new ApiError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(() => undefined));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    temp,
    url,
    keys,
    service,
    readToken: (await issueToken(temp.db, TEST_CONSORTIUM, 'auth', 'capture tests')).token,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await service.close();
      await temp.destroy();
    },
  };
}

export function eventList(document: Record<string, unknown>): Record<string, unknown>[] {
  return (document['epcisBody'] as { eventList: Record<string, unknown>[] }).eventList;
}

/** Independent of src/capture/client.ts: one signRecord per event, payload { event }. */
export function signEnvelope(document: Record<string, unknown>, key: KeyPair, options: { consortium?: string; signedAt?: string } = {}) {
  const consortium = options.consortium ?? TEST_CONSORTIUM;
  const signedAt = options.signedAt ?? formatTimestamp(new Date());
  const signatures = eventList(document).map(
    (event) => signRecord({ consortium, kind: RecordKind.EPCIS_EVENT, payload: { event } as never, signedAt }, key).signature,
  );
  return { consortium, signer: key.keyId, signedAt, signatures, document };
}

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

export function doc(events: Record<string, unknown>[]): Record<string, unknown> {
  return {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-11-21T08:00:00.000Z',
    epcisBody: { eventList: events },
  };
}

export function objectEvent(fields: Record<string, unknown>): Record<string, unknown> {
  return { type: 'ObjectEvent', eventTime: '2026-11-21T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...fields };
}

export async function count(temp: TempNode, table: 'LedgerRecord' | 'EpcisEvent' | 'Custody' | 'EventIdentifier'): Promise<number> {
  const rows = await temp.db.$queryRawUnsafe<{ n: bigint | number }[]>(`SELECT count(*) AS n FROM "${table}"`);
  return Number(rows[0]!.n);
}

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
export async function hostOrganisation(h: Harness, orgId: string): Promise<string> {
  h.temp.keystore.save(`test-${orgId}`, h.keys.get(orgId)!);
  return (await issueToken(h.temp.db, TEST_CONSORTIUM, orgId, 'binding tests')).token;
}
