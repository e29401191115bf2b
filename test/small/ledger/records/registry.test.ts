import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { MEMBERSHIP_KINDS, recordKindModule, recordKindModules } from '../../../../src/core/ledger/records/index.js';
import { codeOf } from './helpers.js';

describe('record-kind registry', () => {
  it('holds one module per kind, each naming its own kind with a versioned payload', () => {
    expect(recordKindModules().map((m) => m.kind)).toEqual(Object.values(RecordKind));
    for (const kind of Object.values(RecordKind)) {
      expect(recordKindModule(kind).kind).toBe(kind);
      expect(recordKindModule(kind).payload.version).toBe(1);
    }
  });

  it('only sensor windows may be signed by a device', () => {
    expect(recordKindModules().filter((m) => m.signers === 'organisation-or-device').map((m) => m.kind)).toEqual([RecordKind.SENSOR_WINDOW]);
  });

  it('the membership kinds are those a proof bundle carries', () => {
    expect(MEMBERSHIP_KINDS).toEqual([RecordKind.GENESIS, RecordKind.PROPOSAL, RecordKind.APPROVAL, RecordKind.DEVICE_REGISTER, RecordKind.DEVICE_REVOKE]);
  });

  it('refuses a kind it does not know', () => {
    expect(codeOf(() => recordKindModule('ledger.unknown'))).toBe('MALFORMED_RECORD');
  });
});
