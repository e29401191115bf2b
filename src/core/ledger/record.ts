/**
 * A record is the ledger's unit: an envelope (consortium, kind, payload, signer key id, signed-at)
 * that is JCS-canonicalised, hashed with a domain tag, and signed over a domain-separated message.
 * The record hash (never the signature, which may be malleable) is the record's identity.
 */
import {
  HashTag,
  canonicalBytes,
  encodeSignature,
  fromHex,
  keyIdOf,
  parseSignature,
  sign,
  signingMessage,
  taggedHash,
  toHex,
  verifySignature,
  type JsonValue,
  type KeyPair,
  type PublicKey,
} from '../crypto/index.js';
import { batchShapeProblem, verifyBatchAuthenticator, type BatchAuthenticator, type BatchSignatureCache } from './batch-signature.js';
import { LedgerError } from './errors.js';
import { RecordKind, isRecordKind } from './records/kinds.js';

export const RECORD_VERSION = 1;

export { RecordKind } from './records/kinds.js';

export interface RecordBody {
  readonly v: typeof RECORD_VERSION;
  readonly consortium: string;
  readonly kind: RecordKind;
  readonly payload: JsonValue;
  /** Key id (see keyIdOf) of the organisation, authority or device key that signed. */
  readonly signer: string;
  /** RFC 3339 UTC with milliseconds, as claimed by the signer. */
  readonly signedAt: string;
}

/** Exactly one of `signature` and `batch` is present (assertRecordShape); neither is covered by the record hash. */
export interface SignedRecord extends RecordBody {
  /** `<alg>:<base64url>` over signingMessage(RECORD, recordHash). */
  readonly signature?: string;
  /** A batch signature and this record's inclusion path (docs/batch-signatures.md). */
  readonly batch?: BatchAuthenticator;
}

/** A record signed on its own, as signRecord makes it. */
export type EventSignedRecord = SignedRecord & { readonly signature: string };

const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;
const CONSORTIUM_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

export function isConsortiumId(value: unknown): value is string {
  return typeof value === 'string' && CONSORTIUM_ID.test(value);
}

export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC_MS.test(value) && !Number.isNaN(Date.parse(value));
}

export function isHash(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}

/** Approvals get their own tag so an approval can never be confused with any other record. */
function recordTag(kind: RecordKind): HashTag {
  return kind === RecordKind.APPROVAL ? HashTag.APPROVAL : HashTag.RECORD;
}

/** Checks shape only (not the signature or the signer's standing), so it is safe on untrusted input. */
export function assertRecordShape(value: unknown): asserts value is SignedRecord {
  const fail = (message: string, details: Record<string, unknown> = {}): never => {
    throw new LedgerError('MALFORMED_RECORD', `malformed record: ${message}`, details);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not an object');
  const r = value as Record<string, unknown>;
  const allowed = new Set(['v', 'consortium', 'kind', 'payload', 'signer', 'signedAt', 'signature', 'batch']);
  for (const key of Object.keys(r)) if (!allowed.has(key)) fail(`unexpected field "${key}"`, { field: key });
  if (r.v !== RECORD_VERSION) fail(`unsupported version ${JSON.stringify(r.v)}`, { expected: RECORD_VERSION, actual: r.v });
  if (!isConsortiumId(r.consortium)) fail('consortium must be a lower-case slug', { field: 'consortium' });
  if (!isRecordKind(r.kind)) fail(`unknown kind ${JSON.stringify(r.kind)}`, { field: 'kind' });
  if (r.payload === undefined) fail('payload is missing', { field: 'payload' });
  if (!isHash(r.signer)) fail('signer must be a 64-hex key id', { field: 'signer' });
  if (!isTimestamp(r.signedAt)) fail('signedAt must be RFC 3339 UTC with milliseconds', { field: 'signedAt' });
  if (r.signature !== undefined && r.batch !== undefined) fail('a record holds either signature or batch, not both', { field: 'batch' });
  if (r.batch !== undefined) {
    const problem = batchShapeProblem(r.batch);
    if (problem) fail(problem, { field: 'batch' });
  } else if (typeof r.signature !== 'string') fail('signature is missing', { field: 'signature' });
}

export function recordBodyOf(record: SignedRecord): RecordBody {
  const { v, consortium, kind, payload, signer, signedAt } = record;
  return { v, consortium, kind, payload, signer, signedAt };
}

export function recordHashBytes(body: RecordBody): Uint8Array {
  return taggedHash(recordTag(body.kind), canonicalBytes(recordBodyOf(body as SignedRecord)));
}

export function recordHash(body: RecordBody): string {
  return toHex(recordHashBytes(body));
}

export function recordSigningMessage(body: RecordBody): Uint8Array {
  return signingMessage(recordTag(body.kind), recordHashBytes(body));
}

export function formatTimestamp(date: Date): string {
  return date.toISOString();
}

export interface RecordDraft {
  consortium: string;
  kind: RecordKind;
  payload: JsonValue;
  signedAt?: string;
}

export function signRecord(draft: RecordDraft, signer: KeyPair): EventSignedRecord {
  const body: RecordBody = {
    v: RECORD_VERSION,
    consortium: draft.consortium,
    kind: draft.kind,
    payload: draft.payload,
    signer: signer.keyId,
    signedAt: draft.signedAt ?? formatTimestamp(new Date()),
  };
  const signature = encodeSignature(sign(signer.privateKey, recordSigningMessage(body)));
  const record: EventSignedRecord = { ...body, signature };
  assertRecordShape(record);
  return record;
}

/**
 * Verifies the record's signature (or its batch path and batch signature) against the given key.
 * Throws a typed error naming what failed: the key does not match the signer id, the signature is
 * malformed, or it does not verify. A batch signature is checked once per exact header through
 * `batchCache` when given (one cache per verification run).
 */
export function verifyRecordSignature(record: SignedRecord, publicKey: PublicKey, recordHashHex?: string, batchCache?: BatchSignatureCache): void {
  const expectedSigner = batchCache ? batchCache.keyIdOf(publicKey) : keyIdOf(publicKey);
  if (expectedSigner !== record.signer) {
    throw new LedgerError('UNKNOWN_SIGNER', 'record signer id does not match the key it was checked against', {
      expected: expectedSigner,
      actual: record.signer,
    });
  }
  if (record.batch !== undefined) {
    const digest = recordHashHex ? fromHex(recordHashHex, 32) : recordHashBytes(record);
    verifyBatchAuthenticator(record, digest, record.batch, publicKey, recordHashHex ?? toHex(digest), batchCache);
    return;
  }
  let signature;
  try {
    signature = parseSignature(record.signature);
  } catch (err) {
    throw new LedgerError('BAD_SIGNATURE', `record signature is malformed: ${(err as Error).message}`, {
      recordHash: recordHashHex ?? recordHash(record),
    });
  }
  const digest = recordHashHex ? fromHex(recordHashHex, 32) : recordHashBytes(record);
  let ok: boolean;
  try {
    ok = verifySignature(publicKey, signingMessage(recordTag(record.kind), digest), signature);
  } catch (err) {
    throw new LedgerError('BAD_SIGNATURE', `record signature rejected: ${(err as Error).message}`, {
      recordHash: recordHashHex ?? recordHash(record),
    });
  }
  if (!ok) {
    throw new LedgerError('BAD_SIGNATURE', 'record signature does not verify', { recordHash: recordHashHex ?? recordHash(record), signer: record.signer });
  }
}
