/**
 * Per-hop verification is time-correct: roles are checked as the signer's
 * organisation held them at the record's log index, and seals against the authority set the
 * chain had in force for that block, over a real node and SQLite store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureService } from '../../../src/services/capture/capture-service.js';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { sealBlock, type BlockHeader, type Seal } from '../../../src/core/ledger/block.js';
import type { MembershipChange } from '../../../src/core/ledger/governance.js';
import { exportProofBundle } from '../../../src/store/bundle-store.js';
import { ChainStore } from '../../../src/store/chain-store.js';
import { LineageStore } from '../../../src/store/lineage-store.js';
import { verifyBundle } from '../../../src/core/lineage/bundle.js';
import { trace, type LineageContext } from '../../../src/services/lineage/queries.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { DEMO_CONSORTIUM_ID as C } from '../../helpers/consortia.js';
import { epcisDocument } from '../../helpers/epcis-documents.js';
import { SKIP_ROLE_CHECK, startTestNode, type TestNode } from '../../helpers/test-node.js';

const day = (n: number) => `2026-03-${String(n).padStart(2, '0')}T08:00:00.000Z`;

const sgtin = (item: string, n: number) => `urn:epc:id:sgtin:5098765.0${item}.${n}`;
const t = day;
const transform = (day: number, inputs: string[], outputs: string[]) => ({
  type: 'TransformationEvent',
  eventTime: t(day),
  eventTimeZoneOffset: '+00:00',
  inputEPCList: inputs,
  outputEPCList: outputs,
});

// (i) processed while vale-processors held PROCESSOR; the role is revoked afterwards.
const carcassA = sgtin('11111', 1);
const packA = sgtin('22222', 1);
// (ii) processed by swift-haulage (HAULIER only), which is granted PROCESSOR afterwards.
const carcassB = sgtin('11111', 2);
const packB = sgtin('22222', 2);
// (iii) processed after the authority set changed.
const carcassC = sgtin('11111', 3);
const packC = sgtin('22222', 3);

describe('time-correct per-hop verification on a real node', () => {
  let temp: TestNode;
  let service: CaptureService;
  let unchecked: CaptureService;
  const hashes: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };
  let heightA = -1;

  const ctx = (): LineageContext => ({ source: new LineageStore(temp.db, C), evidence: new LineageStore(temp.db, C), state: temp.node.state(C) });
  const keyOf = (org: string) => temp.demo.orgKeys.get(org)!;

  const govern = (changes: MembershipChange[]) => temp.govern(changes);
  const capture = (via: CaptureService, org: string, events: Record<string, unknown>[]) => temp.captureSealed(org, events, { via });

  /** The stored block row of a height, as verification reads it. */
  async function blockRow(height: number): Promise<{ header: string; seals: string; hash: string }> {
    const rows = await temp.db.$queryRawUnsafe<{ header: string; seals: string; hash: string }[]>(
      `SELECT "header", "seals", "hash" FROM "Block" WHERE "consortiumId" = ? AND "height" = ?`,
      C,
      height,
    );
    return rows[0]!;
  }

  function openServices(): void {
    service = temp.capture;
    // Capture without its authorisation hook: writes what a faulty or malicious node could write.
    unchecked = new CaptureService({ node: temp.node, db: temp.db, authorise: SKIP_ROLE_CHECK });
  }

  beforeAll(async () => {
    temp = await startTestNode();
    openServices();

    hashes.A = await capture(service, 'vale-processors', [transform(1, [carcassA], [packA])]);
    heightA = temp.node.state(C).height;
    await govern([{ type: 'role.revoke', orgId: 'vale-processors', role: 'PROCESSOR' }]);
    expect(temp.node.state(C).hasRole('vale-processors', 'PROCESSOR')).toBe(false);

    // Capture itself refuses swift-haulage's transformation; the bypass stores it anyway.
    await expect(service.capture(signCaptureDocument(epcisDocument([transform(2, [carcassB], [packB])]), { consortium: C, key: keyOf('swift-haulage') }))).rejects.toMatchObject({
      code: 'NOT_AUTHORISED',
    });
    hashes.B = await capture(unchecked, 'swift-haulage', [transform(2, [carcassB], [packB])]);
    await govern([{ type: 'role.grant', orgId: 'swift-haulage', role: 'PROCESSOR' }]);
    expect(temp.node.state(C).hasRole('swift-haulage', 'PROCESSOR')).toBe(true);

    // Authority-set change: port-felixstowe leaves, northern-abattoir joins (from the next block).
    await govern([
      { type: 'authority.add', orgId: 'northern-abattoir', keyId: keyOf('northern-abattoir').keyId },
      { type: 'authority.remove', keyId: keyOf('port-felixstowe').keyId },
    ]);
    hashes.C = await capture(service, 'northern-abattoir', [transform(3, [carcassC], [packC])]);
  }, 120_000);

  afterAll(async () => {
    await unchecked?.close();
    await temp?.destroy();
  });

  it('(i) an org whose role was revoked after it posted keeps VERIFIED hops for its earlier events', async () => {
    const state = temp.node.state(C);
    const logIndex = (await new LineageStore(temp.db, C).records([hashes.A]))[0]!.logIndex;
    expect(state.rolesAt('vale-processors', logIndex)!.has('PROCESSOR')).toBe(true);
    expect(state.rolesAt('vale-processors', state.logSize - 1)!.has('PROCESSOR')).toBe(false);
    const result = await trace(ctx(), packA, 'UPSTREAM');
    expect(result.verification.hops).toHaveLength(1);
    const [hop] = result.verification.hops;
    expect(hop).toMatchObject({ recordHash: hashes.A, status: 'VERIFIED', failures: [], warnings: [] });
    expect(hop!.edge).toMatchObject({ from: canonicalIdentifier(carcassA), to: canonicalIdentifier(packA) });
  });

  it('(ii) a record signed before the org held the role is FAILED role, naming the org, its roles then and the roles needed', async () => {
    const result = await trace(ctx(), packB, 'UPSTREAM');
    expect(result.verification.verdict).toBe('FAILED');
    const [hop] = result.verification.hops;
    expect(hop!.recordHash).toBe(hashes.B);
    expect(hop!.failures.map((f) => f.code)).toEqual(['role']);
    const failure = hop!.failures[0]!;
    expect(failure.message).toMatch(/swift-haulage held HAULIER at log index \d+; rule processor.transforming needs PROCESSOR or ABATTOIR/);
    expect(failure.details).toMatchObject({ orgId: 'swift-haulage', expected: ['PROCESSOR', 'ABATTOIR'], computed: ['HAULIER'] });
    // The org holds the role now: only the time-correct check catches this.
    expect([...temp.node.state(C).orgs.get('swift-haulage')!.roles].sort()).toEqual(['HAULIER', 'PROCESSOR']);
  });

  it('(iii) blocks sealed before an authority-set change are VERIFIED against the set of their time, with no warning', async () => {
    const state = temp.node.state(C);
    const oldHeader = JSON.parse((await blockRow(heightA)).header) as BlockHeader;
    expect(oldHeader.authoritySetHash).not.toBe(state.authoritySetHash());
    expect(state.authoritySetByHash(oldHeader.authoritySetHash)!.authorities.map((a) => a.orgId).sort()).toEqual(['fsa', 'hmrc', 'port-felixstowe', 'riverside-retail']);
    expect(state.authoritiesInForce.map((a) => a.orgId).sort()).toEqual(['fsa', 'hmrc', 'northern-abattoir', 'riverside-retail']);
    for (const [pack, hash] of [
      [packA, hashes.A],
      [packC, hashes.C],
    ] as const) {
      const result = await trace(ctx(), pack, 'UPSTREAM');
      expect(result.verification.hops).toHaveLength(1);
      expect(result.verification.hops[0]).toMatchObject({ recordHash: hash, status: 'VERIFIED', failures: [], warnings: [] });
    }
  });

  it('a restarted node answers the same history, and the stored chain still verifies', async () => {
    const orgs = [...temp.node.state(C).orgs.keys()];
    const snapshot = () => {
      const s = temp.node.state(C);
      return {
        schedule: s.authoritySetSchedule(),
        sets: s.authoritySetSchedule().map((span) => s.authoritySetByHash(span.hash)!.authorities.map((a) => a.keyId)),
        standings: orgs.map((o) => s.standingHistory(o).map((v) => ({ ...v, roles: [...v.roles].sort() }))),
        roles: orgs.map((o) => Array.from({ length: s.logSize }, (_, i) => [...(s.rolesAt(o, i) ?? ['(none)'])].sort().join(','))),
      };
    };
    const before = snapshot();
    expect(before.schedule).toHaveLength(2);
    await unchecked.close();
    temp = await temp.reopen();
    openServices();
    expect(snapshot()).toEqual(before);
    // Record B breaks the role table on purpose (stored by the unchecked capture): it is listed, not failed, here.
    const report = await verifyStoredChain(temp.store, C, undefined, { enforceRules: false });
    expect(report.failures).toEqual([]);
    expect(report.storeFailures).toEqual([]);
    expect(report.ok).toBe(true);
    // The replay re-applies the role table as of each record: B alone is named, and fails a verification that enforces it.
    expect(report.projections!.ruleFailures.map((f) => [f.code, f.source?.recordHash])).toEqual([['NOT_AUTHORISED', hashes.B]]);
    expect(report.projections!.failures).toEqual([]);
    expect((await verifyStoredChain(temp.store, C)).ok).toBe(false);
    expect((await trace(ctx(), packA, 'UPSTREAM')).verification.verdict).toBe('VERIFIED');
    expect((await trace(ctx(), packB, 'UPSTREAM')).verification.hops[0]!.failures.map((f) => f.code)).toEqual(['role']);
  });

  it('the offline proof bundle applies the same rules: the early event verifies, the unauthorised one does not export', async () => {
    const bundle = await exportProofBundle(new ChainStore(temp.db), C, [hashes.A, hashes.C]);
    const report = verifyBundle(JSON.parse(JSON.stringify(bundle)));
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(bundle.authoritySets.map((s) => s.authorities.length).sort()).toEqual([4, 4]);
    await expect(exportProofBundle(new ChainStore(temp.db), C, [hashes.B])).rejects.toMatchObject({
      code: 'BUNDLE_INVALID',
      details: { failures: [expect.objectContaining({ path: '/records/0/record/signer', code: 'ROLE_NOT_HELD', expected: ['PROCESSOR', 'ABATTOIR'], computed: ['HAULIER'] })] },
    });
  });

  it('an old block whose seals no longer reach its own set\'s quorum is FAILED (BAD_SEAL, NO_QUORUM), even if they would pass the current set', async () => {
    const row = await blockRow(heightA);
    const seals = JSON.parse(row.seals) as Seal[];
    expect(seals).toHaveLength(4);
    const keep = seals.filter((s) => s.keyId === keyOf('fsa').keyId || s.keyId === keyOf('hmrc').keyId);
    // A seal by northern-abattoir counts for the current set, not for the set block heightA was sealed under.
    const tampered = [...keep, sealBlock(row.hash, keyOf('northern-abattoir'))];
    await temp.db.$executeRawUnsafe(`UPDATE "Block" SET "seals" = ? WHERE "consortiumId" = ? AND "height" = ?`, JSON.stringify(tampered), C, heightA);
    try {
      const result = await trace(ctx(), packA, 'UPSTREAM');
      const [hop] = result.verification.hops;
      expect(hop!.status).toBe('FAILED');
      // northern-abattoir's seal is by a key outside the set of that height, and two valid seals are not a quorum.
      expect(hop!.failures.map((f) => f.code)).toEqual(['BAD_SEAL', 'NO_QUORUM']);
      expect(hop!.failures[1]!.details).toMatchObject({ height: heightA, expected: 3, computed: 2 });
      expect(hop!.failures[1]!.message).toMatch(new RegExp(`block ${heightA} has 2 valid seals, needs 3 of the 4 authorities`));
      // Blocks sealed under the current set are untouched.
      expect((await trace(ctx(), packC, 'UPSTREAM')).verification.verdict).toBe('VERIFIED');
    } finally {
      await temp.db.$executeRawUnsafe(`UPDATE "Block" SET "seals" = ? WHERE "consortiumId" = ? AND "height" = ?`, row.seals, C, heightA);
    }
    expect((await trace(ctx(), packA, 'UPSTREAM')).verification.verdict).toBe('VERIFIED');
  });

  it('a header naming an authority set the chain never had is FAILED (AUTHORITY_SET_MISMATCH) with a clear message', async () => {
    const row = await blockRow(heightA);
    const header = JSON.parse(row.header) as BlockHeader;
    const forged = JSON.stringify({ ...header, authoritySetHash: 'ab'.repeat(32) });
    await temp.db.$executeRawUnsafe(`UPDATE "Block" SET "header" = ? WHERE "consortiumId" = ? AND "height" = ?`, forged, C, heightA);
    try {
      const [hop] = (await trace(ctx(), packA, 'UPSTREAM')).verification.hops;
      expect(hop!.status).toBe('FAILED');
      const seal = hop!.failures.find((f) => f.code === 'AUTHORITY_SET_MISMATCH')!;
      expect(seal.message).toMatch(/names authority set abababababababab, which this chain never had in force/);
      expect(seal.details).toMatchObject({ expected: 'ab'.repeat(32), computed: header.authoritySetHash });
      expect(hop!.failures.map((f) => f.code)).toContain('BLOCK_HASH_MISMATCH');
    } finally {
      await temp.db.$executeRawUnsafe(`UPDATE "Block" SET "header" = ? WHERE "consortiumId" = ? AND "height" = ?`, row.header, C, heightA);
    }
  });
});
