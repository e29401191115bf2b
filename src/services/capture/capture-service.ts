/**
 * Capture: a signed EPCIS document becomes one ledger record per event (design:
 * docs/design/capture-submission.md). Each document is first checked on its own (draft.ts: bounds,
 * envelope, signedAt, signer, schema and rules, signatures, citations' shape), then with the other
 * documents of its group commit (stage.ts: duplicates, cited documents and persons, role and
 * custody); the node admits the checked batch and stores it with its indexes (committer.ts).
 */
import type { LedgerNode } from '../node/ledger-node.js';
import { authoriseEvent } from '../../core/rules/authorisation.js';
import { createEpcisValidator } from '../../platform/epcis-schemas.js';
import type { CaptureEventResult } from '../../core/capture/errors.js';
import type { CaptureEnvelope } from '../../core/capture/envelope.js';
import type { Database } from '../../store/database.js';
import { WorkerPool, type WorkerPoolOptions } from '../../platform/workers/worker-pool.js';
import { captureValidateTask, loadXsdForTasks, VALIDATE_WARM_UP_DOCUMENT, xmlReadTask } from '../../platform/workers/pool-tasks.js';
import { WorkDeadlineError } from '../../platform/workers/worker-pool.js';
import { CodedError } from '../../core/coded-error.js';
import { CaptureError } from '../../core/capture/errors.js';
import { DEFAULT_LIMITS } from '../../platform/config.js';
import { CaptureCommitter } from './committer.js';
import { draftCapture, throwIfRejected, type CaptureOptions } from './draft.js';
import type { AuthoriseEvent } from './stage.js';
import { recordCaptureResults } from '../operations-metrics.js';
import type { Keystore } from '../node/keystore.js';
import type { JobRetention } from '../../store/capture-job-store.js';
import { CaptureJobs } from './capture-jobs.js';
import { DocumentEntitlement } from '../document-entitlement.js';
import { requireHostedKey, signAsHost } from './hosted-signing.js';
import type { JsonObject } from '../../core/capture/envelope.js';

export type { CaptureOptions } from './draft.js';
export { eventRowOf, identifierRowsOf } from './index-rows.js';

export interface CaptureOutcome {
  results: CaptureEventResult[];
}

export interface CaptureDeps {
  node: LedgerNode;
  db: Database;
  pool?: WorkerPool;
  /** The role table; tests stand in for a node that skips it. Default authoriseEvent. */
  authorise?: AuthoriseEvent;
  /** The node's keys: token capture signs with the organisation's key when the node holds one. */
  keystore?: Keystore;
  /** How long finished capture jobs are kept. */
  jobRetention?: JobRetention;
  /** How far an eventTime may lie ahead of the node's clock (default DEFAULT_LIMITS, configurable). */
  eventTimeMaxFutureMs?: number;
  /** Registered extension namespaces for CBV fields (NodeConfig.vocabularyNamespaces); absent: not checked. */
  vocabularyNamespaces?: readonly string[];
  /** How long one document's validation may run in a worker (default DEFAULT_LIMITS, configurable). */
  validationDeadlineMs?: number;
}

/**
 * Documents of more than 32 events, or of 64 KiB or more, are verified in two worker threads, one
 * chunk each, handed out at once: the main thread is busy committing groups and must not keep the
 * workers waiting. Documents of 64 KiB or more are validated there too; each worker compiles the
 * schemas before it says ready.
 */
export const CAPTURE_POOL: WorkerPoolOptions = { workers: 2, minBatch: 33, chunksPerWorker: 1, outstandingPerWorker: Infinity, minBytes: 64 * 1024, warmTasks: [captureValidateTask.name, xmlReadTask.name] };

export class CaptureService {
  readonly pool: WorkerPool;
  /** Capture jobs of the EPCIS 2.0 REST binding (POST /capture). */
  readonly jobs: CaptureJobs;
  readonly #committers = new Map<string, CaptureCommitter>();
  readonly #documents: DocumentEntitlement;

  constructor(private readonly deps: CaptureDeps) {
    this.pool = deps.pool ?? new WorkerPool(CAPTURE_POOL);
    this.#documents = new DocumentEntitlement(deps.db, deps.node);
    this.jobs = new CaptureJobs({ db: deps.db, capture: (envelope, options) => this.capture(envelope, options), retention: deps.jobRetention });
  }

  /** Starts the workers and compiles the schema validator, so the first capture does not pay for either. */
  warmUp(): void {
    void this.pool.warm();
    // ajv compiles the subschemas a document reaches on first use (~0.7 s for all event types).
    createEpcisValidator({ withRules: true }).validateDocument(VALIDATE_WARM_UP_DOCUMENT);
  }

  /**
   * An EPCIS XML capture body read and checked against GS1's XSDs: in a worker thread for bodies of
   * 64 KiB or more, under the validation deadline. Throws the reader's EPCIS_XML_* errors.
   */
  async readXml(bytes: Uint8Array, maxBytes: number): Promise<JsonObject> {
    await loadXsdForTasks();
    const deadlineMs = this.deps.validationDeadlineMs ?? DEFAULT_LIMITS.captureValidationDeadlineMs;
    const read = await this.pool.runBounded(xmlReadTask, { bytes, maxBytes }, deadlineMs).catch((err: unknown) => {
      if (!(err instanceof WorkDeadlineError)) throw err;
      throw new CaptureError('VALIDATION_TOO_COSTLY', `reading the XML document took more than ${deadlineMs} ms; send it in smaller documents`, { deadlineMs });
    });
    if ('refused' in read) throw new CodedError(read.refused.code, read.refused.message, read.refused.details);
    return read.document;
  }

  async close(): Promise<void> {
    await this.jobs.close();
    await this.pool.close();
  }

  /**
   * Token capture: the document's events signed by the node with a key of the caller's
   * organisation (payload format 2). NO_HOSTED_KEY when this node holds none.
   */
  signAsOrganisation(document: JsonObject, consortium: string, orgId: string, now?: Date): CaptureEnvelope {
    const state = this.deps.node.state(consortium);
    return signAsHost(document, consortium, requireHostedKey(this.deps.keystore, state, consortium, orgId), now);
  }

  async capture(envelope: CaptureEnvelope, options: CaptureOptions = {}): Promise<CaptureOutcome> {
    const state = this.deps.node.state(envelope.consortium); // UNKNOWN_CONSORTIUM (404) if absent
    const draft = await draftCapture(envelope, state, this.pool, { eventTimeMaxFutureMs: this.deps.eventTimeMaxFutureMs, vocabularyNamespaces: this.deps.vocabularyNamespaces, validationDeadlineMs: this.deps.validationDeadlineMs, ...options });
    const { results, sealed } = await this.#committer(envelope.consortium).commit(draft);
    const final = draft.waitForSeal ? await Promise.all(results.map(async (r, i) => (sealed[i] ? { ...r, block: await sealed[i] } : r))) : results;
    recordCaptureResults(envelope.consortium, final);
    if (draft.atomic) throwIfRejected(final, draft.eventIds);
    return { results: final };
  }

  #committer(consortium: string): CaptureCommitter {
    let committer = this.#committers.get(consortium);
    if (!committer) {
      committer = new CaptureCommitter(consortium, {
        node: this.deps.node,
        db: this.deps.db,
        authorise: this.deps.authorise ?? authoriseEvent,
        citable: (orgId, consortiumId, addresses) => this.#documents.citable(orgId, consortiumId, addresses),
      });
      this.#committers.set(consortium, committer);
    }
    return committer;
  }
}
