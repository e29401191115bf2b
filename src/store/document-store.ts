/**
 * Off-chain documents, addressed by the SHA-256 of their bytes.
 *
 * Stored as a BLOB in the node's database rather than as files under dataDir/documents: one
 * durable store (WAL, synchronous=FULL) and one transaction per upload, so there is no window where
 * a file exists without its metadata (or the reverse), and a backup of the database is a backup of
 * everything. Documents are capped at 20 MB, well within what SQLite handles comfortably.
 *
 * Every read re-hashes the bytes: altered bytes are never served (DOCUMENT_TAMPERED).
 */
import { sha256, toHex } from '../core/crypto/index.js';
import type { Database } from './database.js';
import { isHash } from '../core/ledger/record.js';
import { CodedError } from '../core/coded-error.js';

export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

export interface DocumentMeta {
  sha256: string;
  consortiumId: string;
  mediaType: string;
  size: number;
  uploadedByOrg: string | null;
  uploadedAt: string;
}

export interface StoredDocument extends DocumentMeta {
  bytes: Uint8Array;
}

export class DocumentStoreError extends CodedError {
  override readonly name = 'DocumentStoreError';
}


export function isDocumentAddress(value: unknown): value is string {
  return isHash(value);
}

export function documentAddress(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}

export class DocumentStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stores the bytes under their hash; storing the same bytes again is a no-op returning the first upload. */
  async put(input: { consortiumId: string; bytes: Uint8Array; mediaType: string; uploadedByOrg?: string | null }): Promise<DocumentMeta & { created: boolean }> {
    if (input.bytes.length === 0) throw new DocumentStoreError('EMPTY_DOCUMENT', 'document is empty');
    if (input.bytes.length > MAX_DOCUMENT_BYTES) {
      throw new DocumentStoreError('PAYLOAD_TOO_LARGE', `document exceeds ${MAX_DOCUMENT_BYTES} bytes`, { expected: MAX_DOCUMENT_BYTES, actual: input.bytes.length });
    }
    const address = documentAddress(input.bytes);
    const existing = await this.meta(address);
    if (existing) {
      if (existing.consortiumId !== input.consortiumId) {
        // Same bytes, another consortium: addresses are global, so refuse rather than leak across.
        throw new DocumentStoreError('DOCUMENT_EXISTS', 'a document with these bytes belongs to another consortium', { sha256: address });
      }
      return { ...existing, created: false };
    }
    const meta: DocumentMeta = {
      sha256: address,
      consortiumId: input.consortiumId,
      mediaType: input.mediaType,
      size: input.bytes.length,
      uploadedByOrg: input.uploadedByOrg ?? null,
      uploadedAt: this.now().toISOString(),
    };
    await this.db.document.upsert({ where: { sha256: address }, create: { ...meta, bytes: new Uint8Array(input.bytes) }, update: {} });
    return { ...meta, created: true };
  }

  async meta(address: string): Promise<DocumentMeta | null> {
    if (!isDocumentAddress(address)) return null;
    return this.db.document.findUnique({
      where: { sha256: address },
      select: { sha256: true, consortiumId: true, mediaType: true, size: true, uploadedByOrg: true, uploadedAt: true },
    });
  }

  /** The document, re-hashed: throws DOCUMENT_TAMPERED if the bytes no longer match their address. */
  async get(address: string): Promise<StoredDocument | null> {
    if (!isDocumentAddress(address)) {
      throw new DocumentStoreError('MALFORMED_DOCUMENT_ADDRESS', 'document address must be 64 lower-case hex characters', { field: 'sha256' });
    }
    const row = await this.db.document.findUnique({ where: { sha256: address } });
    if (!row) return null;
    const bytes = new Uint8Array(row.bytes);
    const computed = documentAddress(bytes);
    if (computed !== address || bytes.length !== row.size) {
      throw new DocumentStoreError('DOCUMENT_TAMPERED', 'stored document bytes no longer match their address; refusing to serve them', {
        expected: address,
        computed,
        expectedSize: row.size,
        computedSize: bytes.length,
      });
    }
    return { ...row, bytes };
  }
}
