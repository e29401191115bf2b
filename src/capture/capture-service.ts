/**
 * Capture: a signed EPCIS document becomes one ledger record per event (design:
 * docs/design/capture-submission.md). Order of checks: bounds and envelope shape, signedAt window,
 * signer standing, schema + rules, signatures, dedupe by event hash ID, then role and custody
 * rules inside the node's admission (check hook) and the indexes in the same transaction (persist).
 */
import type { LedgerNode, AcceptedRecord } from '../node/ledger-node.js';
import { requireActiveSigner } from '../ledger/consortium.js';
import { RecordKind, recordHash, type SignedRecord } from '../ledger/record.js';
import { eventHashId } from '../events/event-hash.js';
import { createEpcisValidator } from '../events/epcis-validate.js';
import { identifiersOf, eventType, bizStepOf, dispositionOf } from '../events/epcis-model.js';
import { authoriseEvent, canonicalIdentifier, type CustodyChange } from '../rules/authorisation.js';
import {
  custodyOf,
  existingEventIds,
  writeEventIndex,
  type CustodyRow,
  type EventIdentifierRow,
  type EventRow,
  type Executor,
} from '../store/event-index.js';
import type { Database } from '../store/database.js';
import { CaptureError, CaptureRejectedError, type CaptureEventResult } from './errors.js';
import { checkSignedAt, documentEventList, recordsOfEnvelope, type CaptureEnvelope, type JsonObject } from './envelope.js';
import { VerifyPool } from './verify-pool.js';
import { Mutex } from '../node/mutex.js';

export interface CaptureOptions {
  mode?: 'atomic' | 'partial';
  wait?: 'seal' | 'none';
  now?: Date;
  signedAtWindowMs?: number;
}

export interface CaptureOutcome {
  results: CaptureEventResult[];
}

export interface CaptureDeps {
  node: LedgerNode;
  db: Database;
  pool?: VerifyPool;
}

const EVENT_PATH = /^epcisBody\.eventList\[(\d+)\]/;

function locationId(value: unknown): string | null {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : null;
}

/** Identifier rows of an event, canonical where parseable. */
export function identifierRowsOf(event: JsonObject, eventId: string, eventTime: string): EventIdentifierRow[] {
  const ids = identifiersOf(event);
  const rows: EventIdentifierRow[] = [];
  const add = (text: string, role: string) => rows.push({ identifier: canonicalIdentifier(text), eventId, role, eventTime });
  ids.epcs.forEach((id) => add(id, 'epc'));
  if (ids.parentID) add(ids.parentID, 'parent');
  ids.childEPCs.forEach((id) => add(id, 'child'));
  ids.inputEPCs.forEach((id) => add(id, 'input'));
  ids.outputEPCs.forEach((id) => add(id, 'output'));
  for (const q of ids.quantities) add(q.epcClass, q.role === 'quantity' ? 'quantity' : q.role);
  const list = (key: string, field: string, role: string) => {
    const v = event[key];
    if (Array.isArray(v)) for (const item of v) if (item && typeof item[field] === 'string') add(item[field], role);
  };
  list('sourceList', 'source', 'source');
  list('destinationList', 'destination', 'destination');
  const rp = locationId(event['readPoint']);
  if (rp) add(rp, 'readPoint');
  const bl = locationId(event['bizLocation']);
  if (bl) add(bl, 'bizLocation');
  // Dedupe (PK is identifier+event+role).
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = `${r.identifier}\u0000${r.role}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function rejected(index: number, eventId: string, err: { code: string; message: string; details?: Record<string, unknown> }, recordHashHex?: string): CaptureEventResult {
  return { index, eventId, status: 'rejected', ...(recordHashHex ? { recordHash: recordHashHex } : {}), error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

export class CaptureService {
  readonly pool: VerifyPool;
  /** Custody is read before node.submit; serialising read+submit keeps two captures from both passing. */
  readonly #custodyLock = new Mutex();
  constructor(private readonly deps: CaptureDeps) {
    this.pool = deps.pool ?? new VerifyPool();
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  async capture(envelope: CaptureEnvelope, options: CaptureOptions = {}): Promise<CaptureOutcome> {
    const { node, db } = this.deps;
    const atomic = (options.mode ?? 'atomic') === 'atomic';
    const events = documentEventList(envelope.document);
    const state = node.state(envelope.consortium); // UNKNOWN_CONSORTIUM (404) if absent
    checkSignedAt(envelope.signedAt, options.now ?? new Date(), options.signedAtWindowMs);
    const signer = requireActiveSigner(state, envelope.signer, RecordKind.EPCIS_EVENT);
    if (signer.type !== 'org') throw new CaptureError('NOT_AUTHORISED', 'EPCIS events must be signed by an organisation key');

    const context = envelope.document['@context'];
    const eventIds = events.map((e) => eventHashId(e, context));
    const results: (CaptureEventResult | undefined)[] = new Array(events.length);

    // Schema and rules: issues under eventList[i] belong to event i; others to the document.
    const validation = createEpcisValidator({ withRules: true }).validateDocument(envelope.document);
    if (!validation.ok) {
      const byEvent = new Map<number, { path: string; message: string }[]>();
      const documentIssues: { path: string; message: string }[] = [];
      for (const issue of validation.errors) {
        const m = EVENT_PATH.exec(issue.path);
        if (m) byEvent.set(Number(m[1]), [...(byEvent.get(Number(m[1])) ?? []), issue]);
        else documentIssues.push(issue);
      }
      if (atomic || documentIssues.length > 0) {
        throw new CaptureError('INVALID_EPCIS', `document is not valid EPCIS 2.0: ${validation.errors.slice(0, 3).map((i) => `${i.path} ${i.message}`).join('; ')}`, {
          issues: validation.errors,
        });
      }
      for (const [i, issues] of byEvent) {
        results[i] = rejected(i, eventIds[i]!, { code: 'INVALID_EPCIS', message: `event is not valid EPCIS 2.0: ${issues.map((x) => `${x.path} ${x.message}`).join('; ')}`, details: { issues } });
      }
    }

    const records = recordsOfEnvelope(envelope);
    const outcomes = await this.pool.verify(records, signer.key.encoded);
    outcomes.forEach((o, i) => {
      if (o && !results[i]) results[i] = rejected(i, eventIds[i]!, o);
    });
    if (atomic) this.#throwIfRejected(results, eventIds);

    const known = await existingEventIds(db, envelope.consortium, eventIds);
    const firstIndex = new Map<string, number>();
    eventIds.forEach((id, i) => {
      if (results[i]) return;
      if (known.has(id) || firstIndex.has(id)) results[i] = { index: i, eventId: id, status: 'duplicate', recordHash: recordHash(records[i]!) };
      else firstIndex.set(id, i);
    });

    const toSubmit = [...firstIndex.values()];
    if (toSubmit.length > 0) {
      const allIds = toSubmit.flatMap((i) => {
        const ids = identifiersOf(events[i]);
        return [...ids.epcs, ...ids.childEPCs, ...ids.inputEPCs, ...ids.outputEPCs, ...(ids.parentID ? [ids.parentID] : [])].map(canonicalIdentifier);
      });
      const submitted = toSubmit.map((i) => records[i]!);
      const indexOfRecord = new Map<SignedRecord, number>(toSubmit.map((i) => [records[i]!, i]));
      const submitOutcomes = await this.#custodyLock.run(async () => {
      const custody = await custodyOf(db, envelope.consortium, allIds);
      const overlay = new Map<string, string | null>(custody);
      const changesByRecord = new Map<SignedRecord, CustodyChange[]>();

      const check = (record: SignedRecord, resolved: ReturnType<typeof requireActiveSigner>) => {
        const event = (record.payload as { event: JsonObject }).event;
        const decision = authoriseEvent(event, resolved.org, (id) => overlay.get(id) ?? undefined);
        if (!decision.ok) throw new CaptureError(decision.code, decision.message, decision.details);
        changesByRecord.set(record, decision.custodyChanges);
        // Later events in the same document see this event's custody effect.
        for (const c of decision.custodyChanges) overlay.set(c.identifier, c.orgId);
      };

      const persist = async (tx: unknown, accepted: AcceptedRecord[]) => {
        const eventRows: EventRow[] = [];
        const identifierRows: EventIdentifierRow[] = [];
        const custodyRows: CustodyRow[] = [];
        for (const a of accepted) {
          const i = toSubmit[a.index]!;
          const event = events[i]!;
          const eventId = eventIds[i]!;
          const eventTime = String(event['eventTime'] ?? '');
          const action = event['action'];
          eventRows.push({
            eventId,
            recordHash: a.admission.recordHash,
            eventType: eventType(event) ?? String(event['type']),
            eventTime,
            action: typeof action === 'string' ? action : null,
            bizStep: bizStepOf(event) ?? null,
            disposition: dispositionOf(event) ?? null,
            readPoint: locationId(event['readPoint']),
            bizLocation: locationId(event['bizLocation']),
            submitterOrg: a.admission.signer.org.id,
          });
          identifierRows.push(...identifierRowsOf(event, eventId, eventTime));
          for (const c of changesByRecord.get(a.record) ?? []) custodyRows.push({ identifier: c.identifier, orgId: c.orgId, eventId, eventTime });
        }
        await writeEventIndex(tx as Executor, envelope.consortium, { events: eventRows, identifiers: identifierRows, custody: custodyRows });
      };

      return node.submit(envelope.consortium, submitted, {
        atomic,
        waitForSeal: options.wait === 'seal',
        signaturesVerified: true,
        check,
        persist,
      });
      });
      submitOutcomes.forEach((o, k) => {
        const i = indexOfRecord.get(submitted[k]!)!;
        const eventId = eventIds[i]!;
        switch (o.status) {
          case 'accepted':
            results[i] = { index: i, eventId, status: 'accepted', recordHash: o.recordHash, ...(o.block ? { block: o.block } : {}) };
            break;
          case 'duplicate':
            results[i] = { index: i, eventId, status: 'duplicate', recordHash: o.recordHash };
            break;
          case 'rejected':
            results[i] = rejected(i, eventId, o.error, o.recordHash);
            break;
          case 'not_stored':
            results[i] = rejected(i, eventId, { code: 'NOT_STORED', message: o.reason }, o.recordHash);
            break;
        }
      });
    }
    const final = results as CaptureEventResult[];
    if (atomic) this.#throwIfRejected(final, eventIds);
    return { results: final };
  }

  /** Atomic mode: the first real rejection decides the status; every event is reported. */
  #throwIfRejected(results: (CaptureEventResult | undefined)[], eventIds: string[]): void {
    const first = results.find((r) => r?.status === 'rejected' && r.error?.code !== 'NOT_STORED');
    if (!first) return;
    const all: CaptureEventResult[] = eventIds.map(
      (eventId, i) =>
        (results[i]?.status === 'rejected' ? results[i] : undefined) ??
        rejected(i, eventId, { code: 'NOT_STORED', message: 'another event in the atomic document was rejected' }),
    );
    throw new CaptureRejectedError(first.error!.code, `event ${first.index} rejected: ${first.error!.message}`, all, first.error!.details ?? {});
  }
}
