/**
 * Verified traces over a LineageSource + EvidenceLoader: the walk, then every hop verified with
 * evidence read in a few batches. Pure apart from the two interfaces (and the failure counter).
 */
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import type { BlockEvidence, BreachEvidence, EvidenceLoader, RecordEvidence } from '../../core/lineage/evidence.js';
import { itemEdges, trace as walk, type Direction, type LineageSource, type TraceResult } from '../../core/lineage/graph.js';
import { BlockVerifier, heightsOf, verifyTrace, worst, type TraceVerification } from '../../core/lineage/verify-hop.js';
import type { HopReason } from '../../core/lineage/semantics.js';
import { correctionOfHop, type CorrectionIndexRow } from '../../core/lineage/hop-corrections.js';
import { BlockTree, type VerificationCache } from '../../core/lineage/verify-cache.js';
import { checkCompleteness, type CompletenessReport, type LeafSource } from '../../core/lineage/completeness.js';
import type { MapVersion, TrustedIndex } from '../../core/ledger/index-map/version.js';
import { recordVerification } from '../operations-metrics.js';

export interface LineageContext {
  source: LineageSource;
  evidence: EvidenceLoader;
  state: ConsortiumState;
  /** ISO time used for "now" (aggregation at the current time). */
  now?: () => string;
  /** The index map the node trusts: with it, answers prove each visited identifier complete. */
  index?: TrustedIndex;
  /** Answer as the ledger stood after this block (as-of.ts). */
  asOf?: { height: number; logSize: number; blockHash: string; timestamp: string };
  /** Error declarations about events, by event ID (absent: hops are not marked). */
  corrections?: (eventIds: string[]) => Promise<ReadonlyMap<string, readonly CorrectionIndexRow[]>>;
}

/**
 * The map version completeness is pinned at: the latest; for an as-of answer with the as-of
 * block's height and log size (the latest proofs hold for every earlier checkpoint through the
 * prefix of each chain).
 */
export function pinnedVersion(ctx: LineageContext): MapVersion | undefined {
  const current = ctx.index?.current();
  if (!current || !ctx.asOf) return current;
  return { ...current, height: ctx.asOf.height, logSize: ctx.asOf.logSize };
}

export interface VerifiedTrace {
  trace: TraceResult;
  verification: TraceVerification;
  breaches: BreachEvidence[];
}

export const DEFAULT_MAX_DEPTH = 32;

/**
 * Loads the evidence for the hops' records and blocks in a few batched reads, then verifies every
 * hop. With the store's verification cache, only blocks the cached chain does not cover are read
 * to link the hops to the head, and only blocks without a cached Merkle tree have their record
 * hashes read. A FAILED verdict is always re-established without the cache, so a failure reads
 * exactly as a fresh verification from the store would.
 */
export async function verifyTraceResult(ctx: LineageContext, result: TraceResult, pinned: MapVersion | undefined = pinnedVersion(ctx)): Promise<VerifiedTrace> {
  const cache = ctx.evidence.verificationCache;
  const breaches = await ctx.evidence.coldChainBreaches(result.nodes);
  const completeness = await completenessOf(ctx, result.nodes, pinned);
  let verification = await verifyWithEvidence(ctx, result, breaches, cache, completeness);
  if (cache && verification.verdict === 'FAILED') verification = await verifyWithEvidence(ctx, result, breaches, undefined, completeness);
  const final = await withCorrections(ctx, result, verification);
  recordVerification(ctx.state.id, final);
  return { trace: result, verification: final, breaches };
}

/** Marks the hops whose event was declared in error, from the signed declarations (a record that does not back its mark fails the hop). */
async function withCorrections(ctx: LineageContext, result: TraceResult, verification: TraceVerification): Promise<TraceVerification> {
  if (!ctx.corrections || verification.hops.length === 0) return verification;
  const declared = await ctx.corrections([...new Set(verification.hops.map((h) => h.edge.eventId))]);
  if (declared.size === 0) return verification;
  const hashes = [...new Set([...declared.values()].flatMap((rows) => rows.map((r) => r.recordHash)))];
  const records = new Map((await ctx.evidence.records(hashes)).map((r) => [r.hash, r]));
  const marks = new Map([...declared].map(([eventId, rows]) => [eventId, correctionOfHop(rows, records, ctx.state, result.events.get(eventId)?.signerOrg ?? '')]));
  const hops = verification.hops.map((hop) => {
    const mark = marks.get(hop.edge.eventId);
    if (!mark) return hop;
    if (mark.failure) return { ...hop, status: 'FAILED' as const, failures: [...hop.failures, mark.failure] };
    return mark.correction ? { ...hop, correction: mark.correction } : hop;
  });
  return { ...verification, verdict: worst(hops.map((h) => h.status)), hops };
}

/**
 * Whether the index rows of each identifier are all there are, up to the pinned map version
 * (the answer's checkpoint; pinned before the walk, so everything sealed by then was there to find).
 */
export async function completenessOf(ctx: LineageContext, identifiers: readonly string[], pinned: MapVersion | undefined): Promise<CompletenessReport> {
  const listed = ctx.source.indexEntries && pinned ? await ctx.source.indexEntries([...identifiers]) : new Map();
  const leaves = ctx.evidence.indexLeaves?.bind(ctx.evidence);
  const source: LeafSource | undefined = ctx.index && pinned && leaves ? { index: ctx.index, pinned, bucketLeaves: leaves, memo: ctx.evidence.completenessMemo } : undefined;
  return checkCompleteness(identifiers, listed, source);
}

function merkleRootOf(row: BlockEvidence | undefined): string | undefined {
  if (!row) return undefined;
  try {
    const root = (JSON.parse(row.header) as { merkleRoot?: unknown }).merkleRoot;
    return typeof root === 'string' ? root : undefined;
  } catch {
    return undefined;
  }
}

/** The hops' record rows of a trace result, when they all came with its events (results are read-only). */
const hopRecordsOf = new WeakMap<TraceResult, { records: Map<string, RecordEvidence>; heights: number[] }>();

async function verifyWithEvidence(
  ctx: LineageContext,
  result: TraceResult,
  breaches: BreachEvidence[],
  cache: VerificationCache | undefined,
  completeness: CompletenessReport,
): Promise<TraceVerification> {
  const known = hopRecordsOf.get(result);
  const { records, heights } = known ?? (await hopRecords(ctx, result));
  return verifyRecordsAndBlocks(ctx, result, { breaches, cache, completeness }, records, heights);
}

async function hopRecords(ctx: LineageContext, result: TraceResult): Promise<{ records: Map<string, RecordEvidence>; heights: number[] }> {
  // Only the records behind hops are verified; their rows usually came with the events.
  const hopHashes = new Set<string>();
  let lastEventId: string | undefined;
  for (const edge of itemEdges(result)) {
    // Hops come in runs of one event.
    if (edge.eventId === lastEventId) continue;
    lastEventId = edge.eventId;
    const hash = result.events.get(edge.eventId)?.recordHash;
    if (hash) hopHashes.add(hash);
  }
  const records = new Map<string, RecordEvidence>();
  for (const row of result.events.values()) if (row.evidence && hopHashes.has(row.recordHash)) records.set(row.recordHash, row.evidence);
  const unread = [...hopHashes].filter((h) => !records.has(h));
  if (unread.length > 0) for (const r of await ctx.evidence.records(unread)) records.set(r.hash, r);
  const out = { records, heights: heightsOf(records.values()) };
  // Events no hop reaches: their rows are still checked against their records (verifyTrace).
  for (const row of result.events.values()) if (row.evidence && !records.has(row.recordHash)) records.set(row.recordHash, row.evidence);
  // Rows read apart are read again next time; rows that came with the events are part of the result.
  if (unread.length === 0) hopRecordsOf.set(result, out);
  return out;
}

async function verifyRecordsAndBlocks(
  ctx: LineageContext,
  result: TraceResult,
  checks: { breaches: BreachEvidence[]; cache: VerificationCache | undefined; completeness: CompletenessReport },
  records: Map<string, RecordEvidence>,
  heights: number[],
): Promise<TraceVerification> {
  const { breaches, cache, completeness } = checks;
  const head = { height: ctx.state.height, hash: ctx.state.headHash };
  const blockRows: BlockEvidence[] = [];
  if (heights.length > 0) {
    if (cache) {
      blockRows.push(...(await ctx.evidence.blocks(heights)));
      for (const gap of cache.chainGaps(head, heights[0]!)) blockRows.push(...(await ctx.evidence.blockRange(gap.from, gap.to)));
    } else {
      blockRows.push(...(await ctx.evidence.blockRange(heights[0]!, Math.max(head.height, heights[heights.length - 1]!))));
    }
  }
  const blocks = new Map(blockRows.map((b) => [b.height, b]));
  const trees = new Map<number, BlockTree>();
  const unbuilt: number[] = [];
  for (const h of heights) {
    const root = merkleRootOf(blocks.get(h));
    const tree = root !== undefined ? cache?.tree(h, root) : undefined;
    if (tree) trees.set(h, tree);
    else unbuilt.push(h);
  }
  const blockRecordHashes = unbuilt.length > 0 ? await ctx.evidence.recordHashesOfBlocks(unbuilt) : new Map<number, string[]>();
  for (const h of unbuilt) {
    const tree = BlockTree.fromRecordHashes(blockRecordHashes.get(h) ?? []);
    trees.set(h, tree);
    const root = merkleRootOf(blocks.get(h));
    // Kept only once it rebuilt the root its header commits to.
    if (cache && root !== undefined && tree.rootHex() === root) cache.setTree(h, root, tree);
  }
  return verifyTrace(result, { state: ctx.state, records, blocks, blockRecordHashes, breaches, trees, cache, completeness });
}

export async function trace(ctx: LineageContext, id: string, direction: Direction, maxDepth = DEFAULT_MAX_DEPTH): Promise<VerifiedTrace> {
  const pinned = pinnedVersion(ctx);
  return verifyTraceResult(ctx, await walk(ctx.source, id, direction, maxDepth), pinned);
}


/**
 * The block an as-of answer is given at: sealed, and linked by previousHash to the head the node
 * holds (the one block check, as for every hop). Empty when it holds.
 */
export async function verifyCheckpointBlock(ctx: LineageContext, height: number, hash: string): Promise<HopReason[]> {
  const cache = ctx.evidence.verificationCache;
  const head = { height: ctx.state.height, hash: ctx.state.headHash };
  const rows = [...(await ctx.evidence.blocks([height]))];
  if (cache) for (const gap of cache.chainGaps(head, height)) rows.push(...(await ctx.evidence.blockRange(gap.from, gap.to)));
  else rows.push(...(await ctx.evidence.blockRange(height, head.height)));
  const blocks = new Map(rows.map((b) => [b.height, b]));
  const verifier = new BlockVerifier({ state: ctx.state, records: new Map(), blocks, blockRecordHashes: new Map(), breaches: [], cache });
  const failures = [...verifier.check(height).failures];
  const stored = blocks.get(height)?.hash;
  if (stored !== hash) failures.push({ code: 'BLOCK_HASH_MISMATCH', message: `block ${height} is not the block the answer names`, details: { height, expected: hash, computed: stored ?? null } });
  return failures;
}
