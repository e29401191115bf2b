/**
 * Guaranteed exit and repair on the tamper matrix's store: `provenant export` then `import` builds a
 * fresh store that verifies and serves, witness cosignatures included; a damaged export is refused
 * with nothing left behind; `rebuild-projections` repairs tampered projections so the node serves
 * again. The store exported is SQLite; with PROVENANT_TEST_DB=postgres every import builds into a
 * PostgreSQL database of its own.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePublicKey, generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import { cosignCheckpoint } from '../../../src/core/lineage/bundle.js';
import { loadConfig, type NodeConfig } from '../../../src/platform/config.js';
import { openNode } from '../../../src/services/node/bootstrap.js';
import { exportChain, importChain, rebuildConsortium } from '../../../src/services/projections/operations.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { openDatabase } from '../../../src/store/database.js';
import { WRITTEN_TABLES } from '../../../src/store/projection-writer.js';
import { WitnessCosignatureStore } from '../../../src/store/witness-cosignature-store.js';
import { createTestDatabase, dropTestDatabase, testEngine } from '../../helpers/postgres.js';
import { openRawDatabase } from '../../helpers/raw-database.js';
import { buildTamperWorld, C, type TamperWorld } from './tamper-world.js';

/** Two witnesses' cosignatures on the store's checkpoints: A on the first and the last, B on the last. */
async function cosignStore(file: string, a: KeyPair, b: KeyPair): Promise<{ first: number; last: number }> {
  const db = await openDatabase({ url: `file:${file}` });
  try {
    const store = new WitnessCosignatureStore(db);
    const sizes = (await db.checkpoint.findMany({ where: { consortiumId: C }, orderBy: { logSize: 'asc' }, select: { logSize: true } })).map((c) => c.logSize);
    const first = sizes[0]!;
    const last = sizes[sizes.length - 1]!;
    for (const [key, size] of [[a, first], [a, last], [b, last]] as const) {
      const cp = (await store.checkpointAt(C, size))!;
      expect(await store.add(C, size, key.keyId, cosignCheckpoint(cp, key), '2026-12-07T12:00:00.000Z', 32)).toBe('stored');
    }
    return { first, last };
  } finally {
    await db.$disconnect();
  }
}

/** Where an import builds: a new data directory, and on PostgreSQL runs a new database of its own. */
interface ImportTarget {
  config: NodeConfig;
  /** Whether anything of the import is left in the target. */
  leftBehind(): Promise<boolean>;
}

const postgresDatabases: string[] = [];

async function importTarget(dataDir: string): Promise<ImportTarget> {
  if (testEngine() !== 'postgres') {
    return { config: loadConfig({ dataDir }), leftBehind: async () => existsSync(path.join(dataDir, 'provenant.db')) };
  }
  const databaseUrl = await createTestDatabase();
  postgresDatabases.push(databaseUrl);
  return {
    config: loadConfig({ dataDir, databaseUrl }),
    leftBehind: async () => {
      const raw = await openRawDatabase({ dbFile: '', databaseUrl });
      try {
        for (const table of WRITTEN_TABLES) {
          // An import refused before it opened the database leaves no tables at all.
          if ((await raw.get<{ r: string | null }>(`SELECT to_regclass(?) AS "r"`, `"${table}"`))?.r === null) continue;
          const row = await raw.get<{ n: number | string }>(`SELECT COUNT(*) AS "n" FROM "${table}"`);
          if (Number(row?.n) > 0) return true;
        }
        return false;
      } finally {
        await raw.close();
      }
    },
  };
}

describe('export, import and rebuild-projections', () => {
  let world: TamperWorld;
  let work: string;
  let exported: string;
  let cosigned: { first: number; last: number };
  const witnessA = generateKeyPair('ed25519');
  const witnessB = generateKeyPair('p256');

  beforeAll(async () => {
    world = await buildTamperWorld();
    cosigned = await cosignStore(world.file, witnessA, witnessB);
    work = mkdtempSync(path.join(os.tmpdir(), 'provenant-exit-'));
    exported = path.join(work, 'export');
    await exportChain(loadConfig({ dataDir: world.temp.dataDir }), C, exported);
  }, 180_000);

  afterAll(async () => {
    if (work) rmSync(work, { recursive: true, force: true });
    if (world) rmSync(world.temp.dataDir, { recursive: true, force: true });
    for (const url of postgresDatabases) await dropTestDatabase(url);
  });

  /** A copy of the export with one line of a file changed, its manifest entry updated (or not). */
  function damagedExport(file: string, change: (line: string, index: number) => string, fixManifest: boolean): string {
    const dir = path.join(work, `damaged-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    const manifest = JSON.parse(readFileSync(path.join(exported, 'manifest.json'), 'utf8'));
    for (const name of [...Object.keys(manifest.files), 'manifest.json']) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      copyFileSync(path.join(exported, name), path.join(dir, name));
    }
    const text = readFileSync(path.join(dir, file), 'utf8').split('\n').map(change).join('\n');
    writeFileSync(path.join(dir, file), text);
    if (fixManifest) {
      manifest.files[file].sha256 = createHash('sha256').update(text).digest('hex');
      writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    }
    return dir;
  }

  it('imports the export into a fresh store that verifies in full and serves', async () => {
    const manifest = JSON.parse(readFileSync(path.join(exported, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'provenant-export', version: 1, consortium: { id: C } });
    expect(Object.keys(manifest.files).some((f) => f.startsWith('documents/'))).toBe(true);
    expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['genesis.json', 'blocks.jsonl', 'records.jsonl', 'checkpoints.jsonl', 'documents.jsonl', 'readings.jsonl', 'persons.jsonl']));
    expect(manifest.files['cosignatures.jsonl']).toMatchObject({ lines: 3 });
    const dataDir = path.join(work, 'imported');
    const target = await importTarget(dataDir);
    const report = await importChain(target.config, exported);
    expect(report.verification.projections?.failures).toEqual([]);
    expect(report.verification.ok).toBe(true);
    expect(report.verification.headHash).toBe(manifest.head.hash);
    expect(report.written['EpcisEvent']).toBeGreaterThan(0);
    expect(report.written['EventCorrection']).toBe(1);
    // The imported store is an ordinary node store: it opens (start-up check included).
    const opened = await openNode(target.config, { autoSeal: false });
    try {
      expect(opened.node.consortia()).toEqual([C]);
      expect((await verifyStoredChain(opened.store, C)).ok).toBe(true);
      // The witnesses' cosignatures came along, each on the checkpoint it signed.
      const store = new WitnessCosignatureStore(opened.db);
      expect((await store.list(C, cosigned.first)).map((w) => w.publicKey)).toEqual([encodePublicKey(witnessA.publicKey)]);
      expect((await store.list(C, cosigned.last)).map((w) => w.publicKey).sort()).toEqual([encodePublicKey(witnessA.publicKey), encodePublicKey(witnessB.publicKey)].sort());
    } finally {
      await opened.close();
    }
    // A target that already holds the chain is refused, and stays as it was.
    await expect(importChain(target.config, exported)).rejects.toMatchObject({ code: 'TARGET_NOT_EMPTY' });
    expect(await target.leftBehind()).toBe(true);
    const reopened = await openNode(target.config, { autoSeal: false });
    await reopened.close();
  }, 120_000);

  it('refuses an export whose file does not match its manifest, and one whose chain does not verify, leaving nothing', async () => {
    const edit = (line: string, i: number) => (i === 3 ? line.replace(/"signedAt":"(\d{4})/, (_m, y: string) => `"signedAt":"${Number(y) + 1}`) : line);
    const unlisted = await importTarget(path.join(work, 'unlisted'));
    await expect(importChain(unlisted.config, damagedExport('records.jsonl', edit, false))).rejects.toMatchObject({ code: 'EXPORT_INVALID' });
    expect(await unlisted.leftBehind()).toBe(false);
    const forged = await importTarget(path.join(work, 'forged'));
    await expect(importChain(forged.config, damagedExport('records.jsonl', edit, true))).rejects.toMatchObject({ code: 'CHAIN_INVALID' });
    expect(await forged.leftBehind()).toBe(false);
    // Dropping a block's record is refused the same way.
    const dropped = await importTarget(path.join(work, 'dropped'));
    await expect(importChain(dropped.config, damagedExport('records.jsonl', (line, i) => (i === 5 ? '' : line), true))).rejects.toMatchObject({ code: 'CHAIN_INVALID' });
    expect(await dropped.leftBehind()).toBe(false);
  }, 120_000);

  it('refuses a cosignature that does not verify or names another checkpoint, leaving nothing', async () => {
    // One signature byte changed (manifest updated): the witness signature does not verify.
    const tampered = (line: string, i: number) => (i === 0 ? line.replace(/"signature":"(ed25519|p256):(.)/, (_m, alg: string, c: string) => `"signature":"${alg}:${c === 'A' ? 'B' : 'A'}`) : line);
    const bad = await importTarget(path.join(work, 'bad-cosignature'));
    await expect(importChain(bad.config, damagedExport('cosignatures.jsonl', tampered, true))).rejects.toMatchObject({ code: 'COSIGNATURE_INVALID', details: { line: 1 } });
    expect(await bad.leftBehind()).toBe(false);
    // A cosignature whose checkpoint states another root than the chain's checkpoint of that size.
    const otherRoot = (line: string, i: number) => (i === 1 ? line.replace(/"logRoot":"(.)/, (_m, c: string) => `"logRoot":"${c === '0' ? '1' : '0'}`) : line);
    const other = await importTarget(path.join(work, 'other-checkpoint'));
    await expect(importChain(other.config, damagedExport('cosignatures.jsonl', otherRoot, true))).rejects.toMatchObject({ code: 'COSIGNATURE_INVALID', details: { line: 2 } });
    expect(await other.leftBehind()).toBe(false);
    // A line that is JSON but no object is a malformed export, not a crash.
    const notObject = await importTarget(path.join(work, 'null-cosignature'));
    await expect(importChain(notObject.config, damagedExport('cosignatures.jsonl', (line, i) => (i === 0 ? 'null' : line), true))).rejects.toMatchObject({ code: 'EXPORT_INVALID', details: { file: 'cosignatures.jsonl', line: 1 } });
    expect(await notObject.leftBehind()).toBe(false);
    // The cosigned first checkpoint with its authority signature forged: the import would have to drop it, so it refuses.
    const forgedCheckpoint = (line: string, i: number) => (i === 0 ? line.replace(/("signatures":\[\{"keyId":"[^"]+","signature":"(?:ed25519|p256):)(.)/, (_m, head: string, c: string) => `${head}${c === 'A' ? 'B' : 'A'}`) : line);
    const dangling = await importTarget(path.join(work, 'dangling-cosignature'));
    await expect(importChain(dangling.config, damagedExport('checkpoints.jsonl', forgedCheckpoint, true))).rejects.toMatchObject({ code: 'COSIGNATURE_INVALID', details: { logSize: cosigned.first } });
    expect(await dangling.leftBehind()).toBe(false);
  }, 120_000);

  // A PostgreSQL target is a database of the run's server; an SQLite target is a new file nobody else writes.
  it.skipIf(testEngine() !== 'postgres')('deletes from PostgreSQL only rows it committed: a load that fails leaves other rows be', async () => {
    const target = await importTarget(path.join(work, 'failed-load'));
    const db = await openDatabase({ url: target.config.databaseUrl });
    await db.document.create({ data: { sha256: 'ab'.repeat(32), consortiumId: C, mediaType: 'text/plain', size: 1, uploadedByOrg: null, uploadedAt: '2026-12-07T12:00:00.000Z', bytes: Buffer.from('x') } });
    await db.$disconnect();
    // Block 1 twice: the rows do not load, and the transaction that loaded them rolls back.
    const twice = damagedExport('blocks.jsonl', (line, i) => (i === 1 ? `${line}\n${line}` : line), true);
    await expect(importChain(target.config, twice)).rejects.toMatchObject({ code: 'EXPORT_INVALID' });
    const raw = await openRawDatabase({ dbFile: '', databaseUrl: target.config.databaseUrl });
    try {
      expect(await raw.all(`SELECT "sha256" FROM "Document"`)).toEqual([{ sha256: 'ab'.repeat(32) }]);
      expect(await raw.all(`SELECT "height" FROM "Block"`)).toEqual([]);
    } finally {
      await raw.close();
    }
  }, 120_000);

  it('imports an export made before cosignatures were exported', async () => {
    const dir = damagedExport('records.jsonl', (line) => line, false);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    delete manifest.files['cosignatures.jsonl'];
    rmSync(path.join(dir, 'cosignatures.jsonl'));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const target = await importTarget(path.join(work, 'old-export'));
    const report = await importChain(target.config, dir);
    expect(report.verification.ok).toBe(true);
    const db = await openDatabase({ url: target.config.databaseUrl });
    try {
      expect(await db.witnessCosignature.count()).toBe(0);
      expect(await db.checkpoint.count()).toBeGreaterThan(0);
    } finally {
      await db.$disconnect();
    }
  }, 120_000);

  it('rebuild-projections repairs tampered projections in one go, after which the node serves again', async () => {
    const dataDir = path.join(work, 'repair');
    mkdirSync(dataDir);
    copyFileSync(world.file, path.join(dataDir, 'provenant.db'));
    cpSync(path.join(path.dirname(world.file), 'ordering'), path.join(dataDir, 'ordering'), { recursive: true });
    const raw = new Database(path.join(dataDir, 'provenant.db'));
    raw.prepare(`DELETE FROM "EventIdentifier" WHERE rowid IN (SELECT rowid FROM "EventIdentifier" LIMIT 3)`).run();
    raw.prepare(`UPDATE "EpcisEvent" SET "bizStep" = 'receiving' WHERE rowid = (SELECT min(rowid) FROM "EpcisEvent")`).run();
    raw.prepare(`UPDATE "Custody" SET "orgId" = 'riverside-retail' WHERE rowid = (SELECT min(rowid) FROM "Custody")`).run();
    raw.prepare(`UPDATE "Block" SET "timestamp" = '2020-01-01T00:00:00.000Z' WHERE "height" = 2`).run();
    raw.close();
    const config = loadConfig({ dataDir });
    await expect(openNode(config, { autoSeal: false })).rejects.toMatchObject({ code: 'PROJECTIONS_DISAGREE' });
    const report = await rebuildConsortium(config, C);
    expect(report.verification.projections?.failures).toEqual([]);
    expect(report.verification.ok).toBe(true);
    expect(report.repaired.blockColumns).toBe(1);
    const opened = await openNode(config, { autoSeal: false });
    await opened.close();
  }, 120_000);
});
