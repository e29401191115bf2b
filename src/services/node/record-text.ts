/** Each record's JCS text, made once for its submission message and its stored row. */
import { canonicalize } from '../../core/crypto/index.js';
import type { SignedRecord } from '../../core/ledger/record.js';

const canonicalTexts = new WeakMap<SignedRecord, string>();

export function canonicalTextOf(record: SignedRecord): string {
  let text = canonicalTexts.get(record);
  if (text === undefined) {
    text = canonicalize(record);
    canonicalTexts.set(record, text);
  }
  return text;
}
