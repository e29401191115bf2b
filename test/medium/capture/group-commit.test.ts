/**
 * Captures that arrive together are checked together and committed in one transaction: custody and
 * duplicates flow between the documents of a group in arrival order, a rolled-back document leaves
 * nothing behind for the next, and a record the ledger refuses after its document was checked
 * sends the rest of the group back to be checked again.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KeyPair } from '../../../src/core/crypto/index.js';
import { ConsortiumState } from '../../../src/core/ledger/consortium.js';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { authoriseEvent, canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { CaptureService } from '../../../src/services/capture/capture-service.js';
import type { LedgerNode, LaneCommit, LedgerLane } from '../../../src/services/node/ledger-node.js';
import { epcisDocument as doc, objectEvent, signEnvelope } from '../../helpers/epcis-documents.js';
import { captureTestNodeOptions, CAPTURE_TEST_CONSORTIUM as TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

let serial = 5000;
const sgtin = () => `urn:epc:id:sgtin:0614141.812345.${serial++}`;
const commission = (epc = sgtin()) => objectEvent({ action: 'ADD', bizStep: 'commissioning', epcList: [epc] });
const ship = (epc: string) => objectEvent({ bizStep: 'shipping', disposition: 'in_transit', epcList: [epc] });

/** Every lane the node hands out, with its commit replaced by `commit(lane, …)`. */
function spyLanes(node: LedgerNode, commit: (lane: LedgerLane, ...args: Parameters<LedgerLane['commit']>) => Promise<LaneCommit>) {
  const original = node.lane.bind(node);
  return vi.spyOn(node, 'lane').mockImplementation(async (id) => {
    const lane = await original(id);
    return {
      get state() {
        return lane.state;
      },
      get open() {
        return lane.open;
      },
      commit: (submissions, writes) => commit(lane, submissions, writes),
      release: () => lane.release(),
    };
  });
}

/** Records what each ledger lane commit answered. */
function watchLanes(node: LedgerNode) {
  const commits: LaneCommit[] = [];
  const spy = spyLanes(node, async (lane, submissions, writes) => {
    const result = await lane.commit(submissions, writes);
    commits.push(result);
    return result;
  });
  return { commits, restore: () => spy.mockRestore() };
}

describe('capture group commit', () => {
  let h: TestNode;
  beforeAll(async () => {
    h = await startTestNode(captureTestNodeOptions());
  });
  afterAll(async () => h?.destroy());
  const key = (org: string) => h.key(org);

  async function custodian(epc: string): Promise<string | null | undefined> {
    const rows = await h.db.$queryRawUnsafe<{ orgId: string | null }[]>(
      `SELECT "orgId" FROM "Custody" WHERE "consortiumId" = ? AND "identifier" = ?`,
      TEST_CONSORTIUM,
      canonicalIdentifier(epc),
    );
    return rows[0]?.orgId;
  }

  it('checks concurrent documents together and stores them in one transaction, each event checked once, in arrival order', async () => {
    const held = sgtin();
    await h.capture.capture(signEnvelope(doc([commission(held)]), key('omni')));
    let checks = 0;
    const service = new CaptureService({
      node: h.node,
      db: h.db,
      authorise: (...args) => {
        checks += 1;
        return authoriseEvent(...args);
      },
    });
    const watch = watchLanes(h.node);
    const appended = vi.spyOn(h.store, 'appendPending');
    try {
      const x = sgtin();
      const y = sgtin();
      const repeated = commission();
      const documents: [KeyPair, Record<string, unknown>, 'atomic' | 'partial'][] = [
        [key('processor'), doc([commission(x)]), 'atomic'],
        // x is the processor's since the document before, though neither is on disk yet.
        [key('haulier'), doc([ship(x)]), 'atomic'],
        // held is omni's: the document is rolled back, y with it.
        [key('processor'), doc([commission(y), ship(held)]), 'atomic'],
        // So y is nobody's, and the haulier may ship it.
        [key('haulier'), doc([ship(y)]), 'atomic'],
        [key('processor'), doc([repeated]), 'partial'],
        [key('processor'), doc([repeated]), 'partial'],
      ];
      const settled = await Promise.allSettled(documents.map(([k, d, mode]) => service.capture(signEnvelope(d, k), { mode })));
      const outcome = (i: number) => (settled[i]!.status === 'fulfilled' ? (settled[i] as PromiseFulfilledResult<{ results: any[] }>).value.results : (settled[i] as PromiseRejectedResult).reason);

      expect(outcome(0).map((r: any) => r.status)).toEqual(['accepted']);
      // Custody refusals do not name the holder (the signer may not be entitled to know it).
      expect(outcome(1)).toMatchObject({ code: 'NOT_CUSTODIAN', details: { expected: 'haulier' } });
      expect(outcome(1).details).not.toHaveProperty('actual');
      expect(outcome(2)).toMatchObject({ code: 'NOT_CUSTODIAN', details: { expected: 'processor' } });
      expect(JSON.stringify(outcome(2).details)).not.toContain('omni');
      expect(outcome(2).results.map((r: any) => r.error.code)).toEqual(['NOT_STORED', 'NOT_CUSTODIAN']);
      expect(outcome(3).map((r: any) => r.status)).toEqual(['accepted']);
      expect(outcome(4).map((r: any) => r.status)).toEqual(['accepted']);
      expect(outcome(5)).toEqual([{ index: 0, eventId: outcome(4)[0].eventId, status: 'duplicate', recordHash: expect.any(String) }]);

      expect(watch.commits.map((c) => c.ok)).toEqual([true]);
      expect(appended).toHaveBeenCalledTimes(1);
      // Every event is checked once; the repeat is found before its check.
      expect(checks).toBe(6);
      expect(await custodian(x)).toBe('processor');
      expect(await custodian(y)).toBeNull();
      expect(await custodian(held)).toBe('omni');
    } finally {
      watch.restore();
      appended.mockRestore();
      await service.close();
    }
  });

  it('checks the signer once per document: when it arrives, not again when the node admits its events', async () => {
    const resolved = vi.spyOn(ConsortiumState.prototype, 'resolveSigner');
    try {
      const single = await h.capture.capture(signEnvelope(doc([commission()]), key('processor')));
      expect(single.results.map((r) => r.status)).toEqual(['accepted']);
      expect(resolved).toHaveBeenCalledTimes(1);
      resolved.mockClear();
      const three = await h.capture.capture(signEnvelope(doc([commission(), commission(), commission()]), key('processor')));
      expect(three.results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
      expect(resolved).toHaveBeenCalledTimes(1);
    } finally {
      resolved.mockRestore();
    }
  });

  it('when the ledger refuses a record checked before (its key was revoked meanwhile), its document is rejected and the rest of the group is checked again', async () => {
    const watch = watchLanes(h.node);
    try {
      const x = sgtin();
      const victim = key('victim');
      const proposal = signRecord(
        { consortium: TEST_CONSORTIUM, kind: RecordKind.PROPOSAL, payload: { change: { type: 'key.revoke', orgId: 'victim', keyId: victim.keyId } } },
        key('auth'),
      );
      // Queued on the node first, so it is admitted after both documents were checked on their own but before their group.
      const revoked = h.node.submit(TEST_CONSORTIUM, [proposal]);
      const taken = h.capture.capture(signEnvelope(doc([commission(x)]), victim));
      const shipped = h.capture.capture(signEnvelope(doc([ship(x)]), key('processor')));
      expect((await revoked)[0]!.status).toBe('accepted');
      await expect(taken).rejects.toMatchObject({ code: 'SIGNER_REVOKED', results: [{ status: 'rejected', error: { code: 'SIGNER_REVOKED' } }] });
      // Checked against the victim's custody of x at first; checked again without it.
      expect((await shipped).results.map((r) => r.status)).toEqual(['accepted']);
      expect(watch.commits.map((c) => c.ok)).toEqual([false, true]);
      expect(watch.commits[0]).toMatchObject({ refused: [{ submission: 0, index: 0, error: { code: 'SIGNER_REVOKED' } }] });
      expect(await custodian(x)).toBeNull();
    } finally {
      watch.restore();
    }
  });

  it('a group whose commit fails after its submissions were appended is answered with that failure, not retried document by document on the handed-on lane', async () => {
    let retriedOnHandedOnLane = 0;
    // The log decided against the group after the lane was handed on (as a chain stopped while deciding does).
    const spy = spyLanes(h.node, async (lane) => {
      if (!lane.open) retriedOnHandedOnLane += 1;
      lane.release();
      throw Object.assign(new Error('the log decided against the group'), { code: 'CHAIN_HALTED' });
    });
    const service = new CaptureService({ node: h.node, db: h.db, authorise: authoriseEvent });
    try {
      const envelopes = Array.from({ length: 6 }, () => signEnvelope(doc([commission()]), key('processor')));
      const settled = await Promise.allSettled(envelopes.map((e) => service.capture(e)));
      expect(retriedOnHandedOnLane).toBe(0);
      const reasons = settled.map((s) => (s.status === 'rejected' ? String((s.reason as Error).message) : 'fulfilled'));
      expect(reasons).toEqual(envelopes.map(() => 'the log decided against the group'));
    } finally {
      spy.mockRestore();
      await service.close();
    }
  });
});

