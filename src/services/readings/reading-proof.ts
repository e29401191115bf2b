/** The proof that a stored reading is committed by its sensor.window record (RFC 6962 inclusion in readingsRoot). */
import { toHex, fromHex } from '../../core/crypto/index.js';
import { verifyInclusion } from '../../core/ledger/merkle-verify.js';
import type { SignedRecord } from '../../core/ledger/record.js';
import { readingLeafHash, type Reading } from '../../core/readings/reading.js';
import { readingInclusionProof, type SensorWindowPayload } from '../../core/readings/window.js';
import type { ReadingStore, StoredReading } from '../../store/reading-store.js';
import { IotError, type ReadingProof } from './ingest-types.js';
import { windowAssignmentOf } from '../../core/ledger/projections/record-effects.js';
import { windowReadingFailures } from '../../core/ledger/projections/readings-check.js';

/** The proof for reading `seq` of a device, in the consortium given or the first of `consortia` that holds it. */
export async function readingProof(store: ReadingStore, consortia: readonly string[], deviceId: string, seq: number): Promise<ReadingProof> {
  let row: StoredReading | undefined;
  for (const c of consortia) {
    row = await store.get(c, deviceId, seq);
    if (row) break;
  }
  if (!row) throw new IotError('READING_NOT_FOUND', `no stored reading ${deviceId}#${seq}`, { deviceId, seq });
  if (!row.windowRecordHash) throw new IotError('READING_NOT_WINDOWED', `reading ${deviceId}#${seq} is not in a window record yet`, { deviceId, seq });
  const windowRows = await store.ofWindow(row.windowRecordHash);
  const readings = windowRows.map((r) => JSON.parse(r.body) as Reading);
  const index = windowRows.findIndex((r) => r.seq === seq);
  const proof = readingInclusionProof(readings, index);
  const reading = readings[index]!;
  const stored = await store.windowRecord(row.windowRecordHash);
  if (!stored) throw new IotError('READING_NOT_WINDOWED', `window record ${row.windowRecordHash} of reading ${deviceId}#${seq} is missing`, { deviceId, seq });
  const record = JSON.parse(stored.body) as SignedRecord;
  const readingsRootHex = (record.payload as unknown as SensorWindowPayload).readingsRoot;
  // The rows are held to what the signed window commits to, on every read.
  const window = windowAssignmentOf(record.payload);
  const problems = window ? windowReadingFailures(window, row.windowRecordHash, windowRows, windowRows, undefined, { recordHash: row.windowRecordHash }) : [];
  if (!window || problems.length > 0) {
    throw new IotError('READING_TAMPERED', `the stored readings of window ${row.windowRecordHash.slice(0, 16)}… do not match what it commits to: ${problems[0]?.message ?? 'the window record is malformed'}`, {
      deviceId,
      seq,
      table: problems[0]?.table ?? 'LedgerRecord',
      column: problems[0]?.column,
    });
  }
  return {
    consortium: row.consortiumId,
    reading,
    signature: row.signature,
    windowRecordHash: row.windowRecordHash,
    index,
    treeSize: readings.length,
    readingsRoot: readingsRootHex,
    blockHeight: stored.blockHeight,
    proof: proof.map(toHex),
  };
}

/** Checks a reading proof against a readingsRoot (taken from the sealed sensor.window record). Throws on mismatch. */
export function verifyReadingProof(proof: Pick<ReadingProof, 'reading' | 'index' | 'treeSize' | 'proof'>, readingsRootHex: string): void {
  verifyInclusion(readingLeafHash(proof.reading), proof.index, proof.treeSize, proof.proof.map((p) => fromHex(p, 32)), fromHex(readingsRootHex, 32));
}
