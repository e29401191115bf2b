/**
 * The answers of the lineage queries (src/services/lineage), as the visibility cut of
 * visible-views.ts shapes them. Pure types, and the origins walk both share.
 */
import type { BreachEvidence } from './evidence.js';
import type { LineageEdge } from './graph.js';
import type { TraceVerification } from './verify-hop.js';

export interface PartyAt {
  orgId: string;
  eventId: string;
  time: string;
}

export interface ProductPassport {
  identifier: string;
  animals: string[];
  farmsOfBirth: PartyAt[];
  rearingFarms: string[];
  slaughter: PartyAt[];
  processing: PartyAt[];
  packing: PartyAt[];
  coldChainCompliant: boolean;
  coldChainBreaches: BreachEvidence[];
  verdict: TraceVerification['verdict'];
  verification: TraceVerification;
}

export interface EventSummary {
  eventId: string;
  time: string;
  orgId: string;
  bizStep: string | null;
  eventType: string | null;
  readPoint: string | null;
  bizLocation: string | null;
}

/** An animal's history with events summarised as S (EventSummary here; a visibility-cut view in the API). */
export interface AnimalHistoryOf<S> {
  animal: string;
  birth: (S & { holding: string | null }) | null;
  dam: string | null;
  movements: S[];
  feedLots: { lot: string; event: S }[];
  treatments: S[];
  slaughter: (S & { outputs: string[] }) | null;
  postMortem: S[];
  events: S[];
}

export type AnimalHistory = AnimalHistoryOf<EventSummary>;

export interface RecallRow {
  identifier: string;
  kind: string;
  lastCustodian: string | null;
  lastLocation: string | null;
  lastEventTime: string | null;
  pathLength: number;
}

export interface CargoNode {
  identifier: string;
  contents: CargoNode[];
  /** Roots of the item's upstream lineage (e.g. animals, feed lots). */
  origins: string[];
}

export interface CargoLineage {
  container: string;
  contents: CargoNode[];
  documents: { eventId: string; documents: unknown }[];
  sealEvents: EventSummary[];
  temperatureExcursions: BreachEvidence[];
  parties: string[];
  verification: TraceVerification;
}

export interface AuthenticityResult {
  identifier: string;
  likelyCounterfeit: boolean;
  reasons: { code: 'NEVER_COMMISSIONED' | 'NOT_COMMISSIONED_BY_BRAND_OWNER' | 'DECOMMISSIONED' | 'DUPLICATE_CUSTODY'; message: string; details?: Record<string, unknown> }[];
  brandOwner: string | null;
  commissionedBy: string[];
}

/** Roots above `id` over the given links (items with no incoming link), as cargo lineage lists origins. */
export function rootsAbove(id: string, incoming: ReadonlyMap<string, readonly LineageEdge[]>): string[] {
  const roots = new Set<string>();
  const seen = new Set<string>([id]);
  const stack = [id];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    const ins = incoming.get(cur) ?? [];
    if (ins.length === 0 && cur !== id) roots.add(cur);
    for (const e of ins) {
      if (seen.has(e.from)) continue;
      seen.add(e.from);
      stack.push(e.from);
    }
  }
  return [...roots].sort();
}
