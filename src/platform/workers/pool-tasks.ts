/**
 * The tasks the worker pool runs: each is a batch of independent items, so it can be cut into
 * chunks and the chunks' results joined in order. The same functions run in the workers
 * (pool-worker.ts) and, for small batches or when the pool is unusable, on the main thread.
 */
import { parsePublicKey, type PublicKey } from '../../core/crypto/index.js';
import { verifyAndHash, type VerifyRequest, type VerifyResult } from '../../core/capture/verify-core.js';
import { verifyReadingBatch, type ReadingVerifyBatch, type ReadingVerifyResult } from '../../core/readings/reading-verify.js';

export interface PoolTask<Req, Res> {
  /** How pool-worker.ts finds the task. */
  readonly name: string;
  /** Items in the request. */
  size(request: Req): number;
  /** Items start..end-1, as a request of their own. */
  slice(request: Req, start: number, end: number): Req;
  /** The results of consecutive slices, joined. */
  merge(parts: Res[]): Res;
  run(request: Req): Res;
}

// Point decompression is the slow part of parsing a key; a signer's key is reused across documents.
const parsedKeys = new Map<string, PublicKey>();
const PARSED_KEY_LIMIT = 1000;

function cachedPublicKey(encoded: string): PublicKey {
  let key = parsedKeys.get(encoded);
  if (!key) {
    key = parsePublicKey(encoded);
    if (parsedKeys.size >= PARSED_KEY_LIMIT) parsedKeys.clear();
    parsedKeys.set(encoded, key);
  }
  return key;
}

/** A capture's record hashes, signature checks and event hash IDs. */
export const captureVerifyTask: PoolTask<VerifyRequest, VerifyResult> = {
  name: 'capture.verify',
  size: (request) => request.records.length,
  slice: (request, start, end) => ({ ...request, records: request.records.slice(start, end) }),
  merge: (parts) => ({
    outcomes: parts.flatMap((p) => p.outcomes),
    recordHashes: parts.flatMap((p) => p.recordHashes),
    eventIds: parts.flatMap((p) => p.eventIds),
  }),
  run: (request) => verifyAndHash(request, cachedPublicKey(request.publicKey)),
};

/** Device readings: shape, topic match, digest and signature. */
export const readingVerifyTask: PoolTask<ReadingVerifyBatch, ReadingVerifyResult[]> = {
  name: 'readings.verify',
  size: (batch) => batch.items.length,
  slice: (batch, start, end) => ({ items: batch.items.slice(start, end), devices: batch.devices }),
  merge: (parts) => parts.flat(),
  run: verifyReadingBatch,
};

export const POOL_TASKS: Readonly<Record<string, (request: never) => unknown>> = {
  [captureVerifyTask.name]: captureVerifyTask.run,
  [readingVerifyTask.name]: readingVerifyTask.run,
};
