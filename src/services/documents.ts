/**
 * Off-chain documents (docs/access.md, "Documents"). Uploads are recorded against the caller and
 * must target the caller's own consortium, of which it is an active member. A document is served
 * to its consortium's regulators, its uploader, and members that may see in full an event citing
 * it; everyone else, members of other consortia included, is told it does not exist.
 */
import type { VisibilityDecision } from '../core/lineage/visibility.js';
import { DocumentStore, isDocumentAddress, type StoredDocument } from '../store/document-store.js';
import { eventsCitingDocument, findEvent } from '../store/event-index.js';
import { citationRowsOf, eventOfPayload } from '../core/ledger/projections/event-rows.js';
import { isActiveMember, viewerOfCaller, type Caller } from './callers.js';
import { hostedState, type NodeHandles } from './node-handles.js';
import type { AccessRecorder } from './access-recorder.js';
import { ReadError } from './read-errors.js';
import { decideRead } from './read-policy.js';
import { Visibility } from './visibility.js';

export { MAX_DOCUMENT_BYTES } from '../store/document-store.js';

/** Citing events looked at before giving up (a document is cited by a handful of events). */
const MAX_CITING_EVENTS_CHECKED = 200;

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;

export interface UploadedDocument {
  sha256: string;
  size: number;
  mediaType: string;
  consortiumId: string;
  created: boolean;
}

export class DocumentService {
  readonly #documents: DocumentStore;
  readonly #visibility: Visibility;

  constructor(private readonly handles: NodeHandles) {
    this.#documents = new DocumentStore(handles.db);
    this.#visibility = new Visibility(handles.db, (id) => hostedState(handles.node, id));
  }

  /** The consortium a request targets: the one named, or the node's only consortium. */
  consortiumFor(named: string | undefined): string {
    const known = this.handles.node.consortia();
    if (named === undefined) {
      if (known.length === 1) return known[0]!;
      throw new ReadError('CONSORTIUM_REQUIRED', 'name the consortium (Provenant-Consortium header or ?consortium=)', { known });
    }
    if (!known.includes(named)) throw new ReadError('UNKNOWN_CONSORTIUM', `unknown consortium "${named}"`, { consortium: named });
    return named;
  }

  /** A member may write only into its own consortium, and only while an active member there. */
  requireWriter(caller: Caller, consortiumId: string): string | null {
    if (caller.kind === 'open') return caller.orgId;
    if (caller.consortiumId !== consortiumId || !isActiveMember(this.handles.node, consortiumId, caller.orgId)) {
      throw new ReadError('NOT_AUTHORISED', `organisation "${caller.orgId}" is not an active member of "${consortiumId}"`, { orgId: caller.orgId, consortium: consortiumId });
    }
    return caller.orgId;
  }

  async upload(caller: Caller, consortiumId: string, bytes: Uint8Array | undefined, mediaTypeHeader: string | undefined): Promise<UploadedDocument> {
    const uploader = this.requireWriter(caller, consortiumId);
    if (!bytes || bytes.length === 0) throw new ReadError('EMPTY_DOCUMENT', 'send the document bytes as the request body');
    const mediaType = (mediaTypeHeader ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
    if (!MEDIA_TYPE.test(mediaType)) throw new ReadError('MALFORMED_MEDIA_TYPE', 'Content-Type is not a media type', { actual: mediaType });
    const stored = await this.#documents.put({ consortiumId, bytes, mediaType, uploadedByOrg: uploader });
    return { sha256: stored.sha256, size: stored.size, mediaType: stored.mediaType, consortiumId: stored.consortiumId, created: stored.created };
  }

  /** The document, re-hashed (DOCUMENT_TAMPERED rather than altered bytes); DOCUMENT_NOT_FOUND for anyone not entitled. */
  async read(caller: Caller, address: string, access: AccessRecorder): Promise<StoredDocument> {
    if (!isDocumentAddress(address)) throw new ReadError('MALFORMED_DOCUMENT_ADDRESS', 'document address must be 64 lower-case hex characters', { field: 'sha256' });
    const notFound = new ReadError('DOCUMENT_NOT_FOUND', `no document ${address}`, { sha256: address });
    const meta = await this.#documents.meta(address);
    if (!meta) throw notFound;
    let decision = null;
    if (caller.kind === 'member') {
      const viewer = viewerOfCaller(this.handles.node, caller, meta.consortiumId);
      const item = { kind: 'document' as const, consortiumId: meta.consortiumId, id: address, ownerOrg: meta.uploadedByOrg };
      decision = decideRead(viewer, { ...item, citing: [] });
      // Regulators and the uploader need no look at the citing events.
      if (viewer && decision.visibility === 'HIDDEN' && decision.reason === 'NOT_ENTITLED') decision = decideRead(viewer, { ...item, citing: await this.#citing(viewer, meta.consortiumId, address) });
      if (decision.visibility === 'HIDDEN') throw notFound;
    }
    const doc = await this.#documents.get(address);
    if (!doc) throw notFound;
    access.record(decision);
    return doc;
  }

  /** Decisions on the events citing the document, for the viewer. */
  async #citing(viewer: NonNullable<ReturnType<typeof viewerOfCaller>>, consortiumId: string, address: string): Promise<VisibilityDecision[]> {
    const citing = (await eventsCitingDocument(this.handles.db, consortiumId, address)).slice(0, MAX_CITING_EVENTS_CHECKED);
    const events = [];
    for (const eventId of citing) {
      const stored = await findEvent(this.handles.db, eventId, consortiumId);
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
