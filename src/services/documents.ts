/**
 * Off-chain documents (docs/access.md, "Documents"). Uploads are recorded against the caller and
 * must target the caller's own consortium, of which it is an active member. A document is served
 * to its consortium's regulators, its uploader, and members that may see in full an event citing
 * it; everyone else, members of other consortia included, is told it does not exist.
 */
import { DocumentStore, isDocumentAddress, type StoredDocument } from '../store/document-store.js';
import { isActiveMember, viewerOfCaller, type Caller } from './callers.js';
import type { NodeHandles } from './node-handles.js';
import type { AccessRecorder } from './access-recorder.js';
import { ReadError } from './read-errors.js';
import { DocumentEntitlement } from './document-entitlement.js';

export { MAX_DOCUMENT_BYTES } from '../store/document-store.js';

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
  readonly #entitlement: DocumentEntitlement;

  constructor(private readonly handles: NodeHandles) {
    this.#documents = new DocumentStore(handles.db);
    this.#entitlement = new DocumentEntitlement(handles.db, handles.node);
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
      decision = await this.#entitlement.decide(viewerOfCaller(this.handles.node, caller, meta.consortiumId), meta);
      if (decision.visibility === 'HIDDEN') throw notFound;
    }
    const doc = await this.#documents.get(address);
    if (!doc) throw notFound;
    access.record(decision);
    return doc;
  }
}
