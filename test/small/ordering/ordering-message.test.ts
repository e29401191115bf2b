import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalize, generateKeyPair } from '../../../src/core/crypto/index.js';
import { blockHash, sealBlock, type BlockHeader } from '../../../src/core/ledger/block.js';
import { checkpointOfBlock, signCheckpoint } from '../../../src/core/ledger/checkpoint.js';
import {
  MAX_ORDERING_MESSAGE_BYTES,
  OrderingMessageError,
  cutMarkerSigningBytes,
  parseOrderingMessage,
  sealedBlockHash,
  serializeOrderingMessage,
  type CosignatureMessage,
  type CutMarkerMessage,
  type OrderingMessage,
  type SealMessage,
  type SubmissionMessage,
} from '../../../src/core/ledger/ordering-message.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';

const C = 'uk-red-meat';
const org = generateKeyPair();
const authority = generateKeyPair();
const enc = new TextEncoder();

const record = signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { event: { type: 'ObjectEvent', n: 1 } }, signedAt: '2026-11-21T08:00:00.000Z' }, org);
const header: BlockHeader = {
  v: 1,
  consortium: C,
  height: 7,
  previousHash: 'ab'.repeat(32),
  merkleRoot: 'cd'.repeat(32),
  recordCount: 1,
  logSize: 42,
  timestamp: '2026-11-21T08:00:01.000Z',
  authoritySetHash: 'ef'.repeat(32),
};
const checkpoint = checkpointOfBlock(header, blockHash(header), '12'.repeat(32));

const submission: SubmissionMessage = { v: 1, consortium: C, kind: 'submission', records: [record] };
const cut: CutMarkerMessage = { v: 1, consortium: C, kind: 'cut', height: 8, signer: authority.keyId, signature: 'ed25519:' + 'A'.repeat(86) };
const seal: SealMessage = { v: 1, consortium: C, kind: 'seal', header, seal: sealBlock(blockHash(header), authority) };
const cosignature: CosignatureMessage = { v: 1, consortium: C, kind: 'cosignature', checkpoint, cosignature: signCheckpoint(checkpoint, authority) };
const ALL: OrderingMessage[] = [submission, cut, seal, cosignature];

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OrderingMessageError);
    return (error as OrderingMessageError).code;
  }
  return undefined;
}

function bytesOf(value: unknown): Uint8Array {
  return enc.encode(JSON.stringify(value));
}

describe('ordering message envelope', () => {
  it.each(ALL.map((m) => [m.kind, m] as const))('%s: serialises to its JCS bytes and parses back to the same value', (_kind, message) => {
    const bytes = serializeOrderingMessage(message);
    expect(new TextDecoder().decode(bytes)).toBe(canonicalize(message));
    expect(parseOrderingMessage(bytes)).toEqual(message);
  });

  it('refuses every encoding of a message other than the canonical one', () => {
    const canonical = canonicalize(cut);
    const variants = [
      JSON.stringify(cut, null, 1), // whitespace
      JSON.stringify(Object.fromEntries(Object.entries(cut).reverse())), // other key order
      canonical.replace('"height":8', '"height":8.0'), // another number form
      canonical.replace('"cut"', '"\\u0063ut"'), // an escape JCS does not use
      canonical.replace('{', '{"height":9,'), // a duplicate key (JSON.parse keeps the last)
      `\uFEFF${canonical}`, // a byte-order mark
      `${canonical}\n`,
    ];
    for (const text of variants) {
      const result = code(() => parseOrderingMessage(enc.encode(text)));
      expect(result, text).toMatch(/NON_CANONICAL_ORDERING_MESSAGE|MALFORMED_ORDERING_MESSAGE/);
    }
    expect(code(() => parseOrderingMessage(enc.encode(JSON.stringify(cut, null, 1))))).toBe('NON_CANONICAL_ORDERING_MESSAGE');
    expect(code(() => parseOrderingMessage(enc.encode(canonical.replace('"height":8', '"height":8.0'))))).toBe('NON_CANONICAL_ORDERING_MESSAGE');
  });

  it('names what is wrong with a malformed message', () => {
    const cases: [unknown, string][] = [
      [{ ...cut, v: 2 }, 'UNSUPPORTED_ORDERING_MESSAGE_VERSION'],
      [{ ...cut, kind: 'proposal' }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...cut, extra: 1 }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...cut, height: 0 }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...cut, height: 1.5 }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...cut, signer: 'AB'.repeat(32) }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...cut, signature: 'no-colon' }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...cut, consortium: 'Upper' }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ v: 1, consortium: C, kind: 'cut', height: 8, signer: authority.keyId }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...submission, records: [] }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...submission, records: [{ ...record, signer: 'x' }] }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...submission, consortium: 'other-one' }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...seal, header: { ...header, consortium: 'other-one' } }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...seal, header: { ...header, height: -1 } }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...seal, seal: { ...seal.seal, extra: true } }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...cosignature, checkpoint: { ...checkpoint, logRoot: 'zz' } }, 'MALFORMED_ORDERING_MESSAGE'],
      [{ ...cosignature, cosignature: { keyId: authority.keyId } }, 'MALFORMED_ORDERING_MESSAGE'],
      [[cut], 'MALFORMED_ORDERING_MESSAGE'],
      [null, 'MALFORMED_ORDERING_MESSAGE'],
    ];
    for (const [value, expected] of cases) {
      expect(code(() => parseOrderingMessage(bytesOf(value))), JSON.stringify(value).slice(0, 120)).toBe(expected);
      expect(code(() => serializeOrderingMessage(value as OrderingMessage))).toBe(expected);
    }
    const nested = (() => {
      try {
        parseOrderingMessage(bytesOf({ ...submission, records: [{ ...record, signer: 'x' }] }));
      } catch (error) {
        return (error as OrderingMessageError).details;
      }
    })();
    expect(nested).toMatchObject({ field: 'records[0]', cause: 'MALFORMED_RECORD' });
  });

  it('refuses bytes that are not UTF-8 JSON, and messages over the size limit', () => {
    expect(code(() => parseOrderingMessage(new Uint8Array([0x7b, 0xff, 0x7d])))).toBe('MALFORMED_ORDERING_MESSAGE');
    expect(code(() => parseOrderingMessage(enc.encode('{"v":1,')))).toBe('MALFORMED_ORDERING_MESSAGE');
    expect(code(() => parseOrderingMessage(new Uint8Array(MAX_ORDERING_MESSAGE_BYTES + 1)))).toBe('ORDERING_MESSAGE_TOO_LARGE');
    const big: SubmissionMessage = {
      ...submission,
      records: [signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { event: { pad: 'x'.repeat(MAX_ORDERING_MESSAGE_BYTES) } } }, org)],
    };
    expect(code(() => serializeOrderingMessage(big))).toBe('ORDERING_MESSAGE_TOO_LARGE');
  });

  it('signs a cut marker over its JCS form without the signature', () => {
    const bytes = cutMarkerSigningBytes(cut);
    const { signature: _signature, ...unsigned } = cut;
    expect(bytes).toEqual(canonicalBytes(unsigned));
    expect(cutMarkerSigningBytes({ ...cut, signature: 'ed25519:BBBB' })).toEqual(bytes);
    expect(cutMarkerSigningBytes({ ...cut, height: 9 })).not.toEqual(bytes);
    expect(code(() => cutMarkerSigningBytes({ ...cut, height: 0 }))).toBe('MALFORMED_ORDERING_MESSAGE');
    expect(code(() => cutMarkerSigningBytes({ ...cut, kind: 'seal' } as unknown as CutMarkerMessage))).toBe('MALFORMED_ORDERING_MESSAGE');
  });

  it('names the block a seal is about by its header hash', () => {
    expect(sealedBlockHash(seal)).toBe(blockHash(header));
    expect(sealedBlockHash({ ...seal, header: { ...header, height: 8 } })).not.toBe(blockHash(header));
  });

  it('has one byte form per message: whatever parses re-serialises to exactly the bytes read', () => {
    const base = serializeOrderingMessage(cut);
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = new Uint8Array(base);
        mutated[at] = byte;
        let parsed: OrderingMessage;
        try {
          parsed = parseOrderingMessage(mutated);
        } catch (error) {
          expect(error).toBeInstanceOf(OrderingMessageError);
          return;
        }
        expect(serializeOrderingMessage(parsed)).toEqual(mutated);
      }),
      { numRuns: 2000 },
    );
  });
});
