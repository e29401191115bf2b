/**
 * A capture's second half, for all documents of a group commit at once while the ledger lane is
 * held: each event is screened for duplicates, its citations looked up, and the role table applied
 * with custody as the earlier events of the group left it. An event declaring an error in a known
 * event (core/capture/corrections.ts) is a correction: checked against the organisation that
 * captured that event instead. The result is a fully checked batch for the node to admit and
 * store, with its index rows. Every check runs once per event, here.
 */
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { authoriseEvent, custodyStateOfChange, type CustodyChange } from '../../core/rules/authorisation.js';
import { CaptureError, type CaptureEventResult } from '../../core/capture/errors.js';
import type { KnownCustody } from '../../core/rules/custody-state.js';
import type { CaptureView, StoredEventRef } from '../../store/event-index.js';
import { correctionKey, declaredEventIdOf, errorDeclarationOf, type ErrorDeclaration } from '../../core/capture/corrections.js';
import { writeEventIndex } from '../../store/event-index.js';
import { WriteBatch } from '../../store/write-batch.js';
import { WithheldStore } from '../../store/withheld-store.js';
import type { PreparedSubmission } from '../node/submission.js';
import { DuplicateScreen, StagedMap } from '../node/staged.js';
import { rejected, type CaptureDraft } from './draft.js';
import { IndexRows, correctionRowOf, custodyIdentifiersOf } from './index-rows.js';
import { epcisHeaderOf } from '../../core/epcis/query/location-hierarchy.js';

/** The role table (authoriseEvent), or a stand-in that lets anything through (tests). */
export type AuthoriseEvent = typeof authoriseEvent;

/** What a group's staging decided for one document. */
export interface StagedDraft {
  draft: CaptureDraft;
  /** Every event's result, except the accepted ones that wait for the node. */
  results: (CaptureEventResult | undefined)[];
  /** Events sent to the node, in order; their records make the draft's submission. */
  sent: number[];
  /** Sent events that correct a known event: index to the corrected event's record hash. */
  corrects: Map<number, string>;
  /** The draft's position in `submissions`, when it sends anything. */
  submission?: number;
}

export interface StagedGroup {
  drafts: StagedDraft[];
  submissions: PreparedSubmission[];
  /** The index rows of every sent event, committed with the records. */
  writes: WriteBatch;
}

/** The stored state a group's checks start from, and the group's effects as they accumulate. */
interface GroupState {
  view: CaptureView;
  state: ConsortiumState;
  screen: DuplicateScreen;
  /** The one custody state per item for the group: stored, then staged by earlier events. */
  custody: StagedMap<KnownCustody>;
  /** Events the group knows by hash ID (stored, then staged): what a declaration may correct. */
  events: StagedMap<StoredEventRef>;
  /** Client-supplied event IDs taken, to the hash ID of the event that declared them. */
  declared: StagedMap<string>;
  rows: IndexRows;
  authorise: AuthoriseEvent;
  /** Items whose history cannot be proven complete: no event touching them is admitted. */
  unverified: ReadonlyMap<string, string>;
  /** Per signing organisation, the cited documents it may cite. */
  citable: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Why an event that passed its checks is not sent: another event of its atomic document was rejected. */
const NOT_STORED = { code: 'NOT_STORED', message: 'another record in the atomic batch was rejected' };

/** Citations and role table for one event; throws the typed rejection. Returns the event's custody changes. */
function checkEvent(group: GroupState, draft: CaptureDraft, i: number): readonly CustodyChange[] {
  const { documents, persons } = draft.citations[i]!;
  // One answer for a document that is absent and for one the signer may not read: no existence oracle.
  const citable = group.citable.get(draft.signerOrg);
  const missingDocuments = documents.filter((d) => !group.view.documents.has(d) || !citable?.has(d));
  if (missingDocuments.length > 0) {
    throw new CaptureError('UNKNOWN_DOCUMENT', `the event cites ${missingDocuments.length} document(s) that are not in this consortium or that this organisation may not read (POST /documents first)`, { sha256: missingDocuments });
  }
  const missingPersons = persons.filter((p) => !group.view.persons.has(p));
  if (missingPersons.length > 0) {
    throw new CaptureError('UNKNOWN_PERSON', 'the event cites a person commitment that is not registered in this consortium, or was erased', { commitment: missingPersons });
  }
  for (const id of custodyIdentifiersOf(draft.events[i]!)) {
    const why = group.unverified.get(id);
    if (why) throw new CaptureError('CUSTODY_UNVERIFIED', `custody of ${id} cannot be established from its signed history: ${why}`, { identifier: id });
  }
  // Roles as they are now: the ledger lane keeps them so until the group is admitted.
  const org = group.state.orgs.get(draft.signerOrg);
  if (!org) throw new CaptureError('NOT_AUTHORISED', `organisation "${draft.signerOrg}" is not a member of this consortium`, { orgId: draft.signerOrg });
  // The custody rule set in force for the records this group appends (custody-state.ts).
  const decision = group.authorise(draft.events[i]!, org, (id) => group.custody.get(id), group.state.custodyRules);
  if (!decision.ok) throw new CaptureError(decision.code, decision.message, decision.details);
  return decision.custodyChanges;
}

/** EPCIS 2.0 section 7.4.1.3: an event ID names one event; a client-supplied one another event took is refused. */
function checkDeclaredId(group: GroupState, event: Record<string, unknown>, eventId: string): string | null {
  const declared = declaredEventIdOf(event);
  if (declared === null || declared === eventId) return declared;
  const owner = group.declared.get(declared) ?? (group.events.get(declared) ? declared : undefined);
  if (owner !== undefined && owner !== eventId) {
    throw new CaptureError('EVENT_ID_TAKEN', `eventID ${declared} already names another captured event`, { eventID: declared, eventId: owner });
  }
  return declared;
}

/** What stageDraft decided for one event it lets through. */
type Passed = { keys: string[]; custody: readonly CustodyChange[]; declaration?: ErrorDeclaration; corrects?: string };

/**
 * A declaration about a known event, by the organisation that captured it: a correction (no role
 * or custody check: it states no new business step). Undefined when the event is not known yet
 * (then it is captured as an event that carries its own declaration).
 */
function stageCorrection(group: GroupState, draft: CaptureDraft, i: number, declaration: ErrorDeclaration): Passed | CaptureEventResult | undefined {
  const eventId = draft.eventIds[i]!;
  const hash = draft.recordHashes[i]!;
  const original = group.events.get(eventId);
  if (!original) return undefined;
  const key = correctionKey(eventId, declaration.canonical);
  if (group.screen.screen(key, hash)) return { index: i, eventId, status: 'duplicate', recordHash: hash };
  if (draft.signerOrg !== original.submitterOrg) {
    return rejected(i, eventId, new CaptureError('CORRECTION_NOT_PERMITTED', `only ${original.submitterOrg}, which captured the event, may declare an error in it`, { eventId, capturedBy: original.submitterOrg }), hash);
  }
  return { keys: [key, hash], custody: [], declaration, corrects: original.recordHash };
}

function stageEvent(group: GroupState, draft: CaptureDraft, i: number): Passed | CaptureEventResult {
  const eventId = draft.eventIds[i]!;
  const hash = draft.recordHashes[i]!;
  const event = draft.events[i]!;
  const declaration = errorDeclarationOf(event);
  const correction = declaration ? stageCorrection(group, draft, i, declaration) : undefined;
  if (correction) return correction;
  const keys = declaration ? [eventId, hash, correctionKey(eventId, declaration.canonical)] : [eventId, hash];
  // A repeat of a stored event, of one admitted earlier in the group, or of an earlier event here.
  if (group.screen.screen(...keys)) return { index: i, eventId, status: 'duplicate', recordHash: hash };
  try {
    const declared = checkDeclaredId(group, event, eventId);
    const custody = checkEvent(group, draft, i);
    // Later events see this event's custody effect, its ID and itself (a declaration may follow).
    for (const c of custody) group.custody.set(c.identifier, custodyStateOfChange(c));
    group.events.set(eventId, { recordHash: hash, submitterOrg: draft.signerOrg });
    if (declared !== null) group.declared.set(declared, eventId);
    return { keys, custody, ...(declaration ? { declaration } : {}) };
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    return rejected(i, eventId, err, hash);
  }
}

function stageDraft(group: GroupState, draft: CaptureDraft): { staged: StagedDraft; passed: Map<number, Passed> } {
  const results = [...draft.decided];
  const passed = new Map<number, Passed>();
  draft.events.forEach((_, i) => {
    if (results[i]) return;
    const outcome = stageEvent(group, draft, i);
    if ('status' in outcome) results[i] = outcome;
    else passed.set(i, outcome);
  });
  const stands = !(draft.atomic && results.some((r) => r?.status === 'rejected'));
  group.custody.end(stands);
  group.events.end(stands);
  group.declared.end(stands);
  group.screen.end(stands ? [...passed.values()].flatMap((p) => p.keys) : []);
  if (!stands) for (const i of passed.keys()) results[i] = rejected(i, draft.eventIds[i]!, NOT_STORED, draft.recordHashes[i]);
  const sent = stands ? [...passed.keys()] : [];
  const corrects = new Map<number, string>();
  for (const i of sent) if (passed.get(i)!.corrects) corrects.set(i, passed.get(i)!.corrects!);
  return { staged: { draft, results, sent, corrects }, passed };
}

/** Stages the drafts of a group in order against the stored view and the live state. */
export function stageGroup(drafts: readonly CaptureDraft[], view: CaptureView, state: ConsortiumState, authorise: AuthoriseEvent, unverified: ReadonlyMap<string, string> = new Map(), citable: ReadonlyMap<string, ReadonlySet<string>> = new Map()): StagedGroup {
  const group: GroupState = {
    view,
    state,
    screen: new DuplicateScreen(new Set([...view.stored, ...view.corrections])),
    custody: new StagedMap(view.custody),
    events: new StagedMap(view.events),
    declared: new StagedMap(view.declared),
    rows: new IndexRows(),
    authorise,
    unverified,
    citable,
  };
  const submissions: PreparedSubmission[] = [];
  const staged = drafts.map((draft) => {
    const { staged: s, passed } = stageDraft(group, draft);
    if (s.sent.length === 0) return s;
    let headerIndexed = false;
    for (const i of s.sent) {
      const p = passed.get(i)!;
      const [eventId, hash] = [draft.eventIds[i]!, draft.recordHashes[i]!];
      if (p.corrects) group.rows.addCorrection(correctionRowOf(eventId, hash, p.corrects, p.declaration!, draft.signerOrg));
      else group.rows.add(draft.events[i]!, eventId, hash, draft.signerOrg, p.custody, p.declaration);
      // Every record of a document signs the same header: its links are indexed once, under the first stored one.
      const header = epcisHeaderOf(draft.records[i]!.payload);
      if (!headerIndexed && header !== undefined) {
        group.rows.addHeader(header, hash, draft.signerOrg);
        headerIndexed = true;
      }
    }
    s.submission = submissions.length;
    submissions.push({
      records: s.sent.map((i) => ({ record: draft.records[i]!, hash: draft.recordHashes[i]! })),
      signaturesVerified: true,
      signer: draft.signer,
      waitForSeal: draft.waitForSeal,
    });
    return s;
  });
  const writes = new WriteBatch();
  if (submissions.length > 0) writeEventIndex(writes, drafts[0]!.consortium, group.rows);
  const now = new Date().toISOString();
  for (const s of staged) for (const i of s.sent) WithheldStore.addInBatch(writes, s.draft.consortium, s.draft.recordHashes[i]!, s.draft.openings[i]!, now);
  return { drafts: staged, submissions, writes };
}
