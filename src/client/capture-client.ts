/**
 * Client side of signed capture (docs/design/capture-submission.md): signs each event of an
 * EPCISDocument as its own `epcis.event` record, or all of them with one batch signature
 * (docs/batch-signatures.md), and posts the envelope to POST /epcis/capture.
 * Used by member systems (farms, abattoirs...), the CLI and the simulators.
 */
import type { JsonValue, KeyPair } from '../core/crypto/index.js';
import { eventHashIdsOfDocument } from '../core/epcis/event-hash.js';
import { RECORD_VERSION, RecordKind, formatTimestamp, recordHashBytes, signRecord, type RecordBody, type SignedRecord } from '../core/ledger/record.js';
import { batchAuthenticators } from '../core/ledger/batch-signature.js';
import { signBatchHeader } from '../core/ledger/record-batch.js';
import { epcisEventPayload } from '../core/ledger/records/epcis-event.js';
import { commitDocumentFields, type EnvelopeOpening } from '../core/capture/openings.js';

type JsonObject = Record<string, unknown>;

export interface CaptureEnvelope {
  consortium: string;
  /** Key id of the signing organisation key. */
  signer: string;
  /** RFC 3339 UTC with milliseconds; the same for every event's record. */
  signedAt: string;
  /** One `<alg>:<base64url>` record signature per event, in document order (absent when batch-signed). */
  signatures?: string[];
  /** One signature over the batch header of every event's record (docs/batch-signatures.md), instead of `signatures`. */
  batchSignature?: string;
  document: JsonObject;
  /** The payload format signed (docs/record-kinds.md); absent: 1 (the event alone). */
  payloadFormat?: 1 | 2;
  /** Values and salts of withheld-field commitments (docs/redaction.md), for the node to keep off-chain. */
  openings?: EnvelopeOpening[];
}

export interface CaptureEventResult {
  index: number;
  eventId: string;
  status: 'accepted' | 'duplicate' | 'rejected' | string;
  recordHash?: string;
  /** Accepted as an error declaration about the event whose record has this hash. */
  correctionOf?: string;
  block?: { height: number; hash: string };
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

export interface CaptureResult {
  results: CaptureEventResult[];
}

export class CaptureClientError extends Error {
  override readonly name = 'CaptureClientError';
  constructor(
    /** HTTP status; 0 when no HTTP answer was received. */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** The parsed response body, when there was one (it may hold per-event results). */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The events of an EPCISDocument, in document order; throws on anything else. */
export function eventsOfDocument(document: unknown): JsonObject[] {
  if (!isObject(document)) throw new CaptureClientError(0, 'MALFORMED_DOCUMENT', 'EPCIS document must be a JSON object');
  const body = document.epcisBody;
  const list = isObject(body) ? body.eventList : undefined;
  if (!Array.isArray(list)) {
    throw new CaptureClientError(0, 'MALFORMED_DOCUMENT', 'EPCIS document has no epcisBody.eventList array', { field: 'epcisBody.eventList' });
  }
  if (list.length === 0) throw new CaptureClientError(0, 'MALFORMED_DOCUMENT', 'EPCIS document has no events', { field: 'epcisBody.eventList' });
  list.forEach((event, index) => {
    if (!isObject(event)) throw new CaptureClientError(0, 'MALFORMED_DOCUMENT', `event ${index} is not a JSON object`, { index });
  });
  return list as JsonObject[];
}

/** CBV 2.0 event hash IDs of the document's events, in document order: their ledger identities. */
export function eventIdsOf(document: JsonObject): string[] {
  eventsOfDocument(document);
  return eventHashIdsOfDocument(document);
}

export interface SignCaptureOptions {
  consortium: string;
  key: KeyPair;
  /** Defaults to now; must be within ±300 s of the node's clock when submitted. */
  signedAt?: string;
  /** 2 also signs the document's @context and epcisHeader with each event (kept and returned by the node); default 1. */
  payloadFormat?: 1 | 2;
  /**
   * Commit each event's sensitive fields (inspection findings, customs declarations, prices) as
   * salted commitments before signing (payload format 3, docs/redaction.md); the openings go in the
   * envelope. Needs format 2 (the default when set).
   */
  withhold?: boolean;
  /** Sign the document once (a batch signature over its events' Merkle root) instead of once per event. */
  batch?: boolean;
}

/** The payload of each event as the envelope's format has it (what each signature covers). */
function payloadsOf(document: JsonObject, format: 1 | 2): JsonValue[] {
  const header = document.epcisHeader;
  const fields = { context: document['@context'], ...(isObject(header) ? { epcisHeader: header } : {}) };
  return eventsOfDocument(document).map((event) => epcisEventPayload(event, format, fields) as JsonValue);
}

/** One signRecord per event (kind epcis.event; payload { event } in format 1), all with the same signedAt. */
export function signCaptureDocument(clear: JsonObject, options: SignCaptureOptions): CaptureEnvelope {
  const { document, openings } = options.withhold ? commitDocumentFields(clear) : { document: clear, openings: [] };
  const format = options.payloadFormat ?? (options.withhold ? 2 : 1);
  const signedAt = options.signedAt ?? formatTimestamp(new Date());
  const payloads = payloadsOf(document, format);
  const signed = options.batch
    ? { batchSignature: signBatchHeader({ consortium: options.consortium, signedAt }, recordHashesOf(options.consortium, options.key.keyId, signedAt, payloads), options.key) }
    : { signatures: payloads.map((payload) => signRecord({ consortium: options.consortium, kind: RecordKind.EPCIS_EVENT, payload, signedAt }, options.key).signature) };
  return { consortium: options.consortium, signer: options.key.keyId, signedAt, ...signed, document, ...(format === 2 ? { payloadFormat: 2 as const } : {}), ...(openings.length > 0 ? { openings } : {}) };
}

function recordBodiesOf(consortium: string, signer: string, signedAt: string, payloads: readonly JsonValue[]): RecordBody[] {
  return payloads.map((payload) => ({ v: RECORD_VERSION, consortium, kind: RecordKind.EPCIS_EVENT, payload, signer, signedAt }));
}

function recordHashesOf(consortium: string, signer: string, signedAt: string, payloads: readonly JsonValue[]): Uint8Array[] {
  return recordBodiesOf(consortium, signer, signedAt, payloads).map((body) => recordHashBytes(body));
}

/** How many events the envelope signs. */
export function signedEventCount(envelope: CaptureEnvelope): number {
  return envelope.batchSignature === undefined ? (envelope.signatures?.length ?? 0) : eventsOfDocument(envelope.document).length;
}

/** The records an envelope stands for, exactly as the node rebuilds them (for checks and tests). */
export function recordsOfEnvelope(envelope: CaptureEnvelope): SignedRecord[] {
  const events = eventsOfDocument(envelope.document);
  const payloads = payloadsOf(envelope.document, envelope.payloadFormat ?? 1);
  if (envelope.batchSignature !== undefined) {
    const bodies = recordBodiesOf(envelope.consortium, envelope.signer, envelope.signedAt, payloads);
    const batch = batchAuthenticators(bodies.map((b) => recordHashBytes(b)), envelope.batchSignature);
    return bodies.map((body, i) => ({ ...body, batch: batch[i]! }));
  }
  const signatures = envelope.signatures ?? [];
  if (events.length !== signatures.length) {
    throw new CaptureClientError(0, 'SIGNATURE_COUNT_MISMATCH', `envelope has ${signatures.length} signatures for ${events.length} events`, {
      expected: events.length,
      actual: signatures.length,
    });
  }
  return events.map((_, i) => ({
    v: RECORD_VERSION,
    consortium: envelope.consortium,
    kind: RecordKind.EPCIS_EVENT,
    payload: payloads[i]!,
    signer: envelope.signer,
    signedAt: envelope.signedAt,
    signature: signatures[i]!,
  }));
}

/** True when the value has the envelope's shape (as opposed to a plain EPCISDocument). */
export function isCaptureEnvelope(value: unknown): value is CaptureEnvelope {
  return (
    isObject(value) &&
    typeof value.consortium === 'string' &&
    typeof value.signer === 'string' &&
    typeof value.signedAt === 'string' &&
    ((Array.isArray(value.signatures) && value.signatures.every((s) => typeof s === 'string')) || (value.signatures === undefined && typeof value.batchSignature === 'string')) &&
    isObject(value.document) &&
    (value.payloadFormat === undefined || value.payloadFormat === 1 || value.payloadFormat === 2)
  );
}

export interface SubmitCaptureOptions {
  /** API token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** atomic (default on the server): all events stored or none. */
  mode?: 'atomic' | 'partial';
  /** Answer only once the records are sealed into a block. */
  wait?: boolean;
  /** For tests and custom agents. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export function captureUrl(baseUrl: string, options: Pick<SubmitCaptureOptions, 'mode' | 'wait'> = {}): string {
  const url = new URL('epcis/capture', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  if (options.mode) url.searchParams.set('mode', options.mode);
  if (options.wait) url.searchParams.set('wait', 'seal');
  return url.toString();
}

/**
 * Fetches and parses a JSON body (undefined when empty or not JSON); NETWORK_ERROR when the node
 * cannot be reached. The caller decides what a non-2xx answer means.
 */
export async function fetchJsonBody(url: string, init: RequestInit, options: { fetch?: typeof fetch; signal?: AbortSignal }): Promise<{ response: Response; body: unknown }> {
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { ...init, signal: options.signal });
  } catch (err) {
    throw new CaptureClientError(0, 'NETWORK_ERROR', `could not reach ${url}: ${(err as Error).message}`, { url });
  }
  const text = await response.text();
  try {
    return { response, body: text === '' ? undefined : JSON.parse(text) };
  } catch {
    return { response, body: undefined };
  }
}

/** Posts a signed envelope. Resolves with the parsed result on 2xx; throws CaptureClientError otherwise. */
export async function submitCapture(baseUrl: string, envelope: CaptureEnvelope, options: SubmitCaptureOptions = {}): Promise<CaptureResult> {
  const url = captureUrl(baseUrl, options);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const { response, body } = await fetchJsonBody(url, { method: 'POST', headers, body: JSON.stringify(envelope) }, options);
  if (!response.ok) {
    const error = isObject(body) && isObject(body.error) ? body.error : undefined;
    const code = typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`;
    const message = typeof error?.message === 'string' ? error.message : `capture failed with HTTP ${response.status}`;
    const details = isObject(error?.details) ? error.details : {};
    throw new CaptureClientError(response.status, code, message, details, body);
  }
  if (!isObject(body) || !Array.isArray(body.results)) {
    throw new CaptureClientError(response.status, 'MALFORMED_RESPONSE', 'capture response has no results array', { url }, body);
  }
  return body as unknown as CaptureResult;
}
