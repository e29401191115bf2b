/**
 * The witnesses' cosignatures of an export (`cosignatures.jsonl`, docs/export-format.md), checked
 * before `provenant import` stores them: each names a checkpoint of `checkpoints.jsonl` exactly
 * (same checkpoint hash, so the chain verification that checks those checkpoints covers it) and is
 * a valid signature by the key it names (docs/witness.md section 5). Exports made before the file
 * existed have none.
 */
import path from 'node:path';
import { keyIdOf, parsePublicKey } from '../../core/crypto/index.js';
import { assertCheckpointShape, checkpointHash, type Checkpoint } from '../../core/ledger/checkpoint.js';
import { verifyWitnessCosignature } from '../../core/lineage/bundle.js';
import { MAX_WITNESS_COSIGNATURES_PER_CHECKPOINT } from '../witness-cosignatures.js';
import { ProjectionError } from './errors.js';
import type { ExportManifest } from './export.js';
import { lines, numberedLines } from './export-lines.js';

export const COSIGNATURES_FILE = 'cosignatures.jsonl';

export interface ImportedCosignature {
  logSize: number;
  keyId: string;
  publicKey: string;
  signature: string;
  receivedAt: string;
}

function refused(line: number, message: string, details: Record<string, unknown> = {}): never {
  throw new ProjectionError('COSIGNATURE_INVALID', `${COSIGNATURES_FILE} line ${line}: ${message}`, { file: COSIGNATURES_FILE, line, ...details });
}

/** Checkpoint hash by log size, of the checkpoints the export states (malformed ones are left to the chain check). */
async function exportedCheckpoints(dir: string): Promise<Map<number, string>> {
  const hashes = new Map<number, string>();
  for await (const line of lines(path.join(dir, 'checkpoints.jsonl'))) {
    try {
      assertCheckpointShape(line['checkpoint']);
      hashes.set(line['checkpoint'].logSize, checkpointHash(line['checkpoint']));
    } catch {
      // The chain verification names a malformed checkpoint; no cosignature can match it.
    }
  }
  return hashes;
}

function checkedLine(consortiumId: string, checkpoints: Map<number, string>, value: Record<string, unknown>, n: number): ImportedCosignature {
  const checkpoint = value['checkpoint'];
  try {
    assertCheckpointShape(checkpoint);
  } catch (err) {
    refused(n, (err as Error).message);
  }
  const cp: Checkpoint = checkpoint;
  if (cp.consortium !== consortiumId) refused(n, `the checkpoint is of consortium "${cp.consortium}", not "${consortiumId}"`, { logSize: cp.logSize });
  const expected = checkpoints.get(cp.logSize);
  if (expected === undefined) refused(n, `the export has no checkpoint of log size ${cp.logSize}`, { logSize: cp.logSize });
  if (checkpointHash(cp) !== expected) refused(n, `the cosigned checkpoint of log size ${cp.logSize} is not the one the chain states`, { logSize: cp.logSize });
  const c = value['cosignature'] as { publicKey?: unknown; signature?: unknown } | null | undefined;
  if (typeof c?.publicKey !== 'string' || typeof c.signature !== 'string') refused(n, 'cosignature must be { "publicKey": string, "signature": string }');
  let keyId: string;
  try {
    keyId = keyIdOf(parsePublicKey(c.publicKey));
  } catch (err) {
    refused(n, `cosignature.publicKey: ${(err as Error).message}`);
  }
  if (value['keyId'] !== keyId) refused(n, `keyId ${String(value['keyId'])} is not the key id of the public key (${keyId})`, { keyId });
  if (typeof value['receivedAt'] !== 'string') refused(n, 'receivedAt must be a string');
  const cosignature = { publicKey: c.publicKey, signature: c.signature };
  if (!verifyWitnessCosignature(cp, cosignature)) refused(n, `the cosignature by key ${keyId.slice(0, 16)} does not verify on the checkpoint of log size ${cp.logSize}`, { keyId, logSize: cp.logSize });
  return { logSize: cp.logSize, keyId, ...cosignature, receivedAt: value['receivedAt'] };
}

/** The export's cosignatures, each checked; COSIGNATURE_INVALID names the first that is not. */
export async function checkedCosignatures(dir: string, manifest: ExportManifest): Promise<ImportedCosignature[]> {
  if (!manifest.files[COSIGNATURES_FILE]) return [];
  const checkpoints = await exportedCheckpoints(dir);
  const kept: ImportedCosignature[] = [];
  const seen = new Set<string>();
  const perCheckpoint = new Map<number, number>();
  for await (const { line: n, value } of numberedLines(path.join(dir, COSIGNATURES_FILE))) {
    const c = checkedLine(manifest.consortium.id, checkpoints, value, n);
    if (seen.has(`${c.logSize}/${c.keyId}`)) refused(n, `a second cosignature by key ${c.keyId.slice(0, 16)} on the checkpoint of log size ${c.logSize}`, { keyId: c.keyId, logSize: c.logSize });
    seen.add(`${c.logSize}/${c.keyId}`);
    const count = (perCheckpoint.get(c.logSize) ?? 0) + 1;
    if (count > MAX_WITNESS_COSIGNATURES_PER_CHECKPOINT) refused(n, `more than ${MAX_WITNESS_COSIGNATURES_PER_CHECKPOINT} cosignatures on the checkpoint of log size ${c.logSize}`, { logSize: c.logSize });
    perCheckpoint.set(c.logSize, count);
    kept.push(c);
  }
  return kept;
}
