import { describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, verifyBundle } from '../../../src/core/lineage/bundle.js';

const empty = () => ({
  format: BUNDLE_FORMAT,
  consortium: 'uk-red-meat',
  genesisHash: '0'.repeat(64),
  checkpoint: { v: 1, consortium: 'uk-red-meat', logSize: 1, logRoot: '1'.repeat(64), blockHeight: 0, blockHash: '2'.repeat(64), timestamp: '2026-01-01T00:00:00.000Z' },
  checkpointSignatures: [],
  authoritySets: [],
  blocks: [],
  records: [],
  membershipRecords: [],
  signers: [],
});

describe('verifyBundle on malformed input (pure, offline)', () => {
  it.each([null, 3, 'x', []])('rejects %j as not an object', (value) => {
    expect(verifyBundle(value)).toMatchObject({ ok: false, failures: [{ path: '', code: 'MALFORMED_BUNDLE' }] });
  });

  it('names unknown, missing and wrong-typed fields by path', () => {
    const { blocks: _drop, ...rest } = empty();
    const report = verifyBundle({ ...rest, extra: 1, 'a/b': 2, format: 'other', records: {} });
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => [f.path, f.code])).toEqual(
      expect.arrayContaining([
        ['/extra', 'MALFORMED_BUNDLE'],
        ['/a~1b', 'MALFORMED_BUNDLE'],
        ['/blocks', 'MALFORMED_BUNDLE'],
        ['/format', 'UNSUPPORTED_FORMAT'],
        ['/records', 'MALFORMED_BUNDLE'],
      ]),
    );
  });

  it('an empty bundle does not verify: no genesis block, no checkpoint block, no signing set', () => {
    const report = verifyBundle(empty());
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => f.path)).toEqual(expect.arrayContaining(['/blocks', '/checkpoint/blockHeight', '/authoritySets']));
  });

  it('names a malformed checkpoint', () => {
    const b = empty();
    (b.checkpoint as { logRoot: string }).logRoot = 'XYZ';
    expect(verifyBundle(b).failures).toEqual([expect.objectContaining({ path: '/checkpoint', code: 'MALFORMED_CHECKPOINT' })]);
  });
});
