/**
 * Witnesses and this node: what a witness reads (the latest checkpoint with the evidence to check
 * its signatures from genesis) and the cosignatures it posts back, kept for the node's own
 * checkpoints only and served with them and in proof bundles (docs/witness.md).
 *
 * Any valid cosignature is kept, whoever made it: a verifier counts only the witness keys it names.
 * The number kept per checkpoint is bounded so that nobody can fill the table.
 */
import { CodedError } from '../core/coded-error.js';
import { keyIdOf, parsePublicKey } from '../core/crypto/index.js';
import type { LatestCosignatureRow } from '../store/witness-cosignature-store.js';
import { assertCheckpointShape, checkpointHash, type Checkpoint } from '../core/ledger/checkpoint.js';
import { formatTimestamp } from '../core/ledger/record.js';
import { BundleError, verifyWitnessCosignature, type ProofBundle, type WitnessCosignature } from '../core/lineage/bundle.js';
import { exportProofBundle } from '../store/bundle-store.js';
import { WitnessCosignatureStore } from '../store/witness-cosignature-store.js';
import type { ChainReads } from './chain-reads.js';
import type { NodeHandles } from './node-handles.js';
import type { ReadContext } from './read-context.js';
import { notFound } from './read-errors.js';

/** Witness keys chainStatus lists besides the expected ones: the most recently cosigning first. */
export const WITNESS_STATUS_MAX_KEYS = 32;

/** How far one witness key has cosigned this node's checkpoints (docs/witness.md section 8). */
export interface WitnessStatusView {
  keyId: string;
  publicKey: string;
  /** Named by this node's PROVENANT_WITNESS_KEYS. */
  expected: boolean;
  /** The checkpoint of the largest log size it cosigned, and when the node received that cosignature; null: none yet. */
  lastCosigned: { logSize: number; logRoot: string | null; blockHeight: number | null; blockHash: string | null; timestamp: string | null; cosignedAt: string } | null;
  /** Checkpoints of this node it cosigned. */
  checkpointsCosigned: number;
  /** Whether its last cosignature is on the node's latest checkpoint. */
  coversLatestCheckpoint: boolean;
  /** Log entries of the latest checkpoint beyond the last it cosigned (the whole log when it never cosigned). */
  entriesBehind: number;
}

/** Cosignatures kept per checkpoint; later ones are refused with TOO_MANY_COSIGNATURES. */
export const MAX_WITNESS_COSIGNATURES_PER_CHECKPOINT = 32;

export class WitnessCosignatureError extends CodedError<'MALFORMED_COSIGNATURE' | 'UNKNOWN_CHECKPOINT' | 'BAD_COSIGNATURE' | 'TOO_MANY_COSIGNATURES'> {
  override readonly name = 'WitnessCosignatureError';
}

export interface CosignatureReceipt {
  status: 'stored' | 'duplicate';
  logSize: number;
  keyId: string;
}

function malformed(message: string): never {
  throw new WitnessCosignatureError('MALFORMED_COSIGNATURE', `malformed cosignature: ${message}; the body is { "checkpoint": {…}, "cosignature": { "publicKey": "<alg>:…", "signature": "<alg>:…" } }`);
}

/** The posted body's checkpoint and cosignature, checked for shape. */
function parsePosted(consortiumId: string, body: unknown): { checkpoint: Checkpoint; cosignature: WitnessCosignature; keyId: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) malformed('the body is not a JSON object');
  const { checkpoint, cosignature } = body as { checkpoint?: unknown; cosignature?: unknown };
  try {
    assertCheckpointShape(checkpoint);
  } catch (err) {
    malformed((err as Error).message);
  }
  if (checkpoint.consortium !== consortiumId) malformed(`the checkpoint is for consortium "${checkpoint.consortium}", not "${consortiumId}"`);
  const c = cosignature as Partial<WitnessCosignature> | null | undefined;
  if (typeof c !== 'object' || c === null || typeof c.publicKey !== 'string' || typeof c.signature !== 'string' || c.publicKey.length > 256 || c.signature.length > 512) {
    malformed('cosignature must be { "publicKey": string, "signature": string }');
  }
  let keyId: string;
  try {
    keyId = keyIdOf(parsePublicKey(c.publicKey));
  } catch (err) {
    malformed(`cosignature.publicKey: ${(err as Error).message}`);
  }
  return { checkpoint, cosignature: { publicKey: c.publicKey, signature: c.signature }, keyId };
}

export class WitnessCosignatures {
  readonly #store: WitnessCosignatureStore;

  constructor(
    private readonly handles: NodeHandles,
    private readonly chain: ChainReads,
  ) {
    this.#store = new WitnessCosignatureStore(handles.db);
  }

  /** The latest checkpoint as a proof bundle of no records: its signatures, genesis and every membership record, to check from genesis. */
  async checkpointEvidence(rc: ReadContext, consortiumId: string): Promise<ProofBundle> {
    await this.chain.requireLogReader(rc, consortiumId);
    return exportProofBundle(this.handles.store, consortiumId, []).catch((err: unknown) => {
      if (err instanceof BundleError && err.code === 'BUNDLE_NO_CHECKPOINT') throw notFound(err.message, err.details);
      throw err;
    });
  }

  /** Keeps a witness's cosignature on one of this node's checkpoints, after checking it. */
  async accept(rc: ReadContext, consortiumId: string, body: unknown): Promise<CosignatureReceipt> {
    await this.chain.requireLogReader(rc, consortiumId);
    const { checkpoint, cosignature, keyId } = parsePosted(consortiumId, body);
    const own = await this.#store.checkpointAt(consortiumId, checkpoint.logSize);
    if (!own || checkpointHash(own) !== checkpointHash(checkpoint)) {
      throw new WitnessCosignatureError(
        'UNKNOWN_CHECKPOINT',
        own ? `this node's checkpoint of log size ${checkpoint.logSize} is not the one cosigned (root ${own.logRoot}, block ${own.blockHeight})` : `this node has no checkpoint of log size ${checkpoint.logSize}`,
        { logSize: checkpoint.logSize, ...(own ? { logRoot: own.logRoot, blockHash: own.blockHash } : {}) },
      );
    }
    if (!verifyWitnessCosignature(own, cosignature)) {
      throw new WitnessCosignatureError('BAD_COSIGNATURE', `the cosignature by key ${keyId.slice(0, 16)} does not verify on the checkpoint of log size ${own.logSize}`, { keyId, logSize: own.logSize });
    }
    const outcome = await this.#store.add(consortiumId, own.logSize, keyId, cosignature, formatTimestamp(new Date()), MAX_WITNESS_COSIGNATURES_PER_CHECKPOINT);
    if (outcome === 'full') {
      throw new WitnessCosignatureError('TOO_MANY_COSIGNATURES', `the checkpoint of log size ${own.logSize} already has ${MAX_WITNESS_COSIGNATURES_PER_CHECKPOINT} witness cosignatures`, {
        logSize: own.logSize,
        max: MAX_WITNESS_COSIGNATURES_PER_CHECKPOINT,
      });
    }
    return { status: outcome, logSize: own.logSize, keyId };
  }

  /** The cosignatures kept for the checkpoint of this log size (default the latest checkpoint). */
  async list(rc: ReadContext, consortiumId: string, logSize?: number): Promise<{ logSize: number; witnessCosignatures: WitnessCosignature[] }> {
    await this.chain.requireLogReader(rc, consortiumId);
    const size = logSize ?? (await this.handles.store.latestCheckpoint(consortiumId))?.logSize;
    if (size === undefined) throw notFound(`no checkpoint for consortium "${consortiumId}"`);
    return { logSize: size, witnessCosignatures: await this.#store.list(consortiumId, size) };
  }

  /**
   * Each witness key that cosigned this node's checkpoints, and each expected one, against the
   * latest checkpoint: read from the stored rows only. The caller has checked the viewer may read
   * the consortium's chain status.
   */
  async status(consortiumId: string): Promise<WitnessStatusView[]> {
    const latest = (await this.handles.store.latestCheckpoint(consortiumId))?.logSize ?? 0;
    const expected = new Map((this.handles.config.witnessKeys ?? []).map((k) => [keyIdOf(parsePublicKey(k)), k]));
    const seen = await this.#store.latestByKey(consortiumId, WITNESS_STATUS_MAX_KEYS);
    const missing = [...expected.keys()].filter((id) => !seen.some((r) => r.keyId === id));
    const rows = [...(await this.#store.latestByKey(consortiumId, missing.length, missing)), ...seen];
    const view = (keyId: string, publicKey: string, row: LatestCosignatureRow | undefined): WitnessStatusView => ({
      keyId,
      publicKey,
      expected: expected.has(keyId),
      lastCosigned: row ? { logSize: row.logSize, logRoot: row.logRoot, blockHeight: row.blockHeight, blockHash: row.blockHash, timestamp: row.timestamp, cosignedAt: row.receivedAt } : null,
      checkpointsCosigned: row?.checkpoints ?? 0,
      coversLatestCheckpoint: row !== undefined && latest > 0 && row.logSize >= latest,
      entriesBehind: Math.max(0, latest - (row?.logSize ?? 0)),
    });
    const views = rows.map((r) => view(r.keyId, r.publicKey, r));
    for (const [keyId, publicKey] of expected) if (!rows.some((r) => r.keyId === keyId)) views.push(view(keyId, publicKey, undefined));
    // Expected witnesses first, then by what they cover; one order for every reader.
    return views.sort((a, b) => Number(b.expected) - Number(a.expected) || (b.lastCosigned?.logSize ?? -1) - (a.lastCosigned?.logSize ?? -1) || a.keyId.localeCompare(b.keyId));
  }
}
