/**
 * Client side of the EPCIS 2.0 capture binding (docs/design/capture-submission.md): POST /capture
 * answers 202 with the capture job's URL; the job tells how the capture ended. With an API token
 * and no signatures, the node signs each event with the organisation's key it hosts.
 */
import { CaptureClientError, fetchJsonBody, type CaptureEventResult } from './capture-client.js';

type JsonObject = Record<string, unknown>;

/** RFC 9457 problem details as the binding answers them (with Provenant's stable code). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  details?: Record<string, unknown>;
  index?: number;
  eventId?: string;
}

/** GS1's CaptureJob, with each event's result once finished. */
export interface CaptureJob {
  captureID: string;
  createdAt: string;
  finishedAt?: string;
  running: boolean;
  success: boolean;
  captureErrorBehaviour: 'rollback' | 'proceed';
  errors: ProblemDetails[];
  'provenant:results'?: CaptureEventResult[];
}

export interface BindingOptions {
  /** API token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** For tests and custom agents. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export interface PostCaptureOptions extends BindingOptions {
  /** rollback (default): all events or none; proceed: every event that passes. */
  behaviour?: 'rollback' | 'proceed';
  /** application/json (default for an object) or application/xml (an XML document as text). */
  contentType?: string;
  /** More headers, e.g. the Provenant-* signature headers of a signed document. */
  headers?: Record<string, string>;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function urlOf(baseUrl: string, path: string): string {
  return new URL(path.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
}

async function call(url: string, init: RequestInit, options: BindingOptions): Promise<{ response: Response; body: unknown }> {
  const { response, body } = await fetchJsonBody(url, init, options);
  if (!response.ok) {
    const problem = isObject(body) ? body : {};
    const code = typeof problem.code === 'string' ? problem.code : `HTTP_${response.status}`;
    const message = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : `HTTP ${response.status}`;
    throw new CaptureClientError(response.status, code, message, isObject(problem.details) ? problem.details : {}, body);
  }
  return { response, body };
}

/** Posts a document (an object as JSON, or XML text) to POST /capture; resolves with the job's URL. */
export async function postCapture(baseUrl: string, document: JsonObject | string, options: PostCaptureOptions = {}): Promise<{ location: string; captureId: string }> {
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? (typeof document === 'string' ? 'application/xml' : 'application/json'),
    accept: 'application/json',
    'gs1-epcis-version': '2.0.0',
    'gs1-capture-error-behaviour': options.behaviour ?? 'rollback',
    ...options.headers,
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const url = urlOf(baseUrl, 'capture');
  const { response } = await call(url, { method: 'POST', headers, body: typeof document === 'string' ? document : JSON.stringify(document) }, options);
  const location = response.headers.get('location');
  if (response.status !== 202 || !location) throw new CaptureClientError(response.status, 'MALFORMED_RESPONSE', 'capture answered without a capture job (202 and Location expected)', { url });
  return { location, captureId: decodeURIComponent(location.split('/').pop() ?? '') };
}

/** The capture job at `location` (as POST /capture named it). */
export async function captureJob(baseUrl: string, location: string, options: BindingOptions = {}): Promise<CaptureJob> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const { body } = await call(urlOf(baseUrl, location), { method: 'GET', headers }, options);
  if (!isObject(body) || typeof body.running !== 'boolean') throw new CaptureClientError(200, 'MALFORMED_RESPONSE', 'capture job has no running flag', { location }, body);
  return body as unknown as CaptureJob;
}

/** Polls the job until it stops running, or the time is up (TIMEOUT). */
export async function waitForCaptureJob(baseUrl: string, location: string, options: BindingOptions & { timeoutMs?: number; intervalMs?: number } = {}): Promise<CaptureJob> {
  const until = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const job = await captureJob(baseUrl, location, options);
    if (!job.running) return job;
    if (Date.now() > until) throw new CaptureClientError(0, 'TIMEOUT', `capture job ${location} still running after ${options.timeoutMs ?? 60_000} ms`, { location });
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
