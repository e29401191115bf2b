/**
 * Event extension fields that point off-chain. Because the event is signed, the
 * document hashes and person commitments it carries are in the signed record. Pure: no I/O.
 *
 *   "provenant:documents": [{ "sha256": "<hex>", "type": "health-certificate", "name": "HC-123.pdf" }]
 *   "provenant:personRef": "<commitment hex>"   (e.g. the farmer, driver or vet)
 *
 * Documents declare the prefix in @context: { "provenant": PROVENANT_NAMESPACE }.
 */
import { isHash } from '../ledger/record.js';
import { CodedError } from '../coded-error.js';

export const PROVENANT_NAMESPACE = 'https://provenant.dev/ns/epcis/';
export const DOCUMENTS_FIELD = 'provenant:documents';
export const PERSON_REF_FIELD = 'provenant:personRef';

export const DOCUMENT_TYPES = ['health-certificate', 'licence', 'customs-document', 'invoice', 'other'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export interface DocumentRef {
  sha256: string;
  type: DocumentType;
  name?: string;
}

export class DocumentRefError extends CodedError {
  override readonly name = 'DocumentRefError';
}

const MAX_REFS = 32;
const MAX_NAME = 200;

/** The document references of an event ([] when it has none); throws on a malformed field. */
export function documentRefsOfEvent(event: Record<string, unknown>): DocumentRef[] {
  const value = event[DOCUMENTS_FIELD];
  if (value === undefined) return [];
  const fail = (message: string, details: Record<string, unknown> = {}): never => {
    throw new DocumentRefError('MALFORMED_DOCUMENT_REF', `${DOCUMENTS_FIELD}: ${message}`, { field: DOCUMENTS_FIELD, ...details });
  };
  if (!Array.isArray(value)) fail('must be an array');
  const refs = value as unknown[];
  if (refs.length > MAX_REFS) fail(`at most ${MAX_REFS} documents per event`, { expected: MAX_REFS, actual: refs.length });
  return refs.map((ref, index) => {
    if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) return fail(`entry ${index} is not an object`, { index });
    const r = ref as Record<string, unknown>;
    if (!isHash(r.sha256)) return fail(`entry ${index}: sha256 must be 64 lower-case hex characters`, { index });
    if (typeof r.type !== 'string' || !(DOCUMENT_TYPES as readonly string[]).includes(r.type)) {
      return fail(`entry ${index}: type must be one of ${DOCUMENT_TYPES.join(', ')}`, { index, actual: r.type });
    }
    if (r.name !== undefined && (typeof r.name !== 'string' || r.name.length > MAX_NAME)) return fail(`entry ${index}: name must be a short string`, { index });
    return { sha256: r.sha256, type: r.type as DocumentType, ...(r.name !== undefined ? { name: r.name as string } : {}) };
  });
}

/** The person commitment an event carries, if any; throws on a malformed value. */
export function personRefOfEvent(event: Record<string, unknown>): string | undefined {
  const value = event[PERSON_REF_FIELD];
  if (value === undefined) return undefined;
  if (!isHash(value)) {
    throw new DocumentRefError('MALFORMED_PERSON_REF', `${PERSON_REF_FIELD} must be a 64-hex commitment`, { field: PERSON_REF_FIELD });
  }
  return value;
}

/** A copy of the event with the references set (before signing: the signature covers them). */
export function withDocumentRefs<T extends Record<string, unknown>>(event: T, refs: DocumentRef[]): T & { [DOCUMENTS_FIELD]: DocumentRef[] } {
  const copy = { ...event, [DOCUMENTS_FIELD]: refs };
  documentRefsOfEvent(copy);
  return copy;
}
