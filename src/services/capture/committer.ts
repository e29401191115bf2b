/**
 * Group commit of captures, per consortium: documents that arrive while a group is being checked
 * and stored wait and form the next group, which costs one read per table, one transaction and one
 * fsync however many documents it holds. The group is checked (stage.ts) while the ledger lane is
 * held, so the state and the store it reads stay true until the node has admitted and stored it.
 */
import type { CaptureEventResult } from '../../core/capture/errors.js';
import { captureViewOf, type CaptureViewKeys } from '../../store/event-index.js';
import { declaredEventIdOf } from '../../core/capture/corrections.js';
import type { Database } from '../../store/database.js';
import type { LedgerNode } from '../node/ledger-node.js';
import type { LedgerLane, SealedIn } from '../node/submission.js';
import { rejected, type CaptureDraft } from './draft.js';
import { custodyIdentifiersOf } from './index-rows.js';
import { stageGroup, type AuthoriseEvent } from './stage.js';
import { VerifiedCustody } from './verified-custody.js';
import { yieldToEventLoop } from '../../platform/event-loop.js';

/** A document's results once its group is stored; accepted events may still wait for their block. */
export interface Settled {
  results: CaptureEventResult[];
  sealed: (Promise<SealedIn> | undefined)[];
}

interface Waiting {
  draft: CaptureDraft;
  resolve: (settled: Settled) => void;
  reject: (err: unknown) => void;
}

/** A group stops taking documents at this many events, so one transaction stays short. */
const GROUP_MAX_EVENTS = 5000;

export interface CommitterDeps {
  node: LedgerNode;
  db: Database;
  authorise: AuthoriseEvent;
  /** The cited documents an organisation may cite (stored in the consortium and readable by it). */
  citable: (orgId: string, consortiumId: string, addresses: readonly string[]) => Promise<Set<string>>;
}

export class CaptureCommitter {
  readonly #consortium: string;
  readonly #deps: CommitterDeps;
  readonly #custody: VerifiedCustody;
  #queue: Waiting[] = [];

  constructor(consortium: string, deps: CommitterDeps) {
    this.#consortium = consortium;
    this.#deps = deps;
    this.#custody = new VerifiedCustody(deps.node, deps.db, consortium);
  }

  /** Resolves once the draft's group is stored (or the draft is refused). */
  commit(draft: CaptureDraft): Promise<Settled> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ draft, resolve, reject });
      void this.#turn();
    });
  }

  /**
   * One turn of the ledger lane per arriving document, queued with the node's other work in
   * arrival order (as the node's own submissions are): the first turn after a group takes every
   * document that arrived meanwhile; the turns of documents already taken find nothing and pass.
   */
  async #turn(): Promise<void> {
    let lane: LedgerLane;
    try {
      lane = await this.#deps.node.lane(this.#consortium);
    } catch (err) {
      for (const w of this.#queue.splice(0)) w.reject(err);
      return;
    }
    const group: Waiting[] = [];
    try {
      // Let the event loop take in documents that arrived during the last (synchronous) commit.
      await yieldToEventLoop();
      group.push(...this.#take());
      if (group.length > 0) await this.#commitGroup(lane, group);
    } catch (err) {
      for (const w of group) w.reject(err); // settled ones stay settled
    } finally {
      lane.release();
    }
  }

  #take(): Waiting[] {
    const group: Waiting[] = [];
    let size = 0;
    while (this.#queue.length > 0 && (group.length === 0 || size + this.#queue[0]!.draft.events.length <= GROUP_MAX_EVENTS)) {
      const w = this.#queue.shift()!;
      size += w.draft.events.length;
      group.push(w);
    }
    return group;
  }

  /**
   * Reads the stored state the group's checks need, stages the group and hands it to the node. If
   * the ledger refuses a record (its key was revoked since the document arrived), that event is
   * rejected and the others are staged again; if the transaction fails, each document is tried on
   * its own, so only the one at fault fails.
   */
  async #commitGroup(lane: LedgerLane, group: Waiting[]): Promise<void> {
    const waiting = group;
    try {
      const keys = keysOf(group.map((w) => w.draft));
      const view = await captureViewOf(this.#deps.db, this.#consortium, keys);
      // Custody from each item's proven history, not from the Custody table (verified-custody.ts).
      const verified = await this.#custody.of(keys.identifiers, lane.state);
      view.custody = verified.custody;
      const citable = await this.#citable(waiting.map((w) => w.draft));
      for (;;) {
        const staged = stageGroup(
          waiting.map((w) => w.draft),
          view,
          lane.state,
          this.#deps.authorise,
          verified.unverified,
          citable,
        );
        // Staging a large group is long main-thread work, and so is its write: let others in between.
        await yieldToEventLoop();
        const committed = await lane.commit(staged.submissions, staged.writes);
        if (committed.ok) {
          staged.drafts.forEach((s, d) => {
            const admitted = s.submission === undefined ? [] : committed.admitted[s.submission]!;
            const results = [...s.results];
            const sealed: Settled['sealed'] = new Array(results.length);
            s.sent.forEach((i, k) => {
              const corrects = s.corrects.get(i);
              results[i] = { index: i, eventId: s.draft.eventIds[i]!, status: 'accepted', recordHash: admitted[k]!.recordHash, ...(corrects ? { correctionOf: corrects } : {}) };
              sealed[i] = admitted[k]!.sealed;
            });
            waiting[d]!.resolve({ results: results as CaptureEventResult[], sealed });
          });
          return;
        }
        for (const r of committed.refused) {
          const s = staged.drafts.find((x) => x.submission === r.submission)!;
          const i = s.sent[r.index]!;
          s.draft.decided[i] = rejected(i, s.draft.eventIds[i]!, r.error, r.recordHash);
        }
      }
    } catch (err) {
      // After its submissions were appended the lane is handed on: the log decided them, no retry can change that.
      if (waiting.length === 1 || !lane.open) {
        for (const w of waiting) w.reject(err);
        return;
      }
      for (const w of waiting) await this.#commitGroup(lane, [w]);
    }
  }

  /** Per signing organisation, the documents its drafts cite that it may cite. */
  async #citable(drafts: readonly CaptureDraft[]): Promise<Map<string, Set<string>>> {
    const cited = new Map<string, string[]>();
    for (const draft of drafts) {
      const documents = draft.citations.flatMap((c, i) => (draft.decided[i] ? [] : c.documents));
      if (documents.length > 0) cited.set(draft.signerOrg, [...(cited.get(draft.signerOrg) ?? []), ...documents]);
    }
    const out = new Map<string, Set<string>>();
    for (const [org, documents] of cited) out.set(org, await this.#deps.citable(org, this.#consortium, documents));
    return out;
  }
}

function keysOf(drafts: readonly CaptureDraft[]): CaptureViewKeys {
  const keys = { eventIds: [] as string[], recordHashes: [] as string[], identifiers: [] as string[], documents: [] as string[], persons: [] as string[], declaredIds: [] as string[] };
  for (const draft of drafts) {
    draft.events.forEach((event, i) => {
      if (draft.decided[i]) return;
      keys.eventIds.push(draft.eventIds[i]!);
      keys.recordHashes.push(draft.recordHashes[i]!);
      keys.identifiers.push(...custodyIdentifiersOf(event));
      keys.documents.push(...draft.citations[i]!.documents);
      keys.persons.push(...draft.citations[i]!.persons);
      const declared = declaredEventIdOf(event);
      if (declared !== null) keys.declaredIds.push(declared);
    });
  }
  return keys;
}
