import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/core/crypto/index.js';
import { RecordKind, recordHash, type SignedRecord } from '../../../src/core/ledger/index.js';
import { epcisEventPayload } from '../../../src/core/ledger/records/epcis-event.js';
import { correctionOfHop, type CorrectionIndexRow } from '../../../src/core/lineage/hop-corrections.js';
import type { RecordEvidence } from '../../../src/core/lineage/evidence.js';
import { DemoChain } from '../ledger/demo-consortium.js';

const event = { type: 'ObjectEvent', eventTime: '2026-03-05T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE', epcList: ['urn:epc:id:sgtin:5012345.000001.1'] };
const context = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'];

function declared(demo: DemoChain, org: string, declaration: Record<string, unknown>): { record: SignedRecord; hash: string; row: CorrectionIndexRow } {
  const record = demo.sign(org, RecordKind.EPCIS_EVENT, epcisEventPayload({ ...event, errorDeclaration: declaration }, 2, { context }));
  const hash = recordHash(record);
  const corrective = Array.isArray(declaration['correctiveEventIDs']) ? (declaration['correctiveEventIDs'] as string[]) : [];
  return {
    record,
    hash,
    row: { eventId: 'ni:///e', recordHash: hash, declarationTime: String(declaration['declarationTime']), reason: (declaration['reason'] as string) ?? null, correctiveEventIds: corrective, declaration: canonicalize(declaration) },
  };
}

function evidenceOf(...records: { record: SignedRecord; hash: string }[]): Map<string, RecordEvidence> {
  return new Map(records.map(({ record, hash }) => [hash, { hash, consortiumId: record.consortium, body: canonicalize(record), logIndex: 1, blockHeight: null, indexInBlock: null }]));
}

describe('correction marks on lineage hops', () => {
  const demo = new DemoChain();

  it('marks the hop from the latest declaration its capturer signed', () => {
    const first = declared(demo, 'acme-abattoir', { declarationTime: '2026-03-06T08:00:00.000Z', reason: 'incorrect_data', correctiveEventIDs: ['ni:///fix'] });
    const later = declared(demo, 'acme-abattoir', { declarationTime: '2026-03-07T08:00:00.000Z', reason: 'did_not_occur' });
    const { correction, failure } = correctionOfHop([first.row, later.row], evidenceOf(first, later), demo.state, 'acme-abattoir');
    expect(failure).toBeUndefined();
    expect(correction).toEqual({ status: 'RETRACTED', reason: 'did_not_occur', declarationTime: '2026-03-07T08:00:00.000Z', correctiveEventIds: [], recordHash: later.hash });
    expect(correctionOfHop([first.row], evidenceOf(first), demo.state, 'acme-abattoir').correction).toMatchObject({ status: 'CORRECTED', correctiveEventIds: ['ni:///fix'] });
    expect(correctionOfHop([], new Map(), demo.state, 'acme-abattoir')).toEqual({});
  });

  it('fails the hop when the record does not back the row', () => {
    const d = declared(demo, 'acme-abattoir', { declarationTime: '2026-03-06T08:00:00.000Z', reason: 'incorrect_data' });
    const codeOf = (r: ReturnType<typeof correctionOfHop>) => r.failure?.code;
    // Signed by another organisation than the one that captured the event.
    expect(correctionOfHop([d.row], evidenceOf(d), demo.state, 'green-farm').failure?.message).toMatch(/signed by acme-abattoir, not by green-farm/);
    // The index names another declaration than the record carries.
    expect(codeOf(correctionOfHop([{ ...d.row, declaration: '{"declarationTime":"x"}' }], evidenceOf(d), demo.state, 'acme-abattoir'))).toBe('correction');
    // The record is missing, or its body was edited.
    expect(codeOf(correctionOfHop([d.row], new Map(), demo.state, 'acme-abattoir'))).toBe('correction');
    const edited = { ...d, record: { ...d.record, signedAt: '2020-01-01T00:00:00.000Z' } };
    expect(correctionOfHop([d.row], evidenceOf(edited), demo.state, 'acme-abattoir').failure?.message).toMatch(/does not hash/);
  });
});
