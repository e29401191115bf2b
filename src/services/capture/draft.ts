/**
 * A capture's first half, done for each document on its own before it joins a group commit:
 * bounds and envelope shape, signedAt window, signer standing, then record hashes, signatures and
 * event hash IDs (in worker threads for large documents), and only for what verified, schema and
 * rules (validation.ts), then the citations' shape. Cheap checks first: a forged document never
 * reaches the validator. What needs the store and the other documents of the group is checked once
 * the draft is staged (stage.ts).
 */
import { checkSigner, type CheckedSigner } from '../../core/ledger/consortium.js';
import { RecordKind, recordHash, type SignedRecord } from '../../core/ledger/record.js';
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { normaliseTimestamp } from '../../core/epcis/event-hash.js';
import { eventIdentityOf } from '../../core/privacy/withheld-identity.js';
import { DEFAULT_LIMITS } from '../../platform/config.js';
import { CaptureError, CaptureRejectedError, type CaptureEventResult } from '../../core/capture/errors.js';
import { checkEventOpenings, checkStatedEventId, openingsByEvent } from '../../core/capture/openings.js';
import type { WithheldOpening } from '../../core/privacy/withheld.js';
import { checkSignedAt, documentEventList, recordsOfEnvelope, type CaptureEnvelope, type JsonObject } from '../../core/capture/envelope.js';
import { DocumentRefError, documentRefsOfEvent, personRefOfEvent } from '../../core/capture/documents.js';
import type { WorkerPool } from '../../platform/workers/worker-pool.js';
import { captureVerifyTask } from '../../platform/workers/pool-tasks.js';
import { refuseUnregisteredVocabulary } from './vocabulary-check.js';
import { invalidEvents } from './validation.js';
import { jsonBytesUpTo } from '../../platform/workers/json-bytes.js';
import { MAX_ORDERING_MESSAGE_BYTES } from '../../core/ledger/ordering-message.js';
import { applyBatchSignature } from './batch-capture.js';

export interface CaptureOptions {
  mode?: 'atomic' | 'partial';
  wait?: 'seal' | 'none';
  now?: Date;
  signedAtWindowMs?: number;
  /**
   * The document was read from XML and passed GS1's XSDs: the JSON Schema is not applied again (it
   * is stricter than the XSDs in places GS1's own XML examples use: persistentDisposition on an
   * AggregationEvent, a sensorReport without type); Provenant's own rules still are.
   */
  xsdChecked?: boolean;
  /** How far an eventTime may lie ahead of `now`; default DEFAULT_LIMITS.eventTimeMaxFutureMs. */
  eventTimeMaxFutureMs?: number;
  /** Registered extension namespaces for CBV fields (vocabulary-check.ts); undefined: not checked. */
  vocabularyNamespaces?: readonly string[];
  /** How long a document's validation may take in a worker; default DEFAULT_LIMITS.captureValidationDeadlineMs. */
  validationDeadlineMs?: number;
}

/** A document checked on its own, waiting for its group commit. */
export interface CaptureDraft {
  consortium: string;
  atomic: boolean;
  waitForSeal: boolean;
  /** The organisation whose key signed every event. */
  signerOrg: string;
  /** That key, checked once here; admission takes it as checked while signers stay as they were. */
  signer: CheckedSigner;
  events: JsonObject[];
  records: SignedRecord[];
  eventIds: string[];
  /** Undefined only where a record could not be hashed (it is rejected already). */
  recordHashes: (string | undefined)[];
  /** Off-chain documents and person commitments each event cites (well-formed). */
  citations: { documents: string[]; persons: string[] }[];
  /** Per event: the values and salts of its withheld-field commitments (stored off-chain with the record). */
  openings: WithheldOpening[][];
  /** Per event: its result when decided already (rejected here, or refused by the ledger later). */
  decided: (CaptureEventResult | undefined)[];
}

type ResultError = { code: string; message: string; details?: Record<string, unknown> };

export function rejected(index: number, eventId: string, err: ResultError, recordHashHex?: string): CaptureEventResult {
  return {
    index,
    eventId,
    status: 'rejected',
    ...(recordHashHex ? { recordHash: recordHashHex } : {}),
    error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
  };
}

/** Atomic mode: the first real rejection decides the status; every event is reported. */
export function throwIfRejected(results: readonly (CaptureEventResult | undefined)[], eventIds: readonly string[]): void {
  const first = results.find((r) => r?.status === 'rejected' && r.error?.code !== 'NOT_STORED');
  if (!first) return;
  const all: CaptureEventResult[] = eventIds.map(
    (eventId, i) =>
      (results[i]?.status === 'rejected' ? results[i] : undefined) ?? rejected(i, eventId, { code: 'NOT_STORED', message: 'another event in the atomic document was rejected' }),
  );
  throw new CaptureRejectedError(first.error!.code, `event ${first.index} rejected: ${first.error!.message}`, all, first.error!.details ?? {});
}

/**
 * A record the ordering log cannot carry (one message, MAX_ORDERING_MESSAGE_BYTES) is refused here,
 * from a lower bound of its size, before the custody and ledger checks spend time on it.
 */
function refuseOversizedRecords(records: SignedRecord[], eventIds: string[], decided: (CaptureEventResult | undefined)[]): void {
  records.forEach((record, i) => {
    const atLeast = decided[i] ? 0 : jsonBytesUpTo(record, MAX_ORDERING_MESSAGE_BYTES + 1);
    if (atLeast <= MAX_ORDERING_MESSAGE_BYTES) return;
    decided[i] = rejected(i, eventIds[i]!, {
      code: 'SUBMISSION_TOO_LARGE',
      message: `event ${i} makes a record of more than ${MAX_ORDERING_MESSAGE_BYTES} bytes, the ordering log's message limit; split its lists over several events`,
      details: { limit: MAX_ORDERING_MESSAGE_BYTES },
    });
  });
}

/** An event said to happen later than the node's clock allows (clock skew) is refused: it did not happen yet. */
function refuseFutureEvents(events: JsonObject[], eventIds: string[], decided: (CaptureEventResult | undefined)[], nowMs: number, maxFutureMs: number): void {
  events.forEach((event, i) => {
    const text = typeof event['eventTime'] === 'string' ? normaliseTimestamp(event['eventTime']) : null;
    if (decided[i] || text === null) return;
    const aheadMs = Date.parse(text) - nowMs;
    if (aheadMs > maxFutureMs) {
      decided[i] = rejected(i, eventIds[i]!, {
        code: 'EVENT_TIME_IN_FUTURE',
        message: `eventTime ${String(event['eventTime'])} is ${Math.round(aheadMs / 1000)} s ahead of the node's clock; at most ${maxFutureMs / 1000} s is allowed`,
        details: { eventTime: event['eventTime'], maxFutureMs },
      });
    }
  });
}

/** The documents and persons each event cites; a malformed citation rejects its event. */
function citationsOf(events: JsonObject[], eventIds: string[], decided: (CaptureEventResult | undefined)[]): CaptureDraft['citations'] {
  return events.map((event, i) => {
    try {
      const person = personRefOfEvent(event);
      return { documents: documentRefsOfEvent(event).map((d) => d.sha256), persons: person ? [person] : [] };
    } catch (err) {
      if (!(err instanceof DocumentRefError)) throw err;
      decided[i] ??= rejected(i, eventIds[i]!, err);
      return { documents: [], persons: [] };
    }
  });
}

/**
 * Checks a document on its own. Throws the document-level errors (and, in atomic mode, a
 * CaptureRejectedError when any event is rejected); per-event rejections are in `decided`.
 */
export async function draftCapture(envelope: CaptureEnvelope, state: ConsortiumState, pool: WorkerPool, options: CaptureOptions): Promise<CaptureDraft> {
  const atomic = (options.mode ?? 'atomic') === 'atomic';
  const events = documentEventList(envelope.document);
  checkSignedAt(envelope.signedAt, options.now ?? new Date(), options.signedAtWindowMs);
  const checked = checkSigner(state, envelope.signer, RecordKind.EPCIS_EVENT);
  const signer = checked.signer;
  if (signer.type !== 'org') throw new CaptureError('NOT_AUTHORISED', 'EPCIS events must be signed by an organisation key');

  // Record hashes, signatures and event hash IDs are computed together, in worker threads for large documents.
  const context = envelope.document['@context'];
  const batchSigned = envelope.batchSignature !== undefined;
  let records = recordsOfEnvelope(envelope);
  const verified = await pool.run(captureVerifyTask, { publicKey: signer.key.encoded, records, events: { context }, hashOnly: batchSigned });
  const eventIds = events.map((e, i) => verified.eventIds[i] ?? eventIdentityOf(e, context));
  const decided: (CaptureEventResult | undefined)[] = verified.outcomes.map((o, i) => (o ? rejected(i, eventIds[i]!, o) : undefined));
  if (batchSigned) {
    // One signature over the tree of every record hash: a bad one refuses every event.
    const outcome = applyBatchSignature({ ...envelope, batchSignature: envelope.batchSignature! }, records, verified.recordHashes, signer.key.publicKey);
    if ('error' in outcome) eventIds.forEach((eventId, i) => (decided[i] ??= rejected(i, eventId, outcome.error)));
    else records = outcome.records;
  }
  if (atomic) throwIfRejected(decided, eventIds);
  const invalid = await invalidEvents(pool, {
    document: envelope.document,
    eventIndexes: events.flatMap((_, i) => (decided[i] ? [] : [i])),
    eventCount: events.length,
    atomic,
    xsdChecked: options.xsdChecked === true,
    deadlineMs: options.validationDeadlineMs ?? DEFAULT_LIMITS.captureValidationDeadlineMs,
  });
  for (const [i, issues] of invalid) {
    decided[i] = rejected(i, eventIds[i]!, { code: 'INVALID_EPCIS', message: `event is not valid EPCIS 2.0: ${issues.map((x) => `${x.path} ${x.message}`).join('; ')}`, details: { issues } });
  }
  refuseOversizedRecords(records, eventIds, decided);
  refuseFutureEvents(events, eventIds, decided, (options.now ?? new Date()).getTime(), options.eventTimeMaxFutureMs ?? DEFAULT_LIMITS.eventTimeMaxFutureMs);
  if (options.vocabularyNamespaces) refuseUnregisteredVocabulary(events, eventIds, decided, options.vocabularyNamespaces);
  const citations = citationsOf(events, eventIds, decided);
  const openings = openingsByEvent(envelope.openings, events.length);
  events.forEach((event, i) => {
    const refused = decided[i] ? null : (checkEventOpenings(event, openings[i]!) ?? checkStatedEventId(event, openings[i]!, context));
    if (refused) decided[i] = rejected(i, eventIds[i]!, refused);
  });
  if (atomic) throwIfRejected(decided, eventIds);
  return {
    consortium: envelope.consortium,
    atomic,
    waitForSeal: options.wait === 'seal',
    signerOrg: signer.org.id,
    signer: checked,
    events,
    records,
    eventIds,
    recordHashes: records.map((r, i) => verified.recordHashes[i] ?? (decided[i] ? undefined : recordHash(r))),
    citations,
    openings,
    decided,
  };
}
