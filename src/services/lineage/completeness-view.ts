/**
 * Completeness as a viewer gets it: for each identifier of the answer the viewer sees, whether its
 * index entries are all there are (up to the answer's checkpoint), those entries (an event the
 * viewer may not see keeps its record hash, role and log index, but not its event id), and on
 * request the map proof a verifier checks against the indexRoot of the block it names.
 */
import type { AnswerCheckpoint, CompletenessReason, CompletenessReport, CompletenessStatus, IdentifierCompleteness } from '../../core/lineage/completeness.js';
import { mapProofOf } from '../../core/lineage/completeness.js';

import type { HopStatus, HopVerdict } from '../../core/lineage/verify-hop.js';
import type { MapProof } from '../../core/ledger/index-map/proof.js';

export interface IndexEntryView {
  /** Null when the viewer may not see the event. */
  eventId: string | null;
  recordHash: string;
  role: string;
  logIndex: number;
}

export type IndexProofView = MapProof & { height: number; logSize: number; indexRoot: string };

export interface IdentifierCompletenessView {
  identifier: string;
  status: CompletenessStatus;
  /** Entries up to the log size of the map version the leaf was proven under, in chain order. */
  entries: IndexEntryView[];
  /** The proven leaf's count. */
  count: number | null;
  reason: CompletenessReason | null;
  /** The map proof (built on request). */
  proof(): IndexProofView | null;
}

export interface CompletenessView {
  checkpoint: AnswerCheckpoint | null;
  identifiers: IdentifierCompletenessView[];
  /** FAILED when any identifier shown is INCOMPLETE. */
  verdict: HopStatus;
}

export type HopView = HopVerdict & { completeness: IdentifierCompletenessView[] };

function viewOne(c: IdentifierCompleteness, shown: (eventId: string) => boolean): IdentifierCompletenessView {
  let proof: IndexProofView | null | undefined;
  return {
    identifier: c.identifier,
    status: c.status,
    entries: c.entries.map((e) => ({ eventId: shown(e.eventId) ? e.eventId : null, recordHash: e.recordHash, role: e.role, logIndex: e.logIndex })),
    count: c.leaf?.count ?? null,
    reason: c.reason ?? null,
    proof: () => (proof === undefined ? (proof = mapProofOf(c) ?? null) : proof),
  };
}

/** The report cut to the identifiers the viewer sees. */
export function completenessView(report: CompletenessReport | undefined, identifiers: Iterable<string>, shown: (eventId: string) => boolean): CompletenessView {
  const out: IdentifierCompletenessView[] = [];
  const seen = new Set<string>();
  let verdict: HopStatus = 'VERIFIED';
  for (const id of identifiers) {
    if (seen.has(id)) continue;
    seen.add(id);
    const c = report?.byIdentifier.get(id);
    if (!c) continue;
    if (c.status === 'INCOMPLETE') verdict = 'FAILED';
    out.push(viewOne(c, shown));
  }
  return { checkpoint: report?.checkpoint ?? null, identifiers: out, verdict };
}

/** Each hop with the completeness of its two ends. */
export function hopsWithEnds(hops: readonly HopVerdict[], view: CompletenessView): HopView[] {
  const byId = new Map(view.identifiers.map((c) => [c.identifier, c]));
  return hops.map((h) => ({ ...h, completeness: [...new Set([h.edge.from, h.edge.to])].flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])) }));
}

const RANK: Record<HopStatus, number> = { VERIFIED: 0, WARNING: 1, FAILED: 2 };

export function worse(a: HopStatus, b: HopStatus): HopStatus {
  return RANK[a] >= RANK[b] ? a : b;
}
