import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../../src/core/crypto/index.js';
import { RecordKind, signRecord } from '../../../../src/core/ledger/index.js';
import { genesisRecord } from '../../../../src/core/ledger/records/genesis.js';
import { CONSORTIUM } from '../demo-consortium.js';
import { DemoChain, codeOf, expectRejected } from './helpers.js';

describe('consortium.genesis', () => {
  const demo = new DemoChain();
  const payload = demo.genesis.records[0]!.payload as Record<string, unknown>;

  it('parses the payload of a genesis block, with its quorum', () => {
    const parsed = genesisRecord.payload.parse(payload);
    expect(parsed.consortium).toEqual({ id: CONSORTIUM, name: 'UK Food Chain' });
    expect(parsed.quorum).toEqual({ numerator: 2, denominator: 3 });
    expect(parsed.authorities).toHaveLength(4);
  });

  it('refuses a payload without members, with an extra field or with a quorum under one half', () => {
    expect(codeOf(() => genesisRecord.payload.parse({ ...payload, members: [] }))).toBe('INVALID_GENESIS');
    expect(codeOf(() => genesisRecord.payload.parse({ ...payload, note: 'x' }))).toBe('INVALID_GENESIS');
    expect(codeOf(() => genesisRecord.payload.parse({ ...payload, quorum: { numerator: 1, denominator: 3 } }))).toBe('INVALID_GENESIS');
  });

  it('admits no second genesis, whoever signs it (checked before the signer)', () => {
    expectRejected(demo.state, demo.sign('fsa', RecordKind.GENESIS, payload), 'DUPLICATE_GENESIS');
    const stranger = signRecord({ consortium: CONSORTIUM, kind: RecordKind.GENESIS, payload: payload as never }, generateKeyPair());
    expectRejected(demo.state, stranger, 'DUPLICATE_GENESIS');
  });
});
