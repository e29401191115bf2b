/** The reading store's caches of its own rows: each device's last seq, and the readings not yet in a window record. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.js';
import { ReadingStore, type StoredReadingInput } from '../../src/store/reading-store.js';
import { commitWriteBatch } from '../../src/store/write-batch.js';

const C = 'uk-red-meat';
const row = (deviceId: string, seq: number): StoredReadingInput => ({
  consortiumId: C,
  deviceId,
  seq,
  observedAt: new Date(Date.UTC(2026, 10, 21, 8, 0, seq)).toISOString(),
  type: 'temperature',
  body: JSON.stringify({ seq }),
  signature: 'ed25519:x',
  digest: '00'.repeat(32),
  gapFrom: null,
  receivedAt: '2026-11-21T08:01:00.000Z',
});
const seqs = (readings: Awaited<ReturnType<ReadingStore['unwindowed']>>) =>
  Object.fromEntries([...readings.values()].map((d) => [d.deviceId, d.rows.map((r) => r.seq)]));

describe('reading store caches', () => {
  let dir: string;
  let db: Database;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-reading-store-'));
    db = await openDatabase({ url: `file:${path.join(dir, 'db.sqlite')}` });
    await db.$executeRawUnsafe(`INSERT INTO "Consortium" ("id", "name", "genesisHash", "quorumNumerator", "quorumDenominator", "createdAt") VALUES (?, 'c', 'g', 2, 3, 't')`, C);
  });
  afterEach(async () => {
    await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes behind the store's back, as another process would: only a read of the table sees it. */
  async function insertBehind(r: StoredReadingInput): Promise<void> {
    await db.$executeRawUnsafe(
      `INSERT INTO "DeviceReading" ("consortiumId", "deviceId", "seq", "observedAt", "type", "body", "signature", "digest", "gapFrom", "receivedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.consortiumId, r.deviceId, r.seq, r.observedAt, r.type, r.body, r.signature, r.digest, r.gapFrom, r.receivedAt,
    );
  }

  it('knows each device last seq from its first read on, and from what it commits', async () => {
    await insertBehind(row('probe-1', 4));
    const store = new ReadingStore(db);
    expect(await store.lastSeq(C, 'probe-1')).toBe(4);
    expect(await store.lastSeq(C, 'probe-2')).toBe(0);
    await store.insert([row('probe-1', 5), row('probe-2', 1), row('probe-2', 2)]);
    await insertBehind(row('probe-1', 9));
    expect(await store.lastSeq(C, 'probe-1')).toBe(5);
    expect(await store.lastSeq(C, 'probe-2')).toBe(2);
    // A batch that fails to commit leaves nothing behind.
    await db.$executeRawUnsafe(`CREATE TRIGGER "fail_broken" BEFORE INSERT ON "DeviceReading" WHEN NEW."deviceId" = 'broken' BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END`);
    await expect(store.insert([row('probe-2', 3), row('broken', 1)])).rejects.toThrow(/simulated/);
    expect(await store.lastSeq(C, 'probe-2')).toBe(2);
  });

  it('keeps the unwindowed readings from its first read on, and reads the store again once anything is unexpected', async () => {
    await insertBehind(row('probe-1', 1));
    const store = new ReadingStore(db);
    await store.insert([row('probe-1', 2)]);
    // Nothing is kept before the first read: that read takes the store's rows.
    let readings = await store.unwindowed();
    expect(seqs(readings)).toEqual({ 'probe-1': [1, 2] });
    await store.insert([row('probe-1', 3), row('probe-2', 1)]);
    await insertBehind(row('probe-1', 4));
    readings = await store.unwindowed();
    expect(seqs(readings)).toEqual({ 'probe-1': [1, 2, 3], 'probe-2': [1] });

    // A window of probe-1's readings 1..2 commits: they leave the memory.
    const window = store.windowAssignment({ consortiumId: C, deviceId: 'probe-1', firstSeq: 1, lastSeq: 2, count: 2 }, 'ab'.repeat(32), readings);
    await commitWriteBatch(db, window);
    expect(seqs(await store.unwindowed())).toEqual({ 'probe-1': [3], 'probe-2': [1] });

    // A window whose row count disagrees (the store had a reading the memory did not): the store is read again.
    const mismatch = store.windowAssignment({ consortiumId: C, deviceId: 'probe-1', firstSeq: 3, lastSeq: 3, count: 1 }, 'cd'.repeat(32), readings);
    await db.$executeRawUnsafe(`UPDATE "DeviceReading" SET "windowRecordHash" = 'ef' WHERE "deviceId" = 'probe-1' AND "seq" = 3`);
    await commitWriteBatch(db, mismatch);
    expect(seqs(await store.unwindowed())).toEqual({ 'probe-1': [4], 'probe-2': [1] });
  });
});
