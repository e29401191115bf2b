/**
 * As-of answers: a lineage query answered as the ledger stood after an earlier block, the last one
 * at or before a log size or a time. The walk sees only records below that block's log size;
 * completeness uses the latest proofs and the prefix of each identifier's chain below it (entries
 * are in log order, so the prefix is exactly the chain at that point); the block itself must be
 * linked to the head. Later records that touch the answer's identifiers are listed, corrections
 * as such (core/lineage/corrections.ts).
 */
import type { BlockHeader } from '../../core/ledger/block.js';
import { isTimestamp } from '../../core/ledger/record.js';
import type { BlockEvidence, EvidenceLoader } from '../../core/lineage/evidence.js';
import type { EventRow, KnownEvents, LineageSource } from '../../core/lineage/graph.js';
import { invalidIdentifier, notFound } from '../read-errors.js';
import type { LineageContext } from './verify.js';

export interface AsOfInput {
  logSize?: number | null;
  time?: string | null;
}

/** The block an as-of answer is given at. */
export interface AsOfPoint {
  height: number;
  logSize: number;
  blockHash: string;
  timestamp: string;
}

/** The block at or before the asked point; INVALID_IDENTIFIER (bad request) for a malformed point or one before genesis. */
export async function resolveAsOf(ctx: LineageContext, input: AsOfInput | null | undefined): Promise<AsOfPoint | undefined> {
  if (!input || (input.logSize == null && input.time == null)) return undefined;
  if (input.logSize != null && input.time != null) throw invalidIdentifier('asOf takes a log size or a time, not both', { asOf: input });
  if (input.logSize != null && (!Number.isSafeInteger(input.logSize) || input.logSize < 1)) throw invalidIdentifier('asOf.logSize must be a positive integer', { asOf: input });
  if (input.time != null && !isTimestamp(input.time)) throw invalidIdentifier('asOf.time must be RFC 3339 UTC with milliseconds, e.g. 2026-03-01T00:00:00.000Z', { asOf: input });
  const row = await ctx.evidence.blockAtOrBefore?.(input.logSize != null ? { logSize: input.logSize } : { time: input.time! });
  if (!row) throw invalidIdentifier('asOf is before the consortium began', { asOf: input });
  const header = headerOf(row);
  if (!header || row.height > ctx.state.height) throw notFound(`block ${row.height} is unreadable or beyond the head`, { height: row.height });
  return { height: row.height, logSize: header.logSize, blockHash: row.hash, timestamp: header.timestamp };
}

function headerOf(row: BlockEvidence): BlockHeader | undefined {
  try {
    return JSON.parse(row.header) as BlockHeader;
  } catch {
    return undefined;
  }
}

/** A source that sees only records below the log size (and remembers no walks: its answers differ from the latest). */
function sourceAsOf(source: LineageSource, logSize: number): LineageSource {
  const before = (rows: EventRow[]) => rows.filter((r) => r.evidence !== undefined && r.evidence.logIndex < logSize);
  return {
    eventsTouching: async (identifiers: string[], known?: KnownEvents, skipRoles?: readonly string[]) => before(await source.eventsTouching(identifiers, known, skipRoles)),
    ...(source.indexEntries ? { indexEntries: source.indexEntries.bind(source) } : {}),
  };
}

/** Breaches recorded after the point are left out. */
function evidenceAsOf(evidence: EvidenceLoader, logSize: number): EvidenceLoader {
  const wrapped = Object.create(evidence) as EvidenceLoader;
  wrapped.coldChainBreaches = async (ids: string[]) => (await evidence.coldChainBreaches(ids)).filter((b) => b.logIndex === undefined || b.logIndex < logSize);
  return wrapped;
}

/** The lineage context of an as-of answer. */
export function contextAsOf(ctx: LineageContext, point: AsOfPoint): LineageContext {
  return { ...ctx, source: sourceAsOf(ctx.source, point.logSize), evidence: evidenceAsOf(ctx.evidence, point.logSize), asOf: point };
}
