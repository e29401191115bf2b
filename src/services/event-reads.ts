/** One captured EPCIS event by its hash ID (REST GET /epcis/events/:eventID), as the read policy allows. */
import { redactEvent } from '../core/lineage/visibility.js';
import { findEvent } from '../store/event-index.js';
import { hostedState, type NodeHandles } from './node-handles.js';
import { ReadError } from './read-errors.js';
import { requireViewer, type ReadContext } from './read-context.js';
import { isShownRead } from './read-policy.js';
import { Visibility } from './visibility.js';

export interface EventView {
  eventId: string;
  consortium: string;
  event: unknown;
  redacted: boolean;
  recordHash: string;
  block: { height: number; hash: string } | null;
  signer: { keyId: string; orgId: string };
  signedAt: string;
}

export class EventReads {
  readonly #visibility: Visibility;

  constructor(private readonly handles: NodeHandles) {
    this.#visibility = new Visibility(handles.db, (id) => hostedState(handles.node, id));
  }

  /** The event in the viewer's consortium; hidden reads as absent (NOT_FOUND), so event ids cannot be probed. */
  async event(rc: ReadContext, eventId: string): Promise<EventView> {
    const viewer = requireViewer(rc);
    const notFound = new ReadError('NOT_FOUND', `no captured event with id ${eventId}`, { eventId });
    const stored = await findEvent(this.handles.db, eventId, viewer.consortiumId);
    if (!stored) throw notFound;
    const record = JSON.parse(stored.recordBody) as { payload: { event: unknown }; signer: string; signedAt: string };
    const { decisions } = await this.#visibility.decideEvents(viewer, [{ eventId: stored.eventId, consortiumId: stored.consortiumId, signerOrg: stored.submitterOrg, event: record.payload.event }]);
    const decision = decisions.get(stored.eventId);
    if (!isShownRead(decision)) throw notFound;
    rc.access.record(decision);
    const redacted = decision!.visibility === 'REDACTED';
    return {
      eventId: stored.eventId,
      consortium: stored.consortiumId,
      event: redacted ? redactEvent(record.payload.event).event : record.payload.event,
      redacted,
      recordHash: stored.recordHash,
      block: stored.block,
      signer: { keyId: record.signer, orgId: stored.submitterOrg },
      signedAt: record.signedAt,
    };
  }
}
