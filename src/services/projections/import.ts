/**
 * `provenant import`: a fresh store from an export (docs/export-format.md). The files are checked
 * against the manifest, the chain rows are loaded in one transaction, every projection is derived
 * from them as `rebuild-projections` derives it, and the whole store is verified as `verify` does.
 * The target is a new SQLite file or an empty PostgreSQL database (DATABASE_URL postgresql://…).
 * Any failure removes what was created: a store is left only when everything holds.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { canonicalize, type JsonValue } from '../../core/crypto/index.js';
import type { NodeConfig } from '../../platform/config.js';
import { ChainStore } from '../../store/chain-store.js';
import { isPostgresUrl, openDatabase, sqliteFilePath, type Database } from '../../store/database.js';
import { consortiaHeld, deleteImportedRows } from '../../store/import-target.js';
import { ProjectionWriter } from '../../store/projection-writer.js';
import type { VerifyProgress } from '../node/verify-stored-chain.js';
import { checkedCosignatures, type ImportedCosignature } from './cosignature-import.js';
import { ProjectionError } from './errors.js';
import { invalid, lines } from './export-lines.js';
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportManifest } from './export.js';
import { rebuildProjections, type RebuildReport } from './rebuild.js';

const CHAIN_FILES = ['genesis.json', 'blocks.jsonl', 'records.jsonl', 'checkpoints.jsonl', 'documents.jsonl', 'readings.jsonl', 'persons.jsonl'] as const;

function readManifest(dir: string): ExportManifest {
  let manifest: ExportManifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ExportManifest;
  } catch (err) {
    return invalid(`${dir} holds no readable manifest.json: ${(err as Error).message}`, { dir });
  }
  if (manifest?.format !== EXPORT_FORMAT || manifest.version !== EXPORT_VERSION) invalid(`manifest.json is not a ${EXPORT_FORMAT} version ${EXPORT_VERSION} manifest`, { format: manifest?.format, version: manifest?.version });
  if (typeof manifest.consortium?.id !== 'string' || typeof manifest.files !== 'object' || manifest.files === null) invalid('manifest.json names no consortium or files');
  for (const file of CHAIN_FILES) if (!manifest.files[file]) invalid(`manifest.json does not list ${file}`, { file });
  return manifest;
}

/** Every listed file hashes to its manifest entry, and so does every document file to its name. */
async function checkFiles(dir: string, manifest: ExportManifest): Promise<void> {
  for (const [file, entry] of Object.entries(manifest.files)) {
    const full = path.join(dir, file);
    if (path.relative(dir, full).startsWith('..') || !existsSync(full)) invalid(`${file} is missing from the export`, { file });
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    if (sha256 !== entry.sha256) invalid(`${file} does not match the manifest (SHA-256 ${sha256}, manifest ${entry.sha256})`, { file, expected: entry.sha256, computed: sha256 });
  }
}

const json = (value: unknown): string => canonicalize(value as JsonValue);

/** Loads the exported chain rows as they were stored, in one transaction. */
async function loadRows(dir: string, manifest: ExportManifest, cosignatures: readonly ImportedCosignature[], writer: ProjectionWriter): Promise<void> {
  const id = manifest.consortium.id;
  const c = manifest.consortium;
  writer.run(`INSERT INTO "Consortium" ("id", "name", "genesisHash", "quorumNumerator", "quorumDenominator", "createdAt") VALUES (?,?,?,?,?,?)`, id, c.name, c.genesisHash, c.quorum?.numerator, c.quorum?.denominator, c.createdAt);
  const ranges: { height: number; first: number; end: number }[] = [];
  for await (const b of lines(path.join(dir, 'blocks.jsonl'))) {
    const h = b['header'] as Record<string, unknown>;
    writer.run(
      `INSERT INTO "Block" ("consortiumId", "height", "hash", "previousHash", "merkleRoot", "recordCount", "logSize", "timestamp", "authoritySetHash", "header", "seals") VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
      id, b['height'], b['hash'], h?.['previousHash'], h?.['merkleRoot'], h?.['recordCount'], h?.['logSize'], h?.['timestamp'], h?.['authoritySetHash'], json(h), JSON.stringify(b['seals']),
    );
    ranges.push({ height: Number(b['height']), first: Number(h?.['logSize']) - Number(h?.['recordCount']), end: Number(h?.['logSize']) });
  }
  let block = 0;
  for await (const r of lines(path.join(dir, 'records.jsonl'))) {
    const logIndex = Number(r['logIndex']);
    while (block < ranges.length && logIndex >= ranges[block]!.end) block += 1;
    const range = ranges[block];
    const inBlock = range && logIndex >= range.first;
    const record = r['record'] as Record<string, unknown>;
    writer.run(
      `INSERT INTO "LedgerRecord" ("hash", "consortiumId", "logIndex", "blockHeight", "indexInBlock", "kind", "signer", "signedAt", "receivedAt", "body") VALUES (?,?,?,?,?,?,?,?,?,?)`,
      r['hash'], id, logIndex, inBlock ? range.height : null, inBlock ? logIndex - range.first : null, record?.['kind'], record?.['signer'], record?.['signedAt'], r['receivedAt'], json(record),
    );
  }
  for await (const cp of lines(path.join(dir, 'checkpoints.jsonl'))) {
    const k = cp['checkpoint'] as Record<string, unknown>;
    writer.run(`INSERT INTO "Checkpoint" ("consortiumId", "logSize", "logRoot", "blockHeight", "blockHash", "timestamp", "signatures") VALUES (?,?,?,?,?,?,?)`, id, k?.['logSize'], k?.['logRoot'], k?.['blockHeight'], k?.['blockHash'], k?.['timestamp'], JSON.stringify(cp['signatures']));
  }
  for (const w of cosignatures) {
    writer.run(`INSERT INTO "WitnessCosignature" ("consortiumId", "logSize", "keyId", "publicKey", "signature", "receivedAt") VALUES (?,?,?,?,?,?)`, id, w.logSize, w.keyId, w.publicKey, w.signature, w.receivedAt);
  }
  for await (const d of lines(path.join(dir, 'documents.jsonl'))) {
    const bytes = readFileSync(path.join(dir, 'documents', String(d['sha256'])));
    writer.run(`INSERT INTO "Document" ("sha256", "consortiumId", "mediaType", "size", "uploadedByOrg", "uploadedAt", "bytes") VALUES (?,?,?,?,?,?,?)`, d['sha256'], id, d['mediaType'], d['size'], d['uploadedByOrg'], d['uploadedAt'], bytes);
  }
  for await (const p of lines(path.join(dir, 'persons.jsonl'))) {
    writer.run(
      `INSERT INTO "PersonData" ("commitment", "consortiumId", "orgId", "data", "salt", "createdAt", "erasedAt", "erasureRecordHash") VALUES (?,?,?,?,?,?,?,?)`,
      p['commitment'], id, p['orgId'], p['data'] === null || p['data'] === undefined ? null : json(p['data']), p['salt'], p['createdAt'], p['erasedAt'], p['erasureRecordHash'],
    );
  }
  for await (const r of lines(path.join(dir, 'readings.jsonl'))) {
    const reading = r['reading'] as Record<string, unknown>;
    writer.run(
      `INSERT INTO "DeviceReading" ("consortiumId", "deviceId", "seq", "observedAt", "type", "body", "signature", "digest", "gapFrom", "receivedAt", "windowRecordHash") VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
      id, r['deviceId'], r['seq'], reading?.['observedAt'], reading?.['type'], json(reading), r['signature'], r['digest'], r['gapFrom'], r['receivedAt'], r['window'],
    );
  }
}

export interface ImportReport extends RebuildReport {
  manifest: ExportManifest;
  databaseUrl: string;
}

/** The store an import builds: opened fresh, and removed again by `discard`. */
interface ImportTarget {
  db: Database;
  /** Disconnects and deletes what the import wrote (the file; on PostgreSQL the rows, once it committed some). */
  discard(consortiumId: string, committed: boolean): Promise<void>;
}

/** An empty PostgreSQL database: one already holding a chain is refused. */
async function postgresTarget(url: string): Promise<ImportTarget> {
  const db = await openDatabase({ url });
  const held = await consortiaHeld(db).catch(async (err: unknown) => {
    await db.$disconnect();
    throw err;
  });
  if (held.length > 0) {
    await db.$disconnect();
    throw new ProjectionError('TARGET_NOT_EMPTY', `the PostgreSQL database already holds a chain (consortium ${held.map((c) => `"${c}"`).join(', ')}): an export is imported into an empty database`, { consortia: held });
  }
  return {
    db,
    discard: async (consortiumId, committed) => {
      try {
        // Rows are deleted only after this import committed them: a load that failed (another
        // import of the same consortium got there first, say) rolled back and must not delete theirs.
        if (committed) await deleteImportedRows(db, consortiumId);
      } finally {
        await db.$disconnect();
      }
    },
  };
}

/** A new SQLite file (and its directory, when that is new too). */
async function sqliteTarget(url: string): Promise<ImportTarget> {
  const file = sqliteFilePath(url);
  if (file === ':memory:') throw new ProjectionError('TARGET_NOT_EMPTY', 'an import needs a database file (DATABASE_URL is :memory:)');
  if (existsSync(file)) throw new ProjectionError('TARGET_NOT_EMPTY', `${file} exists: an export is imported into a fresh store (choose an empty --data)`, { file });
  const parent = path.dirname(path.resolve(file));
  const createdDir = !existsSync(parent);
  mkdirSync(parent, { recursive: true });
  const remove = (): void => {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
    if (createdDir) rmSync(parent, { recursive: true, force: true });
  };
  const db = await openDatabase({ url }).catch((err: unknown) => {
    remove();
    throw err;
  });
  return {
    db,
    discard: async () => {
      await db.$disconnect();
      remove();
    },
  };
}

/** Rebuilds and verifies the loaded store; a cosigned checkpoint the rebuild had to delete is refused. */
async function deriveAndVerify(db: Database, manifest: ExportManifest, cosignatures: readonly ImportedCosignature[], onProgress?: (p: VerifyProgress) => void): Promise<RebuildReport> {
  const report = await rebuildProjections(new ChainStore(db), manifest.consortium.id, onProgress);
  const head = manifest.head;
  if (head && (report.verification.headHash !== head.hash || report.verification.height !== head.height)) {
    invalid(`the chain ends at block ${report.verification.height} (${report.verification.headHash.slice(0, 16)}…), the manifest says ${head.height} (${head.hash.slice(0, 16)}…)`);
  }
  const deleted = new Set(report.repaired.checkpointsDeleted);
  const orphan = cosignatures.find((w) => deleted.has(w.logSize));
  if (orphan) {
    throw new ProjectionError('COSIGNATURE_INVALID', `a witness cosigned the checkpoint of log size ${orphan.logSize}, which does not state the chain (the import deleted it)`, { logSize: orphan.logSize, keyId: orphan.keyId });
  }
  return report;
}

/** Builds a store at config's database from the export in `dir`; removes it again unless everything verifies. */
export async function importExport(dir: string, config: NodeConfig, onProgress?: (p: VerifyProgress) => void): Promise<ImportReport> {
  const manifest = readManifest(dir);
  await checkFiles(dir, manifest);
  const cosignatures = await checkedCosignatures(dir, manifest);
  const target = isPostgresUrl(config.databaseUrl) ? await postgresTarget(config.databaseUrl) : await sqliteTarget(config.databaseUrl);
  let ok = false;
  let committed = false;
  try {
    const writer = await ProjectionWriter.open(target.db, manifest.consortium.id);
    try {
      await loadRows(dir, manifest, cosignatures, writer);
      await writer.commit();
      committed = true;
    } catch (err) {
      if (err instanceof ProjectionError) throw err;
      invalid(`the export's rows do not load: ${(err as Error).message}`);
    } finally {
      await writer.close();
    }
    const report = await deriveAndVerify(target.db, manifest, cosignatures, onProgress);
    ok = report.verification.ok;
    return { ...report, manifest, databaseUrl: config.databaseUrl };
  } finally {
    if (ok) await target.db.$disconnect();
    else await target.discard(manifest.consortium.id, committed);
  }
}
