/**
 * The tasks the worker pool runs: each is a batch of independent items, so it can be cut into
 * chunks and the chunks' results joined in order (capture.validate is one document, never cut).
 * The same functions run in the workers (pool-worker.ts) and, for small work or when the pool is
 * unusable, on the main thread.
 */
import { parsePublicKey, type PublicKey } from '../../core/crypto/index.js';
import { verifyAndHash, type VerifyRequest, type VerifyResult } from '../../core/capture/verify-core.js';
import { verifyReadingBatch, type ReadingVerifyBatch, type ReadingVerifyResult } from '../../core/readings/reading-verify.js';
import { checkDocumentRules } from '../../core/epcis/epcis-rules.js';
import type { ValidationResult } from '../../core/epcis/validation-result.js';
import { createEpcisValidator } from '../epcis-schemas.js';
import { EpcisXmlError, readEpcisXml, type XsdValidateFn } from '../../core/epcis/xml/index.js';
import { loadEpcisXsdValidator } from '../epcis-xsd.js';
import { jsonBytesUpTo } from './json-bytes.js';

export interface PoolTask<Req, Res> {
  /** How pool-worker.ts finds the task. */
  readonly name: string;
  /** Items in the request. */
  size(request: Req): number;
  /** The request's size as JSON, counted up to `cap` (min(size, cap)); none for tasks of small items. */
  bytes?(request: Req, cap: number): number;
  /** Items start..end-1, as a request of their own. */
  slice(request: Req, start: number, end: number): Req;
  /** The results of consecutive slices, joined. */
  merge(parts: Res[]): Res;
  run(request: Req): Res;
}

// Point decompression is the slow part of parsing a key; a signer's key is reused across documents.
const parsedKeys = new Map<string, PublicKey>();
const PARSED_KEY_LIMIT = 1000;

function cachedPublicKey(encoded: string): PublicKey {
  let key = parsedKeys.get(encoded);
  if (!key) {
    key = parsePublicKey(encoded);
    if (parsedKeys.size >= PARSED_KEY_LIMIT) parsedKeys.clear();
    parsedKeys.set(encoded, key);
  }
  return key;
}

/** A capture's record hashes, signature checks and event hash IDs. */
export const captureVerifyTask: PoolTask<VerifyRequest, VerifyResult> = {
  name: 'capture.verify',
  size: (request) => request.records.length,
  bytes: (request, cap) => jsonBytesUpTo(request.records, cap),
  slice: (request, start, end) => ({ ...request, records: request.records.slice(start, end) }),
  merge: (parts) => ({
    outcomes: parts.flatMap((p) => p.outcomes),
    recordHashes: parts.flatMap((p) => p.recordHashes),
    eventIds: parts.flatMap((p) => p.eventIds),
  }),
  run: (request) => verifyAndHash(request, cachedPublicKey(request.publicKey)),
};

/** Device readings: shape, topic match, digest and signature. */
export const readingVerifyTask: PoolTask<ReadingVerifyBatch, ReadingVerifyResult[]> = {
  name: 'readings.verify',
  size: (batch) => batch.items.length,
  slice: (batch, start, end) => ({ items: batch.items.slice(start, end), devices: batch.devices }),
  merge: (parts) => parts.flat(),
  run: verifyReadingBatch,
};

export interface ValidateRequest {
  document: unknown;
  /** The document passed GS1's XSDs (read from XML): only Provenant's rules apply (see CaptureOptions.xsdChecked). */
  xsdChecked: boolean;
}

/** An EPCIS document against GS1's JSON Schemas and Provenant's rules (or the rules alone after the XSDs). */
export const captureValidateTask: PoolTask<ValidateRequest, ValidationResult> = {
  name: 'capture.validate',
  size: () => 1,
  bytes: (request, cap) => jsonBytesUpTo(request.document, cap),
  slice: (request) => request,
  merge: (parts) => parts[0]!,
  run: (request) => (request.xsdChecked ? checkDocumentRules(request.document) : createEpcisValidator({ withRules: true }).validateDocument(request.document)),
};


export interface XmlReadRequest {
  bytes: Uint8Array;
  maxBytes: number;
}

/** The document read, or the reader's refusal as data (a refusal is an answer, not a failed worker). */
export type XmlReadResult = { document: Record<string, unknown> } | { refused: { code: string; message: string; details: Record<string, unknown> } };

let xsdValidator: XsdValidateFn | undefined;

/** Loads GS1's XSDs for xmlReadTask in this thread (once); the workers do it before they say ready. */
export async function loadXsdForTasks(): Promise<void> {
  xsdValidator ??= await loadEpcisXsdValidator();
}

/** An EPCIS XML capture body parsed and checked against GS1's XSDs. */
export const xmlReadTask: PoolTask<XmlReadRequest, XmlReadResult> = {
  name: 'capture.readXml',
  size: () => 1,
  bytes: (request, cap) => Math.min(cap, request.bytes.length),
  slice: (request) => request,
  merge: (parts) => parts[0]!,
  run: (request) => {
    if (!xsdValidator) throw new Error('the EPCIS XSDs are not loaded in this thread');
    try {
      return { document: readEpcisXml(request.bytes, { validate: xsdValidator, limits: { maxBytes: request.maxBytes } }) };
    } catch (err) {
      if (!(err instanceof EpcisXmlError)) throw err;
      return { refused: { code: err.code, message: err.message, details: err.details } };
    }
  },
};

export const POOL_TASKS: Readonly<Record<string, (request: never) => unknown>> = {
  [captureVerifyTask.name]: captureVerifyTask.run,
  [readingVerifyTask.name]: readingVerifyTask.run,
  [captureValidateTask.name]: captureValidateTask.run,
  [xmlReadTask.name]: xmlReadTask.run,
};

/** One of each EPCIS 2.0 event type, so validating it compiles every branch of the schemas (ajv compiles lazily). */
const time = { eventTime: '2026-01-01T00:00:00.000Z', eventTimeZoneOffset: '+00:00' };
export const VALIDATE_WARM_UP_DOCUMENT = {
  '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: time.eventTime,
  epcisBody: {
    eventList: [
      { type: 'ObjectEvent', ...time, action: 'OBSERVE', epcList: ['urn:epc:id:sgtin:0614141.107346.2017'] },
      { type: 'AggregationEvent', ...time, action: 'ADD', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:epc:id:sgtin:0614141.107346.2018'] },
      { type: 'TransactionEvent', ...time, action: 'ADD', bizTransactionList: [{ type: 'po', bizTransaction: 'urn:epcglobal:cbv:bt:0614141073467:1152' }], epcList: ['urn:epc:id:sgtin:0614141.107346.2019'] },
      { type: 'TransformationEvent', ...time, inputEPCList: ['urn:epc:id:sgtin:0614141.107346.2020'], outputEPCList: ['urn:epc:id:sgtin:0614141.107346.2021'] },
      { type: 'AssociationEvent', ...time, action: 'ADD', parentID: 'urn:epc:id:grai:0614141.12345.400', childEPCs: ['urn:epc:id:giai:0614141.12345'] },
    ],
  },
};

/** What a worker prepares before it says ready, by task (WorkerPoolOptions.warmTasks). */
export const POOL_WARM_UPS: Readonly<Record<string, () => void | Promise<void>>> = {
  [captureValidateTask.name]: () => void captureValidateTask.run({ document: VALIDATE_WARM_UP_DOCUMENT, xsdChecked: false }),
  [xmlReadTask.name]: loadXsdForTasks,
};
