/**
 * The bytes of a submission message built from its records' JCS texts, which the node computes
 * once for both the message and the stored record rows. The result is exactly
 * serializeOrderingMessage's: JCS orders the keys consortium, kind, records, v, and an array keeps
 * its elements' own canonical texts.
 */
import { isConsortiumId } from '../record.js';
import { MAX_ORDERING_MESSAGE_BYTES, OrderingMessageError } from '../ordering-message.js';

const encoder = new TextEncoder();

/** `recordTexts` must each be canonicalize(record) of a well-formed record of this consortium. */
export function submissionMessageBytes(consortium: string, recordTexts: readonly string[]): Uint8Array {
  if (!isConsortiumId(consortium)) throw new OrderingMessageError('MALFORMED_ORDERING_MESSAGE', 'malformed ordering message: consortium must be a lower-case slug', { field: 'consortium' });
  if (recordTexts.length === 0) throw new OrderingMessageError('MALFORMED_ORDERING_MESSAGE', 'malformed ordering message: records must be a non-empty array', { field: 'records' });
  // A slug needs no escaping: its JSON text is its JCS text.
  const bytes = encoder.encode(`{"consortium":"${consortium}","kind":"submission","records":[${recordTexts.join(',')}],"v":1}`);
  if (bytes.length > MAX_ORDERING_MESSAGE_BYTES) {
    throw new OrderingMessageError('ORDERING_MESSAGE_TOO_LARGE', `ordering message is ${bytes.length} bytes; the limit is ${MAX_ORDERING_MESSAGE_BYTES}`, {
      size: bytes.length,
      limit: MAX_ORDERING_MESSAGE_BYTES,
    });
  }
  return bytes;
}
