/**
 * The messages a consortium's ordering log carries: submissions (signed records to admit), cut
 * markers (close the block being built), seals (an authority's signature on the block it derived)
 * and checkpoint cosignatures (a witness vouching for a log head). Each message is one JSON object
 * in RFC 8785 (JCS) canonical form, so every message has exactly one byte representation and its
 * bytes can be hashed as its identity. Parsing refuses any other encoding of the same value.
 *
 * Signatures are opaque here: this module checks their textual shape only. Whoever signs or checks
 * a cut marker signs the JCS bytes of the message without its `signature` field
 * (`cutMarkerSigningBytes`); seals and cosignatures keep the existing formats (block.ts,
 * checkpoint.ts).
 */
import { CodedError } from '../coded-error.js';
import { bytesEqual, canonicalBytes, type JsonValue } from '../crypto/index.js';
import { assertHeaderShape, blockHash, type BlockHeader, type Seal } from './block.js';
import { assertCheckpointShape, type Checkpoint, type CheckpointSignature } from './checkpoint.js';
import { assertRecordShape, isConsortiumId, isHash, type SignedRecord } from './record.js';

export const ORDERING_MESSAGE_VERSION = 1;
/** NATS's default max_payload (1 MiB) counts headers too: leave them 8 KiB. */
export const MAX_ORDERING_MESSAGE_BYTES = 1024 * 1024 - 8 * 1024;
export const MAX_SUBMISSION_RECORDS = 10_000;

export const OrderingMessageKind = {
  SUBMISSION: 'submission',
  CUT: 'cut',
  SEAL: 'seal',
  COSIGNATURE: 'cosignature',
} as const;
export type OrderingMessageKind = (typeof OrderingMessageKind)[keyof typeof OrderingMessageKind];

interface MessageBase {
  readonly v: typeof ORDERING_MESSAGE_VERSION;
  readonly consortium: string;
}

/** Records admitted together or not at all (a document in atomic mode); each carries its own signature. */
export interface SubmissionMessage extends MessageBase {
  readonly kind: 'submission';
  readonly records: readonly SignedRecord[];
}

/** An authority's request to close block `height`; a marker for a height already closed is stale. */
export interface CutMarkerMessage extends MessageBase {
  readonly kind: 'cut';
  readonly height: number;
  /** Key id of the authority key that signed the marker. */
  readonly signer: string;
  /** `<alg>:<base64url>` over the marker's signing bytes; opaque here. */
  readonly signature: string;
}

/** An authority's seal on the block it derived; the header travels with it so equivocation is provable. */
export interface SealMessage extends MessageBase {
  readonly kind: 'seal';
  readonly header: BlockHeader;
  readonly seal: Seal;
}

/** A witness's cosignature on a checkpoint it checked for consistency with the last one it cosigned. */
export interface CosignatureMessage extends MessageBase {
  readonly kind: 'cosignature';
  readonly checkpoint: Checkpoint;
  readonly cosignature: CheckpointSignature;
}

export type OrderingMessage = SubmissionMessage | CutMarkerMessage | SealMessage | CosignatureMessage;

export type OrderingMessageErrorCode =
  | 'MALFORMED_ORDERING_MESSAGE'
  | 'NON_CANONICAL_ORDERING_MESSAGE'
  | 'ORDERING_MESSAGE_TOO_LARGE'
  | 'UNSUPPORTED_ORDERING_MESSAGE_VERSION';

export class OrderingMessageError extends CodedError<OrderingMessageErrorCode> {
  override readonly name = 'OrderingMessageError';
}

const FIELDS: Record<OrderingMessageKind, readonly string[]> = {
  submission: ['v', 'consortium', 'kind', 'records'],
  cut: ['v', 'consortium', 'kind', 'height', 'signer', 'signature'],
  seal: ['v', 'consortium', 'kind', 'header', 'seal'],
  cosignature: ['v', 'consortium', 'kind', 'checkpoint', 'cosignature'],
};
const KINDS = new Set<string>(Object.values(OrderingMessageKind));
// `<alg>:<base64url>`; the algorithm and length are checked by whoever verifies the signature.
const SIGNATURE_TEXT = /^[a-z0-9-]{1,16}:[A-Za-z0-9_-]{1,512}$/;

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new OrderingMessageError('MALFORMED_ORDERING_MESSAGE', `malformed ordering message: ${message}`, details);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertOnlyFields(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) fail(`unexpected field "${where}${key}"`, { field: `${where}${key}` });
  for (const key of allowed) if (!(key in value)) fail(`missing field "${where}${key}"`, { field: `${where}${key}` });
}

function assertSignatureText(value: unknown, field: string): void {
  if (typeof value !== 'string' || !SIGNATURE_TEXT.test(value)) fail(`${field} must look like "<alg>:<base64url>"`, { field });
}

/** Runs one of the ledger's shape checks and reports its failure as a malformed message, naming the field. */
function nested(field: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof CodedError) fail(`${field}: ${error.message}`, { field, cause: error.code });
    throw error;
  }
}

function assertSubmission(m: Record<string, unknown>): void {
  const records = m.records;
  if (!Array.isArray(records) || records.length === 0) fail('records must be a non-empty array', { field: 'records' });
  if (records.length > MAX_SUBMISSION_RECORDS) fail(`at most ${MAX_SUBMISSION_RECORDS} records per submission`, { field: 'records' });
  records.forEach((record: unknown, i) => {
    nested(`records[${i}]`, () => assertRecordShape(record));
    if ((record as SignedRecord).consortium !== m.consortium) fail(`records[${i}] belongs to another consortium`, { field: `records[${i}].consortium` });
  });
}

function assertCutBody(height: unknown, signer: unknown): void {
  if (!Number.isSafeInteger(height) || (height as number) < 1) fail('height must be a positive integer', { field: 'height' });
  if (!isHash(signer)) fail('signer must be a 64-hex key id', { field: 'signer' });
}

function assertCut(m: Record<string, unknown>): void {
  assertCutBody(m.height, m.signer);
  assertSignatureText(m.signature, 'signature');
}

function assertSeal(m: Record<string, unknown>): void {
  nested('header', () => assertHeaderShape(m.header));
  if ((m.header as BlockHeader).consortium !== m.consortium) fail('header belongs to another consortium', { field: 'header.consortium' });
  if (!isPlainObject(m.seal)) fail('seal must be an object', { field: 'seal' });
  assertOnlyFields(m.seal, ['keyId', 'signature'], 'seal.');
  if (!isHash(m.seal.keyId)) fail('seal.keyId must be a 64-hex key id', { field: 'seal.keyId' });
  assertSignatureText(m.seal.signature, 'seal.signature');
}

function assertCosignature(m: Record<string, unknown>): void {
  nested('checkpoint', () => assertCheckpointShape(m.checkpoint));
  if ((m.checkpoint as Checkpoint).consortium !== m.consortium) fail('checkpoint belongs to another consortium', { field: 'checkpoint.consortium' });
  if (!isPlainObject(m.cosignature)) fail('cosignature must be an object', { field: 'cosignature' });
  assertOnlyFields(m.cosignature, ['keyId', 'signature'], 'cosignature.');
  if (!isHash(m.cosignature.keyId)) fail('cosignature.keyId must be a 64-hex key id', { field: 'cosignature.keyId' });
  assertSignatureText(m.cosignature.signature, 'cosignature.signature');
}

/** Checks shape only (never a signature or anyone's standing), so it is safe on untrusted input. */
export function assertOrderingMessageShape(value: unknown): asserts value is OrderingMessage {
  if (!isPlainObject(value)) fail('not an object');
  if (value.v !== ORDERING_MESSAGE_VERSION) {
    throw new OrderingMessageError('UNSUPPORTED_ORDERING_MESSAGE_VERSION', `unsupported ordering message version ${JSON.stringify(value.v)}`, {
      expected: ORDERING_MESSAGE_VERSION,
      actual: value.v ?? null,
    });
  }
  if (typeof value.kind !== 'string' || !KINDS.has(value.kind)) fail(`unknown kind ${JSON.stringify(value.kind)}`, { field: 'kind' });
  const kind = value.kind as OrderingMessageKind;
  assertOnlyFields(value, FIELDS[kind], '');
  if (!isConsortiumId(value.consortium)) fail('consortium must be a lower-case slug', { field: 'consortium' });
  if (kind === 'submission') assertSubmission(value);
  else if (kind === 'cut') assertCut(value);
  else if (kind === 'seal') assertSeal(value);
  else assertCosignature(value);
}

/** The JCS bytes of a message, after checking its shape and size. */
export function serializeOrderingMessage(message: OrderingMessage): Uint8Array {
  assertOrderingMessageShape(message);
  const bytes = canonicalBytes(message);
  assertSize(bytes.length);
  return bytes;
}

function assertSize(length: number): void {
  if (length > MAX_ORDERING_MESSAGE_BYTES) {
    throw new OrderingMessageError('ORDERING_MESSAGE_TOO_LARGE', `ordering message is ${length} bytes; the limit is ${MAX_ORDERING_MESSAGE_BYTES}`, {
      size: length,
      limit: MAX_ORDERING_MESSAGE_BYTES,
    });
  }
}

/**
 * Parses bytes read from the ordering log. Refuses anything but the canonical encoding of a
 * well-formed message (other whitespace, key order, number forms, escapes, duplicate keys), so two
 * nodes holding the same bytes always hold the same message and vice versa.
 */
export function parseOrderingMessage(bytes: Uint8Array): OrderingMessage {
  if (!(bytes instanceof Uint8Array)) fail('expected bytes');
  assertSize(bytes.length);
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    value = JSON.parse(text) as unknown;
  } catch {
    fail('not UTF-8 JSON');
  }
  assertOrderingMessageShape(value);
  const canonical = canonicalBytes(value);
  if (!bytesEqual(canonical, bytes)) {
    throw new OrderingMessageError('NON_CANONICAL_ORDERING_MESSAGE', 'ordering message is not in RFC 8785 canonical form', {
      size: bytes.length,
      canonicalSize: canonical.length,
    });
  }
  return value;
}

/** The bytes a cut marker's signer signs: the JCS form of the marker without its `signature`. */
export function cutMarkerSigningBytes(marker: Omit<CutMarkerMessage, 'signature'> & { signature?: string }): Uint8Array {
  const { v, consortium, kind, height, signer } = marker;
  if (v !== ORDERING_MESSAGE_VERSION || kind !== OrderingMessageKind.CUT) fail('not a version 1 cut marker');
  if (!isConsortiumId(consortium)) fail('consortium must be a lower-case slug', { field: 'consortium' });
  assertCutBody(height, signer);
  const body: { [key: string]: JsonValue } = { v, consortium, kind, height, signer };
  return canonicalBytes(body);
}

/** The hash of the block a seal message is about (its header's hash; the seal signs this). */
export function sealedBlockHash(message: SealMessage): string {
  return blockHash(message.header);
}
