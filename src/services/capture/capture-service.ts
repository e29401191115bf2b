/**
 * Capture: a signed EPCIS document becomes one ledger record per event (design:
 * docs/design/capture-submission.md). Order of checks: bounds and envelope shape, signedAt window,
 * signer standing, schema + rules, signatures, dedupe by event hash ID, then role and custody
 * rules inside the node's admission (check hook) and the indexes in the same transaction (persist).
 */
import type { LedgerNode, AcceptedRecord, GroupHooks } from '../node/ledger-node.js';
import { requireActiveSigner } from '../../core/ledger/consortium.js';
import { RecordKind, recordHash, type SignedRecord } from '../../core/ledger/record.js';
import { eventHashId } from '../../core/epcis/event-hash.js';
import { createEpcisValidator } from '../../platform/epcis-schemas.js';
import { identifiersOf, eventType, bizStepOf, dispositionOf } from '../../core/epcis/epcis-model.js';
import { authoriseEvent, canonicalIdentifier, type CustodyChange } from '../../core/rules/authorisation.js';
import {
  custodyOf,
  existingDocuments,
  existingEventIds,
  livePersonCommitments,
  writeEventIndex,
  type CustodyRow,
  type DocumentCitationRow,
  type EventIdentifierRow,
  type EventIndexRows,
  type EventRow,
} from '../../store/event-index.js';
import type { Database } from '../../store/database.js';
import { CaptureError, CaptureRejectedError, type CaptureEventResult } from '../../core/capture/errors.js';
import { checkSignedAt, documentEventList, recordsOfEnvelope, type CaptureEnvelope, type JsonObject } from '../../core/capture/envelope.js';
import { VerifyPool } from '../../platform/workers/verify-pool.js';
import { DAM_FIELD } from '../../core/lineage/graph.js';
import { DocumentRefError, documentRefsOfEvent, personRefOfEvent } from '../../core/capture/documents.js';

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
  // Dam to calf: the dam's identifier finds the calf's birth event.
  const dam = event[DAM_FIELD];
  if (typeof dam === 'string' && dam.trim() !== '') add(dam, 'dam');
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

/** What the captures of one group commit share: committed state read once, and the effects of those admitted so far. */
interface GroupView {
  storedEvents: Set<string>;
  committedCustody: Map<string, string | null>;
  /** Custody changes of submissions admitted earlier in the group (not on disk yet). */
  custody: Map<string, string | null>;
  admittedEvents: Set<string>;
  /** Cited document addresses and person commitments that exist (persons: not erased). */
  documents: Set<string>;
  persons: Set<string>;
}

interface CaptureGroupContext {
  consortium: string;
  eventIds: string[];
  identifiers: string[];
  documents: string[];
  persons: string[];
  group: GroupView;
  /** This document's own custody effects so far (later events in it see earlier ones). */
  own: Map<string, string | null>;
  rows: (accepted: AcceptedRecord[]) => Required<EventIndexRows>;
}

function emptyGroupView(): GroupView {
  return { storedEvents: new Set(), committedCustody: new Map(), custody: new Map(), admittedEvents: new Set(), documents: new Set(), persons: new Set() };
}

/** Custody as a check sees it: the document's own effects, then the group's, then what is committed. */
function custodianIn(group: GroupView, own: Map<string, string | null>, id: string): string | undefined {
  const value = own.has(id) ? own.get(id) : group.custody.has(id) ? group.custody.get(id) : group.committedCustody.get(id);
  return value ?? undefined;
}

/** The EpcisEvent index row of a captured event. */
export function eventRowOf(event: JsonObject, eventId: string, recordHashHex: string, submitterOrg: string): EventRow {
  const action = event['action'];
  return {
    eventId,
    recordHash: recordHashHex,
    eventType: eventType(event) ?? String(event['type']),
    eventTime: String(event['eventTime'] ?? ''),
    action: typeof action === 'string' ? action : null,
    bizStep: bizStepOf(event) ?? null,
    disposition: dispositionOf(event) ?? null,
    readPoint: locationId(event['readPoint']),
    bizLocation: locationId(event['bizLocation']),
    submitterOrg,
  };
}

/** Index rows (EpcisEvent, EventIdentifier, Custody, DocumentCitation) of the accepted events of one document. */
function indexRowsOf(
  accepted: AcceptedRecord[],
  eventIndexOf: (a: AcceptedRecord) => number,
  events: JsonObject[],
  eventIds: string[],
  changesByRecord: Map<SignedRecord, CustodyChange[]>,
): Required<EventIndexRows> {
  const eventRows: EventRow[] = [];
  const identifierRows: EventIdentifierRow[] = [];
  const custodyRows: CustodyRow[] = [];
  const citations: DocumentCitationRow[] = [];
  for (const a of accepted) {
    const i = eventIndexOf(a);
    const event = events[i]!;
    const eventId = eventIds[i]!;
    const eventTime = String(event['eventTime'] ?? '');
    eventRows.push(eventRowOf(event, eventId, a.admission.recordHash, a.admission.signer.org.id));
    identifierRows.push(...identifierRowsOf(event, eventId, eventTime));
    for (const c of changesByRecord.get(a.record) ?? []) custodyRows.push({ identifier: c.identifier, orgId: c.orgId, eventId, eventTime });
    // Checked at capture (citations of accepted events are well-formed and present).
    for (const d of documentRefsOfEvent(event)) citations.push({ sha256: d.sha256, eventId });
  }
  return { events: eventRows, identifiers: identifierRows, custody: custodyRows, citations };
}

const WARM_UP_TIME = { eventTime: '2026-01-01T00:00:00.000Z', eventTimeZoneOffset: '+00:00' };
/** One event of each EPCIS 2.0 type, so validating it compiles every branch of the schema. */
const WARM_UP_DOCUMENT = {
  '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: WARM_UP_TIME.eventTime,
  epcisBody: {
    eventList: [
      { type: 'ObjectEvent', ...WARM_UP_TIME, action: 'OBSERVE', epcList: ['urn:epc:id:sgtin:0614141.107346.2017'] },
      { type: 'AggregationEvent', ...WARM_UP_TIME, action: 'ADD', parentID: 'urn:epc:id:sscc:0614141.1234567890', childEPCs: ['urn:epc:id:sgtin:0614141.107346.2018'] },
      { type: 'TransactionEvent', ...WARM_UP_TIME, action: 'ADD', bizTransactionList: [{ type: 'po', bizTransaction: 'urn:epcglobal:cbv:bt:0614141073467:1152' }], epcList: ['urn:epc:id:sgtin:0614141.107346.2019'] },
      { type: 'TransformationEvent', ...WARM_UP_TIME, inputEPCList: ['urn:epc:id:sgtin:0614141.107346.2020'], outputEPCList: ['urn:epc:id:sgtin:0614141.107346.2021'] },
      { type: 'AssociationEvent', ...WARM_UP_TIME, action: 'ADD', parentID: 'urn:epc:id:grai:0614141.12345.400', childEPCs: ['urn:epc:id:giai:0614141.12345'] },
    ],
  },
};

function rejected(index: number, eventId: string, err: { code: string; message: string; details?: Record<string, unknown> }, recordHashHex?: string): CaptureEventResult {
  return { index, eventId, status: 'rejected', ...(recordHashHex ? { recordHash: recordHashHex } : {}), error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

export class CaptureService {
  readonly pool: VerifyPool;
  /**
   * One read of stored events and custody, and one write of the indexes, for every capture in a
   * group commit (LedgerNode.submit), instead of one per document.
   */
  readonly #groupHooks: GroupHooks<CaptureGroupContext> = {
    prepare: async (contexts) => {
      const consortium = contexts[0]!.consortium;
      const view: GroupView = {
        storedEvents: await existingEventIds(this.deps.db, consortium, contexts.flatMap((c) => c.eventIds)),
        committedCustody: await custodyOf(this.deps.db, consortium, contexts.flatMap((c) => c.identifiers)),
        custody: new Map(),
        admittedEvents: new Set(),
        documents: await existingDocuments(this.deps.db, consortium, contexts.flatMap((c) => c.documents)),
        persons: await livePersonCommitments(this.deps.db, consortium, contexts.flatMap((c) => c.persons)),
      };
      for (const c of contexts) {
        c.group = view;
        c.own = new Map(); // an admission retried after a failed group starts afresh
      }
    },
    persist: (batch, items) => {
      const rows = items.map((item) => item.context.rows(item.accepted));
      writeEventIndex(batch, items[0]!.context.consortium, {
        events: rows.flatMap((r) => r.events),
        identifiers: rows.flatMap((r) => r.identifiers),
        custody: rows.flatMap((r) => r.custody),
        citations: rows.flatMap((r) => r.citations),
      });
    },
  };

  constructor(private readonly deps: CaptureDeps) {
    this.pool = deps.pool ?? new VerifyPool();
  }

  /** Starts the workers and compiles the schema validator, so the first capture does not pay for either. */
  warmUp(): void {
    this.pool.warmUp();
    // ajv compiles the subschemas a document reaches on first use (~0.7 s for all event types).
    createEpcisValidator({ withRules: true }).validateDocument(WARM_UP_DOCUMENT);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  async capture(envelope: CaptureEnvelope, options: CaptureOptions = {}): Promise<CaptureOutcome> {
    const { node } = this.deps;
    const atomic = (options.mode ?? 'atomic') === 'atomic';
    const events = documentEventList(envelope.document);
    const state = node.state(envelope.consortium); // UNKNOWN_CONSORTIUM (404) if absent
    checkSignedAt(envelope.signedAt, options.now ?? new Date(), options.signedAtWindowMs);
    const signer = requireActiveSigner(state, envelope.signer, RecordKind.EPCIS_EVENT);
    if (signer.type !== 'org') throw new CaptureError('NOT_AUTHORISED', 'EPCIS events must be signed by an organisation key');

    const context = envelope.document['@context'];
    const results: (CaptureEventResult | undefined)[] = new Array(events.length);
    const invalidEvents = new Map<number, { path: string; message: string }[]>();

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
      for (const [i, issues] of byEvent) invalidEvents.set(i, issues);
    }

    // Record hashes, signatures and event hash IDs are computed together, in worker threads for large documents.
    const records = recordsOfEnvelope(envelope);
    const verified = await this.pool.verifyAndHash(records, signer.key.encoded, { context });
    const eventIds = events.map((e, i) => verified.eventIds[i] ?? eventHashId(e, context));
    for (const [i, issues] of invalidEvents) {
      results[i] = rejected(i, eventIds[i]!, { code: 'INVALID_EPCIS', message: `event is not valid EPCIS 2.0: ${issues.map((x) => `${x.path} ${x.message}`).join('; ')}`, details: { issues } });
    }
    // Off-chain documents and people the events cite: well-formed here, present in the group commit.
    const citations = events.map((event, i) => {
      try {
        const person = personRefOfEvent(event);
        return { documents: documentRefsOfEvent(event).map((d) => d.sha256), persons: person ? [person] : [] };
      } catch (err) {
        if (!(err instanceof DocumentRefError)) throw err;
        results[i] ??= rejected(i, eventIds[i]!, err);
        return { documents: [], persons: [] };
      }
    });
    verified.outcomes.forEach((o, i) => {
      if (o && !results[i]) results[i] = rejected(i, eventIds[i]!, o);
    });
    if (atomic) this.#throwIfRejected(results, eventIds);

    // Repeats within the document; repeats of stored events are found inside the node's admission
    // (prepare/check), so a capture does no database read before it joins a group commit.
    const firstIndex = new Map<string, number>();
    eventIds.forEach((id, i) => {
      if (results[i]) return;
      if (firstIndex.has(id)) results[i] = { index: i, eventId: id, status: 'duplicate', recordHash: verified.recordHashes[i] ?? recordHash(records[i]!) };
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
      const context: CaptureGroupContext = {
        consortium: envelope.consortium,
        eventIds: toSubmit.map((i) => eventIds[i]!),
        identifiers: allIds,
        documents: toSubmit.flatMap((i) => citations[i]!.documents),
        persons: toSubmit.flatMap((i) => citations[i]!.persons),
        group: emptyGroupView(),
        own: new Map(),
        rows: (accepted) => indexRowsOf(accepted, (a) => toSubmit[a.index]!, events, eventIds, changesByRecord),
      };
      const changesByRecord = new Map<SignedRecord, CustodyChange[]>();

      const check = (record: SignedRecord, resolved: ReturnType<typeof requireActiveSigner>): 'duplicate' | undefined => {
        const index = indexOfRecord.get(record)!;
        const eventId = eventIds[index]!;
        const group = context.group;
        // The event is stored, or captured by an earlier submission of this group commit.
        if (group.storedEvents.has(eventId) || group.admittedEvents.has(eventId)) return 'duplicate';
        const missingDocuments = citations[index]!.documents.filter((d) => !group.documents.has(d));
        if (missingDocuments.length > 0) {
          throw new CaptureError('UNKNOWN_DOCUMENT', `the event cites ${missingDocuments.length} document(s) not uploaded to this consortium (POST /documents first)`, { sha256: missingDocuments });
        }
        const missingPersons = citations[index]!.persons.filter((p) => !group.persons.has(p));
        if (missingPersons.length > 0) {
          throw new CaptureError('UNKNOWN_PERSON', 'the event cites a person commitment that is not registered in this consortium, or was erased', { commitment: missingPersons });
        }
        const event = (record.payload as { event: JsonObject }).event;
        const decision = authoriseEvent(event, resolved.org, (id) => custodianIn(group, context.own, id));
        if (!decision.ok) throw new CaptureError(decision.code, decision.message, decision.details);
        changesByRecord.set(record, decision.custodyChanges);
        // Later events in the same document see this event's custody effect.
        for (const c of decision.custodyChanges) context.own.set(c.identifier, c.orgId);
        return undefined;
      };

      const admitted = (accepted: AcceptedRecord[]) => {
        for (const a of accepted) {
          context.group.admittedEvents.add(eventIds[indexOfRecord.get(a.record)!]!);
          for (const c of changesByRecord.get(a.record) ?? []) context.group.custody.set(c.identifier, c.orgId);
        }
      };

      const submitOutcomes = await node.submit(envelope.consortium, submitted, {
        atomic,
        waitForSeal: options.wait === 'seal',
        signaturesVerified: true,
        recordHashes: toSubmit.map((i) => verified.recordHashes[i]),
        check,
        admitted,
        group: { hooks: this.#groupHooks as GroupHooks<unknown>, context },
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
