/**
 * The capture envelope (docs/design/capture-submission.md): a signed envelope body, or a plain
 * EPCISDocument with Provenant-* headers. Both become the same records. Bounds are checked here,
 * before any schema work, so a hostile document costs little.
 */
import type { JsonValue } from '../crypto/index.js';
import { RECORD_VERSION, RecordKind, type SignedRecord } from '../ledger/record.js';
import { epcisEventPayload } from '../ledger/records/epcis-event.js';
import { CaptureError } from './errors.js';
import { parseEnvelopeOpenings, type EnvelopeOpening } from './openings.js';
import { LedgerError } from '../ledger/errors.js';

/** Payload formats of epcis.event (docs/record-kinds.md): 1 signs the event alone, 2 also the document's @context and epcisHeader. */
export type PayloadFormat = 1 | 2;

export interface CaptureEnvelope {
  consortium: string;
  signer: string;
  signedAt: string;
  /** One per event, in document order; absent when the document is batch-signed. */
  signatures?: string[];
  /** One signature over the batch header of all the events (docs/batch-signatures.md), instead of `signatures`. */
  batchSignature?: string;
  document: JsonObject;
  /** The payload format the signatures cover (absent: 1, as before format 2 existed). */
  payloadFormat?: PayloadFormat;
  /** Values and salts of the events' withheld-field commitments (docs/redaction.md); stored off-chain. */
  openings?: EnvelopeOpening[];
}

export interface CaptureLimits {
  maxEvents: number;
  maxDepth: number;
  maxStringLength: number;
}

export const DEFAULT_CAPTURE_LIMITS: CaptureLimits = { maxEvents: 1000, maxDepth: 32, maxStringLength: 8192 };
/** express.json body limit for the capture route. */
export const DEFAULT_BODY_LIMIT = '5mb';

export const HEADER_CONSORTIUM = 'provenant-consortium';
export const HEADER_SIGNER = 'provenant-signer';
export const HEADER_SIGNED_AT = 'provenant-signed-at';
export const HEADER_SIGNATURES = 'provenant-signatures';
export const HEADER_PAYLOAD_FORMAT = 'provenant-payload-format';
export const HEADER_BATCH_SIGNATURE = 'provenant-batch-signature';

/** A format-2 record repeats the document's epcisHeader: bounded, so a document cannot multiply a large header by its event count. */
export const MAX_EPCIS_HEADER_CHARS = 64 * 1024;

export type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface BoundsFrame {
  v: unknown;
  depth: number;
  parent: BoundsFrame | null;
  key: string | number;
}

/** A frame's path, such as "document.epcisBody.eventList[0]": built only for an error, not for every value. */
function pathOf(frame: BoundsFrame): string {
  let path = '';
  for (let f: BoundsFrame | null = frame; f?.parent; f = f.parent) path = typeof f.key === 'number' ? `[${f.key}]${path}` : `.${f.key}${path}`;
  return `(root)${path}`;
}

/** Depth and string-length bounds, iteratively (a deep document must not blow the stack). */
export function checkBounds(value: unknown, limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS): void {
  const stack: BoundsFrame[] = [{ v: value, depth: 0, parent: null, key: '' }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { v, depth } = frame;
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) {
        const path = pathOf(frame);
        throw new CaptureError('STRING_TOO_LONG', `string at ${path} is ${v.length} characters; the limit is ${limits.maxStringLength}`, {
          path,
          limit: limits.maxStringLength,
          actual: v.length,
        });
      }
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limits.maxDepth) {
      const path = pathOf(frame);
      throw new CaptureError('TOO_DEEP', `value nests deeper than ${limits.maxDepth} levels at ${path}`, { path, limit: limits.maxDepth });
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        // Strings inside a list are checked here, without a frame each (an EPC list holds thousands).
        if (typeof item === 'string' && item.length <= limits.maxStringLength) continue;
        stack.push({ v: item, depth: depth + 1, parent: frame, key: i });
      }
    } else
      for (const [k, item] of Object.entries(v)) {
        if (k.length > limits.maxStringLength) {
          const path = pathOf(frame);
          throw new CaptureError('STRING_TOO_LONG', `a key at ${path} is ${k.length} characters; the limit is ${limits.maxStringLength}`, {
            path,
            limit: limits.maxStringLength,
            actual: k.length,
          });
        }
        stack.push({ v: item, depth: depth + 1, parent: frame, key: k });
      }
  }
}

/** The document's events (epcisBody.eventList, or a lone epcisBody.event), in order. */
export function documentEventList(document: JsonObject): JsonObject[] {
  const body = document['epcisBody'];
  if (!isObject(body)) throw new CaptureError('INVALID_EPCIS', 'document has no epcisBody', { issues: [{ path: 'epcisBody', message: 'is required' }] });
  if (Array.isArray(body['eventList'])) {
    const list = body['eventList'];
    list.forEach((e, i) => {
      if (!isObject(e)) throw new CaptureError('INVALID_EPCIS', `epcisBody.eventList[${i}] is not an object`, { issues: [{ path: `epcisBody.eventList[${i}]`, message: 'must be an object' }] });
    });
    return list as JsonObject[];
  }
  if (isObject(body['event'])) return [body['event'] as JsonObject];
  throw new CaptureError('INVALID_EPCIS', 'epcisBody has no eventList', { issues: [{ path: 'epcisBody.eventList', message: 'is required' }] });
}

/** A plain EPCISDocument to be signed by the node (token capture): bounds, events and their count. */
export function checkCaptureDocument(body: unknown, limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS): JsonObject[] {
  if (!isObject(body)) throw new CaptureError('MALFORMED_ENVELOPE', 'request body must be an EPCISDocument (a JSON object)');
  checkBounds(body, limits);
  const events = documentEventList(body);
  if (events.length > limits.maxEvents) {
    throw new CaptureError('TOO_MANY_EVENTS', `document holds ${events.length} events; the limit is ${limits.maxEvents}`, { limit: limits.maxEvents, actual: events.length });
  }
  checkPayloadFormat(2, body);
  return events;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Reads either form. Missing signatures is UNSIGNED (401); other shape problems are 400. */
export function parseCaptureEnvelope(body: unknown, headers: Headers, limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS): CaptureEnvelope {
  if (!isObject(body)) throw new CaptureError('MALFORMED_ENVELOPE', 'request body must be a JSON object (a capture envelope or an EPCISDocument)');
  checkBounds(body, limits);
  let envelope: Partial<CaptureEnvelope> & { signatures?: unknown; batchSignature?: unknown };
  if (isObject(body['document'])) {
    const allowed = new Set(['consortium', 'signer', 'signedAt', 'signatures', 'batchSignature', 'document', 'payloadFormat', 'openings']);
    for (const key of Object.keys(body)) {
      if (!allowed.has(key)) throw new CaptureError('MALFORMED_ENVELOPE', `capture envelope has unexpected field "${key}"`, { field: key });
    }
    envelope = body as Partial<CaptureEnvelope>;
  } else {
    const sigs = header(headers, HEADER_SIGNATURES);
    envelope = {
      consortium: header(headers, HEADER_CONSORTIUM),
      signer: header(headers, HEADER_SIGNER),
      signedAt: header(headers, HEADER_SIGNED_AT),
      signatures: sigs === undefined ? undefined : sigs.split(',').map((s) => s.trim()).filter((s) => s !== ''),
      document: body as JsonObject,
    };
    const batch = header(headers, HEADER_BATCH_SIGNATURE);
    if (batch !== undefined) envelope.batchSignature = batch.trim();
    const format = header(headers, HEADER_PAYLOAD_FORMAT);
    if (format !== undefined) envelope.payloadFormat = (/^[12]$/.test(format.trim()) ? Number(format.trim()) : format) as PayloadFormat;
  }
  const document = envelope.document as JsonObject;
  const events = documentEventList(document);
  if (events.length > limits.maxEvents) {
    throw new CaptureError('TOO_MANY_EVENTS', `document holds ${events.length} events; the limit is ${limits.maxEvents}`, { limit: limits.maxEvents, actual: events.length });
  }
  if (typeof envelope.consortium !== 'string' || envelope.consortium === '') {
    throw new CaptureError('MALFORMED_ENVELOPE', 'consortium is missing (envelope field "consortium" or header Provenant-Consortium)', { field: 'consortium' });
  }
  const batchSignature = envelope.batchSignature;
  if (batchSignature !== undefined && envelope.signatures !== undefined) {
    throw new CaptureError('MALFORMED_ENVELOPE', 'a capture carries either one signature per event or one batch signature, not both', { field: 'batchSignature' });
  }
  const signed = batchSignature !== undefined || (Array.isArray(envelope.signatures) && envelope.signatures.length > 0) || (envelope.signatures !== undefined && !Array.isArray(envelope.signatures));
  if (!signed || envelope.signer === undefined) {
    throw new CaptureError('UNSIGNED', 'capture is not signed: signer and one signature per event (or one batch signature) are required', { events: events.length });
  }
  if (typeof envelope.signer !== 'string') throw new CaptureError('MALFORMED_ENVELOPE', 'signer must be a key id string', { field: 'signer' });
  if (typeof envelope.signedAt !== 'string') {
    throw new CaptureError('MALFORMED_ENVELOPE', 'signedAt is missing (envelope field "signedAt" or header Provenant-Signed-At)', { field: 'signedAt' });
  }
  if (batchSignature !== undefined) {
    if (typeof batchSignature !== 'string' || batchSignature === '') throw new CaptureError('MALFORMED_ENVELOPE', 'batchSignature must be a signature string', { field: 'batchSignature' });
  } else if (!Array.isArray(envelope.signatures) || envelope.signatures.some((s) => typeof s !== 'string')) {
    throw new CaptureError('MALFORMED_ENVELOPE', 'signatures must be an array of strings', { field: 'signatures' });
  } else if (envelope.signatures.length !== events.length) {
    throw new CaptureError('SIGNATURE_COUNT_MISMATCH', `${envelope.signatures.length} signatures for ${events.length} events; one per event is required, in document order`, {
      expected: events.length,
      actual: envelope.signatures.length,
    });
  }
  const payloadFormat = checkPayloadFormat(envelope.payloadFormat, document);
  const openings = envelope.openings === undefined ? undefined : parseEnvelopeOpenings(envelope.openings, events.length);
  return {
    consortium: envelope.consortium,
    signer: envelope.signer,
    signedAt: envelope.signedAt,
    ...(batchSignature === undefined ? { signatures: envelope.signatures as string[] } : { batchSignature }),
    document,
    ...(payloadFormat === 2 ? { payloadFormat } : {}),
    ...(openings ? { openings } : {}),
  };
}

/** The envelope's payload format (1 when absent); format 2 bounds the epcisHeader every record repeats. */
export function checkPayloadFormat(value: unknown, document: JsonObject): PayloadFormat {
  if (value === undefined || value === 1) return 1;
  if (value !== 2) {
    throw new CaptureError('MALFORMED_ENVELOPE', 'payloadFormat must be 1 or 2 (envelope field "payloadFormat" or header Provenant-Payload-Format)', {
      field: 'payloadFormat',
      actual: value,
    });
  }
  const header = document['epcisHeader'];
  if (header !== undefined) {
    if (!isObject(header)) throw new CaptureError('INVALID_EPCIS', 'epcisHeader must be an object', { issues: [{ path: 'epcisHeader', message: 'must be an object' }] });
    const size = JSON.stringify(header).length;
    if (size > MAX_EPCIS_HEADER_CHARS) {
      throw new CaptureError('HEADER_TOO_LARGE', `epcisHeader is ${size} characters of JSON; each event's record repeats it, so the limit is ${MAX_EPCIS_HEADER_CHARS}`, {
        limit: MAX_EPCIS_HEADER_CHARS,
        actual: size,
      });
    }
  }
  return 2;
}

/** The document fields a format-2 record keeps with its event. */
export function documentFieldsOf(document: JsonObject): { context: unknown; epcisHeader?: Record<string, unknown> } {
  const header = document['epcisHeader'];
  return { context: document['@context'], ...(isObject(header) ? { epcisHeader: header } : {}) };
}

/** Events in the envelope's document (what its signatures cover). */
export function envelopeEventCount(envelope: CaptureEnvelope): number {
  return envelope.batchSignature === undefined ? (envelope.signatures?.length ?? 0) : documentEventList(envelope.document).length;
}

/**
 * One record per event, exactly as the submitter signed it. A batch-signed envelope's records
 * carry no authenticator yet: the node adds each record's `batch` once the batch signature verifies.
 */
export function recordsOfEnvelope(envelope: CaptureEnvelope): SignedRecord[] {
  const format = envelope.payloadFormat ?? 1;
  const fields = format === 2 ? documentFieldsOf(envelope.document) : undefined;
  return documentEventList(envelope.document).map((event, i) => ({
    v: RECORD_VERSION,
    consortium: envelope.consortium,
    kind: RecordKind.EPCIS_EVENT,
    payload: payloadOf(event, format, fields, i),
    signer: envelope.signer,
    signedAt: envelope.signedAt,
    ...(envelope.batchSignature === undefined ? { signature: envelope.signatures?.[i] } : {}),
  }));
}

function payloadOf(event: JsonObject, format: PayloadFormat, fields: ReturnType<typeof documentFieldsOf> | undefined, index: number): JsonValue {
  try {
    return epcisEventPayload(event, format, fields) as JsonValue;
  } catch (err) {
    // An event with withheld-field commitments under payload format 1.
    if (err instanceof LedgerError) throw new CaptureError('MALFORMED_ENVELOPE', `event ${index}: ${err.message}`, { field: 'payloadFormat', index });
    throw err;
  }
}

/** ±windowMs of the node's clock (default 300 s). */
export function checkSignedAt(signedAt: string, now: Date, windowMs = 300_000): void {
  const t = Date.parse(signedAt);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(signedAt) || Number.isNaN(t)) {
    throw new CaptureError('MALFORMED_ENVELOPE', 'signedAt must be RFC 3339 UTC with milliseconds', { field: 'signedAt', actual: signedAt });
  }
  const skew = t - now.getTime();
  if (Math.abs(skew) > windowMs) {
    throw new CaptureError('STALE_SIGNATURE', `signedAt ${signedAt} is ${Math.round(skew / 1000)} s from the node's clock; the window is ±${windowMs / 1000} s`, {
      signedAt,
      now: now.toISOString(),
      windowSeconds: windowMs / 1000,
    });
  }
}
