/** The node's ledger lane: exclusive use of a consortium's ledger for a service that prepared its records. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/core/crypto/index.js';
import { RecordKind, recordHash, signRecord, type SignedRecord } from '../../src/core/ledger/record.js';
import { DEMO_CONSORTIUM_ID } from '../../src/services/node/demo-consortium.js';
import { WriteBatch } from '../../src/store/write-batch.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

const C = DEMO_CONSORTIUM_ID;

describe('ledger lane', () => {
  let temp: TestNode;
  beforeEach(async () => {
    temp = await startTestNode();
  });
  afterEach(async () => temp?.destroy());

  const farmRecord = (n: number): SignedRecord =>
    signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { note: `lane ${n}`, n } }, temp.demo.orgKeys.get('highfield-farm')!);
  const prepared = (record: SignedRecord) => ({ record, hash: recordHash(record) });
  const recordCount = async () => Number((await temp.db.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "LedgerRecord"`))[0]!.n);

  it('admits and stores prepared submissions with their writes in one transaction', async () => {
    const before = await recordCount();
    const lane = await temp.node.lane(C);
    const writes = new WriteBatch();
    let changed = -1;
    writes.add(`INSERT INTO "Custody" ("consortiumId", "identifier", "orgId", "eventId", "eventTime") VALUES (?, ?, ?, ?, ?)`, [C, 'urn:test:lane', 'highfield-farm', 'e', 't'], (n) => (changed = n));
    const result = await lane.commit([{ records: [prepared(farmRecord(1))] }, { records: [prepared(farmRecord(2)), prepared(farmRecord(3))] }], writes);
    lane.release();
    expect(result.ok).toBe(true);
    expect(result.ok && result.admitted.map((list) => list.map((a) => a.logIndex))).toEqual([[before], [before + 1, before + 2]]);
    expect(await recordCount()).toBe(before + 3);
    expect(changed).toBe(1);
    expect(temp.node.pendingCount(C)).toBe(3);
  });

  it('stores nothing when the ledger refuses any record, and says which and why', async () => {
    const before = { records: await recordCount(), logSize: temp.node.state(C).logSize };
    const stranger = signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { n: 9 } }, generateKeyPair());
    const lane = await temp.node.lane(C);
    const writes = new WriteBatch();
    writes.add(`INSERT INTO "Custody" ("consortiumId", "identifier", "orgId", "eventId", "eventTime") VALUES (?, ?, ?, ?, ?)`, [C, 'urn:test:refused', null, 'e', 't']);
    const result = await lane.commit([{ records: [prepared(farmRecord(4))] }, { records: [prepared(farmRecord(5)), prepared(stranger)] }], writes);
    expect(result).toEqual({ ok: false, refused: [{ submission: 1, index: 1, recordHash: recordHash(stranger), error: expect.objectContaining({ code: 'UNKNOWN_SIGNER' }) }] });
    expect(temp.node.state(C).logSize).toBe(before.logSize);
    // The same lane goes on from the state as it was.
    const retried = await lane.commit([{ records: [prepared(farmRecord(4))] }]);
    lane.release();
    expect(retried.ok && retried.admitted[0]![0]!.logIndex).toBe(before.logSize);
    expect(await recordCount()).toBe(before.records + 1);
    const custody = await temp.db.$queryRawUnsafe<unknown[]>(`SELECT * FROM "Custody" WHERE "identifier" = 'urn:test:refused'`);
    expect(custody).toEqual([]);
  });

  it('is exclusive: submissions and seals wait until it is released, and a released lane commits nothing', async () => {
    const lane = await temp.node.lane(C);
    let submitted = false;
    const submission = temp.node.submit(C, [farmRecord(6)]).then((outcomes) => {
      submitted = true;
      return outcomes;
    });
    const sealing = temp.node.sealNow(C);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(submitted).toBe(false);
    const result = await lane.commit([{ records: [prepared(farmRecord(7))], waitForSeal: true }]);
    lane.release();
    await expect(lane.commit([{ records: [prepared(farmRecord(8))] }])).rejects.toThrow(/released/);
    expect((await submission)[0]!.status).toBe('accepted');
    // The seal queued while the lane was held comes after it, and seals the lane's record.
    const block = await sealing;
    expect(block).not.toBeNull();
    expect(result.ok && (await result.admitted[0]![0]!.sealed)).toEqual(block);
  });
});
