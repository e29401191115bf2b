/**
 * Who may see an off-chain document, for reading it and for citing it (docs/access.md,
 * "Documents"): its consortium's regulators, its uploader, and members that may see in full an
 * event citing it. Citing needs the same entitlement as reading, so a known hash alone opens
 * nothing, and capture answers a document one may not cite exactly as one that does not exist.
 */
import type { VisibilityViewer } from '../core/lineage/visibility.js';
import { citationRowsOf, eventOfPayload } from '../core/ledger/projections/event-rows.js';
import type { DocumentMeta } from '../store/document-store.js';
import { DocumentStore } from '../store/document-store.js';
import { eventsCitingDocument, findEvent } from '../store/event-index.js';
import type { Database } from '../store/database.js';
import type { LedgerNode } from './node/ledger-node.js';
import { hostedState } from './node-handles.js';
import { decideRead, type ReadDecision } from './read-policy.js';
import { Visibility } from './visibility.js';

/** Citing events looked at before giving up (a document is cited by a handful of events). */
const MAX_CITING_EVENTS_CHECKED = 200;

export class DocumentEntitlement {
  readonly #documents: DocumentStore;
  readonly #visibility: Visibility;

  constructor(private readonly db: Database, private readonly node: LedgerNode) {
    this.#documents = new DocumentStore(db);
    this.#visibility = new Visibility(db, (id) => hostedState(node, id));
  }

  /** The read decision for a viewer and a stored document; the citing events are looked at only when needed. */
  async decide(viewer: VisibilityViewer | null, meta: Pick<DocumentMeta, 'sha256' | 'consortiumId' | 'uploadedByOrg'>): Promise<ReadDecision> {
    const item = { kind: 'document' as const, consortiumId: meta.consortiumId, id: meta.sha256, ownerOrg: meta.uploadedByOrg };
    const decision = decideRead(viewer, { ...item, citing: [] });
    // Regulators and the uploader need no look at the citing events.
    if (!viewer || decision.visibility !== 'HIDDEN' || decision.reason !== 'NOT_ENTITLED') return decision;
    return decideRead(viewer, { ...item, citing: await this.#citing(viewer, meta.consortiumId, meta.sha256) });
  }

  /** The addresses among those given that the organisation may cite in the consortium: stored there, and readable by it. */
  async citable(orgId: string, consortiumId: string, addresses: readonly string[]): Promise<Set<string>> {
    const org = hostedState(this.node, consortiumId)?.orgs.get(orgId);
    const out = new Set<string>();
    if (!org || org.status !== 'active') return out;
    const viewer: VisibilityViewer = { orgId, consortiumId, roles: new Set(org.roles) };
    for (const address of new Set(addresses)) {
      const meta = await this.#documents.meta(address);
      if (!meta || meta.consortiumId !== consortiumId) continue;
      if ((await this.decide(viewer, meta)).visibility !== 'HIDDEN') out.add(address);
    }
    return out;
  }

  /** Decisions on the events citing the document, for the viewer. */
  async #citing(viewer: VisibilityViewer, consortiumId: string, address: string) {
    const citing = (await eventsCitingDocument(this.db, consortiumId, address)).slice(0, MAX_CITING_EVENTS_CHECKED);
    const events = [];
    for (const eventId of citing) {
      const stored = await findEvent(this.db, eventId, consortiumId);
      if (!stored) continue;
      const record = JSON.parse(stored.recordBody) as { payload: { event: unknown } };
      // The citation row is not signed: only an event whose signed record cites the document counts.
      const event = eventOfPayload(record.payload);
      if (!event || !citationRowsOf(event, eventId).some((c) => c.sha256 === address)) continue;
      events.push({ eventId, consortiumId, signerOrg: stored.submitterOrg, event: record.payload.event });
    }
    if (events.length === 0) return [];
    return [...(await this.#visibility.decideEvents(viewer, events)).decisions.values()];
  }
}
