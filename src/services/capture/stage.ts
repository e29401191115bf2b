/**
 * A capture's second half, for all documents of a group commit at once while the ledger lane is
 * held: each event is screened for duplicates, its citations looked up, and the role table applied
 * with custody as the earlier events of the group left it. The result is a fully checked batch for
 * the node to admit and store, with its index rows. Every check runs once per event, here.
 */
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { authoriseEvent, type CustodyChange } from '../../core/rules/authorisation.js';
import { CaptureError, type CaptureEventResult } from '../../core/capture/errors.js';
import type { CaptureView } from '../../store/event-index.js';
import { writeEventIndex } from '../../store/event-index.js';
import { WriteBatch } from '../../store/write-batch.js';
import type { PreparedSubmission } from '../node/submission.js';
import { DuplicateScreen, StagedMap } from '../node/staged.js';
import { rejected, type CaptureDraft } from './draft.js';
import { IndexRows, custodyIdentifiersOf } from './index-rows.js';

/** The role table (authoriseEvent), or a stand-in that lets anything through (tests). */
export type AuthoriseEvent = typeof authoriseEvent;

/** What a group's staging decided for one document. */
export interface StagedDraft {
  draft: CaptureDraft;
  /** Every event's result, except the accepted ones that wait for the node. */
  results: (CaptureEventResult | undefined)[];
  /** Events sent to the node, in order; their records make the draft's submission. */
  sent: number[];
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
  /** The one holder of custody for the group: stored, then staged by earlier events. */
  custody: StagedMap<string | null>;
  rows: IndexRows;
  authorise: AuthoriseEvent;
  /** Items whose history cannot be proven complete: no event touching them is admitted. */
  unverified: ReadonlyMap<string, string>;
}

/** Why an event that passed its checks is not sent: another event of its atomic document was rejected. */
const NOT_STORED = { code: 'NOT_STORED', message: 'another record in the atomic batch was rejected' };

/** Citations and role table for one event; throws the typed rejection. Returns the event's custody changes. */
function checkEvent(group: GroupState, draft: CaptureDraft, i: number): readonly CustodyChange[] {
  const { documents, persons } = draft.citations[i]!;
  const missingDocuments = documents.filter((d) => !group.view.documents.has(d));
  if (missingDocuments.length > 0) {
    throw new CaptureError('UNKNOWN_DOCUMENT', `the event cites ${missingDocuments.length} document(s) not uploaded to this consortium (POST /documents first)`, { sha256: missingDocuments });
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
  const decision = group.authorise(draft.events[i]!, org, (id) => group.custody.get(id) ?? undefined);
  if (!decision.ok) throw new CaptureError(decision.code, decision.message, decision.details);
  return decision.custodyChanges;
}

function stageDraft(group: GroupState, draft: CaptureDraft): { staged: StagedDraft; changes: Map<number, readonly CustodyChange[]> } {
  const results = [...draft.decided];
  const passed: number[] = [];
  const changes = new Map<number, readonly CustodyChange[]>();
  draft.events.forEach((_, i) => {
    if (results[i]) return;
    const eventId = draft.eventIds[i]!;
    const hash = draft.recordHashes[i]!;
    // A repeat of a stored event, of one admitted earlier in the group, or of an earlier event here.
    if (group.screen.screen(eventId, hash)) {
      results[i] = { index: i, eventId, status: 'duplicate', recordHash: hash };
      return;
    }
    try {
      const custodyChanges = checkEvent(group, draft, i);
      changes.set(i, custodyChanges);
      // Later events see this event's custody effect.
      for (const c of custodyChanges) group.custody.set(c.identifier, c.orgId);
      passed.push(i);
    } catch (err) {
      if (!(err instanceof CaptureError)) throw err;
      results[i] = rejected(i, eventId, err, hash);
    }
  });
  const stands = !(draft.atomic && results.some((r) => r?.status === 'rejected'));
  group.custody.end(stands);
  group.screen.end(stands ? passed.flatMap((i) => [draft.eventIds[i]!, draft.recordHashes[i]!]) : []);
  if (!stands) for (const i of passed) results[i] = rejected(i, draft.eventIds[i]!, NOT_STORED, draft.recordHashes[i]);
  return { staged: { draft, results, sent: stands ? passed : [] }, changes };
}

/** Stages the drafts of a group in order against the stored view and the live state. */
export function stageGroup(drafts: readonly CaptureDraft[], view: CaptureView, state: ConsortiumState, authorise: AuthoriseEvent, unverified: ReadonlyMap<string, string> = new Map()): StagedGroup {
  const group: GroupState = {
    view,
    state,
    screen: new DuplicateScreen(view.stored),
    custody: new StagedMap(view.custody),
    rows: new IndexRows(),
    authorise,
    unverified,
  };
  const submissions: PreparedSubmission[] = [];
  const staged = drafts.map((draft) => {
    const { staged: s, changes } = stageDraft(group, draft);
    if (s.sent.length === 0) return s;
    for (const i of s.sent) group.rows.add(draft.events[i]!, draft.eventIds[i]!, draft.recordHashes[i]!, draft.signerOrg, changes.get(i)!);
    s.submission = submissions.length;
    submissions.push({
      records: s.sent.map((i) => ({ record: draft.records[i]!, hash: draft.recordHashes[i]! })),
      signaturesVerified: true,
      waitForSeal: draft.waitForSeal,
    });
    return s;
  });
  const writes = new WriteBatch();
  if (submissions.length > 0) writeEventIndex(writes, drafts[0]!.consortium, group.rows);
  return { drafts: staged, submissions, writes };
}
