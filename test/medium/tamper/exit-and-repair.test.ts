/**
 * Guaranteed exit and repair on the tamper matrix's store: `provenant export` then `import` builds a
 * fresh store that verifies and serves; a damaged export is refused with nothing left behind;
 * `rebuild-projections` repairs tampered projections so the node serves again.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/platform/config.js';
import { openNode } from '../../../src/services/node/bootstrap.js';
import { exportChain, importChain, rebuildConsortium } from '../../../src/services/projections/operations.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { buildTamperWorld, C, type TamperWorld } from './tamper-world.js';

describe('export, import and rebuild-projections', () => {
  let world: TamperWorld;
  let work: string;
  let exported: string;

  beforeAll(async () => {
    world = await buildTamperWorld();
    work = mkdtempSync(path.join(os.tmpdir(), 'provenant-exit-'));
    exported = path.join(work, 'export');
    await exportChain(loadConfig({ dataDir: world.temp.dataDir }), C, exported);
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    if (world) rmSync(world.temp.dataDir, { recursive: true, force: true });
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
    const dataDir = path.join(work, 'imported');
    const report = await importChain(loadConfig({ dataDir }), exported);
    expect(report.verification.projections?.failures).toEqual([]);
    expect(report.verification.ok).toBe(true);
    expect(report.verification.headHash).toBe(manifest.head.hash);
    expect(report.written['EpcisEvent']).toBeGreaterThan(0);
    expect(report.written['EventCorrection']).toBe(1);
    // The imported store is an ordinary node store: it opens (start-up check included).
    const opened = await openNode(loadConfig({ dataDir }), { autoSeal: false });
    try {
      expect(opened.node.consortia()).toEqual([C]);
      expect((await verifyStoredChain(opened.store, C)).ok).toBe(true);
    } finally {
      await opened.close();
    }
  }, 120_000);

  it('refuses an export whose file does not match its manifest, and one whose chain does not verify, leaving nothing', async () => {
    const edit = (line: string, i: number) => (i === 3 ? line.replace(/"signedAt":"(\d{4})/, (_m, y: string) => `"signedAt":"${Number(y) + 1}`) : line);
    const unlisted = path.join(work, 'unlisted');
    await expect(importChain(loadConfig({ dataDir: unlisted }), damagedExport('records.jsonl', edit, false))).rejects.toMatchObject({ code: 'EXPORT_INVALID' });
    expect(existsSync(path.join(unlisted, 'provenant.db'))).toBe(false);
    const forged = path.join(work, 'forged');
    await expect(importChain(loadConfig({ dataDir: forged }), damagedExport('records.jsonl', edit, true))).rejects.toMatchObject({ code: 'CHAIN_INVALID' });
    expect(existsSync(path.join(forged, 'provenant.db'))).toBe(false);
    // Dropping a block's record is refused the same way.
    const dropped = path.join(work, 'dropped');
    await expect(importChain(loadConfig({ dataDir: dropped }), damagedExport('records.jsonl', (line, i) => (i === 5 ? '' : line), true))).rejects.toMatchObject({ code: 'CHAIN_INVALID' });
    expect(existsSync(path.join(dropped, 'provenant.db'))).toBe(false);
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
