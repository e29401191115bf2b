import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashTag, canonicalBytes, concatBytes, generateKeyPair, taggedHash, toHex } from '../../../src/core/crypto/index.js';
import { checkOpening, CLEAR_EVENT_ID_KEY, commitEventFields, commitField, openEvent, withheldCommitmentOf, withheldOf, WITHHELD_KEY } from '../../../src/core/privacy/withheld.js';
import { eventIdentityOf } from '../../../src/core/privacy/withheld-identity.js';
import { eventHashId } from '../../../src/core/epcis/event-hash.js';
import { withheldPathsOf } from '../../../src/core/privacy/withheld-policy.js';
import { checkEventOpenings, checkStatedEventId, commitDocumentFields, parseEnvelopeOpenings } from '../../../src/core/capture/openings.js';
import { epcisEventPayload, epcisEventRecord } from '../../../src/core/ledger/records/epcis-event.js';
import { RecordKind, recordHash, signRecord } from '../../../src/core/ledger/record.js';
import { redactEvent } from '../../../src/core/lineage/visibility.js';
import { checkWithheld } from '../../../src/client/withheld-check.js';

const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { provenant: 'https://provenant.dev/ns/epcis/' }];
const postMortem = (finding: string) => ({
  type: 'ObjectEvent',
  eventTime: '2026-11-20T10:00:00.000Z',
  eventTimeZoneOffset: '+00:00',
  action: 'OBSERVE',
  bizStep: 'inspecting',
  epcList: ['urn:epc:id:sgtin:5098765.011111.C0002'],
  disposition: 'damaged',
  'provenant:postMortem': finding,
});
const saltArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const valueArb = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string(), fc.string()), fc.array(fc.string()));
const key = generateKeyPair('ed25519');

function signedRecordOf(event: Record<string, unknown>) {
  return signRecord({ consortium: 'c1', kind: RecordKind.EPCIS_EVENT, payload: epcisEventPayload(event, 2, { context: CONTEXT }) as never, signedAt: '2026-11-20T10:00:01.000Z' }, key);
}

describe('withheld-field commitments', () => {
  it('is taggedHash("provenant/v1/withheld-field", salt || JCS(value))', () => {
    const salt = new Uint8Array(32).fill(9);
    const value = { b: 1, a: 'liver fluke' };
    expect(HashTag.WITHHELD_FIELD).toBe('provenant/v1/withheld-field');
    expect(withheldCommitmentOf(value, salt)).toBe(toHex(taggedHash(HashTag.WITHHELD_FIELD, concatBytes(salt, canonicalBytes(value)))));
    expect(commitField('x', value, salt)).toEqual({ path: 'x', value, salt: '09'.repeat(32), commitment: withheldCommitmentOf(value, salt) });
  });

  it('opens with its own value and salt; refuses a wrong salt, a wrong value, or malformed input', () => {
    fc.assert(
      fc.property(valueArb, valueArb, saltArb, saltArb, (value, other, salt, otherSalt) => {
        const o = commitField('p', value, salt);
        expect(checkOpening(o)).toBe(true);
        if (toHex(salt) !== toHex(otherSalt)) expect(checkOpening({ ...o, salt: toHex(otherSalt) })).toBe(false);
        if (toHex(canonicalBytes(value)) !== toHex(canonicalBytes(other))) expect(checkOpening({ ...o, value: other })).toBe(false);
        expect(checkOpening({ ...o, salt: '' })).toBe(false);
        expect(checkOpening({ ...o, salt: o.salt.toUpperCase() === o.salt ? 'zz' : o.salt.toUpperCase() })).toBe(false);
        expect(checkOpening({ ...o, commitment: 'not-hex' })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("the redacted answer holds no four-character piece of the withheld finding, and a guesser's record hash never matches", () => {
    // Findings over letters no structural field or hex commitment holds (the base64 signature could, by chance, hold a pair).
    const findingArb = fc.array(fc.constantFrom('Q', 'X', 'Z', 'J', 'K'), { minLength: 4, maxLength: 40 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(findingArb, findingArb, (finding, guess) => {
        const committed = commitDocumentFields({ '@context': CONTEXT, epcisBody: { eventList: [postMortem(finding)] } });
        const event = (committed.document['epcisBody'] as { eventList: Record<string, unknown>[] }).eventList[0]!;
        const record = signedRecordOf(event);
        const answer = JSON.stringify({ record: { ...record, payload: { ...record.payload as object, event: redactEvent(event).event } }, withheld: withheldOf(event) });
        for (let i = 0; i + 4 <= finding.length; i += 1) expect(answer).not.toContain(finding.slice(i, i + 4));
        // The guesser rebuilds the record with a candidate in clear, or commits it without the salt.
        for (const candidate of [guess, finding]) {
          const clear = { ...record, payload: { format: 2, event: postMortem(candidate), context: CONTEXT } };
          expect(recordHash(clear)).not.toBe(recordHash(record));
        }
        const c = withheldOf(event).find((w) => w.path === 'provenant:postMortem')!;
        expect(withheldCommitmentOf(guess, new Uint8Array(32))).not.toBe(c.commitment);
      }),
      { numRuns: 100 },
    );
  });

  it('the record hash depends on the commitment only: another clear value with a fresh salt leaves it unchanged and fails to open', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), saltArb, (finding, other, fresh) => {
        fc.pre(finding !== other);
        const { event, openings } = commitEventFields(postMortem(finding), withheldPathsOf(postMortem(finding)));
        const hash = recordHash(signedRecordOf(event));
        const edited = openings.map((o) => (o.path === 'provenant:postMortem' ? { ...o, value: other, salt: toHex(fresh) } : o));
        expect(recordHash(signedRecordOf(openEvent(event, []) as Record<string, unknown>))).toBe(hash);
        expect(checkEventOpenings(event, edited)?.code).toBe('WITHHELD_OPENING_INVALID');
        expect(checkEventOpenings(event, openings)).toBeNull();
        expect(openEvent(event, openings)).toMatchObject({ disposition: 'damaged', 'provenant:postMortem': finding });
      }),
      { numRuns: 100 },
    );
  });
});

describe('which fields are committed', () => {
  it('an inspection finding (disposition and extensions), customs declarations and prices; not structural fields, citations or corrections', () => {
    expect(withheldPathsOf(postMortem('x'))).toEqual(['disposition', 'provenant:postMortem']);
    expect(withheldPathsOf({ ...postMortem('x'), 'provenant:documents': [], errorDeclaration: { declarationTime: 'x' } })).toEqual(['disposition', 'provenant:postMortem']);
    const clearance = { type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'urn:provenant:bizstep:customs_clearance', epcList: ['MSCU1234565'], disposition: 'in_progress', 'provenant:declaration': { hsCode: '0201' } };
    expect(withheldPathsOf(clearance)).toEqual(['provenant:declaration']);
    expect(withheldPathsOf({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'shipping', epcList: ['urn:epc:id:sgtin:1.2.3'], 'provenant:price': { amount: 12, currency: 'GBP' } })).toEqual(['provenant:price']);
    expect(withheldPathsOf({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'shipping', epcList: ['urn:epc:id:sgtin:1.2.3'], disposition: 'in_transit' })).toEqual([]);
  });
});

describe('epcis.event payload format 3', () => {
  const { event } = commitEventFields(postMortem('liver fluke'), ['disposition', 'provenant:postMortem'], () => new Uint8Array(32).fill(1));

  it('an event with commitments is signed as format 3 under a format-2 envelope, and refused under format 1', () => {
    const payload = epcisEventPayload(event, 2, { context: CONTEXT });
    expect(payload).toEqual({ format: 3, event, context: CONTEXT });
    expect(epcisEventRecord.payload.parse(payload)).toEqual({ format: 3, event, context: CONTEXT });
    expect(() => epcisEventPayload(event, 1)).toThrow(expect.objectContaining({ code: 'MALFORMED_RECORD' }));
    expect(event).not.toHaveProperty('disposition');
  });

  it('refuses commitments in formats 1 and 2, format 3 without them, and malformed lists', () => {
    const parse = (p: unknown) => () => epcisEventRecord.payload.parse(p);
    expect(parse({ event })).toThrow(/format 3/);
    expect(parse({ format: 2, event, context: CONTEXT })).toThrow(/format 3/);
    expect(parse({ format: 3, event: postMortem('x'), context: CONTEXT })).toThrow(/needs withheld/);
    const list = event[WITHHELD_KEY] as { path: string; commitment: string }[];
    for (const bad of [[], [...list].reverse(), [{ ...list[0]!, commitment: 'AB' }], [{ ...list[0]!, extra: 1 }], [{ path: 'type', commitment: list[0]!.commitment }]]) {
      expect(parse({ format: 3, event: { ...event, [WITHHELD_KEY]: bad }, context: CONTEXT })).toThrow(expect.objectContaining({ code: 'MALFORMED_RECORD' }));
    }
  });
});

describe('openings sent with a capture', () => {
  const committed = commitDocumentFields({ '@context': CONTEXT, epcisBody: { eventList: [{ type: 'ObjectEvent', bizStep: 'shipping' }, postMortem('liver fluke')] } });
  const event = (committed.document['epcisBody'] as { eventList: Record<string, unknown>[] }).eventList[1]!;
  const mine = committed.openings.map(({ event: _i, ...o }) => o);

  it('names each opening by event index; every commitment needs its opening, each opening its commitment', () => {
    expect(committed.openings.map((o) => [o.event, o.path])).toEqual([[1, 'disposition'], [1, 'provenant:postMortem']]);
    expect(checkEventOpenings(event, mine)).toBeNull();
    expect(checkEventOpenings(event, mine.slice(1))?.code).toBe('WITHHELD_OPENING_MISSING');
    expect(checkEventOpenings(event, [...mine, commitField('extra', 1)])?.code).toBe('WITHHELD_OPENING_INVALID');
    expect(checkEventOpenings(event, [{ ...mine[0]!, path: 'provenant:postMortem' }, mine[1]!])?.code).toBe('WITHHELD_OPENING_INVALID');
    expect(checkEventOpenings({ [WITHHELD_KEY]: 'x' }, [])?.code).toBe('MALFORMED_WITHHELD');
    expect(checkEventOpenings({ type: 'ObjectEvent' }, [])).toBeNull();
  });

  it('refuses a malformed openings list as MALFORMED_ENVELOPE', () => {
    expect(parseEnvelopeOpenings(committed.openings, 2)).toEqual(committed.openings);
    for (const bad of [{}, [1], [{ ...committed.openings[0], event: 2 }], [{ ...committed.openings[0], more: 1 }], [{ ...committed.openings[0], salt: 3 }]]) {
      expect(() => parseEnvelopeOpenings(bad, 2)).toThrow(expect.objectContaining({ code: 'MALFORMED_ENVELOPE' }));
    }
  });

  it("the member SDK's check: OPENED, COMMITTED without a salt, MISMATCH for a wrong value or a commitment the event does not carry", () => {
    const answer = mine.map((o) => ({ ...o }));
    expect(checkWithheld(answer, event).map((c) => c.status)).toEqual(['OPENED', 'OPENED']);
    expect(checkWithheld(answer.map(({ path, commitment }) => ({ path, commitment })), event).map((c) => c.status)).toEqual(['COMMITTED', 'COMMITTED']);
    expect(checkWithheld([{ ...answer[1]!, value: 'no abnormality detected' }]).map((c) => c.status)).toEqual(['MISMATCH']);
    expect(checkWithheld([{ ...answer[0]!, path: 'provenant:postMortem' }], event).map((c) => c.status)).toEqual(['MISMATCH']);
  });
});

describe('the identity of a committed event', () => {
  const document = { '@context': CONTEXT, type: 'EPCISDocument', epcisBody: { eventList: [postMortem('liver fluke; offal condemned')] } };
  const committedEvent = () => (commitDocumentFields(document).document['epcisBody'] as { eventList: Record<string, unknown>[] }).eventList[0]!;

  it('is the clear event hash ID, whatever the salts', () => {
    const clearId = eventHashId(postMortem('liver fluke; offal condemned'), CONTEXT);
    const [a, b] = [committedEvent(), committedEvent()];
    expect(a[WITHHELD_KEY]).not.toEqual(b[WITHHELD_KEY]);
    expect(eventIdentityOf(a, CONTEXT)).toBe(clearId);
    expect(eventIdentityOf(b, CONTEXT)).toBe(clearId);
    // Without the statement, the signed form's own hash ID (which differs with each salt).
    const { [CLEAR_EVENT_ID_KEY]: _stated, ...unstated } = a;
    expect(eventIdentityOf(unstated, CONTEXT)).not.toBe(clearId);
  });

  it('is checked against the event its openings restore: a stated ID of another event is refused', () => {
    const { document: committed, openings } = commitDocumentFields(document);
    const event = (committed['epcisBody'] as { eventList: Record<string, unknown>[] }).eventList[0]!;
    const own = openings.map(({ event: _i, ...o }) => o);
    expect(checkStatedEventId(event, own, CONTEXT)).toBeNull();
    const other = eventHashId(postMortem('no abnormality'), CONTEXT);
    expect(checkStatedEventId({ ...event, [CLEAR_EVENT_ID_KEY]: other }, own, CONTEXT)?.code).toBe('WITHHELD_EVENT_ID_MISMATCH');
  });
});
