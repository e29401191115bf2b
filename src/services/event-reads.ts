/** One captured EPCIS event by its hash ID or client-supplied eventID (REST GET /epcis/events/:eventID), as the read policy allows. */
import { correctionStatusOf, type CorrectionStatus } from '../core/capture/corrections.js';
import { parseEpcisEventPayload } from '../core/ledger/records/epcis-event.js';
import { redactEvent } from '../core/lineage/visibility.js';
import { correctionsOf, type StoredCorrection } from '../store/correction-store.js';
import { findEvent } from '../store/event-index.js';
import { hostedState, type NodeHandles } from './node-handles.js';
import { ReadError } from './read-errors.js';
import { requireViewer, type ReadContext } from './read-context.js';
import { isShownRead } from './read-policy.js';
import { Visibility } from './visibility.js';
import { openedEvent, withheldViews, type WithheldView } from './withheld-reads.js';

export interface EventView {
  eventId: string;
  consortium: string;
  event: unknown;
  redacted: boolean;
  recordHash: string;
  block: { height: number; hash: string } | null;
  signer: { keyId: string; orgId: string };
  signedAt: string;
  /** When this node recorded the event (EPCIS 2.0 section 7.4.1): a recordTime inside the signed event is the client's and means nothing. */
  recordTime: string;
  /** The record's payload format (docs/record-kinds.md). */
  payloadFormat: 1 | 2 | 3;
  /** Format 2: the capturing document's `@context`, as signed (null in format 1, which did not keep it). */
  context: unknown;
  /** Format 2: the capturing document's `epcisHeader` (master data), as signed; null when none. */
  epcisHeader: Record<string, unknown> | null;
  /** Fields the signed event holds as salted commitments (docs/redaction.md): opened when you see the event in full. */
  withheld: WithheldView[];
  /** Error declarations about the event, oldest first (EPCIS 2.0 section 7.4.1.4). */
  corrections: (Omit<StoredCorrection, 'declaration'> & { status: CorrectionStatus; errorDeclaration: unknown })[];
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
    const record = JSON.parse(stored.recordBody) as { payload: unknown; signer: string; signedAt: string };
    const payload = parseEpcisEventPayload(record.payload);
    const { decisions } = await this.#visibility.decideEvents(viewer, [{ eventId: stored.eventId, consortiumId: stored.consortiumId, signerOrg: stored.submitterOrg, event: payload.event }]);
    const decision = decisions.get(stored.eventId);
    if (!isShownRead(decision)) throw notFound;
    rc.access.record(decision);
    const redacted = decision!.visibility === 'REDACTED';
    const withheld = (await withheldViews(this.handles.db, stored.consortiumId, [{ recordHash: stored.recordHash, event: payload.event, open: !redacted }])).get(stored.recordHash) ?? [];
    const corrections = (await correctionsOf(this.handles.db, stored.consortiumId, [stored.eventId])).get(stored.eventId) ?? [];
    return {
      eventId: stored.eventId,
      consortium: stored.consortiumId,
      event: redacted ? redactEvent(payload.event).event : openedEvent(payload.event, withheld),
      redacted,
      recordHash: stored.recordHash,
      block: stored.block,
      signer: { keyId: record.signer, orgId: stored.submitterOrg },
      signedAt: record.signedAt,
      recordTime: stored.recordTime,
      payloadFormat: payload.format ?? 1,
      context: payload.context ?? null,
      epcisHeader: payload.epcisHeader ?? null,
      withheld,
      corrections: corrections.map(({ declaration, ...c }) => ({ ...c, status: correctionStatusOf(c), errorDeclaration: JSON.parse(declaration) as unknown })),
    };
  }
}
