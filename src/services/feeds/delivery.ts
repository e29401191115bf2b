/**
 * Each subscriber's share of the feed: who may open a stream, and per published batch the items
 * the read policy shows this viewer (each delivered read of another organisation's data
 * access-logged). Every batch first checks that the viewer still stands: a revoked token or an
 * organisation removed since the stream opened ends it with UNAUTHENTICATED.
 */
import { EMPTY_SCOPE, type EventFacts, type VisibilityViewer } from '../../core/lineage/visibility.js';
import type { SealedBlockEvent } from '../node/ledger-node.js';
import { liveViewer, type Viewer } from '../auth.js';
import { hostedState, type NodeHandles } from '../node-handles.js';
import { notFound, ReadError } from '../read-errors.js';
import { requireMember, type ReadContext } from '../read-context.js';
import { decideRead, type ReadDecision, type ReadItem } from '../read-policy.js';
import { Visibility } from '../visibility.js';
import { checkedIdentifier } from '../lineage/identifiers.js';
import { heldAffected, inspectionFor, recallFor, shownEvent, type BreachNotice, type InspectionNotice, type RecallNotice, type SealedEventNotice } from './notices.js';

/** How one subscription picks and shapes notices for its viewer. */
export interface Delivery<N, Out> {
  /** Cheap test before any visibility work (e.g. does the event touch the identifier). */
  concerns?: (notice: N) => boolean;
  /** The item the read policy decides, for this viewer. */
  item: (notice: N, viewer: VisibilityViewer, scope: ReadItemScope) => ReadItem;
  facts: (notice: N) => EventFacts;
  /** Whether custody/lineage scope can entitle the viewer here (no for inspection findings). */
  withScope: boolean;
  select: (notice: N, viewer: VisibilityViewer, decision: ReadDecision) => Out | null;
}

type ReadItemScope = Extract<ReadItem, { kind: 'event' }>['scope'];

/** What one batch gives a subscriber: the items to push, or why the stream ends. */
export type BatchOutcome<Out> = { items: Out[] } | { end: ReadError };

export const EVENTS: Delivery<SealedEventNotice, SealedEventNotice> = {
  facts: (n) => n.facts,
  item: (n, _v, scope) => ({ kind: 'event', facts: n.facts, scope }),
  withScope: true,
  select: (n, _v, d) => (d.visibility === 'HIDDEN' ? null : shownEvent(n, d)),
};

export const BREACHES: Delivery<BreachNotice, BreachNotice> = {
  facts: (n) => n.facts,
  item: (n, _v, scope) => ({ kind: 'event', facts: n.facts, scope, as: 'record', deviceOwner: n.deviceOwner }),
  withScope: true,
  select: (n, _v, d) => (d.visibility === 'HIDDEN' ? null : n),
};

export const RECALLS: Delivery<RecallNotice, RecallNotice> = {
  facts: (n) => n.event.facts,
  item: (n, v, scope) => ({ kind: 'event', facts: n.event.facts, scope, holdsAffected: heldAffected(v, n).length > 0 }),
  withScope: true,
  select: (n, v, d) => recallFor(v, n, d),
};

export const INSPECTIONS: Delivery<InspectionNotice, InspectionNotice> = {
  facts: (n) => n.event.facts,
  item: (n, _v, scope) => ({ kind: 'event', facts: n.event.facts, scope }),
  // Custody or lineage only ever earns a redacted finding, which this feed does not send.
  withScope: false,
  select: (n, v, d) => inspectionFor(v, n, d),
};

/**
 * Subscription streams one API token may hold open at once: each one filters every published batch
 * for its viewer, so without a bound a single token could make the node do that work without end.
 */
export const MAX_STREAMS_PER_TOKEN = 32;

export class FeedReads {
  readonly #visibility: Visibility;
  /** Open streams by token hash. */
  readonly #streams = new Map<string, number>();

  constructor(private readonly handles: NodeHandles) {
    this.#visibility = new Visibility(handles.db, (id) => hostedState(handles.node, id));
  }

  /** The subscriber, a member of the hosted consortium it subscribes to; refusals as typed errors. */
  open(rc: ReadContext, consortiumId: string): Viewer {
    const viewer = requireMember(rc, consortiumId);
    if (!hostedState(this.handles.node, consortiumId)) throw notFound(`unknown consortium "${consortiumId}"`, { consortium: consortiumId });
    return viewer;
  }

  /**
   * Counts a stream the viewer's token opens; TOO_MANY_SUBSCRIPTIONS once it holds
   * MAX_STREAMS_PER_TOKEN. The function returned ends the count (calling it again does nothing).
   */
  admit(viewer: Viewer): () => void {
    const open = this.#streams.get(viewer.tokenHash) ?? 0;
    if (open >= MAX_STREAMS_PER_TOKEN) {
      throw new ReadError('TOO_MANY_SUBSCRIPTIONS', `this API token already holds ${open} open subscriptions; the limit is ${MAX_STREAMS_PER_TOKEN}`, { limit: MAX_STREAMS_PER_TOKEN, open });
    }
    this.#streams.set(viewer.tokenHash, open + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.#streams.get(viewer.tokenHash) ?? 1) - 1;
      if (left > 0) this.#streams.set(viewer.tokenHash, left);
      else this.#streams.delete(viewer.tokenHash);
    };
  }

  /** The identifier a records subscription follows (INVALID_IDENTIFIER otherwise). */
  identifier(text: string): string {
    return checkedIdentifier(text);
  }

  /** The viewer as it stands now, or the reason the stream ends. */
  async #standing(viewer: Viewer): Promise<Viewer | ReadError> {
    const now = await liveViewer(this.handles.db, this.handles.node, viewer);
    return typeof now === 'string' ? new ReadError('UNAUTHENTICATED', now, { orgId: viewer.orgId }) : now;
  }

  /**
   * The batch as this viewer gets it. Regulators, signers and farms of origin need no facts about
   * the viewer; the others' custody and lineage scope is read once per batch, and only when the
   * delivery allows it (it can only add CUSTODY, CARGO, LINEAGE or a REDACTED finding).
   */
  async batch<N, Out>(rc: ReadContext, viewer: Viewer, batch: readonly N[], how: Delivery<N, Out>): Promise<BatchOutcome<Out>> {
    const notices = how.concerns ? batch.filter(how.concerns) : [...batch];
    if (notices.length === 0) return { items: [] };
    const now = await this.#standing(viewer);
    if (now instanceof ReadError) return { end: now };
    const first = notices.map((n) => decideRead(now, how.item(n, now, EMPTY_SCOPE)));
    const open = notices.filter((_n, i) => first[i]!.visibility !== 'VISIBLE' && first[i]!.reason !== 'OTHER_CONSORTIUM');
    let decisions = first;
    if (how.withScope && open.length > 0) {
      const store = this.#visibility.store(now.consortiumId);
      const scope = store ? await store.scope(now, new Set(open.map(how.facts).flatMap((f) => f.items))) : EMPTY_SCOPE;
      decisions = notices.map((n, i) => (open.includes(n) ? decideRead(now, how.item(n, now, scope)) : first[i]!));
    }
    const items: Out[] = [];
    notices.forEach((n, i) => {
      const out = how.select(n, now, decisions[i]!);
      if (out === null) return;
      rc.access.record(decisions[i]);
      items.push(out);
    });
    return { items };
  }

  /** A sealed-block notice for the viewer (every member sees every block of its consortium), or why the stream ends. */
  async block(viewer: Viewer, event: SealedBlockEvent): Promise<{ item: SealedBlockEvent | null } | { end: ReadError }> {
    const now = await this.#standing(viewer);
    if (now instanceof ReadError) return { end: now };
    return { item: decideRead(now, { kind: 'consortium', consortiumId: event.consortium }).visibility === 'HIDDEN' ? null : event };
  }
}
