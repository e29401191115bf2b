/**
 * `provenant export`: a consortium's whole chain as files an outside verifier can check without
 * Provenant (docs/export-format.md): the genesis, every block with its seals, every sealed record
 * as signed, every checkpoint with its signatures and the witnesses' cosignatures, the documents events cite (with their bytes),
 * the device readings sealed windows commit to and the personal data behind the commitments. The signed texts are written as stored.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { ExportStore } from '../../store/export-store.js';
import type { Database } from '../../store/database.js';
import { ProjectionError } from './errors.js';

export const EXPORT_FORMAT = 'provenant-export';
export const EXPORT_VERSION = 1;
const PAGE = 2000;

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  consortium: { id: string; name: string; genesisHash: string; quorum: { numerator: number; denominator: number }; createdAt: string };
  head: { height: number; hash: string; logSize: number } | null;
  /** Per file: SHA-256 of its bytes (hex) and its line count (JSON Lines files). */
  files: Record<string, { sha256: string; bytes: number; lines?: number }>;
  exportedAt: string;
}

export interface ExportSummary {
  dir: string;
  manifest: ExportManifest;
}

/** A JSON Lines file written line by line, hashed as it is written. */
class LinesFile {
  readonly #hash = createHash('sha256');
  readonly #stream: WriteStream;
  lines = 0;
  bytes = 0;

  constructor(readonly file: string) {
    this.#stream = createWriteStream(file, { flags: 'wx' });
  }

  async line(text: string): Promise<void> {
    const data = Buffer.from(`${text}\n`, 'utf8');
    this.#hash.update(data);
    this.lines += 1;
    this.bytes += data.length;
    if (!this.#stream.write(data)) await once(this.#stream, 'drain');
  }

  async close(): Promise<{ sha256: string; bytes: number; lines: number }> {
    this.#stream.end();
    await once(this.#stream, 'finish');
    return { sha256: this.#hash.digest('hex'), bytes: this.bytes, lines: this.lines };
  }
}

function writeHashed(file: string, data: Uint8Array): { sha256: string; bytes: number } {
  writeFileSync(file, data, { flag: 'wx' });
  return { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
}

const s = JSON.stringify;

async function writeChain(store: ExportStore, dir: string, files: ExportManifest['files']): Promise<ExportManifest['head']> {
  let head: ExportManifest['head'] = null;
  const blocks = new LinesFile(path.join(dir, 'blocks.jsonl'));
  for (let from = 0; ; ) {
    const page = await store.blocks(from, PAGE);
    for (const b of page) {
      await blocks.line(`{"height":${b.height},"hash":${s(b.hash)},"header":${b.header},"seals":${b.seals}}`);
      head = { height: b.height, hash: b.hash, logSize: (JSON.parse(b.header) as { logSize: number }).logSize };
    }
    if (page.length < PAGE) break;
    from = page[page.length - 1]!.height + 1;
  }
  files['blocks.jsonl'] = await blocks.close();
  const records = new LinesFile(path.join(dir, 'records.jsonl'));
  for (let from = 0; ; ) {
    const page = await store.records(from, PAGE);
    for (const r of page) await records.line(`{"logIndex":${r.logIndex},"hash":${s(r.hash)},"record":${r.body},"receivedAt":${s(r.receivedAt)}}`);
    if (page.length < PAGE) break;
    from = page[page.length - 1]!.logIndex + 1;
  }
  files['records.jsonl'] = await records.close();
  const checkpoints = new LinesFile(path.join(dir, 'checkpoints.jsonl'));
  for (const c of await store.checkpoints()) {
    const checkpoint = { v: 1, consortium: store.consortiumId, logSize: c.logSize, logRoot: c.logRoot, blockHeight: c.blockHeight, blockHash: c.blockHash, timestamp: c.timestamp };
    await checkpoints.line(`{"checkpoint":${s(checkpoint)},"signatures":${c.signatures}}`);
  }
  files['checkpoints.jsonl'] = await checkpoints.close();
  const cosignatures = new LinesFile(path.join(dir, 'cosignatures.jsonl'));
  for (const w of await store.cosignatures()) {
    const checkpoint = { v: 1, consortium: store.consortiumId, logSize: w.logSize, logRoot: w.logRoot, blockHeight: w.blockHeight, blockHash: w.blockHash, timestamp: w.timestamp };
    await cosignatures.line(s({ checkpoint, cosignature: { publicKey: w.publicKey, signature: w.signature }, keyId: w.keyId, receivedAt: w.receivedAt }));
  }
  files['cosignatures.jsonl'] = await cosignatures.close();
  return head;
}

async function writeGenesis(store: ExportStore, dir: string): Promise<{ sha256: string; bytes: number }> {
  const [block] = await store.blocks(0, 1);
  const [record] = await store.records(0, 1);
  if (!block || block.height !== 0 || !record) throw new ProjectionError('EXPORT_INVALID', `consortium "${store.consortiumId}" has no genesis block to export`);
  const text = `{"hash":${s(block.hash)},"header":${block.header},"seals":${block.seals},"recordHash":${s(record.hash)},"record":${record.body}}\n`;
  return writeHashed(path.join(dir, 'genesis.json'), Buffer.from(text, 'utf8'));
}

async function writeOffChain(store: ExportStore, dir: string, files: ExportManifest['files']): Promise<void> {
  const documents = new LinesFile(path.join(dir, 'documents.jsonl'));
  mkdirSync(path.join(dir, 'documents'));
  for (let after = ''; ; ) {
    const page = await store.documents(after, 100);
    for (const d of page) {
      const file = `documents/${d.sha256}`;
      files[file] = writeHashed(path.join(dir, file), d.bytes);
      await documents.line(s({ sha256: d.sha256, mediaType: d.mediaType, size: d.size, uploadedByOrg: d.uploadedByOrg, uploadedAt: d.uploadedAt, file }));
    }
    if (page.length < 100) break;
    after = page[page.length - 1]!.sha256;
  }
  files['documents.jsonl'] = await documents.close();
  const readings = new LinesFile(path.join(dir, 'readings.jsonl'));
  for (let after = { deviceId: '', seq: 0 }; ; ) {
    const page = await store.readings(after, PAGE);
    for (const r of page) {
      await readings.line(`{"deviceId":${s(r.deviceId)},"seq":${r.seq},"reading":${r.body},"signature":${s(r.signature)},"digest":${s(r.digest)},"gapFrom":${s(r.gapFrom)},"receivedAt":${s(r.receivedAt)},"window":${s(r.windowRecordHash)}}`);
    }
    if (page.length < PAGE) break;
    const last = page[page.length - 1]!;
    after = { deviceId: last.deviceId, seq: last.seq };
  }
  files['readings.jsonl'] = await readings.close();
  const persons = new LinesFile(path.join(dir, 'persons.jsonl'));
  for (let after = ''; ; ) {
    const page = await store.persons(after, PAGE);
    for (const p of page) {
      await persons.line(`{"commitment":${s(p.commitment)},"orgId":${s(p.orgId)},"data":${p.data ?? 'null'},"salt":${s(p.salt)},"createdAt":${s(p.createdAt)},"erasedAt":${s(p.erasedAt)},"erasureRecordHash":${s(p.erasureRecordHash)}}`);
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.commitment;
  }
  files['persons.jsonl'] = await persons.close();
}

/** Writes the export into `dir` (created; it must not hold anything yet). On failure nothing is left there. */
export async function exportConsortium(db: Database, consortiumId: string, dir: string): Promise<ExportSummary> {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new ProjectionError('TARGET_NOT_EMPTY', `${dir} is not empty: an export is written into a new or empty directory`, { dir });
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const store = new ExportStore(db, consortiumId);
  try {
    const c = await store.consortium();
    if (!c) throw new ProjectionError('EXPORT_INVALID', `unknown consortium "${consortiumId}"`, { consortium: consortiumId });
    const files: ExportManifest['files'] = {};
    files['genesis.json'] = await writeGenesis(store, dir);
    const head = await writeChain(store, dir, files);
    await writeOffChain(store, dir, files);
    const manifest: ExportManifest = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      consortium: { id: c.id, name: c.name, genesisHash: c.genesisHash, quorum: { numerator: c.quorumNumerator, denominator: c.quorumDenominator }, createdAt: c.createdAt },
      head,
      files,
      exportedAt: new Date().toISOString(),
    };
    writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
    return { dir, manifest };
  } catch (err) {
    if (created) rmSync(dir, { recursive: true, force: true });
    else for (const entry of readdirSync(dir)) rmSync(path.join(dir, entry), { recursive: true, force: true });
    throw err;
  }
}
