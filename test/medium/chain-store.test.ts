import { copyFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/core/crypto/index.js';
import { RecordKind, signRecord, type SignedRecord } from '../../src/core/ledger/record.js';
import { openDatabase, readPragma } from '../../src/store/database.js';
import { ChainStore } from '../../src/store/chain-store.js';
import { verifyStoredChain } from '../../src/services/node/verify-stored-chain.js';
import { DEMO_CONSORTIUM_ID } from '../../src/services/node/demo-consortium.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

function farmRecord(node: TestNode, n: number, org = 'highfield-farm'): SignedRecord {
  return signRecord(
    { consortium: DEMO_CONSORTIUM_ID, kind: RecordKind.EPCIS_EVENT, payload: { note: `event ${n}`, n } },
    node.demo.orgKeys.get(org)!,
  );
}

/** Copies the sealed chain's SQLite file, applies one edit with plain SQL, and re-verifies it. */
async function verifyAfterEdit(sourceFile: string, edit: (db: Database.Database) => void) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-tamper-'));
  const file = path.join(dir, 'tampered.db');
  copyFileSync(sourceFile, file);
  const raw = new Database(file);
  edit(raw);
  raw.close();
  const db = await openDatabase({ url: `file:${file}` });
  try {
    return await verifyStoredChain(new ChainStore(db), DEMO_CONSORTIUM_ID);
  } finally {
    await db.$disconnect();
  }
}

describe('chain store on a real SQLite file', () => {
  let node: TestNode;
  let pristine: string;

  beforeAll(async () => {
    // The tamper cases copy and edit the SQLite file itself, whatever PROVENANT_TEST_DB says.
    node = await startTestNode({ engine: 'sqlite' });
    // Blocks 1..3, four records each.
    for (let block = 0; block < 3; block++) {
      const records = [0, 1, 2, 3].map((i) => farmRecord(node, block * 4 + i, i % 2 ? 'meadow-farm' : 'highfield-farm'));
      const outcomes = await node.node.submit(DEMO_CONSORTIUM_ID, records);
      expect(outcomes.every((o) => o.status === 'accepted')).toBe(true);
      expect(await node.node.sealNow(DEMO_CONSORTIUM_ID)).not.toBeNull();
    }
    node = await node.reopen();
    await node.close();
    // Checkpoint the WAL into the main file so a plain copy holds every committed row.
    const raw = new Database(node.dbFile);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    pristine = node.dbFile;
  });

  afterAll(async () => {
    await node.destroy();
  });

  it('runs SQLite in WAL mode with synchronous=FULL', async () => {
    const db = await openDatabase({ url: `file:${pristine}` });
    expect(await readPragma(db, 'journal_mode')).toBe('wal');
    expect(await readPragma(db, 'synchronous')).toBe('2'); // 2 = FULL
    await db.$disconnect();
  });

  it('verifies the untouched chain from genesis', async () => {
    const report = await verifyAfterEdit(pristine, () => undefined);
    expect(report.failures).toEqual([]);
    expect(report.storeFailures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.blocks).toBe(4);
    expect(report.records).toBe(13);
  });

  const recordAt = (db: Database.Database, height: number, index: number) =>
    db.prepare('SELECT * FROM "LedgerRecord" WHERE "blockHeight" = ? AND "indexInBlock" = ?').get(height, index) as {
      hash: string;
      body: string;
    };

  it('names the block and record when a payload is edited', async () => {
    const report = await verifyAfterEdit(pristine, (db) => {
      const row = recordAt(db, 2, 1);
      const body = JSON.parse(row.body);
      body.payload.note = 'forged';
      db.prepare('UPDATE "LedgerRecord" SET body = ? WHERE hash = ?').run(JSON.stringify(body), row.hash);
    });
    expect(report.ok).toBe(false);
    expect(report.failures.some((f) => f.height === 2 && f.recordIndex === 1)).toBe(true);
  });

  it('detects a deleted record in its block', async () => {
    const report = await verifyAfterEdit(pristine, (db) => {
      db.prepare('DELETE FROM "LedgerRecord" WHERE hash = ?').run(recordAt(db, 3, 2).hash);
    });
    expect(report.ok).toBe(false);
    expect(report.failures.some((f) => f.height === 3)).toBe(true);
    expect(report.failures.every((f) => f.height >= 3)).toBe(true);
  });

  it('detects an inserted record', async () => {
    const report = await verifyAfterEdit(pristine, (db) => {
      const forged = signRecord({ consortium: DEMO_CONSORTIUM_ID, kind: RecordKind.EPCIS_EVENT, payload: { n: 999 } }, node.demo.orgKeys.get('highfield-farm')!);
      db.prepare(
        'INSERT INTO "LedgerRecord" (hash, consortiumId, logIndex, blockHeight, indexInBlock, kind, signer, signedAt, receivedAt, body) VALUES (?,?,?,?,?,?,?,?,?,?)',
      ).run('ab'.repeat(32), DEMO_CONSORTIUM_ID, 999, 1, 4, forged.kind, forged.signer, forged.signedAt, forged.signedAt, JSON.stringify(forged));
    });
    expect(report.ok).toBe(false);
    expect(report.failures.some((f) => f.height === 1)).toBe(true);
  });

  it('detects two records swapped inside a block', async () => {
    const report = await verifyAfterEdit(pristine, (db) => {
      const a = recordAt(db, 2, 0).hash;
      const b = recordAt(db, 2, 3).hash;
      db.prepare('UPDATE "LedgerRecord" SET indexInBlock = 3 WHERE hash = ?').run(a);
      db.prepare('UPDATE "LedgerRecord" SET indexInBlock = 0 WHERE hash = ?').run(b);
    });
    expect(report.ok).toBe(false);
    expect(report.failures.some((f) => f.height === 2 && f.recordIndex === 0)).toBe(true);
  });

  it('detects an edited block header and names the block', async () => {
    const report = await verifyAfterEdit(pristine, (db) => {
      const row = db.prepare('SELECT header FROM "Block" WHERE height = 2').get() as { header: string };
      const header = JSON.parse(row.header);
      header.timestamp = '2020-01-01T00:00:00.000Z';
      db.prepare('UPDATE "Block" SET header = ? WHERE height = 2').run(JSON.stringify(header));
    });
    expect(report.ok).toBe(false);
    expect(report.failures[0]!.height).toBe(2);
  });

  it('detects a removed seal as a lost quorum', async () => {
    const report = await verifyAfterEdit(pristine, (db) => {
      const row = db.prepare('SELECT seals FROM "Block" WHERE height = 1').get() as { seals: string };
      const seals = JSON.parse(row.seals) as unknown[];
      db.prepare('UPDATE "Block" SET seals = ? WHERE height = 1').run(JSON.stringify(seals.slice(0, 2)));
    });
    expect(report.ok).toBe(false);
    expect(report.failures.some((f) => f.height === 1 && f.code === 'NO_QUORUM')).toBe(true);
  });

  it('detects an indexed column edited without its signed body', async () => {
    const report = await verifyAfterEdit(pristine, (db) => {
      db.prepare('UPDATE "LedgerRecord" SET kind = ? WHERE hash = ?').run('sensor.window', recordAt(db, 1, 2).hash);
    });
    expect(report.ok).toBe(false);
    expect(report.storeFailures.some((f) => f.height === 1 && f.recordIndex === 2)).toBe(true);
  });

  it('detects a membership table edited behind the chain', async () => {
    const report = await verifyAfterEdit(pristine, (db) => {
      db.prepare('UPDATE "Organisation" SET roles = ? WHERE id = ?').run('["FARM","ABATTOIR"]', 'highfield-farm');
    });
    expect(report.ok).toBe(false);
    expect(report.storeFailures.some((f) => f.message.includes('orgs'))).toBe(true);
  });
});

describe('node admission writes nothing on bad input', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => {
    await node.destroy();
  });

  const recordCount = () => node.db.ledgerRecord.count();

  it('refuses a duplicate genesis', async () => {
    await expect(node.node.createConsortium(node.demo.spec, node.demo.authorityKeys)).rejects.toMatchObject({ code: 'DUPLICATE_GENESIS' });
  });

  it('refuses an unknown consortium', async () => {
    await expect(node.node.submit('no-such-chain', [farmRecord(node, 1)])).rejects.toMatchObject({ code: 'UNKNOWN_CONSORTIUM' });
  });

  it('rejects an unknown signer, a bad signature and a malformed record, storing nothing', async () => {
    const before = await recordCount();
    const stranger = signRecord({ consortium: DEMO_CONSORTIUM_ID, kind: RecordKind.EPCIS_EVENT, payload: { n: 1 } }, generateKeyPair());
    const good = farmRecord(node, 2);
    const badSignature = { ...good, payload: { n: 3 } };
    const wrongLength = { ...farmRecord(node, 4), signature: 'ed25519:AAAA' };
    const outcomes = await node.node.submit(DEMO_CONSORTIUM_ID, [stranger, badSignature, wrongLength, { hello: 'world' }], { atomic: false });
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.error.code : o.status))).toEqual([
      'UNKNOWN_SIGNER',
      'BAD_SIGNATURE',
      'BAD_SIGNATURE',
      'MALFORMED_RECORD',
    ]);
    expect(await recordCount()).toBe(before);
  });

  it('stores nothing from an atomic batch with one bad record', async () => {
    const before = await recordCount();
    const stateBefore = node.node.state(DEMO_CONSORTIUM_ID).logSize;
    const outcomes = await node.node.submit(DEMO_CONSORTIUM_ID, [farmRecord(node, 10), { ...farmRecord(node, 11), payload: 'tampered' }]);
    expect(outcomes.map((o) => o.status)).toEqual(['not_stored', 'rejected']);
    expect(await recordCount()).toBe(before);
    expect(node.node.state(DEMO_CONSORTIUM_ID).logSize).toBe(stateBefore);
  });

  it('reports a resubmitted record as a duplicate', async () => {
    const record = farmRecord(node, 20);
    expect((await node.node.submit(DEMO_CONSORTIUM_ID, [record]))[0]!.status).toBe('accepted');
    expect((await node.node.submit(DEMO_CONSORTIUM_ID, [record]))[0]!.status).toBe('duplicate');
  });

  it('waits for the seal when asked, and survives a restart with pending records', async () => {
    const pending = farmRecord(node, 30);
    await node.node.submit(DEMO_CONSORTIUM_ID, [pending]);
    expect(node.node.pendingCount(DEMO_CONSORTIUM_ID)).toBeGreaterThan(0);
    node = await node.crashAndReopen();
    expect(node.node.pendingCount(DEMO_CONSORTIUM_ID)).toBeGreaterThan(0);
    const [sealedOutcome] = await Promise.all([
      node.node.submit(DEMO_CONSORTIUM_ID, [farmRecord(node, 31)], { waitForSeal: true }),
      new Promise((r) => setTimeout(r, 20)).then(() => node.node.sealNow(DEMO_CONSORTIUM_ID)),
    ]);
    const outcome = sealedOutcome[0]!;
    expect(outcome.status).toBe('accepted');
    expect(outcome.status === 'accepted' && outcome.block?.height).toBeGreaterThan(0);
    const report = await verifyStoredChain(node.store, DEMO_CONSORTIUM_ID);
    expect(report.ok).toBe(true);
    expect(report.records).toBe(node.node.state(DEMO_CONSORTIUM_ID).logSize);
  });
});
