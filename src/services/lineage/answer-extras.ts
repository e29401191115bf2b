/**
 * What every lineage answer carries beside its own content: the checkpoint it is given at, the
 * completeness of each identifier the viewer sees (with map proofs on request), and for an as-of
 * answer the later records that touch those identifiers (corrections named as such).
 */
import { correctedEventIds, type LaterRecord } from '../../core/lineage/corrections.js';
import type { CompletenessReport } from '../../core/lineage/completeness.js';
import type { EventRow } from '../../core/lineage/graph.js';
import type { HopReason } from '../../core/lineage/semantics.js';
import type { HopStatus, HopVerdict } from '../../core/lineage/verify-hop.js';
import { isShown } from '../../core/lineage/visibility.js';
import type { Decisions } from '../../core/lineage/visible-views.js';
import { contextAsOf, resolveAsOf, type AsOfInput } from './as-of.js';
import { completenessView, hopsWithEnds, worse, type HopView, type IdentifierCompletenessView } from './completeness-view.js';
import type { LineageRequest } from './request.js';
import { verifyCheckpointBlock, type LineageContext } from './verify.js';

export interface CheckpointView {
  /** The block the answer is given at, and the log size after it. */
  height: number;
  logSize: number;
  blockHash: string | null;
  timestamp: string | null;
  /** The map root the completeness proofs are checked against, and the block whose header commits to it. */
  indexRoot: string | null;
  indexHeight: number | null;
  /** False when no version-2 block commits to the map yet (completeness UNPROVEN). */
  signed: boolean;
  asOf: boolean;
  /** As-of: the block is not linked to the head, or not the one named. */
  failures: HopReason[];
}

export interface AnswerExtras {
  checkpoint: CheckpointView | null;
  completeness: IdentifierCompletenessView[];
  laterRecords: LaterRecord[];
  /** FAILED when an identifier shown is INCOMPLETE or the as-of block does not hold. */
  verdict: HopStatus;
  withEnds(hops: readonly HopVerdict[]): HopView[];
}

/** The request's lineage context, as of the asked point when there is one. */
export async function contextFor(req: LineageRequest, asOf: AsOfInput | null | undefined): Promise<LineageContext> {
  const point = await resolveAsOf(req.lc, asOf);
  return point ? contextAsOf(req.lc, point) : req.lc;
}

/**
 * As-of answers: records after the point that touch the identifiers (their rows join the
 * request's, so the viewer's decisions cover them); rows after the point are dropped from what
 * the answer stands on.
 */
export async function laterRecordsOf(req: LineageRequest, lc: LineageContext, report: CompletenessReport | undefined, answerEventIds: Iterable<string>): Promise<LaterRecord[]> {
  const point = lc.asOf;
  if (!point) return [];
  for (const [id, row] of req.rows) if (row.evidence && row.evidence.logIndex >= point.logSize) req.rows.delete(id);
  const later: Omit<LaterRecord, 'kind' | 'corrects'>[] = [];
  for (const c of report?.byIdentifier.values() ?? []) {
    for (const e of c.entries) if (e.logIndex >= point.logSize) later.push({ identifier: c.identifier, eventId: e.eventId, recordHash: e.recordHash, logIndex: e.logIndex, role: e.role });
  }
  if (later.length === 0) return [];
  const store = req.lc.source as { eventsById?: (ids: string[]) => Promise<EventRow[]> };
  const rows = new Map((await (store.eventsById?.([...new Set(later.map((l) => l.eventId))]) ?? Promise.resolve([]))).map((r) => [r.eventId, r]));
  const ids = new Set(answerEventIds);
  return later
    .map((l): LaterRecord => {
      const corrects = correctedEventIds(rows.get(l.eventId)?.event, ids);
      return { ...l, kind: corrects.length > 0 ? 'CORRECTION' : 'LATER', corrects };
    })
    .sort((a, b) => a.logIndex - b.logIndex || (a.identifier < b.identifier ? -1 : 1));
}

/** The extras of an answer over the identifiers the viewer sees. */
export async function answerExtras(lc: LineageContext, report: CompletenessReport | undefined, identifiers: Iterable<string>, decisions: Decisions, later: readonly LaterRecord[]): Promise<AnswerExtras> {
  const shown = (eventId: string) => isShown(decisions.get(eventId));
  const view = completenessView(report, identifiers, shown);
  const point = lc.asOf;
  const failures = point ? await verifyCheckpointBlock(lc, point.height, point.blockHash) : [];
  const cp = report?.checkpoint;
  const firstProof = view.identifiers.find((c) => c.status !== 'UNPROVEN');
  const atHead = (height: number) => height === lc.state.height;
  const height = point?.height ?? cp?.height ?? lc.state.height;
  const checkpoint: CheckpointView = {
    height,
    logSize: point?.logSize ?? cp?.logSize ?? lc.state.logSize,
    blockHash: point?.blockHash ?? (atHead(height) ? lc.state.headHash : null),
    timestamp: point?.timestamp ?? (atHead(height) ? lc.state.headTimestamp : null),
    indexRoot: cp?.indexRoot ?? null,
    indexHeight: firstProof ? (report?.byIdentifier.get(firstProof.identifier)?.provenAt?.height ?? null) : null,
    signed: cp?.signed ?? false,
    asOf: point !== undefined,
    failures,
  };
  const verdict = worse(view.verdict, failures.length > 0 ? 'FAILED' : 'VERIFIED');
  const laterRecords = later.filter((l) => shown(l.eventId));
  return { checkpoint, completeness: view.identifiers, laterRecords, verdict, withEnds: (hops) => hopsWithEnds(hops, view) };
}
