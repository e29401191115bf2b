import { describe, expect, it } from 'vitest';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { erasureRecord } from '../../../../src/core/ledger/records/privacy-erasure.js';
import { codeOf, expectRejected, withDevice } from './helpers.js';

describe('privacy.erasure', () => {
  const erasure = { commitment: 'ab'.repeat(32), reason: 'data subject request' };

  it('parses { commitment, reason }', () => {
    expect(erasureRecord.payload.parse(erasure)).toEqual(erasure);
  });

  it('refuses a malformed commitment, an over-long reason and an extra field', () => {
    expect(codeOf(() => erasureRecord.payload.parse({ ...erasure, commitment: 'AB'.repeat(32) }))).toBe('MALFORMED_ERASURE');
    expect(codeOf(() => erasureRecord.payload.parse({ ...erasure, reason: 'x'.repeat(501) }))).toBe('MALFORMED_ERASURE');
    expect(codeOf(() => erasureRecord.payload.parse({ ...erasure, name: 'Jo' }))).toBe('MALFORMED_ERASURE');
  });

  it('is admitted from an organisation', () => {
    const { demo } = withDevice();
    expect(demo.submit(demo.sign('green-farm', RecordKind.PERSONAL_DATA_ERASURE, erasure)).effects).toEqual([]);
  });

  it('refuses a device signer', () => {
    const { demo, device } = withDevice();
    expectRejected(demo.state, demo.sign(device, RecordKind.PERSONAL_DATA_ERASURE, erasure), 'NOT_AUTHORISED');
  });
});
