import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, canonicalize } from '../../../../src/core/crypto/index.js';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { submissionMessageBytes } from '../../../../src/core/ledger/derivation/index.js';
import { parseOrderingMessage, serializeOrderingMessage, MAX_ORDERING_MESSAGE_BYTES } from '../../../../src/core/ledger/ordering-message.js';
import { CONSORTIUM, DemoChain, submission } from './stream.js';

/** JSON values JCS can represent (no integer beyond 2^53, no -0 trouble). */
const representable = fc.jsonValue({ maxDepth: 3 }).filter((v) => {
  try {
    canonicalize(v);
    return true;
  } catch {
    return false;
  }
});

describe('submission bytes from the records’ JCS texts', () => {
  it('are exactly the canonical message serializeOrderingMessage makes, and parse back', () => {
    const demo = new DemoChain();
    fc.assert(
      fc.property(fc.array(representable, { minLength: 1, maxLength: 4 }), (payloads) => {
        const records = payloads.map((p) => demo.sign('green-farm', RecordKind.EPCIS_EVENT, { value: p }));
        const bytes = submissionMessageBytes(CONSORTIUM, records.map((r) => canonicalize(r)));
        expect(bytesEqual(bytes, serializeOrderingMessage(submission(records) as never))).toBe(true);
        expect(parseOrderingMessage(bytes)).toEqual(JSON.parse(new TextDecoder().decode(bytes)));
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a message over the log’s size limit', () => {
    const demo = new DemoChain();
    const big = demo.sign('green-farm', RecordKind.EPCIS_EVENT, { blob: 'x'.repeat(MAX_ORDERING_MESSAGE_BYTES) });
    expect(() => submissionMessageBytes(CONSORTIUM, [canonicalize(big)])).toThrow(expect.objectContaining({ code: 'ORDERING_MESSAGE_TOO_LARGE' }));
  });
});
